"""SnapStart, what a new execution environment still does before its first answer (issue 10).

With SnapStart (template.yaml: the ingest and authorizer functions) Lambda runs a function's init
once per published version and snapshots it; a new execution environment resumes the snapshot,
runs the after-restore hooks and answers. A restore cannot run here, so this bench measures the
parts around it, for the ingest handler's first POST (invalid, 422; and valid, 201):

(a) on-demand cold start, as ``bench.cold_start`` runs it: a fresh interpreter imports the handler
    and answers its first event; from spawn to the answer.
(b) SnapStart: the same child with ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` and a stub
    ``snapshot_restore_py`` module (the runtime's hook registry) on its path. "Init" is spawn to
    the end of the import (with the function's warm-up, which ``newsdesk.snapstart`` runs only in a
    snapshot init) and the before-snapshot hooks: the part SnapStart moves to deploy time. "After
    restore" is the registered after-restore hooks, then the first event, up to the answer: the
    part that still runs in every new environment, on top of Lambda's own restore.

Lambda's restore itself (resuming the snapshot's memory, loading its pages) is not included and
cannot be measured here; AWS reports it separately (``Restore Duration`` in the REPORT line).

The events, the recorded moto responses, the environments and the children come from
``bench.cold_start`` (``prepare``, ``child_environment``, ``full_code``, ``spawn``). Times inside a
child are ``time.perf_counter()`` readings, which on Linux is ``CLOCK_MONOTONIC``, one clock for all
processes: the parent's reading just before the spawn and the child's marks share it.
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench.cold_start import (
    Variant,
    child_environment,
    first_event_code,
    full_code,
    handler_import_code,
    prepare,
    spawn,
    tagged,
)
from bench.common import BenchResult, Table, Verdict, main_of, median, ms, percentile, ratio

NAME = "snapstart"
REPETITIONS = 15
QUICK_REPETITIONS = 5
# cold_start's variants measured here (the ingest handler's first POSTs), and their function.
FIRST_EVENTS = {"ingest_422": "ingest: first POST, invalid (422)", "ingest_201": "ingest: first POST, valid (201)"}
FUNCTION = "ingest"
# A ceiling for the informational verdicts: after a restore the first answer must come sooner.
SANITY = 1.0

# Stands in for the runtime's library (aws/snapshot-restore-py): it only collects the hooks. The
# runtime runs the before-snapshot hooks last-registered first, the after-restore ones in order.
STUB_MODULE = '''\
"""Bench stub of the Lambda runtime's snapshot_restore_py: collects the hooks, runs none."""
_BEFORE = []
_AFTER = []
def register_before_snapshot(func, *args, **kwargs):
    _BEFORE.append((func, args, kwargs))
    return func
def register_after_restore(func, *args, **kwargs):
    _AFTER.append((func, args, kwargs))
    return func
def get_before_snapshot():
    return _BEFORE
def get_after_restore():
    return _AFTER
'''

# Child code pieces around cold_start's import and first event. ``_MARKS`` holds [perf_counter,
# process_time] readings (wall, and the child's CPU since it started: on a busy machine wall time
# includes waiting for a CPU); the handler is wrapped so that "answered" is taken when it returns.
MARK_IMPORTED = """\
import time as _time
_MARKS = {}
def _mark(name):
    _MARKS[name] = [_time.perf_counter(), _time.process_time()]
_mark('imported')
"""
SNAPSHOT_AND_RESTORE = """\
import snapshot_restore_py as _restore
for _hook, _args, _kwargs in reversed(_restore.get_before_snapshot()):
    _hook(*_args, **_kwargs)
_mark('snapshot')
# --- the snapshot would be taken here, and resumed in a new execution environment ---
_mark('restore')
for _hook, _args, _kwargs in _restore.get_after_restore():
    _hook(*_args, **_kwargs)
_mark('hooks')
_MARKS['after_restore_hooks'] = [_h.__module__ + '.' + _h.__qualname__ for _h, _, _ in _restore.get_after_restore()]
"""
WRAP_HANDLER = """\
_first_handler = _handler
def _handler(event, context):
    answer = _first_handler(event, context)
    _mark('answered')
    return answer
"""
PRINT_MARKS = "_sys.stderr.write('BENCH-MARKS ' + _json.dumps(_MARKS) + '\\n')\n"


@dataclass
class Sample:
    """One child, times in seconds from the spawn (``None`` where the mode has no such point)."""

    imported: float
    answered: float
    exited: float
    process_cpu: float  # the child's user + system time to exit (rusage)
    snapshot: float | None = None  # end of init: import, warm-up, before-snapshot hooks
    restore: float | None = None
    hooks: float | None = None
    cpu_at: dict[str, float] = field(default_factory=dict)  # the child's CPU time at each mark

    @property
    def answered_cpu(self) -> float:
        """The child's CPU from its start to the answer."""
        return self.cpu_at["answered"]

    @property
    def after_restore_cpu(self) -> float:
        return self.cpu_at["answered"] - self.cpu_at["restore"]

    @property
    def after_restore(self) -> float:
        """Hooks and the first event, up to the answer (SnapStart children only)."""
        assert self.restore is not None
        return self.answered - self.restore

    @property
    def first_event(self) -> float:
        """The handler's first call (and reading its event): after the hooks, or after the import."""
        return self.answered - (self.hooks if self.hooks is not None else self.imported)


def on_demand_variant(variant: Variant, handler: str) -> Variant:
    code = handler_import_code(handler) + MARK_IMPORTED + WRAP_HANDLER + first_event_code() + PRINT_MARKS
    environment = {**variant.environment, "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand"}
    return replace(variant, name=f"{variant.name}_on_demand", code=code, environment=environment)


def snapstart_variant(variant: Variant, handler: str) -> Variant:
    code = (
        handler_import_code(handler)
        + MARK_IMPORTED
        + SNAPSHOT_AND_RESTORE
        + WRAP_HANDLER
        + first_event_code()
        + PRINT_MARKS
    )
    environment = {**variant.environment, "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
    return replace(variant, name=f"{variant.name}_snapstart", code=code, environment=environment)


def snapstart_environment(scratch: Path, variant: Variant) -> dict[str, str]:
    """cold_start's child environment, with the stub runtime module first on the path.

    On-demand children get it too (they never import it): the same path to search in both modes.
    """
    stub = scratch / "runtime"
    stub.mkdir(exist_ok=True)
    (stub / "snapshot_restore_py.py").write_text(STUB_MODULE, encoding="utf-8")
    environment = child_environment(scratch, variant)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(stub), environment.get("PYTHONPATH", "")]))
    return environment


def measure(code: str, environment: dict[str, str]) -> tuple[Sample, dict[str, Any], str]:
    """Spawn one child; its marks relative to the spawn, and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    spawned = time.perf_counter()
    completed = spawn(code, environment)
    exited = time.perf_counter() - spawned
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise RuntimeError(f"child failed:\n{completed.stderr[-3000:]}")
    marks = tagged(completed.stderr, "BENCH-MARKS")
    if not marks:
        raise RuntimeError(f"child printed no marks:\n{completed.stderr[-2000:]}")
    times = {key: value for key, value in marks.items() if key != "after_restore_hooks"}
    relative = {key: wall - spawned for key, (wall, _) in times.items()}
    if not all(0 < value <= exited for value in relative.values()):
        raise RuntimeError(f"child marks outside the spawn-to-exit interval: {relative}, exit {exited}")
    sample = Sample(
        imported=relative["imported"],
        answered=relative["answered"],
        exited=exited,
        process_cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        snapshot=relative.get("snapshot"),
        restore=relative.get("restore"),
        hooks=relative.get("hooks"),
        cpu_at={key: cpu for key, (_, cpu) in times.items()},
    )
    return sample, marks, completed.stderr


def run(quick: bool = False) -> BenchResult:
    clock = time.get_clock_info("perf_counter").implementation
    if "CLOCK_MONOTONIC" not in clock:
        raise RuntimeError(f"perf_counter is {clock}: the child's marks cannot be compared with the parent's")
    started = time.perf_counter()
    repetitions = QUICK_REPETITIONS if quick else REPETITIONS
    prepared, _, facts = prepare()
    handler = facts["handlers"][FUNCTION]
    chosen = [variant for variant in prepared if variant.name in FIRST_EVENTS]
    variants = [
        derived
        for variant in chosen
        for derived in (on_demand_variant(variant, handler), snapstart_variant(variant, handler))
    ]
    samples: dict[str, list[Sample]] = {variant.name: [] for variant in variants}
    checks: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="newsdesk-bench-") as scratch_name:
        scratch = Path(scratch_name)
        environments = {variant.name: snapstart_environment(scratch, variant) for variant in variants}
        codes = {variant.name: full_code(variant) for variant in variants}
        # One untimed run each, checked: the answer moto gave, and in SnapStart children the hooks.
        for variant in variants:
            _, marks, stderr = measure(codes[variant.name], environments[variant.name])
            answer = tagged(stderr, "BENCH-ANSWER")
            if json.dumps(answer, sort_keys=True) != variant.expected:
                raise RuntimeError(
                    f"{variant.name} answered {answer!r}, expected {variant.expected}:\n{stderr[-2000:]}"
                )
            hooks = marks.get("after_restore_hooks")
            if variant.name.endswith("_snapstart") and "newsdesk.snapstart.renew_randomness" not in (hooks or []):
                raise RuntimeError(f"{variant.name}: no SnapStart init happened (hooks {hooks})")
            checks[variant.name] = {
                "answer": answer,
                "after_restore_hooks": hooks,
                "served": tagged(stderr, "BENCH-SERVED"),
            }
        load = [os.getloadavg()[0]]
        for repetition in range(repetitions):
            shift = repetition % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                sample, _, _ = measure(codes[variant.name], environments[variant.name])
                samples[variant.name].append(sample)
        load.append(os.getloadavg()[0])
    return build_result(chosen, samples, checks, repetitions, load, time.perf_counter() - started)


def _stats(values: list[float]) -> tuple[float, float]:
    return median(values), percentile(values, 0.9)


def _cell(values: list[float]) -> str:
    middle, p90 = _stats(values)
    return f"{ms(middle)} / {ms(p90)}"


def build_result(
    chosen: list[Variant],
    samples: dict[str, list[Sample]],
    checks: dict[str, Any],
    repetitions: int,
    load: list[float],
    elapsed: float,
) -> BenchResult:
    verdicts: list[Verdict] = []
    rows: list[list[str]] = []
    phase_rows: list[list[str]] = []
    figures: dict[str, Any] = {}
    for variant in chosen:
        label = FIRST_EVENTS[variant.name]
        on_demand = samples[f"{variant.name}_on_demand"]
        snapstart = samples[f"{variant.name}_snapstart"]
        cold = [s.answered for s in on_demand]
        init = [s.snapshot or 0.0 for s in snapstart]
        restored = [s.after_restore for s in snapstart]
        hooks = [(s.hooks or 0.0) - (s.restore or 0.0) for s in snapstart]
        first_cold = [s.first_event for s in on_demand]
        first_restored = [s.first_event for s in snapstart]
        share = ratio(median(restored), median(cold))
        cold_cpu = [s.answered_cpu for s in on_demand]
        restored_cpu = [s.after_restore_cpu for s in snapstart]
        cpu_share = ratio(median(restored_cpu), median(cold_cpu))
        first_share = ratio(median(first_restored), median(first_cold))
        verdicts.append(
            Verdict(f"{label}: after restore (hooks + first event) / on-demand cold start", share, SANITY, False)
        )
        rows.append(
            [
                label,
                _cell(cold),
                _cell(init),
                _cell(restored),
                f"{share:.3f}x",
                f"{ms(median(cold_cpu))} / {ms(median(restored_cpu))} = {cpu_share:.3f}x",
            ]
        )
        init_cpu = [s.cpu_at["snapshot"] for s in snapstart]
        import_cpu = [s.cpu_at["imported"] for s in on_demand]
        first_cold_cpu = [s.cpu_at["answered"] - s.cpu_at["imported"] for s in on_demand]
        first_restored_cpu = [s.cpu_at["answered"] - s.cpu_at["hooks"] for s in snapstart]
        phase_rows += [
            [
                label,
                "on-demand",
                _cell([s.imported for s in on_demand]),
                "-",
                _cell(first_cold),
                _cell(cold),
                f"{ms(median(import_cpu))} / {ms(median(first_cold_cpu))}",
            ],
            [
                label,
                "SnapStart",
                _cell(init),
                _cell(hooks),
                _cell(first_restored),
                _cell(restored),
                f"{ms(median(init_cpu))} / {ms(median(first_restored_cpu))}",
            ],
        ]
        figures[variant.name] = {
            "label": label,
            "on_demand_answer_s": cold,
            "on_demand_import_s": [s.imported for s in on_demand],
            "on_demand_first_event_s": first_cold,
            "on_demand_exit_s": [s.exited for s in on_demand],
            "on_demand_process_cpu_s": [s.process_cpu for s in on_demand],
            "snapstart_init_s": init,
            "snapstart_after_restore_s": restored,
            "snapstart_init_cpu_s": init_cpu,
            "on_demand_import_cpu_s": import_cpu,
            "snapstart_hooks_s": hooks,
            "snapstart_first_event_s": first_restored,
            "snapstart_exit_s": [s.exited for s in snapstart],
            "snapstart_process_cpu_s": [s.process_cpu for s in snapstart],
            "median_on_demand_answer_s": median(cold),
            "p90_on_demand_answer_s": percentile(cold, 0.9),
            "median_snapstart_init_s": median(init),
            "median_snapstart_after_restore_s": median(restored),
            "p90_snapstart_after_restore_s": percentile(restored, 0.9),
            "after_restore_over_on_demand": share,
            "first_event_after_restore_over_after_import": first_share,
            "on_demand_cpu_to_answer_s": cold_cpu,
            "snapstart_after_restore_cpu_s": restored_cpu,
            "after_restore_over_on_demand_cpu": cpu_share,
        }
    summary = Table(
        [
            "first event",
            "(a) on-demand: spawn to answer (ms, median / p90)",
            "(b) SnapStart init: spawn to snapshot (ms, median / p90)",
            "(b) after restore: hooks + first event (ms, median / p90)",
            "(b after restore) / (a), medians",
            "CPU (ms, medians): (a) child start to answer / (b) after restore",
        ],
        rows,
    )
    phases = Table(
        [
            "first event",
            "mode",
            "until the handler is imported (ms; SnapStart: + warm-up, = init)",
            "after-restore hooks (ms)",
            "first event: handler call (ms)",
            "to the answer (ms; on-demand from spawn, SnapStart from restore)",
            "CPU (ms, medians): until imported (+ warm-up) / first event",
        ],
        phase_rows,
    )
    notes = [
        "Lambda's own restore time (resuming the snapshot's memory, its pages loaded as they are touched) is NOT "
        "included and cannot be measured here: AWS reports it separately (Restore Duration in the REPORT line). "
        "'After restore' is only what our code still runs in a new environment on top of it.",
        f"{repetitions} repetitions of each child in rotating order after one untimed, checked run each (the answer "
        "moto gave; in SnapStart children, newsdesk.snapstart's after-restore hooks registered).",
        "Children as in bench.cold_start: the function's environment from template.yaml, fake credentials, the fake "
        "HTTP transport replaying moto's responses to the same event (no network). On-demand children get "
        "AWS_LAMBDA_INITIALIZATION_TYPE=on-demand; SnapStart children snap-start and a stub snapshot_restore_py "
        "(collects the hooks; the bench runs the before-snapshot hooks at the end of init, the after-restore hooks "
        "at the restore mark).",
        "Times are perf_counter (CLOCK_MONOTONIC, shared by parent and child) from just before the spawn; 'answered' "
        "is when the handler returns. The SnapStart child restores in the same process right after its init, with "
        "warm CPU caches and every page resident; a real restore starts cold, so 'after restore' is a lower bound.",
        "CPU: the child's process_time at the marks (on-demand: from the child's start to the answer, interpreter "
        "start included; SnapStart: from the restore mark to the answer). On a machine busier than its CPUs, wall "
        "times include waiting for a CPU; the CPU ratio does not. '*_process_cpu_s' in the JSON is the child's "
        "whole user + system time to exit.",
        "Network: neither side opens a connection here (fake transport). On AWS the first SDK call of a new "
        "environment opens its TLS connections in both modes: a client made before the snapshot holds no "
        "connection.",
        "The authorizer is not measured: bench.cold_start's prepare() keeps no authorizer event.",
        f"Load average (1 min) at the start and end of the timed runs: {load[0]:.2f}, {load[1]:.2f} on "
        f"{os.cpu_count()} CPUs.",
        f"bench took {elapsed:.1f} s.",
    ]
    return BenchResult(
        name=NAME,
        title="SnapStart: what a new execution environment still runs before its first answer (restore excluded)",
        verdicts=verdicts,
        tables={"On-demand cold start vs after a SnapStart restore": summary, "Phases": phases},
        notes=notes,
        data={
            "repetitions": repetitions,
            "first_events": figures,
            "checks": checks,
            "load_average": load,
            "elapsed_s": elapsed,
        },
    )


def main() -> None:
    main_of(run)


if __name__ == "__main__":
    main()

"""Issue 7's figures, before and after: ``python -m bench issue7``.

Runs the issue-7 benchmarks against the tree in this checkout (AFTER, results in ``bench/results/``)
and compares them with the same benchmarks run against the tree before the restructuring (BEFORE,
``bench/results/before/``). Each benchmark runs in its own process; every ratio is measured within
one run of one tree (handler and baseline interleaved), so BEFORE and AFTER need not come from the
same minute. Counts (write capacity units, items read, calls) do not depend on the machine at all.

BEFORE figures are reused from ``bench/results/before/`` when they are there. To measure them again,
name the old tree, or a commit of this repository to unpack into a temporary directory:

    python -m bench issue7 --before-ref 407bbde --before-python /tmp/before-venv/bin/python

The old tree needs its own dependencies (it validates with ``jsonschema``): ``--before-python`` is
the interpreter of a virtualenv where they are installed (see bench/README.md). The old tree is put
first on PYTHONPATH, behind this checkout's root so that ``bench`` itself is always this one.

The summary (``bench/results/issue7.json`` and ``.md``) puts BEFORE and AFTER side by side, with the
verdicts of the AFTER run. ``--make-test-before`` / ``--make-test-after`` add the CPU time of
``make test`` from the output of ``time`` (``real/user/sys`` lines), measured elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import REPOSITORY, RESULTS_DIR, BenchResult, Table, Verdict, ratio, report

ISSUE7 = ("cold_start", "ingest_warm", "write_capacity", "publish_reads", "trending_queries", "ingest_overhead")
BEFORE_DIR = RESULTS_DIR / "before"


# --------------------------------------------------------------------------------------------------
# Running the benchmarks of one tree
# --------------------------------------------------------------------------------------------------


def tree_pythonpath(tree: Path) -> str:
    """This checkout's root first (``bench``), then the old tree's packages."""
    return os.pathsep.join([str(REPOSITORY), str(tree / "shared"), str(tree / "functions"), str(tree / "ops")])


def run_benchmarks(
    names: list[str], results_dir: Path, *, python: str, pythonpath: str | None, quick: bool, label: str
) -> None:
    environment = dict(os.environ)
    environment.pop("PYTHONPATH", None)
    if pythonpath:
        environment["PYTHONPATH"] = pythonpath
    for name in names:
        print(f"== {label}: {name} ==", flush=True)
        command = [python, "-m", f"bench.{name}", "--results-dir", str(results_dir), *(["--quick"] if quick else [])]
        started = time.perf_counter()
        subprocess.run(command, cwd=REPOSITORY, env=environment, check=True)
        print(f"({label} {name}: {time.perf_counter() - started:.0f} s)\n", flush=True)


def unpack_ref(ref: str, into: Path) -> Path:
    """``git archive REF`` of this repository, unpacked (read-only for the repository)."""
    archive = subprocess.run(["git", "-C", str(REPOSITORY), "archive", ref], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def check_tree_imports(python: str, pythonpath: str) -> None:
    environment = {**os.environ, "PYTHONPATH": pythonpath}
    probe = "import newsdesk, ingest.app, publish.app, trending.app; print(newsdesk.__file__)"
    completed = subprocess.run([python, "-c", probe], cwd=REPOSITORY, env=environment, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(
            f"the BEFORE tree does not import with {python}:\n{completed.stderr[-1500:]}\n"
            "Give --before-python, the interpreter of a virtualenv with the old tree's dependencies."
        )
    print(f"BEFORE tree: {completed.stdout.strip()} ({python})")


# --------------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------------


def load(directory: Path, name: str) -> dict[str, Any] | None:
    path = directory / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _ratio_text(figure: dict[str, Any] | None) -> str:
    if not figure:
        return "-"
    return (
        f"{figure['whole_process']:.2f}x ({figure['numerator_ms']:.0f} / {figure['denominator_ms']:.0f} ms); "
        f"CPU {figure['cpu']:.2f}x"
    )


def cold_start_rows(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[list[str]]:
    def by_numerator(document: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
        return {c["numerator"]: c for c in (document or {}).get("data", {}).get("comparisons", [])}

    old, new = by_numerator(before), by_numerator(after)
    rows = []
    for key in sorted({*old, *new}, key=lambda k: (not {**old, **new}[k]["gated"], k)):
        figure = new.get(key) or old[key]
        target = "<= 1.30x" if figure["gated"] else "informational"
        rows.append(
            [f"cold start, {figure['comparison']}", _ratio_text(old.get(key)), _ratio_text(new.get(key)), target]
        )
    return rows


def import_rows(before: dict[str, Any] | None, after: dict[str, Any] | None) -> Table:
    variants = ("ingest_422", "publish_stream", "trending_run", "ingest_baseline")
    old = (before or {}).get("data", {}).get("imports_ms_by_package", {})
    new = (after or {}).get("data", {}).get("imports_ms_by_package", {})
    groups = sorted({g for d in (old, new) for v in variants for g in d.get(v, {})})
    columns = ["package (self ms, -X importtime)"]
    for variant in variants:
        columns += [f"{variant} before", f"{variant} after"]
    rows = []
    for group in groups:
        row = [group]
        for variant in variants:
            row += [_ms(old.get(variant, {}).get(group)), _ms(new.get(variant, {}).get(group))]
        rows.append(row)
    return Table(columns, rows)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def warm_rows(
    name: str, label: str, target: str, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[str]:
    def text(document: dict[str, Any] | None) -> str:
        if not document:
            return "-"
        data = document["data"]
        per_post = data["per_post_ms"]
        return f"{data['ratio']:.2f}x ({per_post['handler_wall_median']:.2f} / {per_post['direct_wall_median']:.2f} ms)"

    del name
    return [label, text(before), text(after), target]


def wcu_rows(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[list[str]]:
    def by_label(document: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
        return {o["label"]: o for o in (document or {}).get("data", {}).get("operations", [])}

    def text(operation: dict[str, Any] | None) -> str:
        if not operation:
            return "-"
        calls = " + ".join(c.removeprefix("dynamodb:") for c in operation["write_calls"]) or "no write"
        failed = f", {operation['failed_writes']} failed" if operation["failed_writes"] else ""
        return (
            f"{operation['total_wcu']} WCU ({operation['table_wcu']} table + {operation['index_wcu']} index; "
            f"{calls}{failed}); S3 PUTs {operation['s3_puts']}; stream +{operation['downstream_wcu']}"
        )

    old, new = by_label(before), by_label(after)
    labels = list(new) + [label for label in old if label not in new]
    return [[f"WCU: {label}", text(old.get(label)), text(new.get(label)), "report"] for label in labels]


def publish_rows(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[list[str]]:
    def phases(document: dict[str, Any] | None) -> list[dict[str, Any]]:
        phases: list[dict[str, Any]] = (document or {}).get("data", {}).get("phases", [])
        return phases

    old, new = phases(before), phases(after)
    rows = []
    for index in range(max(len(old), len(new))):
        label = (new[index] if index < len(new) else old[index])["label"]
        rows.append(
            [
                f"publish --all items read: {label}",
                f"{old[index]['items_read']:,} (table {old[index]['table_items']:,})" if index < len(old) else "-",
                f"{new[index]['items_read']:,} (table {new[index]['table_items']:,})" if index < len(new) else "-",
                "follow the articles (<= 1.05x fresh)",
            ]
        )
    return rows


def trending_rows(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[list[str]]:
    def run_of(document: dict[str, Any] | None) -> dict[str, Any]:
        run: dict[str, Any] = (document or {}).get("data", {}).get("run", {})
        return run

    def idle_of(document: dict[str, Any] | None) -> dict[str, Any]:
        idle: dict[str, Any] = (document or {}).get("data", {}).get("idle", {})
        return idle

    def calls(run: dict[str, Any]) -> str:
        if not run:
            return "-"
        return f"{run['queries']} Query, {run['all_calls']} calls in all ({run['window_hours']} h window)"

    def idle(figures: dict[str, Any]) -> str:
        if not figures:
            return "-"
        minute = figures["ticks_per_minute"]
        return (
            f"{figures['cpu_s_per_tick'] * minute:.1f} CPU s and {figures['calls_per_tick'] * minute:g} SDK calls "
            f"per minute ({figures['timer_seconds']:g} s timers)"
        )

    old_run, new_run = run_of(before), run_of(after)
    return [
        ["trending run: DynamoDB calls", calls(old_run), calls(new_run), "of the order of the window hours"],
        [
            "trending run: items read",
            str(old_run.get("items_read", "-")),
            str(new_run.get("items_read", "-")),
            "as today",
        ],
        ["idle local stack: the timers", idle(idle_of(before)), idle(idle_of(after)), "say what they cost"],
    ]


_TIME_LINE = re.compile(r"^(real|user|sys)\s+(?:(\d+)m)?([\d.]+)s", re.MULTILINE)


def make_test_cpu(log: Path | None) -> tuple[str, float | None]:
    if log is None:
        return "not given", None
    if not log.is_file():
        return f"{log} missing", None
    values = {
        name: float(minutes or 0) * 60 + float(seconds)
        for name, minutes, seconds in _TIME_LINE.findall(log.read_text(encoding="utf-8", errors="replace"))
    }
    if "user" not in values or "sys" not in values:
        return f"{log}: no user/sys lines", None
    cpu = values["user"] + values["sys"]
    return (
        f"{cpu:.0f} s CPU (user {values['user']:.0f} + sys {values['sys']:.0f}; real {values.get('real', 0):.0f} s)",
        cpu,
    )


def summarize(after_dir: Path, before_dir: Path, make_test: tuple[Path | None, Path | None]) -> BenchResult:
    before = {name: load(before_dir, name) for name in ISSUE7}
    after = {name: load(after_dir, name) for name in ISSUE7}
    rows: list[list[str]] = []
    rows += cold_start_rows(before["cold_start"], after["cold_start"])
    rows.append(
        warm_rows(
            "ingest_warm",
            "warm ingest handler vs the same SDK calls, fake transport",
            "<= 1.35x",
            before["ingest_warm"],
            after["ingest_warm"],
        )
    )
    rows.append(
        warm_rows(
            "ingest_overhead",
            "warm ingest handler vs the same SDK calls, against moto (informational)",
            "informational",
            before["ingest_overhead"],
            after["ingest_overhead"],
        )
    )
    rows += wcu_rows(before["write_capacity"], after["write_capacity"])
    rows += publish_rows(before["publish_reads"], after["publish_reads"])
    rows += trending_rows(before["trending_queries"], after["trending_queries"])
    make_before, cpu_before = make_test_cpu(make_test[0])
    make_after, cpu_after = make_test_cpu(make_test[1])
    rows.append(["make test: CPU time (user + sys)", make_before, make_after, "<= half of before"])

    verdicts: list[Verdict] = []
    for document in after.values():
        for verdict in (document or {}).get("verdicts", []):
            verdicts.append(Verdict(verdict["label"], verdict["measured"], verdict["target"], verdict["primary"]))
    if cpu_before and cpu_after:
        verdicts.append(Verdict("make test CPU time, after / before", ratio(cpu_after, cpu_before), 0.5))
    sources = {
        "before": {name: (doc or {}).get("date", "missing") for name, doc in before.items()},
        "after": {name: (doc or {}).get("date", "missing") for name, doc in after.items()},
    }
    machine: dict[str, Any] = next((doc["machine"] for doc in after.values() if doc), {})
    notes = [
        "BEFORE: the tree before the restructuring (bench/results/before/); AFTER: this checkout (bench/results/). "
        "Each ratio is measured within one run of one tree; counts do not depend on the machine.",
        "Details of every figure: bench/results/{before/,}NAME.md (cold_start, ingest_warm, write_capacity, "
        "publish_reads, trending_queries, ingest_overhead).",
        f"Measured at: {json.dumps(sources)}.",
        f"AFTER machine: {machine.get('platform', '?')}, {machine.get('cpu_count', '?')} CPUs, "
        f"Python {machine.get('python', '?')}.",
    ]
    return BenchResult(
        name="issue7",
        title="Issue 7: before and after",
        verdicts=verdicts,
        tables={
            "Figures": Table(["figure", "BEFORE", "AFTER", "target"], rows),
            "Cold start imports by package (self ms)": import_rows(before["cold_start"], after["cold_start"]),
        },
        notes=notes,
        data={"before": sources["before"], "after": sources["after"]},
    )


# --------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench issue7", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repetitions (both trees)")
    parser.add_argument("--only", nargs="*", choices=ISSUE7, help="these benchmarks only")
    parser.add_argument("--before-tree", type=Path, help="measure BEFORE again from this source tree")
    parser.add_argument("--before-ref", help="measure BEFORE again from this commit (git archive into a temp dir)")
    parser.add_argument("--before-python", default=sys.executable, help="interpreter for the BEFORE tree")
    parser.add_argument("--before-only", action="store_true", help="measure BEFORE only (no AFTER run)")
    parser.add_argument("--summary-only", action="store_true", help="no measuring: compare the saved results")
    parser.add_argument("--make-test-before", type=Path, help="output of `time make test` on the BEFORE tree")
    parser.add_argument("--make-test-after", type=Path, help="output of `time make test` on this tree")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when an AFTER target is missed")
    arguments = parser.parse_args(argv)
    names = list(arguments.only or ISSUE7)

    if not arguments.summary_only:
        with tempfile.TemporaryDirectory(prefix="newsdesk-before-") as scratch:
            tree = arguments.before_tree
            if arguments.before_ref:
                tree = unpack_ref(arguments.before_ref, Path(scratch))
            if tree is not None:
                pythonpath = tree_pythonpath(tree.resolve())
                check_tree_imports(arguments.before_python, pythonpath)
                run_benchmarks(
                    names,
                    BEFORE_DIR,
                    python=arguments.before_python,
                    pythonpath=pythonpath,
                    quick=arguments.quick,
                    label="BEFORE",
                )
            elif not all((BEFORE_DIR / f"{name}.json").is_file() for name in names):
                print("note: some BEFORE results are missing; give --before-ref or --before-tree to measure them")
        if not arguments.before_only:
            run_benchmarks(
                names, RESULTS_DIR, python=sys.executable, pythonpath=None, quick=arguments.quick, label="AFTER"
            )

    result = summarize(RESULTS_DIR, BEFORE_DIR, (arguments.make_test_before, arguments.make_test_after))
    report(result)
    return 1 if arguments.strict and not result.passed else 0


if __name__ == "__main__":
    sys.exit(main())

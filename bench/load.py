"""``make load``: the local stack under load, then proof that nothing accepted was lost (issue 8).

    python -m bench.load [--articles N] [--events N] [--seconds S] [--clients N] [--partners N]

Starts the local stack as ``make run`` does (``python -m newsdesk_ops.local_stack``, in its own
process, on loopback, with a state file of its own), adds partners with the operator CLI, and lets
concurrent clients send articles and view and comment events through the local HTTP API
(bench/support/load_traffic.py: what is sent, and the model of what must be accepted). The load
stops at the planned counts or when its time is up, whichever comes first; what was accepted until
then is what is reconciled. Then it waits for the stream-driven functions (publish, view counter)
to finish and compares the stack's table, archive and snapshots with what was accepted
(bench/support/load_reconcile.py). Any mismatch is listed and the exit status is 1.

Settings (environment, overridden by the options): LOAD_ARTICLES (10,000 new articles),
LOAD_EVENTS (200,000 events), LOAD_SECONDS (900 s of load), LOAD_CLIENTS (6), LOAD_PARTNERS (4).
Figures go to bench/results/reliability/load.json: accepted and refused, what the stack held,
throughput and p50/p99 latency per route, the stack process's peak memory and CPU time.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import REPOSITORY, RESULTS_DIR, Table, percentile
from bench.support import compat
from bench.support.load_reconcile import StackReader, reconcile_settled, wait_until_settled
from bench.support.load_traffic import ROUTES, LoadPlan, LoadRun, Outcome, PartnerKey

RESULT_PATH = RESULTS_DIR / "reliability" / "load.json"
# Progress goes to a log file or a pipe as it happens.
_say = functools.partial(print, flush=True)
STARTUP_TIMEOUT_SECONDS = 60.0
# Partners of the run: (name, language, default section).
PARTNERS = (
    ("Load Agency Ru", "ru", "defence-industry"),
    ("Load Gazette De", "de", "news"),
    ("Load Wire En", "en", "world"),
    ("Load Tidning Sv", "sv", "technology"),
    ("Load Aviation Weekly", "en", "aviation"),
    ("Load Naval Review", "ru", "shipbuilding"),
)


def plan_from(arguments: argparse.Namespace) -> LoadPlan:
    def setting(value: Any, variable: str, default: str) -> str:
        return str(value) if value is not None else os.environ.get(variable) or default

    return LoadPlan(
        articles=int(setting(arguments.articles, "LOAD_ARTICLES", "10000")),
        events=int(setting(arguments.events, "LOAD_EVENTS", "200000")),
        seconds=float(setting(arguments.seconds, "LOAD_SECONDS", "900")),
        clients=int(setting(arguments.clients, "LOAD_CLIENTS", "6")),
        partners=int(setting(arguments.partners, "LOAD_PARTNERS", "4")),
    )


# --------------------------------------------------------------------------------------------------
# The stack, in a process of its own (so that its memory and CPU are its own)
# --------------------------------------------------------------------------------------------------


@dataclass
class StackProcess:
    process: subprocess.Popen[bytes]
    info: dict[str, str]
    log_path: Path
    rss_samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds, kB)

    def status(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak resident set) in kB, from /proc (Linux)."""
        values: dict[str, int] = {}
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                name, _, rest = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    values[name] = int(rest.split()[0])
        return values

    def cpu_seconds(self) -> float:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rpartition(")")[2].split()
            # utime and stime are fields 14 and 15 of stat; 12 and 13 after the command name.
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return float("nan")


@contextlib.contextmanager
def stack_process(workdir: Path) -> Iterator[StackProcess]:
    """``python -m newsdesk_ops.local_stack`` on free loopback ports, until the block ends."""
    state_file = workdir / "local.json"
    log_path = workdir / "stack.log"
    environment = {**os.environ, "PORT": "0", "NEWSDESK_LOCAL_FILE": str(state_file), "PYTHONUNBUFFERED": "1"}
    environment.pop("SNAPSHOTS_PORT", None)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "newsdesk_ops.local_stack"],
            cwd=REPOSITORY,
            env=environment,
            stdout=subprocess.DEVNULL,  # the functions' own logs and metrics (EMF), as in Lambda
            stderr=log,
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
            while not state_file.is_file():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the local stack did not start; see {log_path}")
                time.sleep(0.1)
            yield StackProcess(process, json.loads(state_file.read_text()), log_path)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def sample_memory(stack: StackProcess, stop: threading.Event, started: float) -> None:
    while not stop.wait(2.0):
        rss = stack.status().get("VmRSS")
        if rss is not None:
            stack.rss_samples.append((time.perf_counter() - started, rss))


def add_partners(info: dict[str, str], count: int) -> list[PartnerKey]:
    """``newsdesk partners add`` for each partner of the run; the key is printed once."""
    target = compat.Target(
        table_name=info["table_name"],
        archive_bucket=info["archive_bucket"],
        snapshot_bucket=info["snapshot_bucket"],
        endpoint_url=info["aws_endpoint_url"],
        region=info["region"],
        description="the load's local stack",
    )
    partners = []
    suffix = uuid.uuid4().hex[:6]
    for name, language, section in PARTNERS[:count]:
        partner_id = f"{name.lower().replace(' ', '-')}-{suffix}"
        output = io.StringIO()
        arguments = ["partners", "add", name, "--language", language, "--section", section, "--id", partner_id]
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(io.StringIO()):
            code = compat.cli_main(arguments, target=target)
        lines = output.getvalue().splitlines()
        keys = [lines[n + 1].strip() for n, line in enumerate(lines[:-1]) if line.startswith("Key ")]
        if code != 0 or not keys:
            raise RuntimeError(f"newsdesk partners add failed ({code}): {output.getvalue()}")
        partners.append(PartnerKey(partner_id, keys[0], language, section))
    return partners


# --------------------------------------------------------------------------------------------------
# One run: load, settle, reconcile
# --------------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    outcome: Outcome
    figures: dict[str, Any]
    failures: list[str]


def run_load(
    plan: LoadPlan,
    info: dict[str, str],
    *,
    settle_timeout: float = 600.0,
    say: Callable[[str], None] = _say,
) -> LoadResult:
    """Load a running stack (``info``: its connection details), wait, reconcile. No stack process figures."""
    partners = add_partners(info, plan.partners)
    say(
        f"load: {plan.articles} articles, {plan.events} events, at most {plan.seconds:.0f} s, "
        f"{plan.clients} clients, {len(partners)} partners -> {info['api_url']}"
    )
    run = LoadRun(plan, info["api_url"], partners, info["site_key"], run_tag=uuid.uuid4().hex[:8])
    last_said = [0.0]

    def progress(outcome: Outcome) -> None:
        now = time.perf_counter()
        if now - last_said[0] >= 15.0:
            last_said[0] = now
            seconds, accepted = outcome.progress[-1]
            say(f"  {seconds:6.0f} s: {accepted} articles accepted")

    outcome = run.run(progress)
    say(f"load: stopped by {outcome.stopped_by} after {outcome.seconds:.1f} s; waiting for the workers")
    reader = StackReader(info)
    settle_started = time.perf_counter()
    wait_until_settled(reader, outcome, timeout=settle_timeout, say=say)
    settled = time.perf_counter() - settle_started
    held, mismatches = reconcile_settled(reader, outcome, timeout=settle_timeout)
    failures = list(outcome.failures) + mismatches
    reconciled = time.perf_counter() - settle_started - settled
    figures = load_figures(plan, outcome, held, settle_seconds=settled, reconcile_seconds=reconciled)
    return LoadResult(outcome, figures, failures)


def load_figures(
    plan: LoadPlan, outcome: Outcome, held: Any, *, settle_seconds: float, reconcile_seconds: float
) -> dict[str, Any]:
    routes = {}
    for route in ROUTES:
        figures = outcome.routes[route]
        latencies = figures.latencies
        routes[route] = {
            "requests": len(latencies),
            "per_second": round(len(latencies) / outcome.seconds, 1),
            "p50_ms": round(percentile(latencies, 0.5) * 1000, 1) if latencies else None,
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
            "statuses": {str(status): count for status, count in sorted(figures.statuses.items())},
        }
    return {
        "plan": {
            "articles": plan.articles,
            "events": plan.events,
            "seconds": plan.seconds,
            "clients": plan.clients,
            "partners": plan.partners,
            "visitors_per_article": plan.visitors_per_article,
        },
        "stopped_by": outcome.stopped_by,
        "load_seconds": round(outcome.seconds, 1),
        "settle_seconds": round(settle_seconds, 1),
        "reconcile_seconds": round(reconcile_seconds, 1),
        "articles": {
            "accepted": len(outcome.articles),
            "posts": dict(sorted(outcome.posts.items())),
            "refused": {str(status): count for status, count in sorted(outcome.refused_articles.items())},
            "per_second": round(len(outcome.articles) / outcome.seconds, 1),
            "rate_as_it_fills": rate_as_it_fills(outcome),
        },
        "events": {
            "sent": outcome.events_sent,
            "views_sent": outcome.views_sent,
            "views_accepted": outcome.views_accepted,
            "comments_sent": outcome.comments_sent,
            "comments_accepted": outcome.comments_accepted,
            "ignored": dict(sorted(outcome.events_ignored.items())),
            "per_second": round(outcome.events_sent / outcome.seconds, 1),
        },
        "throttled": dict(sorted(outcome.throttled.items())),
        "routes": routes,
        "held": {
            "table_items": held.table_items,
            "table_items_by_kind": dict(sorted(held.items_by_kind.items())),
            "articles_current": len(held.articles),
            "dedupe_records": held.dedupe_records,
            "views_counted": sum(held.views.values()),
            "comment_counts": len(held.comments),
            "archive_objects": len(held.archive_keys),
            "snapshot_objects": len(held.snapshot_keys),
            "article_pages": sum(1 for key in held.snapshot_keys if key.startswith("v1/articles/")),
        },
    }


def rate_as_it_fills(outcome: Outcome) -> dict[str, float]:
    """Articles accepted per second over the first and the last fifth of the load."""
    samples = [(0.0, 0), *outcome.progress]
    if len(samples) < 6:
        return {}
    fifth = len(samples) // 5

    def rate(first: tuple[float, int], last: tuple[float, int]) -> float:
        return round((last[1] - first[1]) / max(last[0] - first[0], 1e-9), 2)

    return {"first_fifth": rate(samples[0], samples[fifth]), "last_fifth": rate(samples[-1 - fifth], samples[-1])}


# --------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------


def report_text(figures: dict[str, Any], failures: list[str]) -> str:
    articles, events, held = figures["articles"], figures["events"], figures["held"]
    summary = Table(
        ["What", "Figure"],
        [
            ["load", f"{figures['load_seconds']} s (stopped by {figures['stopped_by']}), plan {figures['plan']}"],
            [
                "articles accepted (new)",
                f"{articles['accepted']} ({articles['per_second']}/s; as it fills: {articles['rate_as_it_fills']})",
            ],
            ["article posts", str(articles["posts"])],
            ["articles refused (by status)", str(articles["refused"])],
            ["events sent", f"{events['sent']} ({events['per_second']}/s)"],
            ["views sent / accepted", f"{events['views_sent']} / {events['views_accepted']}"],
            ["comment counts sent / accepted", f"{events['comments_sent']} / {events['comments_accepted']}"],
            ["events ignored (by reason)", str(events["ignored"])],
            ["throttled (429, retried)", str(figures["throttled"])],
            ["table items", f"{held['table_items']} {held['table_items_by_kind']}"],
            ["archive objects", str(held["archive_objects"])],
            ["snapshot objects (article pages)", f"{held['snapshot_objects']} ({held['article_pages']})"],
            ["views counted / dedupe records", f"{held['views_counted']} / {held['dedupe_records']}"],
            ["settle, reconcile", f"{figures['settle_seconds']} s, {figures['reconcile_seconds']} s"],
        ],
    )
    if "stack_process" in figures:
        process = figures["stack_process"]
        summary.rows.append(
            [
                "stack process",
                f"peak RSS {process['peak_rss_mb']} MB, final {process['final_rss_mb']} MB, "
                f"CPU {process['cpu_seconds']} s",
            ]
        )
    routes = Table(
        ["Route", "Requests", "req/s", "p50 ms", "p99 ms", "Statuses"],
        [
            [route, str(r["requests"]), str(r["per_second"]), str(r["p50_ms"]), str(r["p99_ms"]), str(r["statuses"])]
            for route, r in figures["routes"].items()
        ],
    )
    verdict = (
        "RECONCILED: every accepted article and event is where it should be"
        if not failures
        else (f"FAILED: {len(failures)} mismatch(es)\n" + "\n".join(f"  - {failure}" for failure in failures))
    )
    return "\n".join([summary.as_text(), "", routes.as_text(), "", verdict])


def write_result(path: Path, figures: dict[str, Any], failures: list[str]) -> None:
    document = {
        "command": "make load",
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": figures,
        "failures": failures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, help="new articles to send (LOAD_ARTICLES, 10000)")
    parser.add_argument("--events", type=int, help="view and comment events to send (LOAD_EVENTS, 200000)")
    parser.add_argument("--seconds", type=float, help="stop sending after this long (LOAD_SECONDS, 900)")
    parser.add_argument("--clients", type=int, help="concurrent clients (LOAD_CLIENTS, 6)")
    parser.add_argument("--partners", type=int, help=f"partners, at most {len(PARTNERS)} (LOAD_PARTNERS, 4)")
    parser.add_argument("--output", type=Path, default=RESULT_PATH, help="where to write the figures (JSON)")
    arguments = parser.parse_args(argv)
    plan = plan_from(arguments)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="newsdesk-load-"))
    with stack_process(workdir) as stack:
        stop_sampling = threading.Event()
        sampler = threading.Thread(target=sample_memory, args=(stack, stop_sampling, started), daemon=True)
        sampler.start()
        try:
            result = run_load(plan, stack.info)
        finally:
            stop_sampling.set()
        status = stack.status()
        result.figures["stack_process"] = {
            "peak_rss_mb": round(status.get("VmHWM", 0) / 1024, 1),
            "final_rss_mb": round(status.get("VmRSS", 0) / 1024, 1),
            "cpu_seconds": round(stack.cpu_seconds(), 1),
            "rss_mb_over_time": [
                (round(t), round(kb / 1024)) for t, kb in stack.rss_samples[:: max(1, len(stack.rss_samples) // 30)]
            ],
        }
        errors = [
            line
            for line in stack.log_path.read_text(errors="replace").splitlines()
            if "Traceback" in line or " failed" in line
        ]
        if errors:
            result.failures.append(f"the stack logged {len(errors)} failure line(s), first: {errors[0][:300]}")
    result.figures["total_seconds"] = round(time.perf_counter() - started, 1)
    if result.failures:
        result.failures.append(f"the stack's log is kept in {stack.log_path}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(report_text(result.figures, result.failures))
    write_result(arguments.output, result.figures, result.failures)
    print(f"written: {arguments.output}")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())

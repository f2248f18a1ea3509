"""``newsdesk rebuild --from-archive [--dry-run]``: the table's article records from the S3 archive."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from newsdesk_ops.console import progress_bar
from newsdesk_ops.rebuild import rebuild_from_archive

if TYPE_CHECKING:
    from newsdesk_ops.cli import Runtime, Subparsers


def register(commands: Subparsers) -> None:
    rebuild = commands.add_parser(
        "rebuild", help="rebuild the table's article records from the S3 archive (disaster recovery)"
    )
    rebuild.add_argument(
        "--from-archive", action="store_true", required=True, help="read every archived revision and retraction"
    )
    rebuild.add_argument("--dry-run", action="store_true", help="report what would be written, write nothing")
    rebuild.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    target = runtime.target()
    print(
        f"Rebuilding the article records of {target.description or target.table_name} from s3://{target.archive_bucket}."
    )
    with progress_bar("articles") as progress:
        report = rebuild_from_archive(target, dry_run=args.dry_run, progress=progress)
    verb = "would write" if report.dry_run else "wrote"
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(report.statuses.items())) or "none"
    print(
        f"{report.articles} articles, {report.revisions} revisions in the archive ({statuses}); "
        f"{verb} {report.written} current records, {report.unchanged} already current or newer, "
        f"{verb} {report.normalized_written} normalized objects."
    )
    if report.left_out:
        print(
            f"Left out {report.left_out} archived documents that never went live "
            "(failed or refused writes, later versions of a story an operator took down)."
        )
    if report.dry_run:
        print("Dry run: nothing written.")
    elif report.written:
        print("Next: newsdesk publish --all (writes the snapshots of the rebuilt records).")
    for article_id, problem in sorted(report.problems.items()):
        print(f"  {article_id}: {problem}", file=sys.stderr)
    return 1 if report.problems else 0

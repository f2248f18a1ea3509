"""``newsdesk``: the operator command line.

Commands come in groups (``newsdesk partners add ...``). A group is a function that adds its
parser to ``COMMAND_GROUPS``' subparsers and sets ``run`` on each leaf command; a later command
(``newsdesk publish --all``, ``newsdesk trending run``) is one more registrar in that list.

Where the commands act is the Target: ``--stack NAME`` for a deployed stack, else the local
stack described by ``.newsdesk/local.json`` (or the file named by ``NEWSDESK_LOCAL_FILE``).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from newsdesk.dal.engagement import CounterStore
from newsdesk.dal.media import MediaStore
from newsdesk.dal.partners import PartnerStore
from newsdesk.errors import NewsdeskError
from newsdesk.partners import ROLES
from newsdesk.settings import Settings
from newsdesk_ops.console import progress_bar
from newsdesk_ops.target import DEFAULT_LOCAL_FILE, Target, TargetError, resolve_target
from trending.service import run_trending

if TYPE_CHECKING:
    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

LOCAL_FILE_ENV = "NEWSDESK_LOCAL_FILE"


class Runtime:
    """What a command works with; the target is resolved on first use, so `--help` needs no AWS."""

    def __init__(self, args: argparse.Namespace, target: Target | None = None) -> None:
        self.args = args
        self._target = target

    def target(self) -> Target:
        if self._target is None:
            local_file = Path(os.environ.get(LOCAL_FILE_ENV) or DEFAULT_LOCAL_FILE)
            self._target = resolve_target(self.args.stack, local_file, region=self.args.region)
        return self._target

    def is_local(self) -> bool:
        return self._target is not None and self._target.is_local

    def partner_store(self) -> PartnerStore:
        target = self.target()
        return PartnerStore(target.table_name, target.dynamodb_client())


CommandRun = Callable[[argparse.Namespace, Runtime], int]
CommandGroup = Callable[["Subparsers"], None]


# --- partners ----------------------------------------------------------------------------------


def register_partners(commands: Subparsers) -> None:
    group = commands.add_parser("partners", help="partner outlets and their API keys")
    partners = group.add_subparsers(dest="partners_command", metavar="COMMAND", required=True)

    add = partners.add_parser("add", help="add a partner and issue its first key")
    add.add_argument("name", help="the outlet's name, e.g. 'РИА Новости'")
    add.add_argument("--language", default="ru", help="default language of its articles (default: ru)")
    add.add_argument("--section", default="", help="default section slug of its articles")
    add.add_argument("--role", choices=ROLES, default="partner", help="role of the first key")
    add.add_argument("--id", dest="partner_id", help="partner id (default: derived from the name)")
    add.set_defaults(run=partners_add)

    listing = partners.add_parser("list", help="list partners")
    listing.set_defaults(run=partners_list)

    add_key = partners.add_parser("add-key", help="issue another key for a partner")
    add_key.add_argument("partner_id")
    add_key.add_argument("--role", choices=ROLES, default="partner")
    add_key.set_defaults(run=partners_add_key)

    revoke = partners.add_parser("revoke-key", help="revoke a key; it stops working at once")
    revoke.add_argument("partner_id")
    revoke.add_argument("key_id")
    revoke.set_defaults(run=partners_revoke_key)

    keys = partners.add_parser("keys", help="list a partner's keys")
    keys.add_argument("partner_id")
    keys.set_defaults(run=partners_keys)

    from newsdesk_ops.commands import partner_admin  # disable, enable, remove

    partner_admin.register(partners)


def partners_add(args: argparse.Namespace, runtime: Runtime) -> int:
    store = runtime.partner_store()
    partner, secret = store.add_partner(args.name, args.language, args.section, args.role, partner_id=args.partner_id)
    # The partner's only key so far: the one just issued.
    key_id = store.list_keys(partner.partner_id)[0].key_id
    print(f"Added partner {partner.partner_id} ({partner.name}), language {partner.language}", end="")
    print(f", section {partner.section}." if partner.section else ".")
    _print_secret(key_id, args.role, secret)
    return 0


def partners_list(args: argparse.Namespace, runtime: Runtime) -> int:
    from newsdesk.dal.partner_admin import PartnerAdmin

    store = runtime.partner_store()
    disabled = PartnerAdmin(runtime.target().table_name, runtime.target().dynamodb_client()).disabled()
    rows = [
        [
            partner.partner_id,
            partner.name,
            partner.language,
            partner.section or "-",
            str(sum(key.active for key in store.list_keys(partner.partner_id))),
            "disabled" if partner.partner_id in disabled else "enabled",
        ]
        for partner in store.list_partners()
    ]
    if not rows:
        print("No partners yet. Add one with: newsdesk partners add NAME")
        return 0
    print(format_table(["ID", "NAME", "LANGUAGE", "SECTION", "ACTIVE KEYS", "STATE"], rows))
    return 0


def partners_add_key(args: argparse.Namespace, runtime: Runtime) -> int:
    key, secret = runtime.partner_store().add_key(args.partner_id, args.role)
    print(f"New key for partner {key.partner_id}.")
    _print_secret(key.key_id, key.role, secret)
    return 0


def partners_revoke_key(args: argparse.Namespace, runtime: Runtime) -> int:
    key = runtime.partner_store().revoke_key(args.partner_id, args.key_id)
    print(f"Key {key.key_id} of partner {key.partner_id} is revoked (since {_time(key.revoked_at)}).")
    return 0


def partners_keys(args: argparse.Namespace, runtime: Runtime) -> int:
    keys = runtime.partner_store().list_keys(args.partner_id)
    rows = [[key.key_id, key.role, _time(key.created_at), _time(key.revoked_at)] for key in keys]
    print(format_table(["KEY ID", "ROLE", "CREATED", "REVOKED"], rows))
    return 0


def _print_secret(key_id: str, role: str, secret: str) -> None:
    print(f"Key {key_id} (role {role}):")
    print(secret)
    print("This key is shown once: hand it to the partner now. Newsdesk stores only its hash.")


# --- trending ----------------------------------------------------------------------------------


def register_trending(commands: Subparsers) -> None:
    group = commands.add_parser("trending", help="most read / most discussed rankings")
    trending = group.add_subparsers(dest="trending_command", metavar="COMMAND", required=True)
    run = trending.add_parser("run", help="recompute the rankings now (the timer does this every few minutes)")
    # By default the stack's own values: its TrendingFunction's environment (--stack), or template.yaml's
    # parameter defaults (the local stack); these options override one for this run.
    # Within the bounds template.yaml's parameters have: a run must not publish rankings the stack refuses.
    run.add_argument("--half-life-minutes", type=_bounded(float, 1), help="views this old weigh half")
    run.add_argument("--window-hours", type=_bounded(int, 1, 336), help="hours of counters read")
    run.add_argument("--min-count", type=_bounded(int, 1), help="fewest views/comments to be listed")
    run.add_argument("--list-length", type=_bounded(int, 1, 100), help="entries per list")
    run.set_defaults(run=trending_run)


def _bounded(kind: type[int] | type[float], low: float, high: float | None = None) -> Callable[[str], float]:
    """An argparse type: a finite number of ``kind`` from ``low`` to ``high`` (inclusive)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < low or (high is not None and value > high):
            bounds = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"must be a {kind.__name__} {bounds}, not {text!r}")
        return value

    return parse


def trending_run(args: argparse.Namespace, runtime: Runtime) -> int:
    from newsdesk_ops.commands.trending_settings import trending_settings

    target = runtime.target()
    overrides = {
        "trending_half_life_minutes": args.half_life_minutes,
        "trending_window_hours": args.window_hours,
        "trending_min_count": args.min_count,
        "trending_list_length": args.list_length,
    }
    settings, source = trending_settings(target, args.stack, overrides)
    print(
        f"Settings from {source}: half-life {settings.trending_half_life_minutes} min, "
        f"window {settings.trending_window_hours} h, min count {settings.trending_min_count}, "
        f"list length {settings.trending_list_length}."
    )
    report = run_trending(
        datetime.now(UTC), counters=CounterStore(target.table_name, target.dynamodb_client()), settings=settings
    )
    outcome = "rankings changed: written for publish" if report.written else "rankings unchanged: nothing written"
    print(
        f"Trending: {report.candidates} articles active; "
        f"most read {report.most_read}, most discussed {report.most_discussed}; {outcome}."
    )
    return 0


# --- publish -----------------------------------------------------------------------------------


def register_publish(commands: Subparsers) -> None:
    publish = commands.add_parser("publish", help="write the public JSON snapshots")
    publish.add_argument(
        "--all",
        dest="publish_all",
        action="store_true",
        help="rebuild every article file, list, schema and the manifest from the table",
    )
    publish.add_argument(
        "--force", action="store_true", help="with --all: PUT every file even if the bucket already holds it"
    )
    publish.set_defaults(run=publish_run)


def publish_run(args: argparse.Namespace, runtime: Runtime) -> int:
    # Imported here: the publish package (and its Powertools imports) only when publishing.
    from newsdesk.dal.archive import Archive
    from newsdesk.dal.articles import ArticleStore
    from newsdesk.dal.snapshots import SnapshotStore
    from publish.publisher import Publisher

    if not args.publish_all:
        print("newsdesk publish: say what to publish: --all (every article, list and the manifest)", file=sys.stderr)
        return 2
    target = runtime.target()
    if not target.snapshot_bucket:
        return _fail(f"{target.description or 'the target'} has no snapshot bucket (stack output SnapshotBucketName).")
    dynamodb, s3 = target.dynamodb_client(), target.s3_client()
    settings = Settings(
        table_name=target.table_name, archive_bucket=target.archive_bucket, snapshot_bucket=target.snapshot_bucket
    )
    publisher = Publisher(
        articles=ArticleStore(target.table_name, client=dynamodb),
        archive=Archive(target.archive_bucket, client=s3),
        snapshots=SnapshotStore(target.snapshot_bucket, target.table_name, s3=s3, dynamodb=dynamodb),
        settings=settings,
        counters=CounterStore(target.table_name, dynamodb),
        media=MediaStore(target.table_name, client=dynamodb),
    )
    print(f"Rebuilding the snapshots of {target.description or target.table_name} (s3://{target.snapshot_bucket}).")
    started = time.perf_counter()
    with progress_bar("articles") as progress:
        report = publisher.rebuild_all(progress=progress, force=args.force)
    seconds = time.perf_counter() - started
    print(
        f"Published {report.articles} articles in {seconds:.1f} s: {report.files_written} files written, "
        f"{report.files_unchanged} unchanged, {report.lists} lists."
    )
    if report.failed:
        print(f"{len(report.failed)} articles could not be published: {', '.join(report.failed)}", file=sys.stderr)
        return 1
    return 0


# --- reprocess ---------------------------------------------------------------------------------


def register_reprocess(commands: Subparsers) -> None:
    reprocess = commands.add_parser(
        "reprocess", help="re-normalize stored articles from their archived bytes (after a profile change)"
    )
    which = reprocess.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", dest="reprocess_all", action="store_true", help="every article")
    which.add_argument("article_ids", nargs="*", default=[], metavar="ID", help="these articles")
    reprocess.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
    reprocess.add_argument(
        "--scan",
        action="store_true",
        help="with --all: find articles by scanning the table (upgrading records written before ArticleIndex)",
    )
    reprocess.set_defaults(run=reprocess_run)


def reprocess_run(args: argparse.Namespace, runtime: Runtime) -> int:
    from ingest.reprocess import Outcome, Reprocessor, ReprocessReport
    from newsdesk.dal.archive import Archive
    from newsdesk.dal.articles import ArticleStore

    target = runtime.target()
    dynamodb = target.dynamodb_client()
    articles = ArticleStore(target.table_name, client=dynamodb)
    reprocessor = Reprocessor(
        articles=articles,
        archive=Archive(target.archive_bucket, client=target.s3_client()),
        partners=PartnerStore(target.table_name, dynamodb),
        dry_run=args.dry_run,
    )
    if args.reprocess_all:
        found = articles.scan_article_ids() if args.scan else (record.article_id for record in articles.all_current())
        article_ids = list(found)
    else:
        article_ids = args.article_ids
    report = ReprocessReport()
    with progress_bar("articles") as progress:
        for done, article_id in enumerate(article_ids, start=1):
            reprocessor.reprocess(article_id, report)
            progress(done, len(article_ids))
    counts = ", ".join(f"{count} {outcome.value}" for outcome, count in sorted(report.outcomes.items()))
    mode = " (dry run: nothing written)" if args.dry_run else ""
    print(f"Reprocessed {len(article_ids)} articles{mode}: {counts or 'nothing to do'}.")
    for article_id, problem in sorted(report.problems.items()):
        print(f"  {article_id}: {problem}", file=sys.stderr)
    return 1 if report.outcomes.get(Outcome.FAILED) or report.outcomes.get(Outcome.MISSING) else 0


# --- plumbing ----------------------------------------------------------------------------------


def _issue10_commands() -> list[CommandGroup]:
    # Each in its own module (newsdesk_ops.commands); imported here, after Runtime exists.
    from newsdesk_ops.commands import rebuild, redrive, status, submit, takedown

    return [rebuild.register, takedown.register, status.register, submit.register, redrive.register]


COMMAND_GROUPS: list[CommandGroup] = [
    register_partners,
    register_trending,
    register_publish,
    register_reprocess,
    *_issue10_commands(),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsdesk", description="Operate Newsdesk.")
    parser.add_argument(
        "--stack", help="work on this deployed CloudFormation stack (default: the local stack of `make run`)"
    )
    parser.add_argument("--region", help="AWS region of --stack (default: your AWS configuration)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for register in COMMAND_GROUPS:
        register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, target: Target | None = None) -> int:
    """Run one command; 0 on success, 1 on an error (reported on stderr), 2 on bad usage.

    ``target`` replaces --stack / the local file (tests pass one pointing at moto).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has already printed usage or help
        return exit_.code if isinstance(exit_.code, int) else 2
    runtime = Runtime(args, target)
    run: CommandRun = args.run
    try:
        return run(args, runtime)
    except (NewsdeskError, TargetError) as error:
        return _fail(str(error))
    except EndpointConnectionError as error:
        hint = "; is `make run` still running?" if runtime.is_local() else ""
        return _fail(f"cannot reach {error.kwargs.get('endpoint_url', 'AWS')}{hint}")
    except NoCredentialsError:
        return _fail("no AWS credentials found; configure them (e.g. AWS_PROFILE) to work on a stack.")
    except ClientError as error:
        details = error.response.get("Error", {})
        return _fail(f"AWS refused the request: {details.get('Code', '?')}: {details.get('Message', '')}")
    except BotoCoreError as error:
        return _fail(f"AWS call failed: {error}")


def _fail(message: str) -> int:
    print(f"newsdesk: error: {message}", file=sys.stderr)
    return 1


def format_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [headers, *rows]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def _time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment else "-"


if __name__ == "__main__":
    raise SystemExit(main())

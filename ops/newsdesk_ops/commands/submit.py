"""``newsdesk submit FILE|DIR…``: post ninjs files to the API as a partner, as a partner's system would.

Each file is one ``POST /v1/articles`` (a directory: its ``*.json`` files, sorted, recursively).
The key is ``--key`` (or ``NEWSDESK_KEY``), else the local stack's partner key in ``.newsdesk/local.json``;
the API is ``--api-url``, else the local stack's, else the stack's ``ApiUrl`` output. The summary counts
accepted (201), updated and replayed (200) and refused files, each refusal with the API's problem detail.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from newsdesk_ops.console import progress_bar
from newsdesk_ops.target import DEFAULT_LOCAL_FILE, TargetError

if TYPE_CHECKING:
    from newsdesk_ops.cli import Runtime, Subparsers

KEY_ENV = "NEWSDESK_KEY"
TIMEOUT_SECONDS = 30
# (status, parsed JSON body or None) of one POST.
Send = Callable[[str, str, bytes], tuple[int, Any]]


@dataclass
class SubmitReport:
    accepted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # file -> status and reason


def register(commands: Subparsers) -> None:
    submit = commands.add_parser("submit", help="post ninjs files to the API as a partner")
    submit.add_argument("paths", nargs="+", metavar="FILE|DIR", help="ninjs JSON files, or directories of them")
    submit.add_argument("--key", help=f"the partner's API key (default: ${KEY_ENV}, else the local stack's partner)")
    submit.add_argument("--api-url", help="the API's base URL (default: the local stack's, or the stack's ApiUrl)")
    submit.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    local = _local_info() if not args.stack else {}
    key = args.key or os.environ.get(KEY_ENV) or local.get("partner_key")
    api_url = args.api_url or local.get("api_url") or (_stack_api_url(args.stack, args.region) if args.stack else "")
    if not key:
        raise TargetError(f"No key: pass --key (or set {KEY_ENV}).")
    if not api_url:
        raise TargetError("No API: pass --api-url, or start the local stack with `make run`.")
    problem = _url_problem(api_url)
    if problem:
        # urllib would raise on such a URL (not as a refusal of one file): say once what is wrong with it.
        if args.api_url:
            where = "--api-url"
        elif args.stack:
            where = f"output ApiUrl of stack {args.stack}"
        else:
            where = "the local stack's file"
        raise TargetError(
            f"API URL {api_url!r} ({where}) is not usable: {problem}; pass the API's base URL with --api-url."
        )
    files = list(ninjs_files(Path(path) for path in args.paths))
    if not files:
        raise TargetError("No .json files in " + ", ".join(args.paths))
    print(f"Posting {len(files)} files to {api_url.rstrip('/')}/v1/articles.")
    with progress_bar("files") as progress:
        report = submit_files(files, api_url, key, progress=progress)
    print(
        f"{len(report.accepted)} accepted (201), {len(report.updated)} updated (200), "
        f"{len(report.replayed)} replayed (200, unchanged), {len(report.refused)} refused."
    )
    for name, reason in report.refused.items():
        print(f"  refused {name}: {reason}", file=sys.stderr)
    return 1 if report.refused else 0


def ninjs_files(paths: Iterable[Path]) -> Iterable[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(found for found in path.rglob("*.json") if found.is_file())
        else:
            yield path


def submit_files(
    files: list[Path],
    api_url: str,
    key: str,
    *,
    send: Send | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SubmitReport:
    post = send or http_post
    report = SubmitReport()
    url = f"{api_url.rstrip('/')}/v1/articles"
    for done, path in enumerate(files, start=1):
        name = str(path)
        try:
            body = path.read_bytes()
        except OSError as error:
            report.refused[name] = f"unreadable: {error.strerror or error}"
        else:
            _record(report, name, *post(url, key, body))
        if progress is not None:
            progress(done, len(files))
    return report


def _record(report: SubmitReport, name: str, status: int, answer: Any) -> None:
    answer = answer if isinstance(answer, dict) else {}
    if status in (200, 201) and not answer.get("id"):
        # Not the API's answer (a proxy's or a portal's page): nothing says the article was stored.
        report.refused[name] = f"{status} but the answer names no article: not the Newsdesk API's answer"
        return
    if status == 201:
        report.accepted.append(name)
    elif status == 200:
        (report.replayed if answer.get("replayed") else report.updated).append(name)
    else:
        detail = str(answer.get("detail") or answer.get("title") or answer.get("message") or "no detail")
        errors = answer.get("errors") if isinstance(answer.get("errors"), list) else []
        pointers = "; ".join(
            f"{error.get('pointer') or '/'} {error.get('message', '')}".strip()
            for error in errors[:3]
            if isinstance(error, dict)
        )
        report.refused[name] = f"{status} {detail}" + (f" ({pointers})" if pointers else "")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """The API never redirects a POST: following one would send the partner's key to another host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(_RefuseRedirects)


def http_post(url: str, key: str, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    try:
        with _NO_REDIRECTS.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as error:
        if 300 <= error.code < 400:
            location = error.headers.get("Location", "")
            return error.code, {"detail": f"the API answered with a redirect to {location[:200]!r}; not followed"}
        return error.code, _json(error.read())
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        return 0, {"detail": f"not sent: {getattr(error, 'reason', error)}"}
    except http.client.HTTPException as error:
        # A cut-off body or no HTTP at all: whatever answered, it said nothing we can count on.
        return 0, {"detail": f"no readable answer: {type(error).__name__}"}


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _url_problem(url: str) -> str:
    """What makes ``url`` no http(s) base URL urllib can post to, or ""."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError as error:
        return str(error)
    if parts.scheme not in ("http", "https"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "no host"
    return ""


def _local_info() -> dict[str, str]:
    local_file = Path(os.environ.get("NEWSDESK_LOCAL_FILE") or DEFAULT_LOCAL_FILE)
    try:
        info = json.loads(local_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {name: str(value) for name, value in info.items() if isinstance(value, str)} if isinstance(info, dict) else {}
    )


def _stack_api_url(stack: str, region: str | None) -> str:
    outputs = boto3.client("cloudformation", region_name=region).describe_stacks(StackName=stack)["Stacks"][0]
    return next((o.get("OutputValue", "") for o in outputs.get("Outputs", []) if o["OutputKey"] == "ApiUrl"), "")

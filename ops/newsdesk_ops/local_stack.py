"""The whole Newsdesk on one machine: `make run` (``python -m newsdesk_ops.local_stack``).

moto serves DynamoDB, S3 and SQS on loopback; the tables, buckets and (dead-letter) queues are
created from template.yaml; the functions run in this process behind a local HTTP API gateway
(newsdesk_ops.gateway) with the environment the template gives them. What AWS would drive runs
beside them: the table's stream feeds the functions with DynamoDB events (newsdesk_ops.stream_poller;
a batch that keeps failing goes to its dead-letter queue), timers fire the scheduled ones
(newsdesk_ops.local_timers), and the snapshot bucket is served over HTTP like its CloudFront
distribution (newsdesk_ops.snapshot_server). A local partner and a local site key (role "site", for
the comment service) are created, and the connection details are written to ``.newsdesk/local.json`` (where the
``newsdesk`` CLI looks).

``LocalStack`` is the same thing as a context manager, for tests:

    with LocalStack(state_file=None) as stack:
        stack.info["api_url"]

The stream poller and the timers run unless ``LocalStack(background=False)``; more background
work is added with ``LocalStack.add_worker``; see ``Worker``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from newsdesk.dal.partners import PartnerStore
from newsdesk.partners import PartnerAlreadyExists, derive_partner_id
from newsdesk_ops.demo import DemoNewsroom, demo_enabled
from newsdesk_ops.emulator import speed_up_moto
from newsdesk_ops.function_processes import (
    API_PROCESSES_ENV,
    DEFAULT_API_PROCESSES,
    FunctionProcesses,
    processes_from_environment,
)
from newsdesk_ops.gateway import LocalFunctions, LocalGateway
from newsdesk_ops.heap import heap_keeper
from newsdesk_ops.local_state import (
    LocalState,
    Resources,
    fresh_requested,
    kept_state_dir,
    queues_with_messages,
    rebuild_articles,
    republish_after_dead_letters,
)
from newsdesk_ops.local_timers import seconds_since_change, timers
from newsdesk_ops.site import SITE_PORT_ENV, SiteServer
from newsdesk_ops.snapshot_server import SnapshotServer
from newsdesk_ops.stream_poller import LOCAL_MAX_BATCHING_WINDOW_SECONDS, stream_poller
from newsdesk_ops.target import DEFAULT_LOCAL_FILE
from newsdesk_ops.template import (
    LocalResources,
    Template,
    create_resources,
    delete_resources,
    function_environment,
    load_template,
    resource_names,
)

# By name: run as `python -m newsdesk_ops.local_stack`, __name__ is "__main__", outside the "newsdesk_ops" logger.
log = logging.getLogger("newsdesk_ops.local_stack")

STACK_NAME = "newsdesk-local"
DEFAULT_PORT = 3000
DEFAULT_REGION = "eu-west-1"
LOOPBACK = "127.0.0.1"
# At stop, with the gateway closed: how long the table's stream must carry nothing before the
# workers stop, and the longest the stop waits for that. Records read last may wait out a batching
# window before their function runs and writes what follows from them: the window counts too.
QUIET_SECONDS = 1.5 + LOCAL_MAX_BATCHING_WINDOW_SECONDS
STOP_DRAIN_SECONDS = 15.0
# The CLI reads the same variable (newsdesk_ops.cli) to find the local stack.
LOCAL_FILE_ENV = "NEWSDESK_LOCAL_FILE"
LOCAL_PARTNER_NAME = "Local Partner"
LOCAL_PARTNER_LANGUAGE = "ru"
LOCAL_PARTNER_SECTION = "defence-industry"
# The website's own key (role "site": comment counts on POST /v1/events).
LOCAL_SITE_NAME = "Local Site"
# The snapshot server listens on SNAPSHOTS_PORT, else on the API's port + 1.
SNAPSHOTS_PORT_ENV = "SNAPSHOTS_PORT"
# "1": moto as it comes, without newsdesk_ops.emulator's patches (to compare, or to rule them out).
PLAIN_MOTO_ENV = "NEWSDESK_LOCAL_PLAIN_MOTO"
# moto accepts any credentials; fixed fake ones keep real credentials away from the emulator.
FAKE_CREDENTIAL = "testing"
# Packages of the shared layer; the functions' own packages come from their handlers.
LAYER_PACKAGES = ("newsdesk",)


@dataclass(frozen=True)
class RunningStack:
    """What a worker gets: everything about the stack that is up."""

    template: Template
    resources: LocalResources
    functions: LocalFunctions
    environment: dict[str, str]
    api_url: str
    aws_endpoint_url: str
    region: str
    # Base URL of the snapshot server ("" when the template has no snapshot bucket).
    snapshots_url: str = ""
    # Where the stream pollers and timers invoke functions: worker processes
    # (newsdesk_ops.function_processes), or None for this process (``functions.invoke``).
    function_processes: FunctionProcesses | None = None

    def invoke_in_background(self, function_logical_id: str, event: Any) -> Any:
        """One invocation by an event source (stream, timer), where the stack runs those."""
        if self.function_processes is not None:
            return self.function_processes.invoke(function_logical_id, event)
        return self.functions.invoke(function_logical_id, event)


Worker = Callable[[RunningStack], Callable[[], None]]
"""Starts background work for a running stack and returns the function that stops it.

A worker starts its own (daemon) thread, invokes functions through ``stack.invoke_in_background``
(which runs them as Lambda would: newsdesk_ops.invocation, newsdesk_ops.function_processes), and must
return promptly from both calls. Workers start after the gateway, in the order added, and stop in reverse order before
the gateway and moto stop. Example shape of a stream poller::

    def stream_poller(stack: RunningStack) -> Callable[[], None]:
        stop = threading.Event()
        thread = threading.Thread(target=poll, args=(stack, stop), daemon=True)
        thread.start()
        return lambda: (stop.set(), thread.join())
"""


class LocalStack:
    """moto + resources from the template + the functions behind a local HTTP API.

    ``start()`` changes ``os.environ`` (endpoint, fake credentials, the functions' variables),
    because boto3 and the functions read it; ``stop()`` puts it back as it was.
    """

    def __init__(
        self,
        *,
        template: Template | None = None,
        stack_name: str = STACK_NAME,
        region: str | None = None,
        state_file: Path | None = DEFAULT_LOCAL_FILE,
        parameter_overrides: dict[str, str] | None = None,
        background: bool = True,
        state_dir: Path | None = None,
        fresh: bool | None = None,
        function_processes: int = 0,
        api_processes: int = 0,
    ) -> None:
        """``background=False`` leaves out the stream poller and the timers (the snapshot server
        still runs): the functions then run only when called, e.g. in benchmarks.

        With ``state_dir`` the stack restores what it kept there when it starts and keeps its state
        there when it stops (newsdesk_ops.local_state); ``fresh`` (default: NEWSDESK_LOCAL_FRESH=1)
        deletes the kept state first.

        ``function_processes`` worker processes run the functions the stream pollers and timers
        invoke (newsdesk_ops.function_processes); ``api_processes`` worker processes run the API's
        functions (the authorizer, ingest), as Lambda runs a function's concurrent invocations in
        environments of their own. 0 runs them in this process, where a test can patch them."""
        self._template = template if template is not None else load_template()
        self._stack_name = stack_name
        self._region = region
        self._state_file = state_file
        self._parameter_overrides = parameter_overrides or {}
        self._workers: list[Worker] = [stream_poller, timers] if background else []
        self._worker_stops: list[Callable[[], None]] = []
        self._saved_environment: dict[str, str] | None = None
        self._moto: ThreadedMotoServer | None = None
        self._gateway: LocalGateway | None = None
        self._snapshots: SnapshotServer | None = None
        self._site: SiteServer | None = None
        self._running: RunningStack | None = None
        self._info: dict[str, str] | None = None
        self._state = LocalState(state_dir) if state_dir is not None else None
        self._fresh = fresh
        self._state_resources: Resources | None = None
        # Dead-letter queues that held messages when the restored state was saved (newsdesk_ops.local_state).
        self._lost_dead_letters: dict[str, int] = {}
        self._function_process_count = function_processes
        self._function_processes: FunctionProcesses | None = None
        self._api_process_count = api_processes
        self._api_processes: FunctionProcesses | None = None

    def add_worker(self, worker: Worker) -> None:
        """Run ``worker`` alongside the gateway (add before ``start``)."""
        if self._running is not None:
            raise RuntimeError("add workers before starting the stack")
        self._workers.append(worker)

    @property
    def info(self) -> dict[str, str]:
        """The connection details written to the state file (see ``start``)."""
        if self._info is None:
            raise RuntimeError("the local stack is not running")
        return dict(self._info)

    def moto_server(self) -> Any:
        """The WSGI server of the stack's moto (benchmarks wrap its ``app`` to count requests)."""
        if self._moto is None or self._moto._server is None:
            raise RuntimeError("the local stack is not running")
        return self._moto._server

    @property
    def running(self) -> RunningStack:
        if self._running is None:
            raise RuntimeError("the local stack is not running")
        return self._running

    def start(
        self, port: int = 0, host: str = LOOPBACK, snapshots_port: int | None = None, site_port: int | None = None
    ) -> dict[str, str]:
        """Bring everything up and return the connection details.

        Keys: api_url, aws_endpoint_url, region, stack_name, table_name, archive_bucket,
        snapshot_bucket and snapshots_url ("" while the template has no snapshot bucket),
        partner_id, partner_key, site_key, and site_url (the reference reader site, site/, with /v1/
        on the same origin; "" without a snapshot bucket). The snapshot server listens on
        ``snapshots_port``; without one, on ``port + 1`` if that is free, else on any free port
        (snapshots_url says which); the site likewise on ``site_port``, else ``port + 2``.
        """
        if self._info is not None:
            return self.info
        self._saved_environment = dict(os.environ)
        try:
            return self._start(port, host, snapshots_port, site_port)
        except BaseException:
            self.stop()
            raise

    def _start(self, port: int, host: str, snapshots_port: int | None, site_port: int | None) -> dict[str, str]:
        region = self._region or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        # moto's server logs every request through werkzeug; the gateway's access log is enough.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        if os.environ.get(PLAIN_MOTO_ENV) != "1":
            log.info("moto, locally faster: %s", "; ".join(speed_up_moto()))
        self._moto = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        self._moto.start()  # returns once the socket is bound and serving
        moto_host, moto_port = self._moto.get_host_and_port()
        endpoint = f"http://{moto_host}:{moto_port}"
        _use_emulator(endpoint, region)
        forget_function_state(self._template)

        dynamodb = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint)
        s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint)
        sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
        # A new process of `make run` starts on an empty moto; a stack started again in the same
        # process (tests) must too: what it keeps comes back only through its state directory.
        # The queues (dead letters) are not kept: they point into a stream that starts anew.
        delete_resources(self._template, stack_name=self._stack_name, dynamodb=dynamodb, s3=s3, sqs=sqs)
        resources = create_resources(self._template, stack_name=self._stack_name, dynamodb=dynamodb, s3=s3, sqs=sqs)
        environment = functions_environment(self._template, resources, self._parameter_overrides)
        os.environ.update(environment)
        os.environ.update(lambda_runtime_variables(self._stack_name, region))

        saved_keys = self._restore_state(resources, environment, endpoint, region, dynamodb, s3)
        restored_state = saved_keys is not None
        saved_keys = saved_keys or {}
        partner_id, partner_key = _local_partner(environment["TABLE_NAME"], dynamodb, saved_keys.get("partner_key"))
        site_key = _local_site_key(environment["TABLE_NAME"], dynamodb, saved_keys.get("site_key"))
        functions = LocalFunctions(self._template, stack_name=self._stack_name, region=region)
        self._api_processes = self._worker_processes(region, self._api_process_count)
        self._gateway = LocalGateway(
            self._template,
            host,
            port,
            functions=functions,
            invoke=self._api_processes.invoke if self._api_processes is not None else None,
            region=region,
            parameter_overrides=self._parameter_overrides,
        )
        if self._api_processes is not None:
            self._api_processes.warm(self._gateway.function_logical_ids)
        api_url = self._gateway.start()
        snapshots_url = ""
        if snapshot_bucket := environment.get("SNAPSHOT_BUCKET", ""):
            snapshots_url = self._start_snapshot_server(SnapshotServer(snapshot_bucket, s3, host), port, snapshots_port)
        site_url = self._start_site(host, port, site_port, api_url)
        self._function_processes = self._worker_processes(region, self._function_process_count)
        self._running = RunningStack(
            template=self._template,
            resources=resources,
            functions=functions,
            environment=environment,
            api_url=api_url,
            aws_endpoint_url=endpoint,
            region=region,
            snapshots_url=snapshots_url,
            function_processes=self._function_processes,
        )
        # First in, so last out: the heap stays frozen until everything else has stopped.
        self._worker_stops.append(heap_keeper(self._running))
        for worker in self._workers:
            self._worker_stops.append(worker(self._running))
        if restored_state and self._state_resources is not None:
            # With the pollers reading: what the rebuild writes reaches publish and media.
            log.info("local state: %s", rebuild_articles(self._state_resources))
            if self._lost_dead_letters:
                log.warning("local state: %s", republish_after_dead_letters(self._lost_dead_letters))

        self._info = {
            "api_url": api_url,
            "aws_endpoint_url": endpoint,
            "region": region,
            "stack_name": self._stack_name,
            "table_name": environment["TABLE_NAME"],
            "archive_bucket": environment.get("ARCHIVE_BUCKET", ""),
            "snapshot_bucket": snapshot_bucket,
            "snapshots_url": snapshots_url,
            "partner_id": partner_id,
            "partner_key": partner_key,
            "site_key": site_key,
            "site_url": site_url,
        }
        if self._state_file is not None:
            _write_private(self._state_file, json.dumps(self._info, indent=2) + "\n")
        return self.info

    def _worker_processes(self, region: str, count: int) -> FunctionProcesses | None:
        """``count`` worker processes for the functions (None for none), started with the
        environment this process has now: moto's endpoint, fake credentials, the functions' variables."""
        if count < 1:
            return None
        environment = {**os.environ}
        return FunctionProcesses(
            self._template, stack_name=self._stack_name, region=region, environment=environment, processes=count
        )

    def _restore_state(
        self, resources: LocalResources, environment: dict[str, str], endpoint: str, region: str, dynamodb: Any, s3: Any
    ) -> dict[str, str] | None:
        """Put back what the state directory holds (see newsdesk_ops.local_state); the saved keys, or
        None when nothing was restored."""
        if self._state is None:
            return None
        self._state_resources = Resources(
            table_name=environment["TABLE_NAME"],
            buckets=dict(resources.buckets),
            archive_bucket=environment.get("ARCHIVE_BUCKET", ""),
            snapshot_bucket=environment.get("SNAPSHOT_BUCKET", ""),
            endpoint_url=endpoint,
            region=region,
        )
        if self._fresh if self._fresh is not None else fresh_requested():
            log.info("local state: starting empty; %s deleted", self._state.directory)
            self._state.clear()
            return None
        if not self._state.exists():
            log.info("local state: nothing kept in %s yet; starting empty", self._state.directory)
            return None
        restored = self._state.restore(self._state_resources, dynamodb=dynamodb, s3=s3)
        log.info("local state restored from %s: %s", self._state.directory, restored.summary())
        self._lost_dead_letters = self._state.dead_letters()
        return self._state.keys()

    def _save_state(self) -> None:
        if self._state is None or self._state_resources is None or self._info is None:
            return
        resources = self._state_resources
        dead_letters = self._dead_letters_at_stop(resources)
        try:
            objects, items = self._state.save(
                resources,
                dynamodb=boto3.client("dynamodb", region_name=resources.region, endpoint_url=resources.endpoint_url),
                s3=boto3.client("s3", region_name=resources.region, endpoint_url=resources.endpoint_url),
                keys={"partner_key": self._info["partner_key"], "site_key": self._info["site_key"]},
                dead_letters=dead_letters,
            )
            log.info("local state kept in %s: %d object(s), %d item(s)", self._state.directory, objects, items)
        except Exception:
            log.exception("local state: saving to %s failed; the previous state stays", self._state.directory)

    def _dead_letters_at_stop(self, resources: Resources) -> dict[str, int]:
        """The dead-letter queues holding messages: the queues are not kept, so the next start makes up
        for them (newsdesk_ops.local_state.republish_after_dead_letters)."""
        if self._running is None or not self._running.resources.queues:
            return {}
        sqs = boto3.client("sqs", region_name=resources.region, endpoint_url=resources.endpoint_url)
        try:
            held = queues_with_messages(sqs, self._running.resources.queues)
        except Exception:
            log.exception("local state: the dead-letter queues could not be read; the next start rebuilds anyway")
            # Unknown is treated as lost: a needless rebuild costs seconds, a lost story stays lost.
            return {queue: 0 for queue in self._running.resources.queues}
        if held:
            log.warning(
                "local state: stopping with dead letters in %s; the next start rebuilds the snapshots "
                "(`newsdesk publish --all`), as the queues are not kept",
                ", ".join(f"{queue} ({count})" for queue, count in held.items()),
            )
        return held

    def _start_snapshot_server(self, server: SnapshotServer, port: int, requested: int | None) -> str:
        """Bind the requested port, else the API's port + 1, falling back to a free port if that is taken."""
        preferred = requested if requested is not None else (port + 1 if port else 0)
        self._snapshots = server
        try:
            return server.start(preferred)
        except OSError as error:
            if requested is not None or preferred == 0:
                raise
            # e.g. the client end of a connection to moto got that port from the ephemeral range
            log.warning("port %d is taken (%s); the snapshots are served on a free port", preferred, error)
            return server.start(0)

    def _start_site(self, host: str, port: int, requested: int | None, api_url: str) -> str:
        """The reference site on the snapshot server's bucket (port + 2, else a free port), or "".

        Also the functions' SITE_URL (article links in feeds), unless SiteUrl is overridden.
        """
        if self._snapshots is None:
            return ""
        self._site = SiteServer(self._snapshots, host, api_url=api_url)
        try:
            site_url = self._site.start(requested if requested is not None else (port + 2 if port else 0))
        except OSError as error:
            if requested is not None or not port:
                raise
            log.warning("port %d is taken (%s); the site is served on a free port", port + 2, error)
            site_url = self._site.start(0)
        if "SiteUrl" not in self._parameter_overrides:
            os.environ["SITE_URL"] = site_url
        return site_url

    def stop(self) -> None:
        """Stop the gateway, then (once the stream is quiet) the workers, then moto; restore the
        environment; remove the state file."""
        if self._gateway is not None:
            # No new writes; what was acknowledged just before gets its stream delivered, so that a
            # story accepted a moment before Ctrl-C is on the site after the restart too.
            self._gateway.stop()
            self._gateway = None
            self._wait_for_quiet_stream()
        if self._api_processes is not None:
            self._api_processes.close()
            self._api_processes = None
        while self._worker_stops:
            stop_worker = self._worker_stops.pop()
            try:
                stop_worker()
            except Exception:
                log.exception("a worker failed to stop")
        if self._function_processes is not None:
            self._function_processes.close()
            self._function_processes = None
        # With the workers stopped nothing writes any more; moto is still up.
        self._save_state()
        if self._site is not None:
            self._site.stop()
            self._site = None
        if self._snapshots is not None:
            self._snapshots.stop()
            self._snapshots = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._state_file is not None and self._info is not None:
            # A file pointing at a stopped emulator would only send the CLI into connection errors.
            with contextlib.suppress(FileNotFoundError):
                self._state_file.unlink()
        if self._saved_environment is not None:
            os.environ.clear()
            os.environ.update(self._saved_environment)
            self._saved_environment = None
        forget_function_state(self._template)
        self._running = None
        self._info = None

    def _wait_for_quiet_stream(self) -> None:
        """Until the table's stream has carried nothing for QUIET_SECONDS (at most STOP_DRAIN_SECONDS)."""
        if self._running is None:
            return
        tables = list(self._running.resources.tables.values())
        deadline = time.monotonic() + STOP_DRAIN_SECONDS
        while seconds_since_change(tables) < QUIET_SECONDS and time.monotonic() < deadline:
            time.sleep(0.1)

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _use_emulator(endpoint: str, region: str) -> None:
    """Point every boto3 client of this process at moto, with fake credentials."""
    for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(variable, None)
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": FAKE_CREDENTIAL,
            "AWS_SECRET_ACCESS_KEY": FAKE_CREDENTIAL,
            "AWS_DEFAULT_REGION": region,
        }
    )


def functions_environment(template: Template, resources: LocalResources, overrides: dict[str, str]) -> dict[str, str]:
    """The variables of every function, merged: locally they all share one process.

    Where functions disagree on a variable, the first function in the template wins and the
    disagreement is logged, because the others will see the wrong value locally.
    """
    merged: dict[str, str] = {}
    for logical_id, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for name, value in function_environment(template, logical_id, resources, overrides).items():
            if name in merged and merged[name] != value:
                log.warning("functions disagree on %s; %s gets %r locally", name, logical_id, merged[name])
                continue
            merged[name] = value
    return merged


def lambda_runtime_variables(stack_name: str, region: str) -> dict[str, str]:
    """What the Lambda runtime itself sets and Powertools reads."""
    return {
        "AWS_REGION": region,
        # Powertools idempotency scopes its records by function name; one stable name locally.
        "AWS_LAMBDA_FUNCTION_NAME": f"{stack_name}-functions",
        "POWERTOOLS_DEV": "false",
        # No X-Ray daemon locally.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


@contextlib.contextmanager
def functions_of_running_stack(
    template: Template,
    *,
    stack_name: str,
    region: str,
    endpoint_url: str,
    site_url: str = "",
    parameter_overrides: dict[str, str] | None = None,
) -> Iterator[LocalFunctions]:
    """The template's functions, invocable in this process against a local stack running in another
    (``newsdesk redrive``), with the environment the stack gives its own: its moto endpoint, its
    resources' names, the Lambda runtime's variables. ``os.environ`` is put back afterwards.

    The stack's parameter overrides are not in its state file: pass them, or the template's
    defaults apply (the site URL comes from the file, as the stack sets SITE_URL)."""
    overrides = parameter_overrides or {}
    saved = dict(os.environ)
    try:
        _use_emulator(endpoint_url, region)
        resources = resource_names(template, stack_name=stack_name, region=region)
        os.environ.update(functions_environment(template, resources, overrides))
        os.environ.update(lambda_runtime_variables(stack_name, region))
        if site_url and "SiteUrl" not in overrides:
            os.environ["SITE_URL"] = site_url
        # Clients and settings the functions' modules cached belong to another environment.
        forget_function_state(template)
        yield LocalFunctions(template, stack_name=stack_name, region=region)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        forget_function_state(template)


def forget_function_state(template: Template) -> None:
    """Clear the caches of the functions' modules (settings, clients, services), as a new
    execution environment would start without them. Without this, a process that imported the
    functions before (a test session) would keep clients bound to another endpoint or table."""
    packages = set(LAYER_PACKAGES)
    for resource in (template.get("Resources") or {}).values():
        handler = (resource.get("Properties") or {}).get("Handler")
        if resource.get("Type") == "AWS::Serverless::Function" and isinstance(handler, str):
            packages.add(handler.split(".", 1)[0])
    for module_name, module in list(sys.modules.items()):
        if module is None or module_name.split(".", 1)[0] not in packages:
            continue
        for value in list(vars(module).values()):
            if getattr(value, "__module__", None) == module_name and callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


def _local_partner(table_name: str, dynamodb: Any, kept_key: str | None = None) -> tuple[str, str]:
    """The local partner and its key: the key kept from the last run (restored state), else a fresh
    one (a second stack on the same moto adds a key)."""
    store = PartnerStore(table_name, client=dynamodb)
    try:
        partner, secret = store.add_partner(LOCAL_PARTNER_NAME, LOCAL_PARTNER_LANGUAGE, LOCAL_PARTNER_SECTION)
        return partner.partner_id, secret
    except PartnerAlreadyExists:
        partner_id = derive_partner_id(LOCAL_PARTNER_NAME)
        if kept_key:
            return partner_id, kept_key
        _key, secret = store.add_key(partner_id)
        return partner_id, secret


def _local_site_key(table_name: str, dynamodb: Any, kept_key: str | None = None) -> str:
    """The local site partner's key (role "site"): kept from the last run, else a fresh one."""
    store = PartnerStore(table_name, client=dynamodb)
    try:
        _partner, secret = store.add_partner(LOCAL_SITE_NAME, LOCAL_PARTNER_LANGUAGE, role="site")
        return str(secret)
    except PartnerAlreadyExists:
        if kept_key:
            return kept_key
        _key, secret = store.add_key(derive_partner_id(LOCAL_SITE_NAME), role="site")
        return str(secret)


def _write_private(path: Path, text: str) -> None:
    """Write atomically, readable by the owner only (the file holds a partner key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    partial.replace(path)


def describe(info: dict[str, str], state_file: Path | None) -> str:
    """The start-up message: where things are and how to use them."""
    api = info["api_url"]
    lines = [
        "Newsdesk is running locally (moto + template.yaml). Ctrl-C stops it.",
        "",
        f"  Partner API   {api}/v1   (OpenAPI: {api}/v1/openapi.json)",
        f"  Partner       {info['partner_id']}   key {info['partner_key']}",
        f"  AWS (moto)    {info['aws_endpoint_url']}   region {info['region']}",
        f"  Table         {info['table_name']}",
        f"  Archive       s3://{info['archive_bucket']}",
    ]
    if info.get("snapshots_url"):
        lines.append(
            f"  Snapshots     {info['snapshots_url']}v1/latest.json   (s3://{info['snapshot_bucket']}, "
            "like its CloudFront distribution)"
        )
    if info.get("site_url"):
        lines.append(f"  Site          {info['site_url']}   (the reference reader site: site/, docs/site.md)")
    if info.get("site_key"):
        lines.append(f"  Site key      {info['site_key']}   (role site: comment counts on POST /v1/events)")
    lines += [
        "",
        "Send an article:",
        f"  curl -i -X POST {api}/v1/articles \\",
        f"    -H 'Authorization: Bearer {info['partner_key']}' \\",
        "    -H 'Content-Type: application/json' \\",
        "    --data-binary @tests/fixtures/ninjs/ru_defence_industry.json",
        "",
    ]
    if state_file is not None:
        lines += [
            f"Connection details: {state_file}. The newsdesk CLI uses them when no --stack is given:",
            "  .venv/bin/newsdesk partners list",
        ]
    lines += [
        "AWS CLI / boto3 against the emulator:",
        f"  AWS_ENDPOINT_URL={info['aws_endpoint_url']} AWS_ACCESS_KEY_ID=testing "
        f"AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={info['region']} aws s3 ls",
    ]
    return "\n".join(lines)


@contextlib.contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM, with the previous handlers restored afterwards."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _log_to_stderr() -> None:
    """Show the gateway's access lines and our own messages on stderr.

    A handler of our own, not the root logger's: Powertools filters the root handlers to drop
    records of loggers whose names start with its service name ("newsdesk"), which
    "newsdesk_ops" does; and the root logger at INFO would print botocore's chatter.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", datefmt="%H:%M:%S"))
    ops_logger = logging.getLogger("newsdesk_ops")
    ops_logger.addHandler(handler)
    ops_logger.setLevel(logging.INFO)
    ops_logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    """Run the local stack until Ctrl-C or SIGTERM.

    The API port comes from PORT (default 3000), the snapshot server's from SNAPSHOTS_PORT
    (default: the API's port + 1), the site's from SITE_PORT (default: + 2), the local timers'
    period from NEWSDESK_LOCAL_TIMER_SECONDS, how many worker processes run the stream and timer
    functions from NEWSDESK_LOCAL_FUNCTION_PROCESSES (default 2; 0: none), how many run the API's
    from NEWSDESK_LOCAL_API_PROCESSES (default 4; 0: none). NEWSDESK_NO_DEMO=1 skips the demo newsroom.
    """
    del argv  # no options yet; PORT and NEWSDESK_LOCAL_FILE configure it
    _log_to_stderr()
    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    requested_snapshots_port = os.environ.get(SNAPSHOTS_PORT_ENV)
    snapshots_port = int(requested_snapshots_port) if requested_snapshots_port else None
    state_file = Path(os.environ.get(LOCAL_FILE_ENV) or DEFAULT_LOCAL_FILE)
    requested_site_port = os.environ.get(SITE_PORT_ENV)
    site_port = int(requested_site_port) if requested_site_port else None
    # A page served from a developer's machine must be able to send views: locally, any origin may.
    origins = os.environ.get("SITE_ORIGINS", "*")
    overrides = {"SiteOrigins": origins}
    # The demo newsroom (newsdesk_ops.demo): its picture server must be up, and allowed, before the stack.
    demo = DemoNewsroom() if demo_enabled() else None
    if demo is not None:
        overrides.update(demo.start_images())
    # What the stack had when it last stopped comes back (NEWSDESK_LOCAL_FRESH=1 / make run FRESH=1: empty).
    stack = LocalStack(
        state_file=state_file,
        parameter_overrides=overrides,
        state_dir=kept_state_dir(),
        function_processes=processes_from_environment(),
        api_processes=processes_from_environment(API_PROCESSES_ENV, DEFAULT_API_PROCESSES),
    )
    with _stop_signals() as stop:
        try:
            info = stack.start(port=port, snapshots_port=snapshots_port, site_port=site_port)
        except OSError as error:
            print(
                f"Cannot start the local stack on port {port} (API) or {snapshots_port or port + 1} (snapshots): "
                f"{error}",
                file=sys.stderr,
            )
            if demo is not None:
                demo.stop()
            return 1
        try:
            print(describe(info, state_file), flush=True)
            if demo is not None:
                print("Loading the demo newsroom (make run DEMO=0 skips it)...", flush=True)
                demo.start(info)
            # wait() with a timeout keeps the main thread responsive to signals on every platform.
            while not stop.wait(timeout=1.0):
                pass
        finally:
            print("Stopping the local stack...", file=sys.stderr, flush=True)
            if demo is not None:
                demo.stop()
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

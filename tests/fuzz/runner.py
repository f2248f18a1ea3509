"""One fuzz run against a local stack of its own (loopback, moto), bounded in requests and in time.

Every operation of the served document gets its share of the requests, in rounds (so that articles
exist before they are read, replaced and retracted): first schemathesis' coverage cases (boundary
values, missing and wrongly typed fields, for both positive and negative modes), then hypothesis
batches of positive and negative cases, each also sent, now and then, with a malformed body
(``steer.MALFORMED_*``). Every answer goes through all of schemathesis' enabled checks and through
the suite's own contract check; failures are counted, never raised, so one run reports all of them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CheckResult, not_a_server_error
from schemathesis.config._checks import NegativeDataRejectionConfig, PositiveDataAcceptanceConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from newsdesk.dal.partners import PartnerStore
from newsdesk.ninjs.schema import check_schema
from newsdesk_ops.local_stack import LocalStack
from tests.fuzz import steer
from tests.fuzz.report import Tally
from tests.support.openapi_contract import served_contract

# Each operation's share of the requests. Every one gets some; the article writes, where the
# parsing, normalizing and storing happen, get most.
SHARES = {
    "POST /v1/articles": 0.32,
    "PUT /v1/articles/{article_id}": 0.20,
    "GET /v1/articles/{article_id}": 0.10,
    "DELETE /v1/articles/{article_id}": 0.07,
    "POST /v1/events": 0.25,
    "GET /v1/openapi.json": 0.06,
}
ROUNDS = 4
BATCH = 40
COVERAGE_SHARE = 0.3  # at most this much of an operation's share goes to the coverage cases
MALFORMED_RATE = 0.1
# Statuses the profile, the ETag rules and the body limits give documents that the ninjs schema
# allows: the ninjs schema requires only `uri`, Newsdesk's profile also a headline and a body (422);
# PUT needs the right If-Match (428, 412). The checks are on; these are what they may expect.
POSITIVE_EXPECTED = ["2xx", "401", "403", "404", "409", "412", "413", "422", "428", "5xx"]
NEGATIVE_EXPECTED = ["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "5xx"]
RESPONSE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class FuzzOptions:
    requests: int = 5000
    seconds: float = 900.0
    seed: int = 8
    malformed: bool = True


@dataclass
class FuzzResult:
    tally: Tally
    seconds: float
    options: FuzzOptions

    def figures(self) -> dict[str, Any]:
        return self.tally.figures(target=self.options.requests, seconds=self.seconds, seed=self.options.seed)


def other_partner_key() -> str:
    """A second partner's key (the stack points boto3 at its moto): it must never reach our articles."""
    store = PartnerStore(os.environ["TABLE_NAME"], client=boto3.client("dynamodb"))
    _partner, secret = store.add_partner("Fuzz Other Outlet", "en", "news")
    return secret


def only_unknown_fields(body: Any) -> bool:
    """Whether the ninjs schema's only objection to ``body`` is fields it does not know."""
    if not isinstance(body, dict):
        return False
    errors, unknown = check_schema(body)
    return not errors and bool(unknown)


class Fuzzer:
    def __init__(self, stack: LocalStack, options: FuzzOptions) -> None:
        self.options = options
        self.api = stack.info["api_url"]
        self.keys = steer.Keys(stack.info["partner_key"], other_partner_key(), stack.info["site_key"])
        self.known = steer.Known()
        self.tally = Tally()
        self.contract = served_contract()
        self.deadline = time.monotonic() + options.seconds
        self.session = requests.Session()
        self.session.hooks["response"].append(self._count)
        self.schema = schemathesis.openapi.from_url(self.api + "/v1/openapi.json", timeout=30)
        checks = self.schema.config.checks
        checks.positive_data_acceptance = PositiveDataAcceptanceConfig(expected_statuses=POSITIVE_EXPECTED)
        checks.negative_data_rejection = NegativeDataRejectionConfig(expected_statuses=NEGATIVE_EXPECTED)
        # The one check left off: it wants 405 for a method a path does not take, where the document
        # (and API Gateway) answer the NoRoute 404. Those requests are still sent (coverage cases),
        # and the contract check holds their answers to that 404.
        checks.unsupported_method.enabled = False

        def after_validate(context: Any, case: Any, response: Any, results: list[CheckResult]) -> None:
            self._after_validate(context, case, response, results)

        self.schema.hook(after_validate)
        self.operations = {op.label: op for op in (result.ok() for result in self.schema.get_all_operations())}
        self._current: tuple[str, str] = ("", "")  # route, curl of the request being checked

    # --- counting and checking -------------------------------------------------------------------

    def route_of(self, method: str, path: str) -> str:
        pointer = self.contract.operation(method, path)
        if pointer is None:
            return f"{method} (no route)"
        template = pointer.split("/")[2].replace("~1", "/").replace("~0", "~")
        return f"{method.upper()} {template}"

    def _count(self, response: requests.Response, *_args: Any, **_kwargs: Any) -> None:
        request = response.request
        route = self.route_of(request.method or "", request.path_url)
        self.tally.response(route, response.status_code)
        headers = {name.lower(): value for name, value in response.headers.items()}
        for violation in self.contract.violations(
            request.method or "", request.path_url, response.status_code, headers, response.content
        ):
            self.tally.failure(
                "newsdesk_contract", route, violation.split(": ", 1)[-1][:120], f"{violation}\n{self._current[1]}"
            )

    def _after_validate(self, _context: Any, case: Any, response: Any, results: list[CheckResult]) -> None:
        for result in results:
            if result.failure is not None:
                failure = result.failure
                if result.name == "negative_data_rejection" and only_unknown_fields(case.body):
                    # Documented: fields the ninjs schema does not know are kept and reported, not refused.
                    self.tally.tolerated["negative_data_rejection: only unknown ninjs fields (kept, reported)"] += 1
                    continue
                example = (
                    f"{failure.message}\nstatus {response.status_code}: {response.content[:500]!r}\n"
                    + (self._current[1])
                )
                request = getattr(response, "request", None)
                route = self.route_of(request.method, request.path_url) if request is not None else self._current[0]
                self.tally.failure(result.name, route, failure.title, example)

    def _validate(self, case: Any, response: Any, headers: dict[str, str], checks: list[Any] | None = None) -> None:
        with contextlib.suppress(FailureGroup):  # each failure is counted by _after_validate
            case.validate_response(
                response,
                checks=checks,
                headers=headers,
                transport_kwargs={"base_url": self.api, "session": self.session, "headers": headers},
            )

    # --- one case ---------------------------------------------------------------------------------

    def send(self, route: str, case: Any, rnd: random.Random, source: str) -> None:
        if time.monotonic() > self.deadline:
            return
        headers = self.steer(route, case, rnd, source)
        if "Authorization" in headers and case.headers:
            # Ours replaces the Authorization schemathesis generated (which is kept when we send no key).
            for name in [name for name in case.headers if name.lower() == "authorization"]:
                case.headers[name] = headers["Authorization"]
        self.tally.made(route, source)
        try:
            curl = case.as_curl_command(headers=headers)
        except Exception:  # a case whose headers cannot even be shown
            curl = repr(case)
        self._current = (route, curl[:2500])
        try:
            response = case.call(base_url=self.api, session=self.session, headers=headers)
        except requests.RequestException as error:
            self.tally.failure("transport", route, type(error).__name__, f"{error}\n{curl}")
            return
        self.remember(response, headers)
        self._validate(case, response, headers)
        if self.options.malformed and route in BODY_ROUTES and rnd.random() < MALFORMED_RATE:
            self.send_malformed(route, case, rnd, headers)

    def remember(self, response: Any, headers: dict[str, str]) -> None:
        key = headers.get("Authorization", "").removeprefix("Bearer ")
        if key != self.keys.partner or response.status_code not in (200, 201):
            return
        try:
            body = response.json()
        except ValueError:
            return
        # schemathesis' Response keeps every header as a list of values
        etag = response.headers.get("etag") or [""]
        self.known.remember(key, response.status_code, {"etag": etag[0]}, body)

    def steer(self, route: str, case: Any, rnd: random.Random, source: str) -> dict[str, str]:
        positive = source.endswith("positive")
        if route == "POST /v1/events":
            if positive and rnd.random() < 0.5 and (stored := self.known.pick(rnd)) is not None:
                events = case.body.get("events") if isinstance(case.body, dict) else case.body
                for event in events if isinstance(events, list) else []:
                    if isinstance(event, dict):
                        event["article_id"] = stored.article_id
                case.body = case.body
            return steer.events_headers(rnd, self.keys)
        if route == "GET /v1/openapi.json":
            return {}
        stored = None
        if "{article_id}" in route and rnd.random() < 0.75:
            stored = self.known.pick(rnd)
            if stored is not None:
                case.path_parameters = {**(case.path_parameters or {}), "article_id": stored.article_id}
        if route.startswith("PUT") and stored is not None and rnd.random() < 0.7:
            etag = stored.etag if rnd.random() < 0.8 else '"1"'
            case.headers = {**(case.headers or {}), "If-Match": etag}
        if route in BODY_ROUTES and positive and rnd.random() < 0.7:
            uri = stored.uri if stored is not None and rnd.random() < 0.7 else None
            case.body = steer.complete_document(rnd, case.body, uri)
        return steer.partner_headers(rnd, self.keys)

    def send_malformed(self, route: str, case: Any, rnd: random.Random, headers: dict[str, str]) -> None:
        name, make = rnd.choice(steer.MALFORMED_EVENTS if route == "POST /v1/events" else steer.MALFORMED_ARTICLES)
        body, content_type = make()
        path = case.formatted_path
        sent = {**headers, "Content-Type": content_type}
        if route.startswith("PUT"):
            sent["If-Match"] = case.headers.get("If-Match", '"1"') if case.headers else '"1"'
        self.tally.made(route, "malformed")
        self._current = (route, f"{case.method.upper()} {path} ({name}, {len(body)} bytes, {content_type})")
        try:
            response = self.session.request(case.method.upper(), self.api + path, data=body, headers=sent, timeout=60)
        except requests.RequestException as error:
            self.tally.failure("transport", route, type(error).__name__, f"{error}\n{self._current[1]}")
            return
        self._validate(case, response, headers, checks=RESPONSE_CHECKS)

    # --- generation --------------------------------------------------------------------------------

    def coverage_cases(self, route: str) -> Iterator[Any]:
        operation = self.operations[route]
        generation = self.schema.config.generation_for(operation=operation)
        return iter(
            CoverageGenerator(
                operation=operation,
                generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                generation_config=generation,
                auth_storage=None,
                as_strategy_kwargs={},
                feedback=FeedbackSources(),
            )
        )

    def strategy(self, route: str, mode: GenerationMode) -> st.SearchStrategy[Any]:
        operation = self.operations[route]
        donor = NEGATIVE_BODY_FROM.get(route)
        if mode is GenerationMode.POSITIVE or donor is None:
            return operation.as_strategy(generation_mode=mode)

        def transplant(pair: tuple[Any, Any]) -> Any:
            case, negative = pair
            case.body = negative.body
            return case

        # schemathesis finds no negative case for an operation whose path parameter is any string;
        # the body is where the negative cases matter, and the donor's body schema is the same.
        positive = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        return st.tuples(positive, self.operations[donor].as_strategy(generation_mode=mode)).map(transplant)

    def fuzz_batch(self, route: str, mode: GenerationMode, count: int, seed: int) -> int:
        """Up to ``count`` hypothesis cases; returns how many were sent (fewer once the space is exhausted)."""
        before = sum(self.tally.sources.get(route, {}).values())

        @hypothesis.seed(seed)
        @hypothesis.settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )
        @hypothesis.given(case=self.strategy(route, mode), rnd=st.randoms(use_true_random=False))
        def batch(case: Any, rnd: random.Random) -> None:
            self.send(route, case, rnd, f"fuzz-{mode.value}")

        try:
            batch()
        except Exception as error:  # generation itself failed: reported, not a finding about the API
            self.tally.generation_errors[f"{route} {mode.value}: {type(error).__name__}: {str(error)[:200]}"] += 1
            return 0
        return sum(self.tally.sources.get(route, {}).values()) - before

    def run(self) -> None:
        budgets = {route: max(1, round(self.options.requests * share)) for route, share in SHARES.items()}
        missing = set(budgets) - set(self.operations)
        if missing:
            raise AssertionError(f"the served document lacks {sorted(missing)}")
        extra = set(self.operations) - set(budgets)
        budgets.update({route: max(1, self.options.requests // 50) for route in extra})
        coverage = {route: self.coverage_cases(route) for route in budgets}
        rnd = random.Random(self.options.seed)
        exhausted: set[tuple[str, GenerationMode]] = set()
        for round_number in range(ROUNDS):
            for route, budget in budgets.items():
                share = budget * (round_number + 1) // ROUNDS
                self.run_share(route, share, budget, coverage[route], rnd, round_number, exhausted)
        # Requests the rounds fell short of (an exhausted space, e.g. GET /v1/openapi.json has no input).
        for route, budget in budgets.items():
            self.run_share(route, budget, budget, coverage[route], rnd, ROUNDS, exhausted)

    def sent(self, route: str, source: str = "") -> int:
        made = self.tally.sources.get(route, {})
        return sum(count for name, count in made.items() if name.startswith(source))

    def run_share(
        self,
        route: str,
        share: int,
        budget: int,
        coverage: Iterator[Any],
        rnd: random.Random,
        round_number: int,
        exhausted: set[tuple[str, GenerationMode]],
    ) -> None:
        coverage_cap = int(budget * COVERAGE_SHARE)
        while self.sent(route) < share and self.sent(route, "coverage") < coverage_cap:
            case = next(coverage, None)
            if case is None or time.monotonic() > self.deadline:
                break
            self.send(route, case, rnd, "coverage-" + case.meta.generation.mode.value if case.meta else "coverage")
        for attempt in itertools.count():
            if self.sent(route) >= share or time.monotonic() > self.deadline:
                return
            modes = [m for m in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if (route, m) not in exhausted]
            if not modes:
                # Nothing left to generate (no inputs): the same request again, to the route's share.
                case = self.operations[route].Case()
                self.send(route, case, rnd, "repeat")
                continue
            # Alternate: whichever mode has sent fewer so far goes next.
            mode = min(modes, key=lambda m: (self.sent(route, f"fuzz-{m.value}"), m.value))
            count = min(BATCH, share - self.sent(route))
            seed = self.options.seed * 1_000_003 + round_number * 10_007 + attempt
            if self.fuzz_batch(route, mode, count, seed) < min(count, 2):
                exhausted.add((route, mode))


# Negative bodies for PUT come from POST's generator (the same ninjs schema).
NEGATIVE_BODY_FROM = {"PUT /v1/articles/{article_id}": "POST /v1/articles"}
BODY_ROUTES = frozenset({"POST /v1/articles", "PUT /v1/articles/{article_id}", "POST /v1/events"})


def run_fuzz(options: FuzzOptions, on_progress: Callable[[str], None] | None = None) -> FuzzResult:
    """Start a local stack (no stream poller or timers: only the HTTP path), fuzz it, stop it."""
    started = time.monotonic()
    # The per-partner rate limit is off: the fuzzer checks what the API makes of each request, and a
    # 429 for its own pace would hide that (the limit has its own tests: test_partner_rate_limit.py).
    with LocalStack(state_file=None, background=False, parameter_overrides={"PartnerRateLimit": "0"}) as stack:
        fuzzer = Fuzzer(stack, options)
        fuzzer.run()
    seconds = time.monotonic() - started
    if on_progress is not None:
        on_progress(json.dumps(fuzzer.tally.figures(target=options.requests, seconds=seconds, seed=options.seed)))
    return FuzzResult(fuzzer.tally, seconds, options)

"""The traffic of ``make load``, and the model of what the API must accept from it.

Concurrent clients (threads, each with its own keep-alive HTTP connection) send what Newsdesk's
users send, interleaved so that articles and events advance at the same pace:

- partners' articles: new ninjs 2.2 stories (several partners, languages and sections), now and
  then a newer version of a story the same client sent before, an exact resend (a replay), and a
  story without a body (a 422 that must leave nothing behind);
- readers' views (no key, a browser's User-Agent), in requests of 1 to 50 events, with repeats,
  and now and then a view of an article that does not exist;
- the comment service's counts (the site key), absolute and growing.

The model is exact because nothing in it is left to a race the API does not promise to settle:

- a view counts once per visitor, article and UTC hour. Visitor ids belong to one client
  (``c{client}-v{n}``), so no two clients send the same visit, and every client predicts how many
  of a request's views the API accepts; the answer's ``accepted`` must say exactly that. An article
  has at most ``visitors_per_article`` visitors in all, below the per-address bound (issue 8: at
  least 50 distinct visitors per address, article and hour still count; every local client is
  127.0.0.1). No request is sent in the seconds around the turn of an hour, and one whose answer
  arrives in another hour than it left is reported;
- an article's comment counts and its new versions come only from the client that created it, so
  "the last count" and "the last version" are well defined.

Anything the model did not predict is a failure of the run.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from bench.support.articles import article_document, encode

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
COMMENT_SERVICE = "newsdesk-load comment service/1.0"
ARTICLES_ROUTE = "POST /v1/articles"
VIEWS_ROUTE = "POST /v1/events (views)"
COMMENTS_ROUTE = "POST /v1/events (comments)"
ROUTES = (ARTICLES_ROUTE, VIEWS_ROUTE, COMMENTS_ROUTE)
MAX_EVENTS_PER_REQUEST = 50
# No request leaves this close to the turn of a UTC hour: its views' hour would be a guess.
HOUR_GUARD_SECONDS = 5.0
MAX_RETRIES_AFTER_429 = 20
# What a subject says decides the section (shared/newsdesk/config/sections.json); None keeps the
# partner's own section.
SECTION_SUBJECTS = ("Авиация", "Космос", "Судостроение", "Экономика", "Оборонная промышленность", None)


@dataclass(frozen=True)
class LoadPlan:
    """How much to send, for how long, by how many clients."""

    articles: int
    events: int
    seconds: float
    clients: int = 6
    partners: int = 4
    visitors_per_article: int = 40
    update_share: float = 0.04
    replay_share: float = 0.02
    invalid_share: float = 0.01
    comment_share: float = 0.05
    unknown_article_share: float = 0.01
    seed: int = 8


@dataclass(frozen=True)
class PartnerKey:
    partner_id: str
    key: str
    language: str
    section: str


@dataclass
class ArticleState:
    """What one accepted article must look like afterwards."""

    article_id: str
    uri: str
    partner: PartnerKey
    owner: int  # the client that created it: the only one that updates it or sends its comments
    revision: int
    document: dict[str, Any]
    body: bytes
    version: int = 1


@dataclass
class RouteFigures:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


@dataclass
class Outcome:
    """Everything sent and answered, merged from every client."""

    started: float = 0.0
    finished: float = 0.0
    stopped_by: str = ""
    articles: dict[str, ArticleState] = field(default_factory=dict)
    posts: Counter[str] = field(default_factory=Counter)  # new, update, replay, invalid
    refused_articles: Counter[int] = field(default_factory=Counter)
    views_sent: int = 0
    views_accepted: int = 0
    comments_sent: int = 0
    comments_accepted: int = 0
    events_ignored: Counter[str] = field(default_factory=Counter)
    expected_views: Counter[tuple[str, str]] = field(default_factory=Counter)  # (article, hour) -> visits
    expected_comments: dict[tuple[str, str], int] = field(default_factory=dict)  # (article, hour) -> count
    routes: dict[str, RouteFigures] = field(default_factory=lambda: {route: RouteFigures() for route in ROUTES})
    throttled: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    # (seconds since start, articles accepted so far): how the rate holds up as the stack fills.
    progress: list[tuple[float, int]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)

    @property
    def events_sent(self) -> int:
        return self.views_sent + self.comments_sent


def utc_hour(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H")


def wait_out_hour_turn() -> None:
    """Sleep through the seconds around the turn of a UTC hour."""
    now = datetime.now(UTC)
    next_hour = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if (next_hour - now).total_seconds() < HOUR_GUARD_SECONDS:
        time.sleep((next_hour - now).total_seconds() + 1.0)


class Connection:
    """One client's keep-alive connection to the API."""

    def __init__(self, base_url: str) -> None:
        address = urlsplit(base_url)
        self._host = address.hostname or "127.0.0.1"
        self._port = address.port or 80
        self._connection: http.client.HTTPConnection | None = None

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self._host, self._port, timeout=120)
        try:
            self._connection.request("POST", path, body=body, headers={**headers, "Content-Type": "application/json"})
            response = self._connection.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
        if answer_headers.get("connection", "").lower() == "close":
            self.close()
        return response.status, answer_headers, data

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class LoadRun:
    """Runs the plan against an API with the given partner and site keys; ``run()`` returns the outcome."""

    def __init__(self, plan: LoadPlan, api_url: str, partners: list[PartnerKey], site_key: str, run_tag: str) -> None:
        if not partners:
            raise ValueError("the load needs at least one partner")
        self.plan = plan
        self.api_url = api_url
        self.partners = partners
        self.site_key = site_key
        self.run_tag = run_tag
        self.outcome = Outcome()
        self._lock = threading.Lock()
        self._new_articles = 0  # new stories handed out
        self._events = 0  # events handed out
        self._accepted_ids: list[str] = []
        self._deadline = 0.0
        self._stop = threading.Event()

    # --- scheduling ------------------------------------------------------------------------------

    def run(self, on_progress: Callable[[Outcome], None] | None = None) -> Outcome:
        self.outcome.started = time.perf_counter()
        self._deadline = self.outcome.started + self.plan.seconds
        threads = [
            threading.Thread(target=self._client, args=(number,), name=f"load-client-{number}", daemon=True)
            for number in range(self.plan.clients)
        ]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=2.0)
            with self._lock:
                self.outcome.progress.append((time.perf_counter() - self.outcome.started, len(self._accepted_ids)))
            if on_progress is not None:
                on_progress(self.outcome)
        self.outcome.finished = time.perf_counter()
        if not self.outcome.stopped_by:
            self.outcome.stopped_by = "count"
        return self.outcome

    def _next_task(self, rng: random.Random) -> tuple[str, int]:
        """("article", 0), ("views", n), ("comments", n) or ("stop", 0), keeping both kinds at one pace."""
        with self._lock:
            if self._stop.is_set():
                return "stop", 0
            if time.perf_counter() >= self._deadline:
                self.outcome.stopped_by = "time"
                self._stop.set()
                return "stop", 0
            articles_left = self._new_articles < self.plan.articles
            events_left = self._events < self.plan.events
            if not articles_left and not events_left:
                self._stop.set()
                return "stop", 0
            article_pace = self._new_articles / max(self.plan.articles, 1)
            event_pace = self._events / max(self.plan.events, 1)
            if articles_left and (not events_left or not self._accepted_ids or article_pace <= event_pace):
                self._new_articles += 1
                return "article", 0
            if not self._accepted_ids:
                return "wait", 0
            size = rng.randint(1, 10) if rng.random() < 0.7 else rng.randint(11, MAX_EVENTS_PER_REQUEST)
            size = min(size, self.plan.events - self._events)
            self._events += size
            return ("comments" if rng.random() < self.plan.comment_share else "views"), size

    def _client(self, number: int) -> None:
        rng = random.Random(self.plan.seed * 1000 + number)
        client = _Client(self, number, rng)
        try:
            while True:
                task, size = self._next_task(rng)
                if task == "stop":
                    return
                if task == "wait":
                    time.sleep(0.05)
                elif task == "article":
                    client.post_article()
                elif task == "views":
                    client.post_views(size)
                else:
                    client.post_comments(size)
        except Exception as error:  # a broken client is a failed run, never a silent one
            self.fail(f"client {number} stopped: {type(error).__name__}: {error}")
        finally:
            client.connection.close()
            client.merge_into(self)

    # --- shared state ----------------------------------------------------------------------------

    def fail(self, message: str) -> None:
        with self._lock:
            self.outcome.failures.append(message)

    def record(self, route: str, seconds: float, status: int) -> None:
        with self._lock:
            figures = self.outcome.routes[route]
            figures.latencies.append(seconds)
            figures.statuses[status] += 1

    def accepted_article(self, state: ArticleState, new: bool) -> None:
        with self._lock:
            self.outcome.articles[state.article_id] = state
            if new:
                self._accepted_ids.append(state.article_id)

    def pick_articles(self, rng: random.Random, count: int) -> list[str]:
        """Articles to read, mostly recent ones (as readers do)."""
        with self._lock:
            ids = self._accepted_ids
            picked = []
            for _ in range(count):
                recent = max(1, len(ids) // 10)
                index = len(ids) - 1 - rng.randrange(recent) if rng.random() < 0.6 else rng.randrange(len(ids))
                picked.append(ids[index])
            return picked


class _Client:
    """One concurrent client: its connection, its model of its own visits and comment counts."""

    def __init__(self, run: LoadRun, number: int, rng: random.Random) -> None:
        self.run = run
        self.number = number
        self.rng = rng
        self.connection = Connection(run.api_url)
        self.seen: set[tuple[str, str, str]] = set()  # (article, visitor, hour) counted
        self.visits: Counter[tuple[str, str]] = Counter()
        self.comments: dict[tuple[str, str], int] = {}
        self.comment_totals: dict[str, int] = {}
        self.sent = Counter[str]()
        self.ignored = Counter[str]()
        self.posts = Counter[str]()
        self.refused = Counter[int]()
        self.throttled = Counter[str]()
        self.own: list[ArticleState] = []
        self.serial = 0

    # --- HTTP ------------------------------------------------------------------------------------

    def exchange(
        self, route: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        """POST, retrying what the API throttled (429 with Retry-After) as a well-behaved client does."""
        for _ in range(MAX_RETRIES_AFTER_429 + 1):
            started = time.perf_counter()
            status, answer_headers, data = self.connection.post(path, body, headers)
            self.run.record(route, time.perf_counter() - started, status)
            if status != 429:
                return status, answer_headers, data
            self.throttled[route] += 1
            time.sleep(min(float(answer_headers.get("retry-after") or 1), 5.0))
        return status, answer_headers, data

    # --- articles --------------------------------------------------------------------------------

    def post_article(self) -> None:
        roll = self.rng.random()
        plan = self.run.plan
        if self.own and roll < plan.update_share:
            self._update(self.rng.choice(self.own))
        elif self.own and roll < plan.update_share + plan.replay_share:
            self._replay(self.rng.choice(self.own))
        elif roll < plan.update_share + plan.replay_share + plan.invalid_share:
            self._invalid()
        self._new()

    def _new(self) -> None:
        self.serial += 1
        partner = self.run.partners[(self.number + self.serial) % len(self.run.partners)]
        uri = f"urn:newsml:load.example:{self.run.run_tag}:c{self.number}:{self.serial:06d}"
        document = article_document(self.number * 1_000_000 + self.serial, uri)
        document["language"] = partner.language
        subject = self.rng.choice(SECTION_SUBJECTS)
        document["subjects"] = [{"name": subject, "relevance": 90}] if subject else []
        body = encode(document)
        answer = self._post_article(partner, body, "new", expect=(201,))
        if answer is not None:
            state = ArticleState(answer["id"], uri, partner, self.number, int(answer["revision"]), document, body)
            self.own.append(state)
            self.run.accepted_article(state, new=True)

    def _update(self, state: ArticleState) -> None:
        document = json.loads(state.body)
        version = state.version + 1
        document["version"] = str(version)
        created = datetime.fromisoformat(document["versioncreated"]) + timedelta(minutes=version)
        document["versioncreated"] = created.isoformat()
        document["headlines"][0]["value"] = f"{document['headlines'][0]['value']} (обновлено, версия {version})"
        body = encode(document)
        answer = self._post_article(state.partner, body, "update", expect=(200,))
        if answer is not None:
            if answer["id"] != state.article_id or int(answer["revision"]) != state.revision + 1:
                self.run.fail(
                    f"update of {state.article_id}: answered {answer}, expected revision {state.revision + 1}"
                )
            state.revision, state.version, state.body, state.document = int(answer["revision"]), version, body, document
            self.run.accepted_article(state, new=False)

    def _replay(self, state: ArticleState) -> None:
        answer = self._post_article(state.partner, state.body, "replay", expect=(200,))
        if answer is not None and (answer["id"] != state.article_id or int(answer["revision"]) != state.revision):
            self.run.fail(f"replay of {state.article_id}: answered {answer}, expected revision {state.revision}")

    def _invalid(self) -> None:
        self.serial += 1
        partner = self.run.partners[self.serial % len(self.run.partners)]
        uri = f"urn:newsml:load.example:{self.run.run_tag}:c{self.number}:invalid-{self.serial:06d}"
        document = article_document(self.serial, uri)
        del document["bodies"]
        self._post_article(partner, encode(document), "invalid", expect=(422,))

    def _post_article(
        self, partner: PartnerKey, body: bytes, kind: str, expect: tuple[int, ...]
    ) -> dict[str, Any] | None:
        """The answer's body when the article was accepted (201/200), else None."""
        headers = {"Authorization": f"Bearer {partner.key}"}
        try:
            status, _headers, data = self.exchange(ARTICLES_ROUTE, "/v1/articles", body, headers)
        except (OSError, http.client.HTTPException):
            # An article is safe to send again: the same bytes are a replay.
            status, _headers, data = self.exchange(ARTICLES_ROUTE, "/v1/articles", body, headers)
        self.posts[kind] += 1
        if status not in expect:
            self.run.fail(f"{kind} article: HTTP {status} (expected {expect}): {data[:300]!r}")
        if status in (200, 201):
            answer: dict[str, Any] = json.loads(data)
            return answer
        self.refused[status] += 1
        return None

    # --- events ----------------------------------------------------------------------------------

    def post_views(self, size: int) -> None:
        plan = self.run.plan
        # This client's visitors: every visitor number n with n % clients == this client.
        own_visitors = range(self.number, plan.visitors_per_article, plan.clients)
        if not own_visitors:
            raise ValueError("visitors_per_article must be at least the number of clients")
        articles = self.run.pick_articles(self.rng, size)
        events: list[dict[str, Any]] = []
        for article_id in articles:
            if self.rng.random() < plan.unknown_article_share:
                events.append({"type": "view", "article_id": f"a{self.rng.getrandbits(64):016x}", "visitor": "v"})
                continue
            visitor = f"c{self.number}-v{self.rng.choice(own_visitors)}"
            events.append({"type": "view", "article_id": article_id, "visitor": visitor})
        wait_out_hour_turn()
        hour = utc_hour()
        known = set(articles)
        new = {
            (event["article_id"], event["visitor"], hour)
            for event in events
            if event["article_id"] in known and (event["article_id"], event["visitor"], hour) not in self.seen
        }
        body = json.dumps({"events": events}).encode()
        status, _headers, data = self.exchange(VIEWS_ROUTE, "/v1/events", body, {"User-Agent": BROWSER})
        self.sent["views"] += len(events)
        answered_hour = utc_hour()
        if status != 202:
            self.run.fail(f"views: HTTP {status}: {data[:300]!r}")
            return
        answer = json.loads(data)
        if answered_hour != hour:
            self.run.fail(f"views: a request left in hour {hour} and was answered in {answered_hour}")
        if answer.get("accepted") != len(new):
            self.run.fail(f"views: {answer} but {len(new)} new visits were sent")
        self.ignored.update(answer.get("ignored_reasons") or {})
        self.sent["views_accepted"] += int(answer.get("accepted") or 0)
        self.seen |= new
        for article_id, _visitor, visit_hour in new:
            self.visits[(article_id, visit_hour)] += 1

    def post_comments(self, size: int) -> None:
        own = self.own
        if not own:
            self.post_views(size)
            return
        events: list[dict[str, Any]] = []
        for state in self.rng.sample(own, min(size, len(own))):
            count = self.comment_totals.get(state.article_id, 0) + self.rng.randint(0, 3)
            self.comment_totals[state.article_id] = count
            events.append({"type": "comments", "article_id": state.article_id, "count": count})
        wait_out_hour_turn()
        hour = utc_hour()
        body = json.dumps({"events": events}).encode()
        headers = {"Authorization": f"Bearer {self.run.site_key}", "User-Agent": COMMENT_SERVICE}
        status, _headers, data = self.exchange(COMMENTS_ROUTE, "/v1/events", body, headers)
        self.sent["comments"] += len(events)
        if status != 202:
            self.run.fail(f"comments: HTTP {status}: {data[:300]!r}")
            return
        answer = json.loads(data)
        if utc_hour() != hour:
            self.run.fail(f"comments: a request left in hour {hour} and was answered in another")
        if answer.get("accepted") != len(events):
            self.run.fail(f"comments: {answer} but {len(events)} counts were sent")
        self.ignored.update(answer.get("ignored_reasons") or {})
        self.sent["comments_accepted"] += int(answer.get("accepted") or 0)
        for event in events:
            self.comments[(event["article_id"], hour)] = event["count"]

    def merge_into(self, run: LoadRun) -> None:
        with run._lock:
            outcome = run.outcome
            outcome.views_sent += self.sent["views"]
            outcome.views_accepted += self.sent["views_accepted"]
            outcome.comments_sent += self.sent["comments"]
            outcome.comments_accepted += self.sent["comments_accepted"]
            outcome.events_ignored.update(self.ignored)
            outcome.expected_views.update(self.visits)
            outcome.expected_comments.update(self.comments)
            outcome.posts.update(self.posts)
            outcome.refused_articles.update(self.refused)
            outcome.throttled.update(self.throttled)


def visits_by_article(expected: Counter[tuple[str, str]]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for (article_id, _hour), count in expected.items():
        totals[article_id] += count
    return dict(totals)

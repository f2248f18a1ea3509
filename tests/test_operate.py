"""Issue 10's operator commands (`newsdesk rebuild`, `takedown`, ...) against moto, built once per module."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ingest.service import IngestService
from newsdesk.dal.archive import Archive
from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.partners import PartnerStore
from newsdesk.partners import Principal
from newsdesk.snapshots import tombstone_snapshot
from newsdesk_ops.cli import main
from newsdesk_ops.commands.redrive import Redriver, RedriveReport
from newsdesk_ops.commands.status import NOT_EMULATED, firing_alarms, queue_depths
from newsdesk_ops.commands.submit import ninjs_files, submit_files
from newsdesk_ops.commands.trending_settings import trending_settings
from newsdesk_ops.rebuild import rebuild_from_archive
from newsdesk_ops.target import Target
from newsdesk_ops.template import load_template
from tests.conftest import api_event, load_ninjs
from tests.handler.stream import streams_client

pytestmark = pytest.mark.handler


class LocalOnMoto(Target):
    """A target that says it is the local stack, with clients of the in-process moto (no endpoint is called)."""

    def _client(self, service_name: str) -> Any:
        return boto3.client(service_name, region_name=self.region)  # type: ignore[call-overload]


@pytest.fixture
def principal(target: Target) -> Principal:
    store = PartnerStore(target.table_name, target.dynamodb_client())
    _, secret = store.add_partner("Oboronka Daily", "ru", "defence-industry")
    resolved = store.resolve(secret)
    assert resolved is not None
    return resolved


def service(target: Target) -> IngestService:
    return IngestService(
        store=ArticleStore(target.table_name, client=target.dynamodb_client()),
        archive=Archive(target.archive_bucket, client=target.s3_client()),
    )


def post(target: Target, principal: Principal, document: dict[str, Any]) -> str:
    raw = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return service(target).submit(raw, principal, request_id="test").record.article_id


def article_items(target: Target) -> dict[tuple[str, str], dict[str, Any]]:
    pages = target.dynamodb_client().get_paginator("scan").paginate(TableName=target.table_name)
    return {
        (item["PK"]["S"], item["SK"]["S"]): item
        for page in pages
        for item in page["Items"]
        if item["PK"]["S"].startswith("ARTICLE#")
        and (item["SK"]["S"] == "CURRENT" or item["SK"]["S"].startswith("REV#"))
    }


def comparable(item: dict[str, Any]) -> dict[str, Any]:
    # Not in the archive: who asked (request ids); received_at is the archive object's time, to the second.
    return {name: value for name, value in item.items() if name not in ("request_id", "received_at")}


def received_at(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["received_at"]["S"].replace("Z", "+00:00"))


def newsroom(target: Target, principal: Principal) -> dict[str, str]:
    """Three stories: one with three revisions, one retracted by its partner, one withheld."""
    document = load_ninjs("ru_defence_industry.json")
    updated = document | {"version": "4", "versioncreated": "2026-11-25T10:00:00+03:00", "headline": "Обновлено"}
    third = updated | {"version": "5", "versioncreated": "2026-11-25T11:00:00+03:00", "headline": "Снова обновлено"}
    ids = {"revised": post(target, principal, document)}
    post(target, principal, updated)
    post(target, principal, third)
    ids["retracted"] = post(target, principal, load_ninjs("en_agency.json"))
    service(target).retract(ids["retracted"], principal, request_id="test-delete")
    withheld = load_ninjs("de_regional.json") | {"pubstatus": "withheld"}
    ids["withheld"] = post(target, principal, withheld)
    return ids


def delete_article_items(target: Target) -> None:
    client = target.dynamodb_client()
    for pk, sk in article_items(target):
        client.delete_item(TableName=target.table_name, Key={"PK": {"S": pk}, "SK": {"S": sk}})


def test_rebuild_from_archive_restores_every_record_of_an_emptied_table(
    target: Target, principal: Principal, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given
    ids = newsroom(target, principal)
    before = article_items(target)
    assert len(before) == 3 + 3 + 2 + 1  # CURRENT items and revision items
    delete_article_items(target)

    # When: a dry run first, then the rebuild
    code = main(["rebuild", "--from-archive", "--dry-run"], target=target)
    dry = capsys.readouterr().out
    assert article_items(target) == {}
    assert code == 0
    assert "would write 3 current records" in dry
    code = main(["rebuild", "--from-archive"], target=target)
    out = capsys.readouterr().out

    # Then
    after = article_items(target)
    assert code == 0, out
    assert "wrote 3 current records" in out
    assert sorted(after) == sorted(before)
    for key, item in before.items():
        assert comparable(after[key]) == comparable(item), key
        assert abs(received_at(after[key]) - received_at(item)) <= timedelta(seconds=2)
    store = ArticleStore(target.table_name, client=target.dynamodb_client())
    statuses = {name: store.get(article_id).status.value for name, article_id in ids.items()}  # type: ignore[union-attr]
    assert statuses == {"revised": "published", "retracted": "retracted", "withheld": "withheld"}
    assert [record.article_id for record in store.newest("LatestIndex", "LATEST", 10)] == [ids["revised"]]


def test_rebuild_twice_changes_nothing_and_never_puts_back_an_older_state(target: Target, principal: Principal) -> None:
    # Given: the table is intact and newer than nothing in the archive
    newsroom(target, principal)
    before = article_items(target)

    # When
    report = rebuild_from_archive(target)

    # Then
    assert (report.articles, report.written, report.unchanged) == (3, 0, 3)
    assert article_items(target) == before


def test_rebuild_applies_an_expiry_that_passed_meanwhile(target: Target, principal: Principal) -> None:
    # Given: a story that expires after it was posted, and a table that lost it
    expires = datetime.now(UTC) + timedelta(hours=1)
    article_id = post(target, principal, load_ninjs("ru_defence_industry.json") | {"expires": expires.isoformat()})
    delete_article_items(target)

    # When: rebuilt after its expiry time
    report = rebuild_from_archive(target, now=expires + timedelta(minutes=1))

    # Then: it is down, as the expiry timer would have left it
    record = ArticleStore(target.table_name, client=target.dynamodb_client()).get(article_id)
    assert report.statuses == {"retracted": 1}
    assert record is not None and (record.status.value, record.retraction_reason, record.revision) == (
        "retracted",
        "expired",
        2,
    )


# --- takedown ----------------------------------------------------------------------------------


def test_takedown_retracts_with_the_operators_reason_and_survives_a_rebuild(
    target: Target, principal: Principal, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given
    article_id = post(target, principal, load_ninjs("ru_defence_industry.json"))

    # When
    code = main(["takedown", article_id, "--reason", "Court order <b>42</b>"], target=target)
    out = capsys.readouterr().out
    again = main(["takedown", article_id, "--reason", "twice"], target=target)
    out_again = capsys.readouterr().out

    # Then: a new revision, retracted by the operator, whose tombstone says why
    store = ArticleStore(target.table_name, client=target.dynamodb_client())
    record = store.get(article_id)
    assert (code, again) == (0, 0), out
    assert record is not None
    assert (record.revision, record.status.value, record.retraction_reason, record.retraction_note) == (
        2,
        "retracted",
        "operator",
        "Court order 42",
    )
    assert "already taken down (operator: Court order 42)" in out_again
    tombstone = tombstone_snapshot(record)
    assert (tombstone.reason, tombstone.note) == ("operator", "Court order 42")
    # ...and a table rebuilt from the archive keeps it down, for the same reason
    delete_article_items(target)
    rebuild_from_archive(target)
    rebuilt = store.get(article_id)
    assert rebuilt is not None and (rebuilt.status.value, rebuilt.retraction_note) == ("retracted", "Court order 42")


def test_takedown_of_an_unknown_article_is_an_error(target: Target, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["takedown", "a" + "b" * 24, "--reason", "x"], target=target)
    assert code == 1
    assert "No article" in capsys.readouterr().err


# --- partners disable | enable | remove ----------------------------------------------------------


def test_a_disabled_partner_is_refused_until_enabled_and_a_removed_one_for_good(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: a partner with two keys and an article
    store = PartnerStore(target.table_name, target.dynamodb_client())
    _, first = store.add_partner("Regional Gazette", "de", "news")
    _, second = store.add_key("regional-gazette")
    principal = store.resolve(first)
    assert principal is not None
    article_id = post(target, principal, load_ninjs("de_regional.json"))

    # When disabled: neither key resolves (the authorizer's answer is anonymous: 401), no new key is issued
    assert main(["partners", "disable", "regional-gazette"], target=target) == 0
    assert (store.resolve(first), store.resolve(second)) == (None, None)
    assert main(["partners", "add-key", "regional-gazette"], target=target) == 1
    assert "disabled" in capsys.readouterr().err
    main(["partners", "list"], target=target)
    assert "disabled" in capsys.readouterr().out.splitlines()[1]

    # When enabled again: both work
    assert main(["partners", "enable", "regional-gazette"], target=target) == 0
    assert store.resolve(first) == principal and store.resolve(second) is not None

    # When removed: keys and partner are gone, the article stays
    assert main(["partners", "remove", "regional-gazette"], target=target) == 0
    assert "--yes" in capsys.readouterr().out and store.resolve(first) is not None
    assert main(["partners", "remove", "regional-gazette", "--yes"], target=target) == 0
    assert (store.resolve(first), store.resolve(second), store.get_partner("regional-gazette")) == (None, None, None)
    assert ArticleStore(target.table_name, client=target.dynamodb_client()).get(article_id) is not None
    assert main(["partners", "disable", "regional-gazette"], target=target) == 1
    assert "No partner" in capsys.readouterr().err


# --- status ------------------------------------------------------------------------------------


def test_status_counts_articles_by_status_and_says_what_the_local_stack_does_not_emulate(
    target: Target, principal: Principal, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given
    newsroom(target, principal)
    local = LocalOnMoto(
        target.table_name, target.archive_bucket, target.snapshot_bucket, "http://127.0.0.1:1", "eu-west-1", "local"
    )

    # When
    code = main(["status"], target=local)
    out = capsys.readouterr().out

    # Then
    assert code == 0, out
    assert "Articles: 3 (1 published, 1 retracted, 1 withheld)" in out
    assert "Last publish: never" in out
    assert "Last trending change: never" in out
    # The local queues are found by the stack's name, which this target does not give
    # (tests/http/test_local_dead_letters.py: the depths on a running local stack)
    assert "Dead letters: no queues" in out and f"Alarms firing: {NOT_EMULATED}" in out


def test_status_reads_dead_letter_depth_and_firing_alarms(target: Target) -> None:
    sqs, cloudwatch = boto3.client("sqs", region_name="eu-west-1"), boto3.client("cloudwatch", region_name="eu-west-1")
    dead = sqs.create_queue(QueueName="newsdesk-PublishDeadLetterQueue")["QueueUrl"]
    other = sqs.create_queue(QueueName="newsdesk-Work")["QueueUrl"]
    sqs.send_message(QueueUrl=dead, MessageBody="{}")
    sqs.send_message(QueueUrl=dead, MessageBody="{}")
    for name in ("newsdesk-dlq", "newsdesk-quiet"):
        cloudwatch.put_metric_alarm(
            AlarmName=name,
            MetricName="X",
            Namespace="N",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=0,
            ComparisonOperator="GreaterThanThreshold",
        )
    cloudwatch.set_alarm_state(AlarmName="newsdesk-dlq", StateValue="ALARM", StateReason="test")

    assert queue_depths(sqs, {"PublishDeadLetterQueue": dead, "WorkQueue": other}) == {"PublishDeadLetterQueue": 2}
    assert firing_alarms(cloudwatch, ["newsdesk-dlq", "newsdesk-quiet"]) == ["newsdesk-dlq"]


# --- submit ------------------------------------------------------------------------------------


def test_submit_posts_files_and_sums_up_accepted_updated_replayed_and_refused(
    stack: Any, make_partner: Any, lambda_context: Any, tmp_path: Path
) -> None:
    # Given: a directory of a new story, its update, the same update again, and two bad files
    from ingest.app import handler

    partner = make_partner()
    document = load_ninjs("ru_defence_industry.json")
    (tmp_path / "a-new.json").write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "b-update.json").write_text(
        json.dumps(document | {"version": "9", "headline": "Новое"}), encoding="utf-8"
    )
    (tmp_path / "c-again.json").write_text(
        json.dumps(document | {"version": "9", "headline": "Новое"}), encoding="utf-8"
    )
    (tmp_path / "d-broken.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "e-no-headline.json").write_text(json.dumps({"uri": "urn:x", "bodies": []}), encoding="utf-8")
    sent: list[str] = []

    def send(url: str, key: str, body: bytes) -> tuple[int, Any]:
        sent.append(url)
        assert key == partner.key
        event = api_event(
            "POST", "/v1/articles", body=body, headers={"content-type": "application/json"}, authorizer=partner.context
        )
        result = handler(event, lambda_context)
        return result["statusCode"], json.loads(result["body"])

    # When
    report = submit_files(list(ninjs_files([tmp_path])), "https://api.example/", partner.key, send=send)

    # Then
    assert sent == ["https://api.example/v1/articles"] * 5
    assert [Path(name).name for name in report.accepted] == ["a-new.json"]
    assert [Path(name).name for name in report.updated] == ["b-update.json"]
    assert [Path(name).name for name in report.replayed] == ["c-again.json"]
    refused = {Path(name).name: reason for name, reason in report.refused.items()}
    assert sorted(refused) == ["d-broken.json", "e-no-headline.json"]
    assert refused["d-broken.json"].startswith("400 ")
    assert refused["e-no-headline.json"].startswith("422 ") and "/headlines" in refused["e-no-headline.json"]


# --- redrive -----------------------------------------------------------------------------------


def test_redrive_replays_a_failed_stream_batch_and_reports_one_that_is_gone(
    target: Target, principal: Principal
) -> None:
    # Given: a dead letter naming the stream positions of a batch (Lambda's OnFailure record), and one of a lost shard
    article_id = post(target, principal, load_ninjs("ru_defence_industry.json"))
    stream_arn = target.dynamodb_client().describe_table(TableName=target.table_name)["Table"]["LatestStreamArn"]
    streams = streams_client()
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
    function = "arn:aws:lambda:eu-west-1:123456789012:function:newsdesk-PublishFunction-X"

    def letter(shard_id: str) -> str:
        info = {
            "shardId": shard_id,
            "startSequenceNumber": numbers[0],
            "endSequenceNumber": numbers[-1],
            "streamArn": stream_arn,
        }
        return json.dumps({"requestContext": {"functionArn": function}, "DDBStreamBatchInfo": info})

    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="newsdesk-PublishDeadLetterQueue")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=letter(shard))
    sqs.send_message(QueueUrl=queue, MessageBody=letter("shardId-00000000000000000000-gone"))
    invoked: list[tuple[str, dict[str, Any]]] = []
    only_current = ({"dynamodb": {"Keys": {"SK": {"S": ["CURRENT"]}}}},)

    def invoke(name: str, event: dict[str, Any]) -> tuple[bool, str]:
        invoked.append((name, event))
        return True, ""

    class TrimmedShard:
        """The stream as AWS answers for records past its 24 hours (moto cannot age records)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(streams, name)

        def get_shard_iterator(self, **request: Any) -> Any:
            if request["ShardId"].endswith("-gone"):
                raise ClientError(
                    {"Error": {"Code": "TrimmedDataAccessException", "Message": "trimmed"}}, "GetShardIterator"
                )
            return streams.get_shard_iterator(**request)

    # When
    report = RedriveReport()
    Redriver(sqs, TrimmedShard(), invoke, {"newsdesk-PublishFunction-X": only_current}).drain(
        "PublishDeadLetterQueue", queue, report
    )

    # Then: the readable batch went to the function, filtered as its event source mapping filters
    assert (report.replayed, report.unreadable, report.failed) == (1, 1, 0)
    assert [name for name, _ in invoked] == ["newsdesk-PublishFunction-X"]  # by name, in the operator's account
    delivered = invoked[0][1]["Records"]
    assert [record["dynamodb"]["Keys"]["PK"]["S"] for record in delivered] == [f"ARTICLE#{article_id}"]
    assert "publish --all" in report.notes[0]
    # ...and only the replayed letter left the queue
    left = sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )
    assert sum(int(value) for value in left["Attributes"].values()) == 1


# --- trending run with the stack's own parameters -------------------------------------------------


def test_trending_run_takes_the_template_defaults_locally_and_options_override(
    target: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["trending", "run", "--min-count", "7"], target=target)
    out = capsys.readouterr().out
    template = load_template()["Parameters"]
    assert code == 0, out
    assert "Settings from template.yaml's parameter defaults" in out
    assert f"window {template['TrendingWindowHours']['Default']} h, min count 7" in out


def test_trending_settings_of_a_stack_are_its_functions_environment(
    target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: the stack's TrendingFunction, deployed with other than the defaults
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="trending", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    boto3.client("lambda", region_name=target.region).create_function(
        FunctionName="nd-trending",
        Runtime="python3.13",
        Role=role,
        Handler="trending.app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        Environment={
            "Variables": {"TRENDING_WINDOW_HOURS": "12", "TRENDING_MIN_COUNT": "9", "RECENT_DISCUSSION_HOURS": "6"}
        },
    )
    monkeypatch.setattr(
        "newsdesk_ops.commands.trending_settings.stack_resources",
        lambda stack, region: {"AWS::Lambda::Function": {"TrendingFunction": "nd-trending"}},
    )

    # When
    settings, source = trending_settings(target, "newsdesk", {"trending_min_count": None})

    # Then
    assert "nd-trending" in source
    assert (settings.trending_window_hours, settings.trending_min_count, settings.table_name) == (
        12,
        9,
        target.table_name,
    )


def test_the_partner_reads_an_operators_takedown_as_the_contract_says(
    stack: Any, make_partner: Any, lambda_context: Any
) -> None:
    # The contract fixture (tests/conftest.py) checks the response against the OpenAPI document.
    from ingest.app import handler

    partner = make_partner()
    target = Target(stack.table_name, stack.archive_bucket, stack.environment["SNAPSHOT_BUCKET"], None, "eu-west-1")
    principal = PartnerStore(stack.table_name).resolve(partner.key)
    assert principal is not None
    article_id = post(target, principal, load_ninjs("ru_defence_industry.json"))
    assert main(["takedown", article_id, "--reason", "Court order"], target=target) == 0

    event = api_event(
        "GET",
        f"/v1/articles/{article_id}",
        authorizer=partner.context,
        route="/v1/articles/{article_id}",
        path_parameters={"article_id": article_id},
    )
    result = handler(event, lambda_context)

    assert result["statusCode"] == 200
    assert json.loads(result["body"])["retraction_reason"] == "operator"

"""Issue 10's operator commands with ``--stack NAME``, against template.yaml's stack on moto's CloudFormation.

tests/test_operate.py hands the commands a Target built by hand; here every command runs as an operator
types it, ``newsdesk --stack newsdesk-operate --region eu-west-1 ...``, so the CLI finds the table, the
buckets, the queues and the functions itself, from the stack's outputs and resources. The stack is created
once per module the way ``make deploy-check`` creates it (newsdesk_ops.deploy_check: samtranslator's SAM
transform, the types moto cannot create left out and references to them stood in for), with two trending
parameters other than their defaults, so that ``trending run`` can be seen to take the stack's values.

Where moto falls short, and what this module does about it:
- The table's event source mappings are left out of the stack: moto hands every table write at once to
  the mapped functions (in docker) and then drops those records from the stream shard, which is where
  ``redrive`` reads a failed batch again.
- Lambda runs without docker (moto's "simple" Lambda: an invocation answers with its own event).
- DynamoDB Streams: in-process moto does not recognise botocore's account-based endpoint
  (AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled; tests/handler/stream.py does the same per client).
- No CloudWatch alarms and no HTTP API: moto does not create those types, so ``status`` lists no alarm
  and the stack's ApiUrl output is a stand-in; ``submit`` gets the local gateway's URL (``--api-url``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.engagement import CounterStore
from newsdesk.dal.partners import PartnerStore
from newsdesk.engagement import ViewIncrement, hour_bucket
from newsdesk.partners import Principal
from newsdesk.retractions import marker_of
from newsdesk_ops import deploy_check
from newsdesk_ops.cli import main
from newsdesk_ops.commands import redrive
from newsdesk_ops.commands.status import stack_resources
from newsdesk_ops.gateway import LocalGateway
from newsdesk_ops.target import Target, resolve_target
from newsdesk_ops.template import load_template
from tests.conftest import forget_process_state, load_event, load_ninjs, use_test_environment
from tests.handler.stream import streams_client
from tests.test_deploy_check import as_if_packaged, needs_translator, upload_code
from tests.test_operate import article_items, comparable, delete_article_items, newsroom, post

pytestmark = [pytest.mark.handler, needs_translator]

STACK = "newsdesk-operate"
REGION = deploy_check.REGION
ON_STACK = ["--stack", STACK, "--region", REGION]
# Given at create time; template.yaml's defaults are 48 hours and 3.
STACK_PARAMETERS = {"TrendingWindowHours": "12", "TrendingMinCount": "9"}
EVENT_SOURCE_MAPPING = "AWS::Lambda::EventSourceMapping"


@dataclass(frozen=True)
class Deployed:
    """The stack on moto: the target `--stack` resolves to, and its resources (type -> logical id -> physical id)."""

    target: Target
    resources: dict[str, dict[str, str]]

    def function(self, logical_id: str) -> dict[str, Any]:
        name = self.resources["AWS::Lambda::Function"][logical_id]
        configuration: dict[str, Any] = boto3.client("lambda", region_name=REGION).get_function_configuration(
            FunctionName=name
        )
        return configuration

    def queue(self, logical_id: str) -> str:
        return self.resources["AWS::SQS::Queue"][logical_id]

    def dead_letters(self) -> dict[str, int]:
        """Logical id -> messages in it, visible or not, of each dead-letter queue."""
        sqs = boto3.client("sqs", region_name=REGION)
        depths: dict[str, int] = {}
        for name, url in self.resources["AWS::SQS::Queue"].items():
            if "DeadLetter" in name:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
                )["Attributes"]
                depths[name] = sum(int(value) for value in attributes.values())
        return depths


@pytest.fixture(scope="module")
def _created() -> Iterator[Deployed]:
    _, parameters = deploy_check.deploy_parameters("dev")
    parameters |= STACK_PARAMETERS
    translated, _ = deploy_check.translate(as_if_packaged(), parameters)
    resources = translated["Resources"]
    translated["Resources"] = {name: r for name, r in resources.items() if r["Type"] != EVENT_SOURCE_MAPPING}
    assert len(translated["Resources"]) < len(resources), "template.yaml has no stream event source left"
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws(config={"lambda": {"use_docker": False}}):
        use_test_environment(monkeypatch)
        monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
        # Each test empties the queues it used; AWS (and moto by default) allows one purge a minute.
        monkeypatch.setenv("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
        upload_code()
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        report = deploy_check.create_stack(cloudformation, STACK, translated, parameters)
        assert (report.status, report.errors) == ("CREATE_COMPLETE", [])
        yield Deployed(resolve_target(STACK, region=REGION), stack_resources(STACK, REGION))


@pytest.fixture
def deployed(_created: Deployed, aws_env: None) -> Iterator[Deployed]:
    yield _created
    # Also after a failed test: the next one starts from the stack as created.
    empty(_created)


def empty(deployed: Deployed) -> None:
    target = deployed.target
    dynamodb, s3, sqs = target.dynamodb_client(), target.s3_client(), boto3.client("sqs", region_name=REGION)
    for page in dynamodb.get_paginator("scan").paginate(TableName=target.table_name):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=target.table_name, Key={"PK": item["PK"], "SK": item["SK"]})
    for bucket in deployed.resources["AWS::S3::Bucket"].values():
        for listing in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for entry in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]:
                s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])
    for url in deployed.resources["AWS::SQS::Queue"].values():
        sqs.purge_queue(QueueUrl=url)


def newsdesk(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``newsdesk --stack STACK --region eu-west-1 ARGV...``: exit code, stdout, stderr."""
    code = main([*ON_STACK, *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def partner(target: Target, name: str = "Oboronka Daily") -> tuple[Principal, str]:
    store = PartnerStore(target.table_name, target.dynamodb_client())
    _, secret = store.add_partner(name, "ru", "defence-industry")
    principal = store.resolve(secret)
    assert principal is not None
    return principal, secret


# --- the target ------------------------------------------------------------------------------------


def test_the_stack_resolves_to_its_own_table_and_buckets(deployed: Deployed) -> None:
    target = deployed.target
    assert (target.table_name, target.archive_bucket, target.snapshot_bucket) == (
        deployed.resources["AWS::DynamoDB::Table"]["Table"],
        deployed.resources["AWS::S3::Bucket"]["ArchiveBucket"],
        deployed.resources["AWS::S3::Bucket"]["SnapshotBucket"],
    )
    assert (target.is_local, target.region, target.description) == (False, REGION, f"stack {STACK}")


def test_a_stack_that_does_not_exist_is_a_clear_error(deployed: Deployed, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--stack", "no-such-stack", "--region", REGION, "status"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("newsdesk: error: Cannot read stack 'no-such-stack'") and "Traceback" not in err


# --- status ------------------------------------------------------------------------------------------


def test_status_counts_the_stacks_articles_and_its_dead_letters(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: three stories, and a dead letter in the stack's publish queue
    principal, _ = partner(deployed.target)
    newsroom(deployed.target, principal)
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=deployed.queue("PublishDeadLetterQueue"), MessageBody="{}")

    # When
    code, out, _ = newsdesk(capsys, "status")

    # Then: a dead letter waiting is worth exit status 1
    assert code == 1, out
    assert f"Newsdesk: stack {STACK}\n" in out
    assert "Articles: 3 (1 published, 1 retracted, 1 withheld)" in out
    assert "Last publish: never (no v1/manifest.json)" in out
    assert (
        "Dead letters: MediaDeadLetterQueue 0, PublishDeadLetterQueue 1, ScheduleDeadLetterQueue 0, "
        "ViewCounterDeadLetterQueue 0" in out
    )
    # moto creates none of the template's CloudWatch alarms: there is none to fire.
    assert "AWS::CloudWatch::Alarm" not in deployed.resources
    assert "Alarms firing: none" in out
    assert "Dead letters are waiting" in out

    # When: the snapshots are written to the stack's snapshot bucket
    code, published, _ = newsdesk(capsys, "publish", "--all")
    manifest = deployed.target.s3_client().get_object(Bucket=deployed.target.snapshot_bucket, Key="v1/manifest.json")
    _, out, _ = newsdesk(capsys, "status")

    # Then: status reads the manifest's time
    assert code == 0, published
    assert f"Last publish: manifest generated at {json.loads(manifest['Body'].read())['generated_at']}\n" in out


# --- partners add | disable | enable | remove --------------------------------------------------------


def test_partners_are_added_disabled_enabled_and_removed_in_the_stacks_table(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    store = PartnerStore(deployed.target.table_name, deployed.target.dynamodb_client())

    # add: the key printed once is the one the stack's table resolves
    code, out, _ = newsdesk(capsys, "partners", "add", "Regional Gazette", "--language", "de", "--section", "news")
    assert code == 0, out
    assert out.startswith("Added partner regional-gazette (Regional Gazette), language de, section news.")
    secret = out.splitlines()[2]
    principal = store.resolve(secret)
    assert principal is not None and principal.partner_id == "regional-gazette"

    # disable: the key is refused
    code, out, _ = newsdesk(capsys, "partners", "disable", "regional-gazette")
    assert code == 0
    assert "Partner regional-gazette is disabled: its 1 active keys are refused (401)" in out
    assert store.resolve(secret) is None
    code, out, _ = newsdesk(capsys, "partners", "list")
    assert out.splitlines()[1].split()[0] == "regional-gazette" and out.splitlines()[1].endswith("disabled")

    # enable: it works again
    code, out, _ = newsdesk(capsys, "partners", "enable", "regional-gazette")
    assert code == 0 and "is enabled: its 1 active keys work again" in out
    assert store.resolve(secret) == principal

    # remove: without --yes nothing goes; with it partner and keys are gone
    code, out, _ = newsdesk(capsys, "partners", "remove", "regional-gazette")
    assert code == 0 and "Would remove partner regional-gazette and its 1 keys" in out
    assert store.get_partner("regional-gazette") is not None
    code, out, _ = newsdesk(capsys, "partners", "remove", "regional-gazette", "--yes")
    assert code == 0 and "Removed partner regional-gazette and its 1 keys" in out
    assert (store.get_partner("regional-gazette"), store.resolve(secret)) == (None, None)
    code, _, err = newsdesk(capsys, "partners", "enable", "regional-gazette")
    assert code == 1 and "No partner" in err


# --- takedown ----------------------------------------------------------------------------------------


def test_takedown_retracts_an_article_of_the_stack_and_archives_why(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: a story posted through the ingest service, into the stack's table and archive
    target = deployed.target
    principal, _ = partner(target)
    article_id = post(target, principal, load_ninjs("ru_defence_industry.json"))

    # When
    code, out, _ = newsdesk(capsys, "takedown", article_id, "--reason", "Court order 42")

    # Then: a new revision, retracted by the operator, and its marker in the stack's archive bucket
    assert code == 0, out
    assert f"Article {article_id} (" in out and "is taken down at revision 2: Court order 42." in out
    record = ArticleStore(target.table_name, client=target.dynamodb_client()).get(article_id)
    assert record is not None
    assert (record.revision, record.status.value, record.retraction_reason, record.retraction_note) == (
        2,
        "retracted",
        "operator",
        "Court order 42",
    )
    key, _ = marker_of(record)
    marker = json.loads(target.s3_client().get_object(Bucket=target.archive_bucket, Key=key)["Body"].read())
    assert (marker["reason"], marker["note"], marker["revision"]) == ("operator", "Court order 42", 2)
    code, out, _ = newsdesk(capsys, "takedown", article_id, "--reason", "again")
    assert code == 0 and "already taken down (operator: Court order 42); nothing changed" in out


# --- rebuild --from-archive ----------------------------------------------------------------------------


def test_rebuild_from_the_stacks_archive_restores_its_emptied_table(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: three stories in the stack, then a table that lost every article record
    target = deployed.target
    principal, _ = partner(target)
    newsroom(target, principal)
    before = article_items(target)
    delete_article_items(target)

    # When: a dry run, then the rebuild
    code, dry, _ = newsdesk(capsys, "rebuild", "--from-archive", "--dry-run")
    after_dry_run = article_items(target)
    code_rebuild, out, _ = newsdesk(capsys, "rebuild", "--from-archive")

    # Then
    assert (code, code_rebuild) == (0, 0), dry + out
    assert f"Rebuilding the article records of stack {STACK} from s3://{target.archive_bucket}." in dry
    assert "would write 3 current records" in dry and "Dry run: nothing written." in dry
    assert after_dry_run == {}
    assert "wrote 3 current records" in out and "Next: newsdesk publish --all" in out
    after = article_items(target)
    assert sorted(after) == sorted(before)
    assert all(comparable(after[key]) == comparable(item) for key, item in before.items())


# --- redrive -----------------------------------------------------------------------------------------


def stream_records(deployed: Deployed) -> tuple[str, str, list[dict[str, Any]]]:
    """The stack table's stream ARN, its shard, and every record in it (moto keeps one shard)."""
    table = deployed.target.dynamodb_client().describe_table(TableName=deployed.target.table_name)["Table"]
    stream_arn = table["LatestStreamArn"]
    streams = streams_client(REGION)
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=1000)["Records"]
    assert len(records) < 1000, "the shard holds more than one read"
    return stream_arn, shard, records


def failed_stream_batch(deployed: Deployed, article_id: str, earlier: int) -> dict[str, Any]:
    """Lambda's OnFailure record of a publish batch of the records after the first ``earlier`` that hold ``article_id``.

    (Other tests wrote and deleted the same article before: its id derives from the partner and the story.)
    """
    stream_arn, shard, records = stream_records(deployed)
    numbers = [
        record["dynamodb"]["SequenceNumber"]
        for record in records[earlier:]
        if record["dynamodb"]["Keys"]["PK"]["S"] == f"ARTICLE#{article_id}"
    ]
    assert numbers, "the stack's stream holds none of the article's records"
    return {
        "version": "1.0",
        "requestContext": {
            "functionArn": deployed.function("PublishFunction")["FunctionArn"],
            "condition": "RetryAttemptsExhausted",
        },
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": numbers[0],
            "endSequenceNumber": numbers[-1],
            "batchSize": len(numbers),
            "streamArn": stream_arn,
        },
    }


def failed_timer_run(deployed: Deployed) -> dict[str, Any]:
    """Lambda's OnFailure record of an asynchronous trending timer run."""
    return {
        "version": "1.0",
        "requestContext": {
            "functionArn": deployed.function("TrendingFunction")["FunctionArn"] + ":$LATEST",
            "condition": "RetriesExhausted",
        },
        "requestPayload": load_event("scheduled_event.json"),
    }


def test_redrive_replays_the_dead_letters_of_the_stacks_queues_to_its_functions(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: a publish batch that failed on a story, and a trending timer run that failed
    principal, _ = partner(deployed.target)
    earlier = len(stream_records(deployed)[2])
    article_id = post(deployed.target, principal, load_ninjs("ru_defence_industry.json"))
    sqs = boto3.client("sqs", region_name=REGION)
    batch, timer = failed_stream_batch(deployed, article_id, earlier), failed_timer_run(deployed)
    sqs.send_message(QueueUrl=deployed.queue("PublishDeadLetterQueue"), MessageBody=json.dumps(batch))
    sqs.send_message(QueueUrl=deployed.queue("ScheduleDeadLetterQueue"), MessageBody=json.dumps(timer))
    # The invocations go to moto's Lambda (which answers with the event); this records them on the way.
    invoked: list[tuple[str, dict[str, Any]]] = []
    real_invoker = redrive.lambda_invoker

    def recording_invoker(client: Any) -> redrive.Invoke:
        invoke = real_invoker(client)

        def recorded(function: str, event: dict[str, Any]) -> tuple[bool, str]:
            invoked.append((function, event))
            answer: tuple[bool, str] = invoke(function, event)
            return answer

        return recorded

    monkeypatch.setattr(redrive, "lambda_invoker", recording_invoker)
    publish_name = deployed.resources["AWS::Lambda::Function"]["PublishFunction"]
    trending_name = deployed.resources["AWS::Lambda::Function"]["TrendingFunction"]

    # When: a dry run, then the redrive
    code_dry, dry, dry_notes = newsdesk(capsys, "redrive", "--dry-run")
    left_after_dry_run = deployed.dead_letters()
    code, out, err = newsdesk(capsys, "redrive")

    # Then: the dry run replays nothing and leaves both letters in place
    assert code_dry == 0, dry + dry_notes
    assert "Dead letters (dry run): 0 replayed, 0 no longer readable, 0 failed again, 0 discarded." in dry
    assert f"PublishDeadLetterQueue: would replay 1 record(s) to {publish_name}" in dry_notes
    assert f"ScheduleDeadLetterQueue: would replay 1 record(s) to {trending_name}" in dry_notes
    assert left_after_dry_run["PublishDeadLetterQueue"] == left_after_dry_run["ScheduleDeadLetterQueue"] == 1
    # ...and the redrive replays both, each to the function of the stack that failed it, and empties the queues
    assert code == 0, out + err
    assert "Dead letters: 2 replayed, 0 no longer readable, 0 failed again, 0 discarded." in out
    # (by name: in the operator's account and region, whatever account a letter's ARN names)
    assert [function for function, _ in invoked] == [publish_name, trending_name]
    # The batch as publish's filter lets it through (template.yaml): the story's CURRENT item only.
    delivered = invoked[0][1]["Records"]
    assert [(r["dynamodb"]["Keys"]["PK"]["S"], r["dynamodb"]["Keys"]["SK"]["S"]) for r in delivered] == [
        (f"ARTICLE#{article_id}", "CURRENT")
    ]
    assert invoked[1][1] == timer["requestPayload"]
    assert set(deployed.dead_letters().values()) == {0}


# --- trending run ------------------------------------------------------------------------------------


def test_trending_run_uses_the_parameters_the_stack_was_created_with(
    deployed: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given: a story read five times this hour: listed with the template's min count (3), not the stack's (9)
    target = deployed.target
    principal, _ = partner(target)
    article_id = post(target, principal, load_ninjs("ru_defence_industry.json"))
    counters = CounterStore(target.table_name, target.dynamodb_client())
    counters.add_views([ViewIncrement(article_id, hour_bucket(datetime.now(UTC)), 5, "defence-industry")])
    function = deployed.function("TrendingFunction")

    # When
    code, out, _ = newsdesk(capsys, "trending", "run")
    stored = counters.get_trending()

    # Then: the settings are the environment of the stack's TrendingFunction
    assert code == 0, out
    assert f"Settings from the environment of {function['FunctionName']}: half-life 360.0 min, window 12 h, " in out
    assert "min count 9, list length 10." in out
    assert "Trending: 1 articles active; most read 0, most discussed 0; rankings changed: written for publish." in out
    assert stored is not None
    trending = stored.rankings().trending
    assert (trending.window_hours, trending.min_count, trending.most_read) == (12, 9, [])

    # When: an option overrides one of them for this run
    code, out, _ = newsdesk(capsys, "trending", "run", "--min-count", "3")

    # Then
    stored = counters.get_trending()
    assert code == 0, out
    assert "window 12 h, min count 3, list length 10." in out and "most read 1" in out
    assert stored is not None
    assert [entry.id for entry in stored.rankings().trending.most_read] == [article_id]


# --- submit --------------------------------------------------------------------------------------------


def test_submit_to_a_stack_needs_a_key_of_its_own_not_the_local_stacks(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given: a local stack's file with its partner key and API, which --stack must not use
    local = tmp_path / "local.json"
    local.write_text(json.dumps({"partner_key": "nd_local", "api_url": "http://127.0.0.1:1"}), encoding="utf-8")
    monkeypatch.setenv("NEWSDESK_LOCAL_FILE", str(local))
    monkeypatch.delenv("NEWSDESK_KEY", raising=False)
    story = tmp_path / "story.json"
    story.write_text(json.dumps(load_ninjs("ru_defence_industry.json")), encoding="utf-8")

    code, out, err = newsdesk(capsys, "submit", str(story))

    assert code == 1
    assert err == "newsdesk: error: No key: pass --key (or set NEWSDESK_KEY).\n"
    assert out == ""


def test_submit_to_a_stack_whose_api_url_is_unusable_says_so(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Given: the stack's ApiUrl output, which on moto names a stand-in for the HTTP API moto cannot create
    outputs = boto3.client("cloudformation", region_name=REGION).describe_stacks(StackName=STACK)["Stacks"][0]
    api_url = next(output["OutputValue"] for output in outputs["Outputs"] if output["OutputKey"] == "ApiUrl")
    assert "moto-stand-in" in api_url
    story = tmp_path / "story.json"
    story.write_text(json.dumps(load_ninjs("ru_defence_industry.json")), encoding="utf-8")

    # When
    code, out, err = newsdesk(capsys, "submit", str(story), "--key", "nd_whatever")

    # Then: one clear error naming the URL and where it came from, nothing posted
    assert code == 1
    assert err.startswith(f"newsdesk: error: API URL {api_url!r} (output ApiUrl of stack {STACK}) is not usable")
    assert "--api-url" in err and "Traceback" not in err
    assert out == ""
    assert list(ArticleStore(deployed.target.table_name, client=deployed.target.dynamodb_client()).all_current()) == []
    # ...and the same for a URL given by hand without its scheme
    code, out, err = newsdesk(capsys, "submit", str(story), "--key", "nd_whatever", "--api-url", "localhost:3000")
    assert code == 1 and out == ""
    assert err == (
        "newsdesk: error: API URL 'localhost:3000' (--api-url) is not usable: not an http(s) URL; "
        "pass the API's base URL with --api-url.\n"
    )


def test_submit_with_the_stack_posts_through_an_explicit_api_url(
    deployed: Deployed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given: the local gateway on loopback, running the functions with the environment of the stack's IngestFunction
    template = load_template()
    environment = deployed.function("IngestFunction")["Environment"]["Variables"]
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    # Stood in for on moto: the secret (AWS::SecretsManager::Secret is not created; "" is the local stack's
    # value), and the site origins (moto's Fn::Join of a CommaDelimitedList parameter joins its characters).
    monkeypatch.setenv("CLIENT_KEY_SECRET", "")
    monkeypatch.setenv("SITE_ORIGINS", template["Parameters"]["SiteOrigins"]["Default"])
    forget_process_state()
    _, secret = partner(deployed.target)
    document = load_ninjs("ru_defence_industry.json")
    story = tmp_path / "story.json"
    story.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    # When
    with LocalGateway(template, stack_name=STACK, region=REGION) as gateway:
        url = gateway.url
        code, out, err = newsdesk(capsys, "submit", str(story), "--key", secret, "--api-url", url)
    forget_process_state()

    # Then: the story is in the stack's table, and its bytes in the stack's archive
    assert code == 0, out + err
    assert f"Posting 1 files to {url}/v1/articles." in out
    assert "1 accepted (201), 0 updated (200), 0 replayed (200, unchanged), 0 refused." in out
    records = list(ArticleStore(deployed.target.table_name, client=deployed.target.dynamodb_client()).all_current())
    assert [record.headline for record in records] == [document["headlines"][0]["value"]]
    s3 = deployed.target.s3_client()
    archived = [entry["Key"] for entry in s3.list_objects_v2(Bucket=deployed.target.archive_bucket)["Contents"]]
    raw = [key for key in archived if key.startswith("raw/")]
    assert len(raw) == 1, archived
    body = s3.get_object(Bucket=deployed.target.archive_bucket, Key=raw[0])["Body"].read()
    assert body == story.read_bytes()

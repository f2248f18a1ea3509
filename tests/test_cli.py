"""The operator CLI (`newsdesk`) and how it finds its target, against moto."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from newsdesk.dal.partners import PartnerStore
from newsdesk_ops.cli import main
from newsdesk_ops.target import Target, TargetError, resolve_target

pytestmark = pytest.mark.handler

SECRET = re.compile(r"^nd_[A-Za-z0-9_-]{43}$", re.MULTILINE)


@pytest.fixture
def target(stack: Any) -> Target:
    return Target(
        table_name=stack.table_name,
        archive_bucket=stack.archive_bucket,
        snapshot_bucket="",
        endpoint_url=None,
        region="eu-west-1",
    )


@pytest.fixture
def store(target: Target) -> PartnerStore:
    return PartnerStore(target.table_name, target.dynamodb_client())


def run(capsys: pytest.CaptureFixture[str], target: Target | None, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), target=target)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def only_secret(output: str) -> str:
    found = SECRET.findall(output)
    assert len(found) == 1, output
    return str(found[0])


def test_add_prints_the_partner_and_its_key_once(
    capsys: pytest.CaptureFixture[str], target: Target, store: PartnerStore
) -> None:
    # When
    code, out, err = run(capsys, target, "partners", "add", "РИА Новости", "--section", "defence-industry")

    # Then
    assert (code, err) == (0, "")
    assert "ria-novosti" in out
    assert "shown once" in out
    principal = store.resolve(only_secret(out))
    assert principal is not None
    assert (principal.partner_id, principal.section, principal.role) == (
        "ria-novosti",
        "defence-industry",
        "partner",
    )
    assert principal.key_id in out


def test_add_with_site_role_and_explicit_id(
    capsys: pytest.CaptureFixture[str], target: Target, store: PartnerStore
) -> None:
    # When
    code, out, _ = run(capsys, target, "partners", "add", "Comments", "--id", "site-comments", "--role", "site")

    # Then
    principal = store.resolve(only_secret(out))
    assert code == 0
    assert principal is not None and (principal.partner_id, principal.role) == ("site-comments", "site")


def test_list_shows_partners_with_active_key_counts(
    capsys: pytest.CaptureFixture[str], target: Target, store: PartnerStore
) -> None:
    # Given
    store.add_partner("Zvezda", section="army")
    store.add_partner("Aftenposten", language="nb")
    key, _ = store.add_key("zvezda")
    store.revoke_key("zvezda", key.key_id)
    store.add_key("aftenposten")

    # When
    code, out, _ = run(capsys, target, "partners", "list")

    # Then
    lines = [line.split() for line in out.splitlines()]
    assert code == 0
    assert lines[0] == ["ID", "NAME", "LANGUAGE", "SECTION", "ACTIVE", "KEYS", "STATE"]
    assert lines[1:] == [
        ["aftenposten", "Aftenposten", "nb", "-", "2", "enabled"],
        ["zvezda", "Zvezda", "ru", "army", "1", "enabled"],
    ]


def test_list_without_partners_says_how_to_add_one(capsys: pytest.CaptureFixture[str], target: Target) -> None:
    code, out, _ = run(capsys, target, "partners", "list")
    assert code == 0
    assert "newsdesk partners add" in out


def test_add_key_then_revoke_it(capsys: pytest.CaptureFixture[str], target: Target, store: PartnerStore) -> None:
    # Given
    store.add_partner("Interfax")

    # When: a second key is issued
    code, out, _ = run(capsys, target, "partners", "add-key", "interfax")

    # Then it works
    secret = only_secret(out)
    principal = store.resolve(secret)
    assert code == 0 and principal is not None

    # When it is revoked
    code, out, _ = run(capsys, target, "partners", "revoke-key", "interfax", principal.key_id)

    # Then it stops working, and the key list shows when
    assert code == 0
    assert "revoked" in out
    assert store.resolve(secret) is None
    code, out, _ = run(capsys, target, "partners", "keys", "interfax")
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert code == 0
    assert len(rows) == 2
    assert rows[principal.key_id][-1] != "-"
    assert [row[-1] for key_id, row in rows.items() if key_id != principal.key_id] == ["-"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["partners", "revoke-key", "interfax", "k_0000000000"], "has no key"),
        (["partners", "add-key", "nobody"], "No partner"),
        (["partners", "keys", "nobody"], "No partner"),
        (["partners", "add", "INTERFAX"], "is taken"),
        (["partners", "add", "Other", "--section", "Авиация"], "slug"),
    ],
)
def test_errors_are_one_line_on_stderr_with_exit_code_1(
    capsys: pytest.CaptureFixture[str], target: Target, store: PartnerStore, argv: list[str], message: str
) -> None:
    # Given
    store.add_partner("Interfax")

    # When
    code, out, err = run(capsys, target, *argv)

    # Then
    assert code == 1
    assert out == ""
    assert err.startswith("newsdesk: error:")
    assert message in err
    assert "Traceback" not in err


def test_bad_usage_exits_2_and_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["partners", "add"], target=None) == 2
    assert main(["partners", "revoke-key", "p", "k", "--role", "site"], target=None) == 2
    assert main(["--help"], target=None) == 0
    assert "partners" in capsys.readouterr().out


def test_without_a_target_the_operator_is_told_what_to_do(
    capsys: pytest.CaptureFixture[str], aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given: no local stack file
    monkeypatch.setenv("NEWSDESK_LOCAL_FILE", str(tmp_path / "missing.json"))

    # When
    code, _, err = run(capsys, None, "partners", "list")

    # Then
    assert code == 1
    assert "make run" in err and "--stack" in err


def test_local_file_points_at_the_local_endpoint(
    tmp_path: Path, aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given
    local_file = tmp_path / "local.json"
    local_file.write_text(
        json.dumps(
            {
                "aws_endpoint_url": "http://127.0.0.1:4566",
                "region": "eu-north-1",
                "table_name": "newsdesk-local-table",
                "archive_bucket": "newsdesk-local-archivebucket",
                "snapshot_bucket": "newsdesk-local-snapshotbucket",
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    # When
    target = resolve_target(None, local_file, region="us-west-2")

    # Then: the local file's region wins, and clients talk to the local endpoint
    assert target == Target(
        table_name="newsdesk-local-table",
        archive_bucket="newsdesk-local-archivebucket",
        snapshot_bucket="newsdesk-local-snapshotbucket",
        endpoint_url="http://127.0.0.1:4566",
        region="eu-north-1",
        description="local stack at http://127.0.0.1:4566",
    )
    client = target.dynamodb_client()
    assert (client.meta.endpoint_url, client.meta.region_name) == ("http://127.0.0.1:4566", "eu-north-1")


def test_incomplete_local_file_is_an_error(tmp_path: Path) -> None:
    local_file = tmp_path / "local.json"
    local_file.write_text('{"region": "eu-west-1"}', encoding="utf-8")
    with pytest.raises(TargetError, match="make run"):
        resolve_target(None, local_file)


def test_stack_outputs_name_the_resources(stack: Any, tmp_path: Path) -> None:
    # Given: a deployed stack with Newsdesk's outputs (a stand-in template: moto cannot deploy SAM)
    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    cloudformation.create_stack(
        StackName="newsdesk-prod",
        TemplateBody=json.dumps(
            {
                "Resources": {"Archive": {"Type": "AWS::S3::Bucket"}},
                "Outputs": {
                    "TableName": {"Value": "newsdesk-prod-Table-ABC"},
                    "ArchiveBucketName": {"Value": {"Ref": "Archive"}},
                },
            }
        ),
    )

    # When: a local file exists too, but --stack wins
    (tmp_path / "local.json").write_text("{}", encoding="utf-8")
    target = resolve_target("newsdesk-prod", tmp_path / "local.json", cloudformation=cloudformation)

    # Then
    assert target.table_name == "newsdesk-prod-Table-ABC"
    assert target.archive_bucket.startswith("newsdesk-prod-archive")
    assert (target.snapshot_bucket, target.endpoint_url, target.region) == ("", None, "eu-west-1")


def test_unknown_stack_is_an_error(stack: Any) -> None:
    with pytest.raises(TargetError, match="no-such-stack"):
        resolve_target("no-such-stack", region="eu-west-1")


@pytest.mark.unit
@pytest.mark.parametrize(
    "option",
    [
        ["--half-life-minutes", "0"],
        ["--half-life-minutes", "-5"],
        ["--half-life-minutes", "nan"],
        ["--half-life-minutes", "inf"],
        ["--list-length", "0"],
        ["--list-length", "101"],
        ["--window-hours", "-1"],
        ["--window-hours", "337"],
        ["--min-count", "0"],
    ],
)
def test_trending_run_refuses_settings_the_template_would_refuse(
    option: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # (a hostile review ran `trending run --half-life-minutes 0` and got the rankings rewritten)
    assert main(["trending", "run", *option]) == 2
    assert "must be a" in capsys.readouterr().err

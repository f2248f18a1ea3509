"""Issue 10's deploy check without `sam build`: the translated template creates on moto's CloudFormation.

`make deploy-check` (newsdesk_ops.deploy_check) runs the whole path: sam build, sam package to a moto
bucket, the SAM transform, the stack. Here the raw template.yaml stands in for the packaged one (its
CodeUri/ContentUri replaced by S3 URIs of a moto bucket, as sam package would), so the same
translation and stack creation run in a second, with moto in-process.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from newsdesk_ops import deploy_check
from newsdesk_ops.template import load_template
from tests.conftest import use_test_environment

needs_translator = pytest.mark.skipif(
    not deploy_check.SAM_PYTHON.exists(),
    reason="samtranslator lives in the SAM CLI's virtualenv (.venv-sam, `make lint` installs it)",
)
needs_sam = pytest.mark.skipif(not deploy_check.SAM.exists(), reason="the SAM CLI (.venv-sam) is missing")

BUCKET = "artifacts"
CODE_KEY = "code.zip"
PACKAGED_PROPERTIES = ("CodeUri", "ContentUri")


def as_if_packaged() -> dict[str, Any]:
    """template.yaml with every local code path replaced by an S3 URI, as `sam package` writes them."""
    template = load_template(deploy_check.TEMPLATE)
    replaced = 0
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for name in PACKAGED_PROPERTIES:
            if name in properties:
                properties[name] = f"s3://{BUCKET}/{CODE_KEY}"
                replaced += 1
    assert replaced, "template.yaml has no CodeUri/ContentUri left to package"
    return template


def upload_code() -> None:
    # moto's Lambda reads the zip named by a function or layer from its own S3.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("handler.py", "def handler(event, context):\n    return None\n")
    s3 = boto3.client("s3", region_name=deploy_check.REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket=BUCKET, Key=CODE_KEY, Body=archive.getvalue())


@needs_translator
def test_the_translated_template_creates_every_resource_moto_supports(monkeypatch: pytest.MonkeyPatch) -> None:
    stack_name, parameters = deploy_check.deploy_parameters("dev")
    translated, _ = deploy_check.translate(as_if_packaged(), parameters)
    assert not any(resource["Type"].startswith("AWS::Serverless::") for resource in translated["Resources"].values())
    use_test_environment(monkeypatch)
    with mock_aws():
        upload_code()
        cloudformation = boto3.client("cloudformation", region_name=deploy_check.REGION)
        report = deploy_check.create_stack(cloudformation, stack_name, translated, parameters)
        listed = cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    assert report.errors == []
    assert report.status == "CREATE_COMPLETE"
    # Every resource moto can create is in the stack, and created; only unsupported ones are missing.
    supported = deploy_check.moto_supported_types()
    expected = {name for name, r in translated["Resources"].items() if deploy_check.is_supported(r["Type"], supported)}
    assert {summary["LogicalResourceId"] for summary in listed} == expected
    assert {summary["ResourceStatus"] for summary in listed} == {"CREATE_COMPLETE"}
    assert all(row.created == row.count for row in report.rows if row.supported)
    assert report.ok
    # The core of the application is among what moto creates, not stood in for.
    created = Counter(summary["ResourceType"] for summary in listed)
    for resource_type in ("AWS::Lambda::Function", "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::IAM::Role"):
        assert created[resource_type] >= 1, resource_type


@needs_sam
def test_sam_package_to_moto_then_the_translated_stack_creates(tmp_path: Path) -> None:
    """The real `sam package` path of `make deploy-check`, on a template shaped like the built one.

    sam build is left to `make deploy-check` (it downloads the layer's wheels); here the layer is an
    empty directory and the functions' code is functions/ itself, which sam zips and uploads to moto.
    """
    template = load_template(deploy_check.TEMPLATE)
    layer = tmp_path / "layer" / "python"
    layer.mkdir(parents=True)
    for name, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if "ContentUri" in properties:
            properties["ContentUri"] = str(layer.parent)
            resource.pop("Metadata", None)  # the built template has no build metadata either
        if "CodeUri" in properties:
            assert (deploy_check.ROOT / properties["CodeUri"]).is_dir(), name
            properties["CodeUri"] = str(deploy_check.ROOT / properties["CodeUri"])
    built = tmp_path / "template.yaml"
    built.write_text(yaml.safe_dump(template, sort_keys=False), encoding="utf-8")
    stack_name, parameters = deploy_check.deploy_parameters("dev")
    with deploy_check.moto_server() as endpoint:
        packaged = deploy_check.package(built, endpoint, cwd=tmp_path)
        uris = [
            resource["Properties"][name]
            for resource in packaged["Resources"].values()
            for name in PACKAGED_PROPERTIES
            if name in resource.get("Properties", {})
        ]
        assert uris and all(uri.startswith(f"s3://{deploy_check.ARTIFACTS_BUCKET}/") for uri in uris), uris
        translated, _ = deploy_check.translate(packaged, parameters)
        cloudformation = deploy_check.fake_session().client("cloudformation", endpoint_url=endpoint)
        report = deploy_check.create_stack(cloudformation, stack_name, translated, parameters)
    assert report.errors == []
    assert report.status == "CREATE_COMPLETE"
    assert report.ok, [row for row in report.rows if row.supported and row.created < row.count]


@pytest.mark.unit
def test_unsupported_resources_are_left_out_and_references_to_them_stood_in_for() -> None:
    template: dict[str, Any] = {
        "Resources": {
            "Function": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "f"}},
            "Alias": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Function"}}},
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {}},
            "Permission": {
                "Type": "AWS::Lambda::Permission",
                "DependsOn": ["Api", "Function"],
                "Properties": {
                    "FunctionName": {"Ref": "Alias"},
                    "SourceArn": {"Fn::Sub": ["arn:${AWS::Partition}:execute-api:${Id}/*", {"Id": {"Ref": "Api"}}]},
                    "Other": {"Fn::Sub": "${Api.ApiEndpoint}/${Function}"},
                    "Endpoint": {"Fn::GetAtt": ["Api", "ApiEndpoint"]},
                },
            },
        },
        "Outputs": {"Url": {"Value": {"Fn::GetAtt": "Api.ApiEndpoint"}}},
    }
    supported = {"AWS::Lambda::Function", "AWS::Lambda::Permission"}
    prepared = deploy_check.prepare_for_moto(template, supported)
    assert prepared.left_out == {"Alias": "AWS::Lambda::Alias", "Api": "AWS::ApiGatewayV2::Api"}
    assert set(prepared.template["Resources"]) == {"Function", "Permission"}
    permission = prepared.template["Resources"]["Permission"]
    assert permission["DependsOn"] == ["Function"]
    properties = permission["Properties"]
    assert properties["FunctionName"] == {"Ref": "Function"}  # an alias stands in as its function
    stand_in = f"arn:aws:moto-stand-in:{deploy_check.REGION}:{deploy_check.ACCOUNT_ID}:Api"
    assert properties["SourceArn"] == {"Fn::Sub": ["arn:${AWS::Partition}:execute-api:${Id}/*", {"Id": stand_in}]}
    assert properties["Other"] == {"Fn::Sub": f"{stand_in}/ApiEndpoint/${{Function}}"}
    assert properties["Endpoint"] == f"{stand_in}/ApiEndpoint"
    assert prepared.template["Outputs"]["Url"]["Value"] == f"{stand_in}/ApiEndpoint"
    assert prepared.stand_ins == {"Alias": 1, "Api": 4}
    # The input is left as it was: the report counts types from it.
    assert set(template["Resources"]) == {"Function", "Alias", "Api", "Permission"}


@pytest.mark.unit
def test_the_check_fails_when_a_supported_resource_was_not_created() -> None:
    report = deploy_check.Report(
        stack="s",
        status="CREATE_COMPLETE",
        parameters={},
        rows=[
            deploy_check.TypeRow("AWS::SQS::Queue", 2, supported=True, created=1),
            deploy_check.TypeRow("AWS::Lambda::Alias", 1, supported=False, created=0),
        ],
        left_out={},
        stand_ins={},
    )
    assert not report.ok
    report.rows[0].created = 2
    assert report.ok
    report.status = "CREATE_IN_PROGRESS"
    assert not report.ok

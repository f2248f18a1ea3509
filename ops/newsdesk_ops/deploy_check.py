"""Issue 10's deploy check: the built template packages to S3 and its stack creates, all on moto.

    python -m newsdesk_ops.deploy_check [--env dev]      # make deploy-check

1. `make build` when .aws-sam/build/template.yaml is missing or older than template.yaml;
2. `sam package` of the built template to a bucket of a moto server on loopback (the pinned SAM CLI
   with AWS_ENDPOINT_URL and fake credentials: nothing can reach AWS);
3. the AWS::Serverless-2016-10-31 transform done locally by samtranslator (it is installed in the
   SAM CLI's virtualenv only, so it runs there, in a subprocess);
4. a stack created from the translated template on moto's CloudFormation, with samconfig.toml's
   parameters of ENV, then one row per resource type: how many, whether moto supports the type, how
   many it created. bench/results/deploy_check.md and .json keep the last run.

How moto treats a type it does not support (moto/cloudformation/parsing.py): it logs "No Moto
CloudFormation support for ..." and skips the resource; a Ref to it then resolves to nothing (the
property disappears, and e.g. a Lambda::Permission's FunctionName is missing: create_stack answers
HTTP 500), a GetAtt to it fails as "references undefined resource". So the stack created here is the
translated template without the unsupported resources, every reference to one replaced by a stand-in
value (:func:`prepare_for_moto`); the report lists both. The exit status is 1 when packaging,
translating or creating fails, or when a resource of a type moto supports was not created.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from newsdesk_ops.template import load_template

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_cloudformation import CloudFormationClient

Template = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
BUILT_TEMPLATE = ROOT / ".aws-sam" / "build" / "template.yaml"
SAM = ROOT / ".venv-sam" / "bin" / "sam"
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
RESULTS = ROOT / "bench" / "results"
REGION: Final = "eu-west-1"  # Final: boto3-stubs want a literal region name
ARTIFACTS_BUCKET = "newsdesk-deploy-check-artifacts"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
# moto creates a stack synchronously; the wait only guards against a status that never settles.
WAIT_SECONDS = 60.0
# moto's default account, in the stand-in ARNs.
ACCOUNT_ID = "123456789012"

# Run by .venv-sam's Python: the SAM transform of the template on stdin, as CloudFormation on stdout.
# The managed policy map comes from samtranslator's bundled copy; the loader it falls back to answers
# empty rather than asking IAM.
_TRANSLATE = """
import json, sys
import samtranslator
from samtranslator.translator.transform import transform

class NoIamLookup:
    def load(self):
        return {}

request = json.load(sys.stdin)
translated = transform(request["template"], request["parameters"], NoIamLookup())
json.dump({"template": translated, "samtranslator": samtranslator.__version__}, sys.stdout)
"""


# --------------------------------------------------------------------------------------------------
# Translating, and what moto can create
# --------------------------------------------------------------------------------------------------


def translate(template: Template, parameters: dict[str, str], sam_python: Path = SAM_PYTHON) -> tuple[Template, str]:
    """The template with the SAM transform applied, and samtranslator's version."""
    env = {**os.environ, "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}
    result = subprocess.run(
        [str(sam_python), "-c", _TRANSLATE],
        input=json.dumps({"template": template, "parameters": parameters}),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"samtranslator failed:\n{result.stderr.strip()}")
    answer = json.loads(result.stdout)
    return answer["template"], answer["samtranslator"]


def moto_supported_types() -> set[str]:
    """The resource types moto's CloudFormation creates, as it decides it in this process.

    moto builds the list once (cached) from the CloudFormationModel subclasses imported by then, so
    it is read here, in the process whose moto creates the stack, not from a list kept by hand.
    """
    from moto.cloudformation import parsing

    # NULL_MODELS (wait conditions) are accepted and ignored: nothing is created for them.
    return set(parsing.get_model_map()) - set(parsing.NULL_MODELS)


def is_supported(resource_type: str, supported: set[str]) -> bool:
    # Custom resources are all one model in moto (it calls their ServiceToken).
    return resource_type in supported or resource_type.startswith("Custom::")


@dataclass
class Prepared:
    template: Template
    left_out: dict[str, str] = field(default_factory=dict)  # logical id -> type
    stand_ins: Counter[str] = field(default_factory=Counter)  # logical id -> references replaced


_SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.([A-Za-z0-9.]+))?\}")


def prepare_for_moto(template: Template, supported: set[str]) -> Prepared:
    """The template without the resources moto cannot create, references to them replaced.

    A Ref or GetAtt of a left-out resource becomes a stand-in ARN naming it (a DependsOn on it is
    dropped), except a Ref of a Lambda alias: it becomes its function's reference, because moto's
    Lambda::Permission looks its FunctionName up and an alias moto never created would fail it.
    """
    resources: dict[str, Any] = template["Resources"]
    prepared = Prepared(template={})
    prepared.left_out = {
        name: resource["Type"] for name, resource in resources.items() if not is_supported(resource["Type"], supported)
    }

    def stand_in(name: str, attribute: str | None = None) -> Any:
        prepared.stand_ins[name] += 1
        resource = resources[name]
        if attribute is None and resource["Type"] == "AWS::Lambda::Alias":
            return walk(copy.deepcopy(resource["Properties"]["FunctionName"]))
        suffix = f"/{attribute}" if attribute else ""
        return f"arn:aws:moto-stand-in:{REGION}:{ACCOUNT_ID}:{name}{suffix}"

    def substitute(text: str) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(1) not in prepared.left_out:
                return match.group(0)
            value = stand_in(match.group(1), match.group(2))
            if not isinstance(value, str):
                # Only an alias's Ref is not a plain string; in a Sub, name the alias instead.
                value = f"arn:aws:moto-stand-in:{REGION}:{ACCOUNT_ID}:{match.group(1)}"
            return value

        return _SUB_VARIABLE.sub(replace, text)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if len(node) == 1 and "Ref" in node and node["Ref"] in prepared.left_out:
                return stand_in(node["Ref"])
            if len(node) == 1 and "Fn::GetAtt" in node:
                target = node["Fn::GetAtt"]
                name, attribute = target.split(".", 1) if isinstance(target, str) else target
                if name in prepared.left_out:
                    return stand_in(name, attribute)
            if len(node) == 1 and "Fn::Sub" in node:
                body = node["Fn::Sub"]
                if isinstance(body, str):
                    return {"Fn::Sub": substitute(body)}
                return {"Fn::Sub": [substitute(body[0]), walk(body[1])]}
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    kept: dict[str, Any] = {}
    for name, resource in resources.items():
        if name in prepared.left_out:
            continue
        resource = walk(resource)
        if "DependsOn" in resource:
            depends = resource["DependsOn"]
            depends = [depends] if isinstance(depends, str) else depends
            remaining = [other for other in depends if other not in prepared.left_out]
            if remaining:
                resource["DependsOn"] = remaining
            else:
                del resource["DependsOn"]
        kept[name] = resource
    prepared.template = {key: value for key, value in template.items() if key not in ("Resources", "Outputs")}
    prepared.template["Resources"] = kept
    if "Outputs" in template:
        prepared.template["Outputs"] = walk(template["Outputs"])
    return prepared


# --------------------------------------------------------------------------------------------------
# Creating the stack and reporting it
# --------------------------------------------------------------------------------------------------


@dataclass
class TypeRow:
    type: str
    count: int
    supported: bool
    created: int
    note: str = ""


@dataclass
class Report:
    stack: str
    status: str
    parameters: dict[str, str]
    rows: list[TypeRow]
    left_out: dict[str, str]
    stand_ins: dict[str, int]
    errors: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and self.status == "CREATE_COMPLETE"
            and all(row.created == row.count for row in self.rows if row.supported)
        )


def create_stack(
    cloudformation: CloudFormationClient, stack_name: str, translated: Template, parameters: dict[str, str]
) -> Report:
    """Create the stack of ``translated`` (plain CloudFormation) on moto and compare what it holds.

    moto must run in this process (ThreadedMotoServer or mock_aws): which types it supports is read
    from it (:func:`moto_supported_types`).
    """
    supported = moto_supported_types()
    prepared = prepare_for_moto(translated, supported)
    report = Report(
        stack=stack_name,
        status="NOT CREATED",
        parameters=parameters,
        rows=[],
        left_out=prepared.left_out,
        stand_ins=dict(prepared.stand_ins),
    )
    created: Counter[str] = Counter()
    try:
        cloudformation.create_stack(
            StackName=stack_name,
            TemplateBody=json.dumps(prepared.template),
            Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in parameters.items()],
            Capabilities=CAPABILITIES,  # type: ignore[arg-type]
        )
        report.status = wait_for(cloudformation, stack_name)
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
            for summary in page["StackResourceSummaries"]:
                if summary["ResourceStatus"] == "CREATE_COMPLETE":
                    created[summary["ResourceType"]] += 1
    except Exception as error:  # moto answers a template it cannot create with any error, even HTTP 500
        report.errors.append(f"create_stack: {type(error).__name__}: {error}")
    counts = Counter(resource["Type"] for resource in translated["Resources"].values())
    for resource_type, count in sorted(counts.items()):
        row = TypeRow(resource_type, count, is_supported(resource_type, supported), created[resource_type])
        if not row.supported:
            references = sum(
                prepared.stand_ins[name] for name, kind in prepared.left_out.items() if kind == resource_type
            )
            row.note = f"not supported by moto: left out, {references} reference(s) to it stood in for"
        elif row.created < row.count:
            row.note = "NOT CREATED"
        report.rows.append(row)
    return report


def wait_for(cloudformation: CloudFormationClient, stack_name: str, seconds: float = WAIT_SECONDS) -> str:
    deadline = time.monotonic() + seconds
    while True:
        status = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["StackStatus"]
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


def render_markdown(report: Report) -> str:
    details = report.details
    lines = [
        "# Deploy check (issue 10): sam package to moto, then the translated stack on moto's CloudFormation",
        "",
        f"Measured {details.get('measured', '?')} by `make deploy-check` (python -m newsdesk_ops.deploy_check): "
        f"SAM CLI {details.get('sam_cli', '?')}, samtranslator {details.get('samtranslator', '?')}, "
        f"moto {details.get('moto', '?')}.",
        "",
        f"- **{'PASS' if report.ok else 'FAIL'}**: stack `{report.stack}` {report.status}",
    ]
    if "packaged_artifacts" in details:
        lines.append(
            f"- sam package: {len(details['packaged_artifacts'])} distinct S3 artifact(s) in the packaged template"
        )
    lines += [f"- **error**: {' '.join(error.split())}" for error in report.errors]
    lines += [
        "",
        "| resource type | in template | moto supports | created | note |",
        "| --- | ---: | --- | ---: | --- |",
    ]
    for row in report.rows:
        supported = "yes" if row.supported else "no"
        lines.append(f"| {row.type} | {row.count} | {supported} | {row.created} | {row.note} |")
    total = sum(row.count for row in report.rows)
    created = sum(row.created for row in report.rows)
    lines += [
        f"| **total** | {total} | | {created} | |",
        "",
        "moto's CloudFormation skips a resource of a type it does not support; a Ref to it then resolves to nothing",
        "and a GetAtt fails, so the created stack leaves those resources out and puts a stand-in ARN in each",
        "reference (a Lambda alias's Ref: its function). Left out: "
        + ", ".join(f"{name} ({kind})" for name, kind in sorted(report.left_out.items()))
        + ".",
        "",
    ]
    return "\n".join(lines)


def write_results(report: Report, results: Path = RESULTS) -> None:
    results.mkdir(parents=True, exist_ok=True)
    (results / "deploy_check.md").write_text(render_markdown(report), encoding="utf-8")
    data = {**asdict(report), "ok": report.ok}
    (results / "deploy_check.json").write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# The whole check: build, package, translate, create
# --------------------------------------------------------------------------------------------------


def deploy_parameters(env: str) -> tuple[str, dict[str, str]]:
    """samconfig.toml's stack name and parameter overrides of ``env`` (what `make deploy` passes)."""
    with (ROOT / "samconfig.toml").open("rb") as file:
        deploy = tomllib.load(file)[env]["deploy"]["parameters"]
    overrides = deploy.get("parameter_overrides", [])
    items = overrides.split() if isinstance(overrides, str) else overrides
    return deploy["stack_name"], dict(item.split("=", 1) for item in items)


def build_if_stale() -> None:
    if BUILT_TEMPLATE.exists() and BUILT_TEMPLATE.stat().st_mtime >= TEMPLATE.stat().st_mtime:
        print(f"{BUILT_TEMPLATE.relative_to(ROOT)} is newer than template.yaml: not rebuilding", flush=True)
        return
    print("building: make build", flush=True)
    subprocess.run(["make", "build"], cwd=ROOT, check=True)


def packaged_artifacts(template: Template) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node.startswith("s3://"):
            found.append(node)

    walk(template["Resources"])
    return sorted(set(found))


class PackageError(RuntimeError):
    pass


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on loopback with the artifacts bucket; yields its endpoint URL."""
    import logging

    from moto.server import ThreadedMotoServer

    # One access log line per S3 upload part would bury the table.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        fake_session().client("s3", endpoint_url=endpoint).create_bucket(
            Bucket=ARTIFACTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield endpoint
    finally:
        server.stop()


def fake_session() -> boto3.Session:
    import boto3

    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)


def package(template_file: Path, endpoint: str, cwd: Path = ROOT) -> Template:
    """`sam package` of ``template_file`` to the artifacts bucket at ``endpoint``: the packaged template."""
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "SAM_CLI_TELEMETRY": "0",
    }
    # A developer's profile or session token must not steer sam away from the fake credentials.
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    with tempfile.TemporaryDirectory() as scratch:
        packaged_path = Path(scratch) / "packaged.yaml"
        arguments = ["package", "--template-file", str(template_file), "--s3-bucket", ARTIFACTS_BUCKET]
        arguments += ["--output-template-file", str(packaged_path), "--region", REGION]
        print("sam", " ".join(arguments), flush=True)
        result = subprocess.run(
            [str(SAM), *arguments], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        if result.returncode != 0:
            raise PackageError(f"sam package exited {result.returncode}: {result.stderr.strip()}")
        return load_template(packaged_path)


def run(env: str) -> Report:
    import moto

    stack_name, parameters = deploy_parameters(env)
    build_if_stale()
    version = subprocess.run([str(SAM), "--version"], capture_output=True, text=True, check=True).stdout
    details: dict[str, Any] = {
        "measured": datetime.now(UTC).isoformat(timespec="seconds"),
        "moto": moto.__version__,
        "sam_cli": version.split()[-1],
    }
    with moto_server() as endpoint:
        try:
            packaged = package(BUILT_TEMPLATE.relative_to(ROOT), endpoint)
            details["packaged_artifacts"] = packaged_artifacts(packaged)
            translated, details["samtranslator"] = translate(packaged, parameters)
        except RuntimeError as error:  # PackageError, or samtranslator's failure
            report = Report(stack_name, "NOT CREATED", parameters, [], {}, {}, errors=[str(error)])
        else:
            cloudformation = fake_session().client("cloudformation", endpoint_url=endpoint)
            report = create_stack(cloudformation, stack_name, translated, parameters)
    report.details = details
    return report


def print_table(report: Report) -> None:
    width = max([len("resource type"), *(len(row.type) for row in report.rows)])
    print(f"\nstack {report.stack}: {report.status}")
    print(f"{'resource type':<{width}}  count  moto  created  note")
    for row in report.rows:
        supported = "yes" if row.supported else "no"
        print(f"{row.type:<{width}}  {row.count:>5}  {supported:<4}  {row.created:>7}  {row.note}")
    for error in report.errors:
        print(f"ERROR {error}")
    print(f"{'PASS' if report.ok else 'FAIL'}: results in {RESULTS.relative_to(ROOT)}/deploy_check.md and .json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--env", default="dev", help="samconfig.toml environment whose parameters the stack gets")
    args = parser.parse_args(argv)
    report = run(args.env)
    write_results(report)
    print_table(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Deploying (issue 10): samconfig.toml, `make deploy`, a raw template that cannot ship, the layer's pins.

Nothing here talks to AWS: `sam package` runs against a moto server on loopback, `make deploy` only
with `make -n`, and the layer is built offline (no dependencies to download).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

from newsdesk_ops import layer_requirements
from newsdesk_ops.template import load_template

ROOT = Path(__file__).resolve().parents[1]
SAM = ROOT / ".venv-sam" / "bin" / "sam"
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
ENVIRONMENTS = ("dev", "prod")

needs_sam = pytest.mark.skipif(not SAM.exists(), reason="the SAM CLI (.venv-sam, `make lint` installs it) is missing")


def samconfig() -> dict[str, Any]:
    with (ROOT / "samconfig.toml").open("rb") as file:
        return tomllib.load(file)


def template() -> dict[str, Any]:
    return load_template(ROOT / "template.yaml")


def as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else value.split()


# --- samconfig.toml and make deploy -------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_environment_names_its_stack_capabilities_and_existing_parameters(env: str) -> None:
    deploy = samconfig()[env]["deploy"]["parameters"]
    assert re.fullmatch(r"newsdesk-[a-z0-9-]+", deploy["stack_name"])
    assert deploy["resolve_s3"] is True
    assert deploy["region"]
    capabilities = set(as_list(deploy["capabilities"]))
    # The SAM transform needs AUTO_EXPAND; the roles SAM makes need IAM (NAMED_IAM once a role is named).
    assert "CAPABILITY_AUTO_EXPAND" in capabilities
    resources = template()["Resources"].values()
    named_iam = any(r["Type"].startswith("AWS::IAM::") and "RoleName" in r.get("Properties", {}) for r in resources)
    assert ("CAPABILITY_NAMED_IAM" if named_iam else "CAPABILITY_IAM") in capabilities
    tags = dict(tag.split("=", 1) for tag in as_list(deploy["tags"]))
    assert tags["stage"] == env
    overrides = dict(item.split("=", 1) for item in as_list(deploy["parameter_overrides"]))
    parameters = template()["Parameters"]
    assert set(overrides) <= set(parameters), f"{env}: not template parameters: {set(overrides) - set(parameters)}"
    assert overrides["Stage"] == env
    assert re.fullmatch(parameters["Stage"]["AllowedPattern"], env)
    for name, value in overrides.items():
        allowed = parameters[name].get("AllowedValues")
        assert allowed is None or value in [str(v) for v in allowed], f"{env}: {name}={value} not in {allowed}"


@pytest.mark.unit
def test_environments_deploy_to_different_stacks() -> None:
    config = samconfig()
    stacks = {config[env]["deploy"]["parameters"]["stack_name"] for env in ENVIRONMENTS}
    assert len(stacks) == len(ENVIRONMENTS)


@pytest.mark.unit
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_make_deploy_builds_then_deploys_the_built_template_with_that_environment(env: str) -> None:
    # -n prints the commands without running any (nothing is built or deployed here).
    result = subprocess.run(
        ["make", "-n", "deploy", f"ENV={env}"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    build = next(i for i, line in enumerate(lines) if " build " in line and "sam" in line)
    deploy = next(i for i, line in enumerate(lines) if " deploy " in line and "sam" in line)
    assert build < deploy
    assert "--template-file .aws-sam/build/template.yaml" in lines[deploy]
    assert f"--config-env {env}" in lines[deploy]
    assert f"--config-file {ROOT}/samconfig.toml" in lines[deploy]


@pytest.mark.unit
def test_the_sam_cli_version_is_pinned_to_the_installed_one() -> None:
    pinned = re.search(r"^SAM_CLI_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert pinned is not None
    assert "aws-sam-cli==$(SAM_CLI_VERSION)" in (ROOT / "Makefile").read_text()
    if SAM.exists():
        version = subprocess.run([str(SAM), "--version"], capture_output=True, text=True, check=True).stdout
        assert version.split()[-1] == pinned.group(1)


# --- the layer's requirements: generated from pyproject.toml and the lock ------------------------


@pytest.mark.unit
def test_layer_requirements_are_the_generated_ones() -> None:
    expected = layer_requirements.render(layer_requirements.runtime_requirements())
    assert (ROOT / "shared" / "requirements.txt").read_text(encoding="utf-8") == expected, (
        "shared/requirements.txt drifted from pyproject.toml / requirements.lock: run `make layer-requirements`"
    )


@pytest.mark.unit
def test_layer_requirements_pin_exact_versions_and_leave_out_boto3_and_operator_tools() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    generated = layer_requirements.render(
        layer_requirements.runtime_requirements(),
        version_of=_installed(pyproject) | {"aws-lambda-powertools": "3.99.1", "pydantic": "2.50.0", "nh3": "0.3.9"},
    )
    pins = [line for line in generated.splitlines() if line and not line.startswith("#")]
    assert "aws-lambda-powertools==3.99.1" in pins and "nh3==0.3.9" in pins
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][0-9A-Za-z.+-]*", pin) for pin in pins)
    assert not any(pin.startswith(("boto3", "tqdm")) for pin in pins)


@pytest.mark.unit
def test_a_locked_version_outside_pyproject_bounds_is_refused() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    with pytest.raises(SystemExit, match=r"pins pydantic at 3\.0\.0"):
        layer_requirements.render(
            layer_requirements.runtime_requirements(), version_of=_installed(pyproject) | {"pydantic": "3.0.0"}
        )


@pytest.mark.unit
def test_the_lock_pins_every_dependency_of_pyproject_within_its_bounds() -> None:
    # One lock for every install (make install, .venv-313, the layer): it must satisfy pyproject.toml.
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    locked = layer_requirements.locked_versions()
    wanted = [*pyproject["project"]["dependencies"], *pyproject["project"]["optional-dependencies"]["dev"]]
    unmet = [
        f"{text} (locked: {locked.get(canonicalize_name(Requirement(text).name))})"
        for text in wanted
        if not Requirement(text).specifier.contains(
            locked.get(canonicalize_name(Requirement(text).name), "0.0.0.dev0"), prereleases=True
        )
        or canonicalize_name(Requirement(text).name) not in locked
    ]
    assert unmet == [], "requirements.lock does not satisfy pyproject.toml: run `make lock`"


def _installed(pyproject: dict[str, Any]) -> dict[str, str]:
    """pyproject's runtime dependencies at the versions requirements.lock pins."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    locked = layer_requirements.locked_versions()
    return {
        canonicalize_name(Requirement(text).name): locked[canonicalize_name(Requirement(text).name)]
        for text in pyproject["project"]["dependencies"]
    }


# --- the raw template cannot ship its layer; the built one can ----------------------------------


@pytest.fixture(scope="module")
def artifacts_endpoint() -> Iterator[dict[str, str]]:
    """A moto S3 on loopback with an artifacts bucket; the environment `sam` runs with against it."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "SAM_CLI_TELEMETRY": "0",
    }
    boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name="eu-west-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    ).create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    yield env
    server.stop()


def sam(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SAM), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.unit
def test_the_raw_layer_points_at_nothing_that_exists_and_sam_build_makes_it() -> None:
    layer = template()["Resources"]["SharedLayer"]
    assert not (ROOT / layer["Properties"]["ContentUri"]).exists()
    metadata = layer["Metadata"]
    assert metadata["BuildMethod"] == "makefile"
    assert "build-SharedLayer:" in (ROOT / metadata["ContextPath"] / "Makefile").read_text()
    assert (ROOT / metadata["ProjectRootDirectory"] / "requirements.txt").is_file()
    assert (ROOT / metadata["ProjectRootDirectory"] / "newsdesk" / "__init__.py").is_file()


@needs_sam
@pytest.mark.parametrize("command", ["package", "deploy"])
def test_sam_package_or_deploy_of_the_raw_template_is_refused(command: str, artifacts_endpoint: dict[str, str]) -> None:
    args = [command, "--template-file", "template.yaml", "--s3-bucket", "artifacts", "--region", "eu-west-1"]
    if command == "deploy":
        args += ["--stack-name", "newsdesk-refused", "--capabilities", "CAPABILITY_IAM", "--no-execute-changeset"]
    else:
        args += ["--output-template-file", os.devnull]
    result = sam(args, artifacts_endpoint)
    assert result.returncode != 0
    assert "ContentUri parameter of SharedLayer" in result.stderr
    assert "does not exist" in result.stderr


@needs_sam
def test_sam_build_builds_the_layer_and_the_built_template_packages(
    tmp_path: Path, artifacts_endpoint: dict[str, str]
) -> None:
    """The real `sam build` of the layer on a copy of the project, with no dependencies to download."""
    if shutil.which("python3.13") is None:
        pytest.skip("python3.13 (the layer's runtime) is not on PATH")
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    shutil.copytree(
        ROOT / "shared" / "newsdesk", tmp_path / "shared" / "newsdesk", ignore=shutil.ignore_patterns("__pycache__")
    )
    (tmp_path / "shared" / "requirements.txt").write_text("# nothing to download in a test\n")
    shutil.copytree(ROOT / "ops" / "layer", tmp_path / "ops" / "layer")
    env = {**artifacts_endpoint, "PYENV_VERSION": "3.13.0:3.11.7", "SAM_PYTHON": str(SAM_PYTHON)}
    built = sam(["build", "SharedLayer", "--template", "template.yaml"], env, cwd=tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    built_template = yaml.safe_load((tmp_path / ".aws-sam" / "build" / "template.yaml").read_text())
    content = tmp_path / ".aws-sam" / "build" / built_template["Resources"]["SharedLayer"]["Properties"]["ContentUri"]
    assert (content / "python" / "newsdesk" / "__init__.py").is_file()
    assert not list(content.rglob("__pycache__"))
    # The built layer alone, packaged: sam uploads the directory and the template names it in S3.
    only_layer = {
        "Transform": built_template["Transform"],
        "Resources": {"SharedLayer": built_template["Resources"]["SharedLayer"]},
    }
    (tmp_path / ".aws-sam" / "build" / "layer-only.yaml").write_text(yaml.safe_dump(only_layer))
    packaged = tmp_path / "packaged.yaml"
    args = ["package", "--template-file", ".aws-sam/build/layer-only.yaml", "--s3-bucket", "artifacts"]
    result = sam([*args, "--output-template-file", str(packaged)], artifacts_endpoint, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    uri = yaml.safe_load(packaged.read_text())["Resources"]["SharedLayer"]["Properties"]["ContentUri"]
    assert uri.startswith("s3://artifacts/")


# --- SnapStart on the request path ----------------------------------------------------------------

SNAPSHOT_PROBE = """
import json, random, sys
import botocore.client

def no_aws_call(self, operation, params):
    raise AssertionError(f"AWS call during init: {operation}")

botocore.client.BaseClient._make_api_call = no_aws_call
import ingest.app, ingest.authorizer, snapshot_restore_py
from ingest.engagement import client_key
from newsdesk.ninjs.schema import validator

warmed = {
    "ingest_service": ingest.app.ingest_service.cache_info().currsize,
    "validator": validator.cache_info().currsize,
    "partner_store": ingest.authorizer.partner_store.cache_info().currsize,
}
key_before = client_key("")
draws_before = random.random()
for hook in snapshot_restore_py.HOOKS:
    hook()
print(json.dumps({
    "warmed": warmed,
    "hooks": [hook.__module__ + "." + hook.__name__ for hook in snapshot_restore_py.HOOKS],
    "key_renewed": client_key("") != key_before,
}))
"""

# Stands in for the runtime's library: records the hooks instead of running them on a restore.
FAKE_SNAPSHOT_RESTORE = """
HOOKS = []
def register_after_restore(hook, *args, **kwargs):
    HOOKS.append(hook)
"""


def run_probe(tmp_path: Path, initialization_type: str) -> dict[str, Any]:
    (tmp_path / "snapshot_restore_py.py").write_text(FAKE_SNAPSHOT_RESTORE)
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": "newsdesk-test",
        "ARCHIVE_BUCKET": "newsdesk-archive-test",
        "SNAPSHOT_BUCKET": "newsdesk-snapshots-test",
        "CLIENT_KEY_SECRET": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", SNAPSHOT_PROBE], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    probe: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return probe


@pytest.mark.unit
def test_a_snapstart_init_builds_clients_and_validators_without_calling_aws_and_renews_after_restore(
    tmp_path: Path,
) -> None:
    probe = run_probe(tmp_path, "snap-start")
    assert probe["warmed"]["ingest_service"] == 1
    assert probe["warmed"]["validator"] >= 2
    assert probe["warmed"]["partner_store"] == 1
    assert "newsdesk.snapstart.renew_randomness" in probe["hooks"]
    assert "ingest.app.after_restore" in probe["hooks"]
    assert probe["key_renewed"] is True


@pytest.mark.unit
def test_an_ordinary_import_builds_nothing_and_registers_no_hook(tmp_path: Path) -> None:
    probe = run_probe(tmp_path, "on-demand")
    assert probe["warmed"] == {"ingest_service": 0, "validator": 0, "partner_store": 0}
    assert probe["hooks"] == []


@pytest.mark.unit
@pytest.mark.parametrize("function", ["IngestFunction", "AuthorizerFunction"])
def test_request_path_functions_snapstart_their_published_alias(function: str) -> None:
    resources = template()["Resources"]
    properties = resources[function]["Properties"]
    assert properties["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert properties["AutoPublishAlias"]
    authorizers = resources["HttpApi"]["Properties"]["Auth"]["Authorizers"]
    # $LATEST has no snapshot: the gateway must call the alias.
    assert authorizers["PartnerKeyAuthorizer"]["FunctionArn"] == {"Ref": "AuthorizerFunction.Alias"}

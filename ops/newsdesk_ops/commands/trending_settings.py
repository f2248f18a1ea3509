"""The trending function's own settings, for ``newsdesk trending run``: the stack's, not the CLI's defaults.

A deployed stack: the environment of its TrendingFunction (Lambda GetFunctionConfiguration), which
holds the parameters it was deployed with. The local stack: template.yaml's, each parameter at its
default (what ``make run`` deploys locally).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3

from newsdesk.settings import Settings
from newsdesk_ops.commands.status import stack_resources
from newsdesk_ops.target import TargetError
from newsdesk_ops.template import load_template

if TYPE_CHECKING:
    from newsdesk_ops.target import Target

FUNCTION = "TrendingFunction"


def trending_settings(target: Target, stack: str | None, overrides: dict[str, Any]) -> tuple[Settings, str]:
    """The settings a trending run uses, and where they came from; ``overrides`` (None values ignored) win."""
    if stack:
        function = stack_resources(stack, target.region).get("AWS::Lambda::Function", {}).get(FUNCTION)
        if function is None:
            raise TargetError(f"Stack {stack} has no {FUNCTION}; is it a Newsdesk stack?")
        configuration = boto3.client("lambda", region_name=target.region).get_function_configuration(
            FunctionName=function
        )
        variables = dict(configuration.get("Environment", {}).get("Variables", {}))
        source = f"the environment of {function}"
    else:
        variables = template_environment()
        source = "template.yaml's parameter defaults"
    variables |= {"TABLE_NAME": target.table_name, "ARCHIVE_BUCKET": target.archive_bucket}
    variables |= {name.upper(): str(value) for name, value in overrides.items() if value is not None}
    return Settings.from_environment(variables), source


def template_environment() -> dict[str, str]:
    """TrendingFunction's variables of template.yaml whose value is a parameter, at its default."""
    template = load_template()
    parameters = template.get("Parameters", {})
    function = template["Resources"][FUNCTION]["Properties"]
    variables = (function.get("Environment") or {}).get("Variables") or {}
    found: dict[str, str] = {}
    for name, value in variables.items():
        if isinstance(value, dict) and "Ref" in value and "Default" in parameters.get(value["Ref"], {}):
            found[name] = str(parameters[value["Ref"]]["Default"])
        elif isinstance(value, str | int | float):
            found[name] = str(value)
    return found

"""The few names the benches take from the project, resolved wherever the tree keeps them.

The benches run against the tree before and after a restructuring (``python -m bench issue7``);
only operator-side entry points are used (``newsdesk_ops``), and when one of them moves, the
lookup below tries the known places in order. Nothing here reaches into ``newsdesk`` itself.
"""

from __future__ import annotations

import importlib
from typing import Any


def _first(name: str, *modules: str) -> Any:
    errors = []
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            errors.append(f"{module_name}: {error}")
            continue
        if hasattr(module, name):
            return getattr(module, name)
        errors.append(f"{module_name} has no {name}")
    raise ImportError(f"cannot find {name}: " + "; ".join(errors))


def forget_function_state(template: Any) -> None:
    """The local stack's reset of the functions' cached clients, settings and services (private before)."""
    try:
        forget = _first("forget_function_state", "newsdesk_ops.local_stack")
    except ImportError:
        forget = _first("_forget_function_state", "newsdesk_ops.local_stack")
    forget(template)


def load_template(*args: Any, **kwargs: Any) -> Any:
    return _first("load_template", "newsdesk_ops.template")(*args, **kwargs)


def create_resources(*args: Any, **kwargs: Any) -> Any:
    return _first("create_resources", "newsdesk_ops.template")(*args, **kwargs)


def function_environment(*args: Any, **kwargs: Any) -> dict[str, str]:
    environment: dict[str, str] = _first("function_environment", "newsdesk_ops.template")(*args, **kwargs)
    return environment


def stream_sources(template: Any) -> list[Any]:
    sources: list[Any] = _first("stream_sources", "newsdesk_ops.template")(template)
    return sources


def schedule_sources(template: Any) -> list[Any]:
    sources: list[Any] = _first("schedule_sources", "newsdesk_ops.template")(template)
    return sources


def passes_filters(patterns: Any, record: Any) -> bool:
    passes = _first("passes_filters", "newsdesk_ops.event_filters", "newsdesk_ops.workers", "newsdesk_ops.streams")
    return bool(passes(patterns, record))


def lambda_stream_record(record: Any, stream_arn: str, region: str) -> dict[str, Any]:
    converted: dict[str, Any] = _first(
        "lambda_stream_record", "newsdesk_ops.stream_records", "newsdesk_ops.workers", "newsdesk_ops.streams"
    )(record, stream_arn, region)
    return converted


def timer_seconds() -> float:
    return float(_first("timer_seconds", "newsdesk_ops.local_timers", "newsdesk_ops.workers", "newsdesk_ops.timers")())


def cli_main(arguments: list[str], *, target: Any) -> int:
    return int(_first("main", "newsdesk_ops.cli")(arguments, target=target))


def __getattr__(name: str) -> Any:
    """Classes: ``compat.Target``, ``compat.LocalFunctions``, ``compat.LocalGateway``, ..."""
    places = {
        "Target": ("newsdesk_ops.target",),
        "LocalFunctions": ("newsdesk_ops.gateway", "newsdesk_ops.functions"),
        "LocalGateway": ("newsdesk_ops.gateway",),
        "GatewayRequest": ("newsdesk_ops.gateway",),
        "LocalStack": ("newsdesk_ops.local_stack",),
    }
    if name in places:
        return _first(name, *places[name])
    raise AttributeError(name)

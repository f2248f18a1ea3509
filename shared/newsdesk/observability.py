"""One place for logging and metrics, shared by every function."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

# Service name and metric namespace come from POWERTOOLS_* variables set in template.yaml Globals.
logger = Logger()
metrics = Metrics()

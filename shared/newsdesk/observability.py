"""One place for logging and metrics, shared by every function."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

# The service name comes from POWERTOOLS_SERVICE_NAME (template.yaml Globals). The namespace is fixed
# here so that metrics never depend on what the environment held when this module was imported.
METRIC_NAMESPACE = "Newsdesk"
logger = Logger()
metrics = Metrics(namespace=METRIC_NAMESPACE)

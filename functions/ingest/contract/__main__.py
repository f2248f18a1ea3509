"""``python -m ingest.contract [--check]``: write ingest/openapi.json, or only say whether it is stale."""

from __future__ import annotations

import sys

from ingest.contract.document import DOCUMENT_FILE, document_text
from newsdesk.generated import write_or_check


def main(argv: list[str]) -> int:
    return write_or_check({DOCUMENT_FILE: document_text()}, check="--check" in argv, make_target="openapi")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

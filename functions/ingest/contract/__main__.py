"""``python -m ingest.contract [--check]``: write ingest/openapi.json, or only say whether it is stale."""

from __future__ import annotations

import sys

from ingest.contract.document import DOCUMENT_FILE, document_text


def main(argv: list[str]) -> int:
    text = document_text()
    current = DOCUMENT_FILE.read_text(encoding="utf-8") if DOCUMENT_FILE.exists() else None
    if "--check" in argv:
        if current != text:
            print(f"{DOCUMENT_FILE} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        DOCUMENT_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

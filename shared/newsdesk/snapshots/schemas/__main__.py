"""``python -m newsdesk.snapshots.schemas [--check]``: write the committed schemas, or only say whether
they are stale."""

from __future__ import annotations

import sys

from newsdesk.snapshots.schemas import schema_file
from newsdesk.snapshots.schemas.generate import stale_files


def main(argv: list[str]) -> int:
    stale = stale_files()
    if "--check" in argv:
        for kind in stale:
            print(f"{schema_file(kind)} is stale: run `make schemas`", file=sys.stderr)
        return 1 if stale else 0
    for kind, text in stale.items():
        schema_file(kind).write_text(text, encoding="utf-8")
        print(f"wrote {schema_file(kind)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

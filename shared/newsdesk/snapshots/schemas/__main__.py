"""``python -m newsdesk.snapshots.schemas [--check]``: write the committed schemas, or only say whether
they are stale."""

from __future__ import annotations

import sys

from newsdesk.generated import write_or_check
from newsdesk.snapshots.schemas import schema_file
from newsdesk.snapshots.schemas.generate import stale_files


def main(argv: list[str]) -> int:
    stale = {schema_file(kind): text for kind, text in stale_files().items()}
    return write_or_check(stale, check="--check" in argv, make_target="schemas")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

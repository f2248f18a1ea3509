"""``newsdesk partners disable|enable|remove PARTNER``: stop, restart or end a partner's access."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from newsdesk.dal.partner_admin import PartnerAdmin

if TYPE_CHECKING:
    from newsdesk_ops.cli import Runtime, Subparsers


def register(partners: Subparsers) -> None:
    """Adds to the ``partners`` group's subcommands."""
    disable = partners.add_parser("disable", help="refuse all of a partner's keys (401) until enabled again")
    disable.add_argument("partner_id")
    disable.set_defaults(run=disable_run)

    enable = partners.add_parser("enable", help="accept a disabled partner's keys again")
    enable.add_argument("partner_id")
    enable.set_defaults(run=enable_run)

    remove = partners.add_parser("remove", help="delete a partner and all its keys; its articles stay")
    remove.add_argument("partner_id")
    remove.add_argument("--yes", action="store_true", help="do it (without --yes: say what would go)")
    remove.set_defaults(run=remove_run)


def _admin(runtime: Runtime) -> PartnerAdmin:
    target = runtime.target()
    return PartnerAdmin(target.table_name, target.dynamodb_client())


def disable_run(args: argparse.Namespace, runtime: Runtime) -> int:
    keys = _admin(runtime).set_disabled(args.partner_id, True)
    print(f"Partner {args.partner_id} is disabled: its {keys} active keys are refused (401) from now on.")
    print(f"Undo with: newsdesk partners enable {args.partner_id}")
    return 0


def enable_run(args: argparse.Namespace, runtime: Runtime) -> int:
    keys = _admin(runtime).set_disabled(args.partner_id, False)
    print(f"Partner {args.partner_id} is enabled: its {keys} active keys work again.")
    return 0


def remove_run(args: argparse.Namespace, runtime: Runtime) -> int:
    if not args.yes:
        keys = runtime.partner_store().list_keys(args.partner_id)
        print(
            f"Would remove partner {args.partner_id} and its {len(keys)} keys; its articles stay. "
            "Run again with --yes to do it."
        )
        return 0
    removed = _admin(runtime).remove(args.partner_id)
    print(f"Removed partner {args.partner_id} and its {removed} keys; its articles stay published.")
    return 0

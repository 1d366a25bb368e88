"""What the replay commands share: the day a backup was taken on, and the ledger's copy outside
the database that a restore did not roll back (`replay_erasures`, and processing's
`replay_platform_erasures` for a system's own database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser, OutputWrapper

from retention.ledger import LedgerCopyError, read_copy
from retention.models import ErasureEntry


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since must be a date as YYYY-MM-DD, not {value!r}.") from None


def add_ledger_arguments(parser: CommandParser, *, copy_help: str) -> None:
    parser.add_argument(
        "--since",
        type=_day,
        required=True,
        help="Legal day (YYYY-MM-DD, Tallinn) the backup was taken on, or any earlier day.",
    )
    parser.add_argument(
        "--from-file",
        nargs="?",
        type=Path,
        const=Path(settings.ERASURE_LEDGER_DIR),
        default=None,
        metavar="PATH",
        help=copy_help,
    )


def copy_entries(options: dict[str, Any], stderr: OutputWrapper) -> list[ErasureEntry]:
    """The entries of the copy named by `--from-file` since `--since` (none without it)."""
    if options["from_file"] is None:
        return []
    try:
        read = read_copy(options["from_file"], since=options["since"])
    except (OSError, LedgerCopyError) as exc:
        raise CommandError(f"Cannot read the ledger copy: {exc}") from None
    for torn in read.torn:
        stderr.write(f"Skipped a line cut short by a crash: {torn}")
    return read.entries

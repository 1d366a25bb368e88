from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.audit_heads import HeadFileError, read_heads
from core.chain import ExportedHead
from core.services.audit_chain import verify_audit_log


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain from the first event; print the first broken link "
        "and exit non-zero if a row was edited, deleted or inserted. With --against, also "
        "require every head exported to that file to be still in the log, unchanged."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--against",
            type=Path,
            metavar="FILE",
            help="the file of exported heads (AUDIT_HEAD_EXPORT's), read as it is",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        heads: list[ExportedHead] = []
        if options["against"] is not None:
            try:
                read = read_heads(options["against"])
            except HeadFileError as exc:
                raise CommandError(f"Cannot verify against the exported heads: {exc}.") from None
            heads = read.heads
            for place in read.torn:
                self.stderr.write(f"Skipped {place}: a line cut short, not a head.")
        result = verify_audit_log(actor_label="manage.py verify_audit", exported=heads)
        if not result.intact:
            raise CommandError(
                f"Audit log broken at event #{result.broken_at}: {result.problem} "
                f"({result.events_checked} events before it are intact)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log intact: {result.events_checked} events, "
                f"head #{result.head_sequence} {result.head_hash}"
            )
        )
        if options["against"] is not None:
            self.stdout.write(coverage(heads, result.head_sequence))


def coverage(heads: list[ExportedHead], head_sequence: int) -> str:
    """What the exported heads prove of the log just walked, and what they leave open."""
    if not heads:
        return (
            f"The file holds no exported head: none of the {head_sequence} events is covered "
            "by an export."
        )
    last = max(heads, key=lambda head: head.sequence)
    covered = (
        f"All {len(heads)} exported heads are in the log unchanged; events #1 to "
        f"#{last.sequence} are covered (the last export, {last.day:%Y-%m-%d})."
    )
    newer = head_sequence - last.sequence
    if newer == 0:
        return covered
    return (
        f"{covered} The newest {newer} events (#{last.sequence + 1} to #{head_sequence}) are "
        "not yet covered by an export: whoever held the application's credentials could have "
        "written them."
    )

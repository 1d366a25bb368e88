from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.services.audit_chain import verify_audit_log


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain from the first event; print the first broken link "
        "and exit non-zero if a row was edited, deleted or inserted."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_audit_log(actor_label="manage.py verify_audit")
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

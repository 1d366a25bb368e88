from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.audit_heads import HeadFileError
from core.services.audit_chain import HeadNotExported, export_audit_head


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain against the heads exported so far and append the "
        "head it reached, as one JSON line, to the file AUDIT_HEAD_EXPORT names."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        destination = settings.AUDIT_HEAD_EXPORT
        if destination is None:
            raise CommandError(
                "AUDIT_HEAD_EXPORT is not set: set it to a file:// URL of a file the portal may "
                "only append to (docs/operations.md, 'What the audit chain proves')."
            )
        try:
            head = export_audit_head(
                destination=destination,
                now=timezone.now(),
                actor_label="manage.py export_audit_head",
            )
        except (HeadNotExported, HeadFileError) as exc:
            raise CommandError(f"No audit head exported: {exc}.") from None
        except OSError as exc:
            raise CommandError(
                f"No audit head exported: cannot append to {destination}: {exc}."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported the head of {head.day:%Y-%m-%d} to {destination}: "
                f"event #{head.sequence} (id {head.event_id}) {head.hash}, {head.events} events."
            )
        )

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.seeding import seed_all


class Command(BaseCommand):
    help = (
        "Create roles, the processing register, retention rules and policy versions (idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = seed_all()
        self.stdout.write(self.style.SUCCESS(f"Seeded: {', '.join(done)}"))

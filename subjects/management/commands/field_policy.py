from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from subjects.field_policy import markdown_table


class Command(BaseCommand):
    help = (
        "Print who sees which of a person's fields as a Markdown table (the copy in "
        "docs/admin-guide.md)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(markdown_table())

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from core.permissions import markdown_matrix


class Command(BaseCommand):
    help = "Print the permission matrix as a Markdown table (the copy in docs/admin-guide.md)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(markdown_matrix())

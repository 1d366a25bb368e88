"""Management commands that answer bad arguments with one line and exit status 2."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandParser

if TYPE_CHECKING:
    from _typeshed import SupportsWrite


class OneLineErrorParser(CommandParser):
    """argparse prints the whole usage before the error; an operator reading a cron mail needs
    the one line that says what was wrong (`--help` still shows the usage)."""

    def print_usage(self, file: SupportsWrite[str] | None = None) -> None:
        return None


class OneLineErrorCommand(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = OneLineErrorParser
        return parser

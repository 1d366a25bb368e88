"""Where the commands find a system's database and manifest: the register (by the system's
id or exact name), or, for the platform's own CI, a URL and a file given on the command line."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError

from processing.models import DataCategory, PlatformDatabase, System


def system_named(system: str) -> System:
    found = (
        System.objects.filter(pk=int(system))
        if system.isdigit()
        else System.objects.filter(name=system)
    )
    match list(found[:2]):
        case []:
            raise CommandError(f"No system “{system}” in the register.")
        case [one]:
            return one
        case _:
            raise CommandError(f"Several systems are named “{system}”: give its id.")


def database_of(system: str) -> PlatformDatabase:
    named = system_named(system)
    database = PlatformDatabase.objects.filter(system=named).first()
    if database is None:
        raise CommandError(f"The system “{named.name}” has no database connection.")
    return database


def url_for(system: str | None, url: str | None) -> str:
    if url:
        return url
    if not system:
        raise CommandError("Name a SYSTEM of the register, or give --url.")
    return str(database_of(system).url)


def manifest_text(system: str | None, path: str | None) -> str:
    if path:
        try:
            return Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
    if not system:
        raise CommandError("Name a SYSTEM of the register, or give --manifest.")
    database = database_of(system)
    manifest = database.manifest()
    if manifest is None:
        raise CommandError(f"The system “{database.system.name}” has no manifest yet.")
    return manifest.text


def register_categories() -> set[str]:
    return set(DataCategory.objects.values_list("code", flat=True))

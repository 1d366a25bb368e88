"""Connecting a system of the register to its own database: the connection and a new version
of its manifest, checked against the live schema first (nothing is saved when a check fails),
audited without the connection's secrets."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from core.audit import Actor, record_event, user_of
from processing.databases.manifest import ManifestError, parse
from processing.databases.rights import rights_problems
from processing.databases.schema import Unreachable, problems_against, reflect
from processing.databases.sources import register_categories
from processing.models import Connector, DatabaseManifest, PlatformDatabase, System


class ConnectRefused(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Connected:
    version: int
    tables: int
    reached: int


def connect_database(
    *,
    system: System,
    url: str,
    manifest_text: str,
    actor: Actor,
    broad_role_allowed: bool = False,
) -> Connected:
    """`broad_role_allowed`: the demo's database only, reached as the portal's own user."""
    try:
        manifest = parse(manifest_text)
    except ManifestError as exc:
        raise ConnectRefused([str(p) for p in exc.problems]) from None
    try:
        live = reflect(url)
    except Unreachable as exc:
        raise ConnectRefused([f"The database cannot be read: {exc}"]) from None
    problems = [str(p) for p in problems_against(manifest, live, categories=register_categories())]
    if not broad_role_allowed:
        problems += rights_problems(url, manifest)
    if problems:
        raise ConnectRefused(problems)
    with transaction.atomic():
        database, _created = PlatformDatabase.objects.update_or_create(
            system=system, defaults={"url": url}
        )
        latest = database.manifest()
        if latest is None or latest.text != manifest_text:
            latest = DatabaseManifest.objects.create(
                database=database,
                version=(latest.version + 1) if latest else 1,
                text=manifest_text,
                created_by=user_of(actor),
            )
        System.objects.filter(pk=system.pk).update(connector=Connector.DATABASE, webhook_url="")
        record_event(
            action="processing.system_database_connected",
            actor=actor,
            target=system,
            details={"manifest_version": latest.version, "tables": len(live.tables)},
        )
    return Connected(
        version=latest.version, tables=len(live.tables), reached=len(manifest.reached())
    )

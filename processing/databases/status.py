"""The state of a system's database connection, for its page: read now, with a short timeout,
and the manifest in force checked against it as a save would check it."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from django.utils.translation import gettext as _

from processing.databases.manifest import Manifest
from processing.databases.schema import Unreachable, problems_against, reflect
from processing.databases.sources import register_categories
from processing.models import PlatformDatabase

# The system's page reads the database on every view: a server that does not answer costs
# the reader these seconds, not the ten a save may wait.
PAGE_TIMEOUT = 3


@dataclass(frozen=True)
class ConnectionState:
    url: str  # the password hidden
    error: str = ""  # why the database cannot be read now; empty when it can
    live_tables: int = 0
    problems: list[str] = field(default_factory=list)  # what the database now refutes


def connection_state(database: PlatformDatabase, manifest: Manifest | None) -> ConnectionState:
    """Read the database now, and check the manifest in force against it as a save would
    (the coverage gate included: a column the platform added since shows here)."""
    url = str(database.url)
    try:
        live = reflect(url, timeout=PAGE_TIMEOUT)
    except Unreachable as exc:
        return ConnectionState(url=shown_url(url), error=str(exc))
    problems = []
    if manifest is not None:
        problems = [
            str(p) for p in problems_against(manifest, live, categories=register_categories())
        ]
    return ConnectionState(url=shown_url(url), live_tables=len(live.tables), problems=problems)


SECRET_PARAMETERS = ("pass", "secret", "key", "token")


def shown_url(url: str) -> str:
    """The URL without its password, nor any query parameter that could carry one."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return _("(not a database URL)")
    query = {
        name: "***" if any(word in name.lower() for word in SECRET_PARAMETERS) else value
        for name, value in parsed.query.items()
    }
    return parsed.set(query=query).render_as_string(hide_password=True)

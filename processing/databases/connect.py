"""Connecting a system of the register to its own database, and changing its connection or its
manifest later: the portal's page, `manage.py connect_database` and the demo all come here.

Every check runs before anything is saved — the document itself, the live schema (tables,
columns, references, a cycle of deletes), and on PostgreSQL the role's rights — so a refusal
names every problem and leaves everything as it was. A new version then takes effect at once,
unless it erases less than the version in force (`compare.erases_less`): that one waits, not in
force, for a DPO to confirm or reject it, as a retention rule's change that purges more does.
Audited without the connection's secrets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, acting_user, record_event, user_of
from core.duties import second_pair_of_eyes_refusal
from core.permissions import DPO, user_roles
from processing.databases.compare import erases_less
from processing.databases.erase import DELETE, Step, delete_order
from processing.databases.manifest import Manifest, ManifestError, Problem, parse
from processing.databases.rights import rights_problems
from processing.databases.schema import LiveSchema, Unreachable, problems_against, reflect
from processing.databases.sources import register_categories
from processing.models import (
    Connector,
    DatabaseManifest,
    ManifestState,
    PlatformDatabase,
    System,
)


class ConnectRefused(ValueError):
    """`connection`: the problem is the connection itself (no URL, the database unreadable),
    not the manifest."""

    def __init__(self, problems: list[str], *, connection: bool = False) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems
        self.connection = connection


@dataclass(frozen=True)
class Connected:
    version: int
    tables: int
    reached: int
    pending: bool = False  # saved, not in force: it erases less and awaits a DPO
    reasons: tuple[str, ...] = ()
    changed: bool = True


@dataclass(frozen=True)
class Checked:
    manifest: Manifest
    live: LiveSchema


def check(
    *, url: str, manifest_text: str, rights: bool = True, still_in_force: Manifest | None = None
) -> Checked:
    """Every check a manifest and its connection pass before they are saved;
    `ConnectRefused` names each problem. `still_in_force`: the manifest the portal keeps
    following while this one waits for a DPO — a right it needs is not one too many yet."""
    try:
        manifest = parse(manifest_text)
    except ManifestError as exc:
        raise ConnectRefused([str(p) for p in exc.problems]) from None
    try:
        live = reflect(url)
    except Unreachable as exc:
        raise ConnectRefused(
            [_("The database cannot be read: %(error)s") % {"error": exc}], connection=True
        ) from None
    problems = [str(p) for p in problems_against(manifest, live, categories=register_categories())]
    problems += [str(p) for p in delete_cycles(manifest)]
    if rights:
        beyond = rights_problems(url, manifest)
        if still_in_force is not None:
            needed_now = set(beyond) - set(rights_problems(url, still_in_force))
            beyond = [p for p in beyond if p not in needed_now]
        problems += beyond
    if problems:
        raise ConnectRefused(problems)
    return Checked(manifest, live)


def delete_cycles(manifest: Manifest) -> list[Problem]:
    """Tables whose rows are deleted and that refer to each other in a ring: no order deletes
    them, so every erasure reaching them would be refused. Found here on save, by the same
    ordering the erasure plan uses, rather than on a person's request."""
    deleting = {
        name: Step(name, DELETE)
        for name, table in manifest.tables.items()
        if table.delete_rows and table.keep is None
    }
    problems: list[Problem] = []
    delete_order(manifest, deleting, problems)
    return problems


def connect_database(
    *,
    system: System,
    url: str,
    manifest_text: str,
    actor: Actor,
    broad_role_allowed: bool = False,
) -> Connected:
    """Connect `system`, or change its connection or manifest. `url` empty keeps the current
    connection. `broad_role_allowed`: the demo's database only, reached as the portal's own
    user."""
    current = PlatformDatabase.objects.filter(system=system).first()
    if not url and current is None:
        raise ConnectRefused(
            [_("Give the connection URL of the system's database.")], connection=True
        )
    target = url or str(current.url if current else "")
    rights = not broad_role_allowed if url else bool(current and current.checks_role_rights)
    checked = check(
        url=target,
        manifest_text=manifest_text,
        rights=rights,
        still_in_force=_waits_for_dpo(current, manifest_text),
    )
    with transaction.atomic():
        database = PlatformDatabase.objects.select_for_update().filter(system=system).first()
        if database is None:
            database = PlatformDatabase.objects.create(
                system=system, url=target, checks_role_rights=rights
            )
            version = _new_version(database, manifest_text, actor)
            _make_database_connector(system)
            record_event(
                action="processing.system_database_connected",
                actor=actor,
                target=system,
                details={"manifest_version": version.version, "tables": len(checked.live.tables)},
            )
            return _connected(version, checked)
        in_force = database.manifest()
        new_connection = target != database.url
        new_text = in_force is None or in_force.text != manifest_text
        reasons = _reasons(in_force, checked.manifest) if new_text and in_force else []
        if reasons:
            assert in_force is not None
            return _propose(database, in_force, checked, manifest_text, target, reasons, actor)
        superseded = _withdraw_pending(database)
        if (
            not (new_text or new_connection or superseded)
            and system.connector == Connector.DATABASE
        ):
            assert in_force is not None
            return _connected(in_force, checked, changed=False)
        if new_connection:
            database.url = target
            database.checks_role_rights = rights
            database.save(update_fields=["url", "checks_role_rights", "updated_at"])
        saved = _new_version(database, manifest_text, actor) if new_text else in_force
        assert saved is not None
        _make_database_connector(system)
        details: dict[str, object] = {
            "manifest_version": saved.version,
            "tables": len(checked.live.tables),
            "manifest_changed": new_text,
            "connection_changed": new_connection,
        }
        if superseded:
            details["superseded"] = superseded
        record_event(
            action="processing.system_database_changed",
            actor=actor,
            target=system,
            details=details,
        )
        return _connected(saved, checked)


def _waits_for_dpo(current: PlatformDatabase | None, text: str) -> Manifest | None:
    """The manifest in force, when the new text erases less and so waits for a DPO."""
    in_force = current.manifest() if current is not None else None
    if in_force is None:
        return None
    try:
        old, new = parse(in_force.text), parse(text)
    except ManifestError:
        return None
    return old if erases_less(old, new) else None


def _reasons(in_force: DatabaseManifest, new: Manifest) -> list[str]:
    try:
        old = parse(in_force.text)
    except ManifestError:
        return [
            _(
                "The manifest in force (v%(version)d) can no longer be read: what it erased "
                "is unknown."
            )
            % {"version": in_force.version}
        ]
    return erases_less(old, new)


def _propose(
    database: PlatformDatabase,
    in_force: DatabaseManifest,
    checked: Checked,
    text: str,
    target: str,
    reasons: list[str],
    actor: Actor,
) -> Connected:
    """Save a version that erases less as pending: the version in force stays in force."""
    new_url = target if target != database.url else ""
    pending = database.pending_manifest()
    if pending is not None and pending.text == text and pending.new_url == new_url:
        return _connected(pending, checked, changed=False)  # proposed again, as it stands
    superseded = _withdraw_pending(database)
    version = _new_version(
        database, text, actor, state=ManifestState.PENDING, reasons=reasons, new_url=new_url
    )
    details: dict[str, object] = {
        "manifest_version": version.version,
        "in_force": in_force.version,
        "reasons": reasons,
        "connection_changed": bool(new_url),
    }
    if superseded:
        details["superseded"] = superseded
    record_event(
        action="processing.system_database_change_proposed",
        actor=actor,
        target=database.system,
        details=details,
    )
    return _connected(version, checked)


def _new_version(
    database: PlatformDatabase,
    text: str,
    actor: Actor,
    *,
    state: str = ManifestState.ACCEPTED,
    reasons: list[str] | None = None,
    new_url: str = "",
) -> DatabaseManifest:
    latest = database.manifests.aggregate(n=Max("version"))["n"] or 0
    return DatabaseManifest.objects.create(
        database=database,
        version=latest + 1,
        text=text,
        state=state,
        reasons=reasons or [],
        new_url=new_url,
        created_by=user_of(actor),
    )


def _withdraw_pending(database: PlatformDatabase) -> int | None:
    """A newer save supersedes the version awaiting the DPO; its version number, if any."""
    pending = database.pending_manifest()
    if pending is None:
        return None
    pending.state = ManifestState.WITHDRAWN
    pending.new_url = ""
    pending.decided_at = timezone.now()
    pending.save(update_fields=["state", "new_url", "decided_at"])
    return pending.version


def _make_database_connector(system: System) -> None:
    System.objects.filter(pk=system.pk).update(connector=Connector.DATABASE, webhook_url="")


def _connected(version: DatabaseManifest, checked: Checked, *, changed: bool = True) -> Connected:
    return Connected(
        version=version.version,
        tables=len(checked.live.tables),
        reached=len(checked.manifest.reached()),
        pending=version.state == ManifestState.PENDING,
        reasons=tuple(version.reasons or ()),
        changed=changed,
    )


# --- the DPO's decision on a version that erases less ----------------------------------------


def may_decide(user: Actor) -> bool:
    """Whether `user` may confirm or reject a change that erases less: a DPO."""
    return DPO in user_roles(user)


def confirm_manifest(
    *, version: DatabaseManifest, actor: Actor, now: dt.datetime | None = None
) -> Connected:
    """The pending version takes effect (and the connection proposed with it). Checked against
    the live schema again first: the database may have changed since the Admin saved it."""
    _decidable(version, actor)
    database = version.database
    rights = bool(version.new_url) or database.checks_role_rights
    checked = check(url=version.new_url or database.url, manifest_text=version.text, rights=rights)
    now = now or timezone.now()
    with transaction.atomic():
        version = _locked(version, actor)
        database = PlatformDatabase.objects.select_for_update().get(pk=version.database_id)
        connection_changed = bool(version.new_url)
        if connection_changed:
            database.url = version.new_url
            database.checks_role_rights = True
            database.save(update_fields=["url", "checks_role_rights", "updated_at"])
        version.state = ManifestState.ACCEPTED
        version.new_url = ""
        version.decided_by = acting_user(actor)
        version.decided_at = now
        version.save(update_fields=["state", "new_url", "decided_by", "decided_at"])
        record_event(
            action="processing.system_database_change_confirmed",
            actor=actor,
            target=database.system,
            details={
                "manifest_version": version.version,
                "proposed_by": version.created_by.get_username() if version.created_by else "",
                "confirmed_by": acting_user(actor).get_username(),
                "connection_changed": connection_changed,
            },
        )
    return _connected(version, checked)


def reject_manifest(
    *, version: DatabaseManifest, actor: Actor, now: dt.datetime | None = None
) -> DatabaseManifest:
    """The version in force stays; the rejected one is kept as the record of the proposal."""
    _decidable(version, actor)
    with transaction.atomic():
        version = _locked(version, actor)
        version.state = ManifestState.REJECTED
        version.new_url = ""
        version.decided_by = acting_user(actor)
        version.decided_at = now or timezone.now()
        version.save(update_fields=["state", "new_url", "decided_by", "decided_at"])
        record_event(
            action="processing.system_database_change_rejected",
            actor=actor,
            target=version.database.system,
            details={"manifest_version": version.version},
        )
    return version


def _decidable(version: DatabaseManifest, actor: Actor) -> None:
    if not may_decide(actor):
        raise PermissionDenied("processing.databases.confirm")
    if version.state != ManifestState.PENDING:
        raise ValidationError(_("This change has already been decided."))
    refusal = second_pair_of_eyes_refusal(actor=actor, involved=[version.created_by])
    if refusal is not None:
        raise ValidationError(refusal)


def _locked(version: DatabaseManifest, actor: Actor) -> DatabaseManifest:
    locked = (
        DatabaseManifest.objects.select_for_update(of=("self",))
        .select_related("database__system", "created_by")
        .get(pk=version.pk)
    )
    _decidable(locked, actor)
    return locked

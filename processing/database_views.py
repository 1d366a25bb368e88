"""A system's own database on its page: the connection's state, the manifest in force and its
versions (DPO, Admin, Auditor); the Admin's form to connect it or change its manifest; the
DPO's decision on a change that erases less."""

from __future__ import annotations

import difflib
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core.permissions import has_permission, requires
from processing.database_forms import DatabaseForm
from processing.databases.connect import (
    ConnectRefused,
    confirm_manifest,
    connect_database,
    may_decide,
    reject_manifest,
)
from processing.databases.draft import draft
from processing.databases.manifest import Manifest, ManifestError, Table, parse
from processing.databases.schema import Unreachable, reflect
from processing.databases.status import connection_state
from processing.models import DatabaseManifest, PlatformDatabase, System

VERSIONS_SHOWN = 20


@requires("processing.systems")
def system_database(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(System, pk=pk)
    database = PlatformDatabase.objects.filter(system=system).first()
    context: dict[str, Any] = {
        "system": system,
        "database": database,
        "can_manage": has_permission(request.user, "processing.systems.manage"),
        "can_decide": may_decide(request.user),
    }
    if database is not None:
        in_force = database.manifest()
        manifest = _parsed(in_force)
        pending = database.pending_manifest()
        context |= {
            "in_force": in_force,
            "manifest": manifest,
            "tables": manifest_rows(manifest) if manifest else [],
            "reached": len(manifest.reached()) if manifest else 0,
            "state": connection_state(database, manifest),
            "pending": pending,
            "pending_diff": _diff(in_force, pending),
            "versions": database.manifests.select_related("created_by", "decided_by").order_by(
                "-version"
            )[:VERSIONS_SHOWN],
        }
    return render(request, "processing/system_database.html", context)


@requires("processing.systems.manage")
@never_cache
def system_database_edit(request: HttpRequest, pk: int) -> HttpResponse:
    system = get_object_or_404(System, pk=pk)
    database = PlatformDatabase.objects.filter(system=system).first()
    connected = database is not None
    start = (database.pending_manifest() or database.manifest()) if database else None
    initial = {"manifest": start.text if start else ""}
    form = DatabaseForm(request.POST or None, initial=initial, connected=connected)
    draft_error = ""
    if request.method == "POST" and "draft" in request.POST:
        url = request.POST.get("url", "").strip() or (str(database.url) if database else "")
        text = request.POST.get("manifest", "")
        if not url:
            draft_error = _("Give the connection URL to draft the manifest from its schema.")
        else:
            try:
                text = draft(reflect(url))
            except Unreachable as exc:
                draft_error = _("No draft: the database cannot be read: %(error)s") % {"error": exc}
        form = DatabaseForm(initial={"manifest": text}, connected=connected)
    elif request.method == "POST" and form.is_valid():
        try:
            saved = connect_database(
                system=system,
                url=form.cleaned_data["url"],
                manifest_text=form.cleaned_data["manifest"],
                actor=request.user,
            )
        except ConnectRefused as refused:
            form.add_error("url" if refused.connection else None, refused.problems)
        else:
            if saved.pending:
                messages.warning(
                    request,
                    _(
                        "Saved as manifest v%(version)d, not in force: it erases less than the "
                        "version in force, so it takes effect once a DPO confirms it."
                    )
                    % {"version": saved.version},
                )
            elif saved.changed:
                messages.success(
                    request,
                    _("Manifest v%(version)d is in force: the portal follows it from now on.")
                    % {"version": saved.version},
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("processing:system_database", pk=system.pk)
    return render(
        request,
        "processing/system_database_form.html",
        {
            "system": system,
            "database": database,
            "form": form,
            "draft_error": draft_error,
            "drafted": "draft" in request.POST and not draft_error,
        },
    )


@requires("processing.systems")
@require_POST
def system_database_decide(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    # The register's readers reach this page; of them only a DPO decides (the service says so).
    if not may_decide(request.user):
        raise PermissionDenied("processing.systems")
    proposal = get_object_or_404(
        DatabaseManifest.objects.select_related("database__system", "created_by"),
        database__system_id=pk,
        version=version,
    )
    decision = request.POST.get("decision")
    try:
        if decision == "confirm":
            confirm_manifest(version=proposal, actor=request.user)
            messages.success(
                request,
                _("Confirmed: manifest v%(version)d is in force from now on.")
                % {"version": proposal.version},
            )
        elif decision == "reject":
            reject_manifest(version=proposal, actor=request.user)
            messages.success(request, _("Rejected: the manifest in force stays as it is."))
        else:
            messages.error(request, _("Choose to confirm or to reject the change."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConnectRefused as refused:
        messages.error(
            request,
            _("It cannot take effect: the database no longer fits it. Nothing changed."),
        )
        for problem in refused.problems:
            messages.error(request, problem)
    return redirect("processing:system_database", pk=pk)


def _parsed(version: DatabaseManifest | None) -> Manifest | None:
    if version is None:
        return None
    try:
        return parse(version.text)
    except ManifestError:
        return None


def _diff(in_force: DatabaseManifest | None, pending: DatabaseManifest | None) -> str:
    if in_force is None or pending is None:
        return ""
    return "\n".join(
        line.rstrip("\n")
        for line in difflib.unified_diff(
            in_force.text.splitlines(),
            pending.text.splitlines(),
            f"v{in_force.version}",
            f"v{pending.version}",
            lineterm="",
        )
    )


def manifest_rows(manifest: Manifest) -> list[dict[str, Any]]:
    """The manifest in words, a row per table: how a person's rows are found there and what
    erasure does to them."""
    reached = manifest.reached()
    return [_table_row(table, reached) for _, table in sorted(manifest.tables.items())]


def _table_row(table: Table, reached: set[str]) -> dict[str, Any]:
    if not table.personal:
        return {"name": table.name, "personal": False}
    if table.keep is not None:
        erasure = _("rows kept: %(reason)s") % {"reason": table.keep.reason}
    elif table.delete_rows:
        erasure = _("rows deleted")
    elif table.personal_columns:
        erasure = _("personal columns changed, rows stay")
    else:
        erasure = _("nothing to erase")
    how = {"clear": _("emptied"), "hash": _("keyed hash"), "value": _("fixed value")}
    return {
        "name": table.name,
        "personal": True,
        "reached": table.name in reached,
        "erasure": erasure,
        "identities": [f"{c.name} ({c.identity.replace('_', ' ')})" for c in table.identities],
        # Only a reference into the person's rows finds more of them (a project is not theirs).
        "references": [
            f"{c.name} → {'.'.join(c.references)}"
            for c in table.columns.values()
            if c.references and c.references[0] in reached
        ],
        "columns": [
            {
                "name": c.name,
                "category": c.category,
                "erase": how.get(c.erase.how, c.erase.how) if c.erase else "",
            }
            for c in table.personal_columns
        ],
    }

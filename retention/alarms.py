"""The retention app's contributions to every page (alarm) and to the home page (panel)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.display import staff_datetime
from core.permissions import Role, has_permission, user_roles
from retention.ledger import copy_is_failing
from retention.pause import purge_paused
from retention.selectors import findings, last_successful_run, purge_is_late


def purge_alarm(request: HttpRequest) -> list[str]:
    """The DPO must know when the nightly purge has stopped working (G: no one has to
    remember — so someone must notice when the machine forgets)."""
    roles = user_roles(request.user)
    paused = purge_paused()
    if paused is not None:
        # Paused on purpose, so not "late"; but a pause left on for a day is the same harm.
        if {Role.DPO, Role.ADMIN} & roles and paused.is_alarm():
            return [f"{paused.sentence()} {_('Data past its retention period is kept.')}"]
        return []
    if Role.DPO not in roles:
        return []
    if not purge_is_late():
        return []
    return [_("No purge has succeeded for 36 hours: data past its retention period is kept.")]


def ledger_copy_alarm(request: HttpRequest) -> list[str]:
    """Without the erasure ledger's copy, a restored backup brings erased people back: the
    DPO and the Admin who runs the machines must know when it cannot be written."""
    if not {Role.DPO, Role.ADMIN} & user_roles(request.user):
        return []
    if not copy_is_failing():
        return []
    return [
        _(
            "The erasure ledger could not be copied outside the database (ERASURE_LEDGER_DIR): "
            "a restored backup could not replay the latest erasures. The hourly export retries."
        )
    ]


def purge_panel(request: HttpRequest) -> dict[str, Any] | None:
    if not has_permission(request.user, "retention.preview"):
        return None
    last = last_successful_run()
    lines = []
    if last is None or last.finished_at is None:
        lines.append({"text": _("No purge has succeeded yet."), "url": ""})
    else:
        lines.append(
            {
                "text": ngettext(
                    "Last purge: %(when)s, %(n)d record",
                    "Last purge: %(when)s, %(n)d records",
                    last.total,
                )
                % {"when": staff_datetime(last.finished_at), "n": last.total},
                "url": reverse("retention:run_detail", args=[last.pk]),
            }
        )
    count = len(findings())
    if count:
        lines.append(
            {
                "text": ngettext("%(n)d retention finding", "%(n)d retention findings", count)
                % {"n": count},
                "url": reverse("retention:preview"),
            }
        )
    paused = purge_paused()
    if paused is not None:
        lines.append({"text": paused.sentence(), "url": reverse("retention:preview")})
    lines.append({"text": _("Tonight's purge: preview"), "url": reverse("retention:preview")})
    return {"title": _("Retention"), "lines": lines}

"""core's own alarm: the DPO must know when the audit log's chain is broken (Art. 5(2):
the log is the operator's evidence of accountability, worthless once it can be rewritten)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.permissions import Role, user_roles
from core.services.audit_chain import audit_chain_broken


def audit_chain_alarm(request: HttpRequest) -> list[str]:
    if Role.DPO not in user_roles(request.user):
        return []
    if not audit_chain_broken():
        return []
    return [
        _(
            "The audit log has been tampered with: its hash chain is broken. "
            "Run `python manage.py verify_audit` for the first broken link."
        )
    ]

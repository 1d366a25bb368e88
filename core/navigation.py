"""The navigation bar: each entry names the matrix key that shows it."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str


NAVIGATION: list[NavItem] = [
    NavItem(_("Home"), "home", "home"),
    NavItem(_("Data subjects"), "subjects:list", "subjects.list"),
    NavItem(_("Register"), "processing:register", "processing.register"),
    NavItem(_("Consent"), "consent:find", "consent.log"),
    NavItem(_("Ledger"), "consent:ledger", "consent.ledger"),
    NavItem(_("Import"), "consent:imports", "consent.import"),
    NavItem(_("Retention"), "retention:preview", "retention.preview"),
    NavItem(_("Breaches"), "breaches:list", "breaches.register"),
    NavItem(_("Audit log"), "audit_log", "audit.log"),
    NavItem(_("Requests"), "subject_requests:queue", "requests.queue"),
    NavItem(_("Request register"), "subject_requests:register", "requests.register"),
    NavItem(_("API keys"), "api_keys", "api.keys"),
]

"""The navigation bar and the tabs of a section: each entry names the matrix key that shows it,
so nobody is offered a page that would answer 403 (tests/test_navigation_walk.py walks every
role's links and compares them with the permission matrix)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str
    # Shown only to those who lack this key: a role that cannot open a section's first page
    # gets the page of that section it can open instead.
    unless: str = ""


NAVIGATION: list[NavItem] = [
    NavItem(_("Home"), "home", "home"),
    NavItem(_("Data subjects"), "subjects:list", "subjects.list"),
    NavItem(_("Register"), "processing:register", "processing.register"),
    NavItem(_("Consent"), "consent:find", "consent.log"),
    NavItem(_("Ledger"), "consent:ledger", "consent.ledger"),
    NavItem(_("Import"), "consent:imports", "consent.import"),
    NavItem(_("Retention"), "retention:preview", "retention.preview"),
    NavItem(_("Retention rules"), "retention:rule_list", "retention.rules", "retention.preview"),
    NavItem(_("Audit log"), "audit_log", "audit.log"),
    NavItem(_("Requests"), "subject_requests:queue", "requests.queue"),
    NavItem(_("Request register"), "subject_requests:register", "requests.register"),
    NavItem(_("Django admin"), "admin:index", "admin.site"),
    NavItem(_("Breaches"), "breaches:list", "breaches.register"),
    NavItem(_("API keys"), "api_keys", "api.keys"),
]

# The tabs at the top of a section's pages (`{% section_tabs "consent" "ledger" %}`).
SECTION_TABS: dict[str, list[tuple[str, NavItem]]] = {
    "consent": [
        ("log", NavItem(_("Log a withdrawal or objection"), "consent:find", "consent.log")),
        ("ledger", NavItem(_("Ledger"), "consent:ledger", "consent.ledger")),
        ("audience", NavItem(_("Audience export"), "consent:audience", "consent.audience")),
        (
            "suppression",
            NavItem(_("Suppression list"), "consent:suppression", "consent.suppression"),
        ),
        ("notices", NavItem(_("Notices and policy"), "consent:notices", "consent.notices")),
        ("objections", NavItem(_("Objections"), "consent:objections", "consent.objection.decide")),
    ],
    "retention": [
        ("preview", NavItem(_("Tonight's purge"), "retention:preview", "retention.preview")),
        (
            "uncovered",
            NavItem(_("Records no rule governs"), "retention:uncovered", "retention.preview"),
        ),
        ("history", NavItem(_("Run history"), "retention:history", "retention.preview")),
        ("rules", NavItem(_("Rules"), "retention:rule_list", "retention.rules")),
    ],
}

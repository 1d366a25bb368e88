"""The permission matrix: which role may open which page or take which action.

Every view declares one key of `MATRIX` (`@requires("subjects.list")` on a function view,
`permission = "subjects.list"` on a class view); `PermissionMiddleware` enforces it before the
view runs, so a view without a declaration is refused (and fails the matrix test and the
system check). Views that branch on finer actions call `has_permission(user, key)`.
The matrix in docs/admin-guide.md is generated from this module (`manage.py permission_matrix`).

A role is held through a group, and a group is a role while it holds the role's key, a
permission of `core.RoleKey` (`core.role_dpo`, ...), never by its name: an Admin may rename
the group "DPO" and its members keep their rights; taking the key from a group takes the role
from its members.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils import translation

logger = logging.getLogger(__name__)


class Role(models.TextChoices):
    DPO = "DPO", "DPO"
    STAFF = "Staff", "Staff"
    ADMIN = "Admin", "Admin"
    AUDITOR = "Auditor", "Auditor"


DPO, STAFF, ADMIN, AUDITOR = Role.DPO, Role.STAFF, Role.ADMIN, Role.AUDITOR
EVERY_ROLE = frozenset(Role)

# The permissions that are the roles' keys: `core.<codename>`, declared on `core.RoleKey`.
ROLE_KEY_APP = "core"
ROLE_KEYS: dict[Role, str] = {role: f"role_{role.value.lower()}" for role in Role}
ROLE_BY_KEY = {key: role for role, key in ROLE_KEYS.items()}


def role_key_name(role: Role) -> str:
    """The key's name, as the Django admin lists it among a group's permissions."""
    return f"Is the {role.label} role"


@dataclass(frozen=True)
class Rule:
    description: str
    roles: frozenset[Role] = frozenset()
    public: bool = False


def _rule(description: str, *roles: Role) -> Rule:
    return Rule(description, frozenset(roles))


def _public(description: str) -> Rule:
    return Rule(description, EVERY_ROLE, public=True)


MATRIX: dict[str, Rule] = {
    # --- frame -----------------------------------------------------------------------------
    "public": _public("Log in, log out, language choice, health check"),
    # Reachable before the second factor is verified (every other page needs it of DPO/Admin).
    "account.2fa": _rule("Two-factor authentication: enrol, verify, recovery codes", *EVERY_ROLE),
    "home": _rule("Home page", *EVERY_ROLE),
    "dashboard": _rule("The DPO's dashboard: requests, rights, consent, purge, breaches", DPO),
    "audit.log": _rule("Audit log (no personal data)", DPO, ADMIN, AUDITOR),
    "admin.site": _rule("Django admin (read-only for personal data)", ADMIN),
    "api.docs": _rule("The API's schema and its documentation page", *EVERY_ROLE),
    "api.keys": _rule("Create, list and revoke API keys for integrations", ADMIN),
    # --- subjects --------------------------------------------------------------------------
    "subjects.list": _rule("List and search data subjects", DPO, STAFF),
    "subjects.detail": _rule("A subject's page: identification, contact, consent", DPO, STAFF),
    "subjects.detail.all": _rule(
        "A subject's page: every category, records, recipients, who looked", DPO
    ),
    "subjects.edit": _rule("Create and correct a subject", DPO),
    # --- processing register (Art. 30) -----------------------------------------------------
    "processing.register": _rule(
        "Record of processing: purposes, processors, transfers", DPO, ADMIN, AUDITOR
    ),
    "processing.manage": _rule("Change purposes, processors, recipients, transfers", ADMIN),
    "processing.systems": _rule(
        "Systems register: where personal data lives outside the portal", DPO, ADMIN, AUDITOR
    ),
    "processing.systems.manage": _rule(
        "Add, change and deactivate systems; issue a webhook's signing secret", ADMIN
    ),
    # --- retention -------------------------------------------------------------------------
    "retention.preview": _rule("Purge preview, run history, findings", DPO, ADMIN),
    "retention.rules": _rule("Read retention rules", DPO, ADMIN, AUDITOR),
    "retention.rules.manage": _rule("Create and change retention rules", ADMIN),
    "retention.rules.confirm": _rule("Confirm a rule change that enlarges the purge", DPO),
    "retention.purge.pause": _rule("Pause and resume the nightly purge, with a reason", DPO, ADMIN),
    # --- consent ---------------------------------------------------------------------------
    "consent.log": _rule("Log a withdrawal, objection or grant", DPO, STAFF),
    "consent.ledger": _rule("Read and export the consent ledger", DPO, AUDITOR),
    # Evidence is a person's own letter or e-mail: personal data, so not for the Auditor.
    "consent.evidence": _rule("Download the evidence behind a ledger event", DPO),
    "consent.audience": _rule("Export a purpose's current audience", DPO),
    "consent.notices": _rule("Information notices and policy versions", DPO),
    "consent.policy.manage": _rule("Publish a policy version", DPO),
    "consent.objection.decide": _rule("Decide an Art. 21(1) objection", DPO),
    "consent.suppression": _rule("Suppression list; refuse or flag a suppressed re-import", DPO),
    "consent.import": _rule(
        "Import people or withdrawals from a CSV file: dry run, then apply", DPO, STAFF
    ),
    "consent.public": _public("Unsubscribe and subscription pages for data subjects"),
    # --- data-subject requests -------------------------------------------------------------
    "requests.queue": _rule("The request queue and a request's page", DPO, STAFF),
    "requests.enter": _rule("Enter a request received by e-mail, letter or phone", DPO, STAFF),
    "requests.tasks": _rule(
        "Tasks of the systems one owns: what to do, and recording it", DPO, STAFF, ADMIN
    ),
    "requests.propose": _rule("Propose an erasure for a DPO to confirm", DPO, STAFF),
    "requests.decide": _rule(
        "Verify, extend, pause, reject, complete, assign a request; confirm or decline sending "
        "a portability package to another company",
        DPO,
    ),
    "requests.register": _rule("Register of requests (CSV)", DPO, AUDITOR),
    # --- breaches (Art. 33, 34) ------------------------------------------------------------
    # The register without the names of the people affected: the Auditor reads it too.
    "breaches.register": _rule(
        "Breach register, its clocks and the notification draft", DPO, AUDITOR
    ),
    "breaches.manage": _rule(
        "Record a breach, notify, follow up, decide and send the letters to the people", DPO
    ),
    "hooks.system_tasks": _public("A system's signed, single-use completion call"),
    "requests.public": _public(
        "Public request form and status page; the download links of the requester and of a "
        "company a portability package was sent to"
    ),
    "selfservice.public": _public(
        "Self-service for data subjects: a sign-in link, then only their own data (a subject "
        "session, not a staff login)"
    ),
}

PUBLIC_KEYS = frozenset(key for key, rule in MATRIX.items() if rule.public)


def user_roles(user: Any) -> frozenset[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_privacyops_roles", None)
    if cached is None:
        keys = user.groups.filter(
            permissions__content_type__app_label=ROLE_KEY_APP,
            permissions__codename__in=ROLE_BY_KEY,
        ).values_list("permissions__codename", flat=True)
        cached = frozenset(ROLE_BY_KEY[key] for key in keys)
        user._privacyops_roles = cached
    return cached


def role_group(role: Role) -> models.Q:
    """The groups that are this role (they hold its key), as a filter of groups."""
    return models.Q(
        permissions__content_type__app_label=ROLE_KEY_APP, permissions__codename=ROLE_KEYS[role]
    )


def holding_role(*roles: Role) -> models.Q:
    """The users who hold any of these roles, as a filter of users (join: add `distinct()`)."""
    return models.Q(
        groups__permissions__content_type__app_label=ROLE_KEY_APP,
        groups__permissions__codename__in=[ROLE_KEYS[role] for role in roles],
    )


def has_permission(user: Any, key: str) -> bool:
    rule = MATRIX[key]
    if rule.public:
        return True
    return bool(user_roles(user) & rule.roles)


V = TypeVar("V", bound=Callable[..., Any])


def requires(key: str) -> Callable[[V], V]:
    """Declare the matrix key a function view needs."""
    if key not in MATRIX:
        raise KeyError(f"{key!r} is not in the permission matrix")

    def decorate(view: V) -> V:
        # The function's own attribute, read back by `declared_permission`; a `Callable`
        # declares no attributes, and `vars` is the function's `__dict__`.
        vars(view)["permission"] = key
        return view

    return decorate


def declared_permission(view_func: Any, app_names: Iterable[str] = ()) -> str | None:
    if "admin" in app_names:
        return "admin.site"
    key = getattr(view_func, "permission", None)
    if key is None:
        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        key = getattr(view_class, "permission", None) or None
    return key


class PermissionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        match = request.resolver_match
        key = declared_permission(view_func, match.app_names if match else ())
        if key is None or key not in MATRIX:
            logger.error(
                "view %s declares no permission; refused", getattr(match, "view_name", "?")
            )
            return _refuse(request, "undeclared")
        rule = MATRIX[key]
        if rule.public:
            return None
        if getattr(getattr(view_func, "cls", None), "checks_own_permission", False):
            # An API view: a key is no session; DRF checks the key's scopes or the user's
            # roles for this key (`core.api.auth.ScopePermission`), 2FA included.
            return None
        # Staff pages are in English; only the pages for data subjects follow their language.
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        if not request.user.is_authenticated:
            if request.path.startswith("/api/"):
                return _api_error(401, "Authentication required.")
            return redirect_to_login(request.get_full_path())
        if key != "account.2fa":
            from core.services.two_factor import has_authenticator, second_factor_missing

            if second_factor_missing(request):
                # DPO and Admin reach nothing but enrolment and verification until this
                # session has passed the second factor.
                if request.path.startswith("/api/"):
                    return _api_error(403, "Two-factor verification required.")
                step = "two_factor_verify" if has_authenticator(request.user) else "two_factor"
                return redirect_to_login(request.get_full_path(), login_url=step)
        if not has_permission(request.user, key):
            return _refuse(request, key)
        return None


def _refuse(request: HttpRequest, key: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return _api_error(403, "You do not have permission for this.")
    from django.template import loader

    body = loader.render_to_string("403.html", {"permission_key": key}, request=request)
    return HttpResponse(body, status=403)


def _api_error(status: int, message: str) -> HttpResponse:
    from core.api.errors import error_json

    return error_json(status, message)


def markdown_matrix() -> str:
    roles = list(Role)
    header = "| page / action | key | " + " | ".join(r.label for r in roles) + " |"
    lines = [header, "|" + " --- |" * (len(roles) + 2)]
    for key, rule in MATRIX.items():
        if rule.public:
            cells = ["public"] * len(roles)
        else:
            cells = ["yes" if role in rule.roles else "—" for role in roles]
        lines.append(f"| {rule.description} | `{key}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)

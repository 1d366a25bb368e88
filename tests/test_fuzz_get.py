"""Hostile values in every GET parameter of every page, as every role and as
an anonymous visitor, never give a server error.

Pages are every URL pattern (core.checks.iter_patterns) with their converters filled from
real rows (a canary person with a row in every model, its request, answer, evidence, …) and
real tokens for the public links, plus the admin's list of every model. Parameters are every
field of the project's forms and every name a view reads from `request.GET`, collected from
the source, plus the admin's. Each request sends one hostile value in all of them at once,
then each parameter alone with a NUL (a NUL in one parameter must not hide behind another
that a form refused first). PostgreSQL refuses NUL in a string, so the run on PostgreSQL is
the one that counts, and the only one: the walk is marked `postgres` (CI runs it; SQLite
skips it), and each page gets a bounded sample, every hostile value once among the roles that
may open it, with a NUL for each of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import get_resolver, reverse

from consent.emails import subscription_token, unsubscribe_token
from consent.models import (
    ConsentEvidence,
    CsvImport,
    ObjectionReview,
    PendingSubscription,
    PolicyVersion,
)
from core.checks import iter_patterns
from core.permissions import PUBLIC_KEYS, declared_permission
from core.webhooks import callback_token
from retention.models import RetentionRule, RuleChange
from selfservice.links import link_token
from selfservice.models import SignInLink
from subject_requests import delivery
from subject_requests.models import Answer, SubjectRequest, SystemTask, TimelineEntry
from subject_requests.services.identity import status_token, verification_token
from subject_requests.services.systems import CALLBACK_PURPOSE
from subjects.models import DataSubject
from tests import factories as f
from tests.reports_helpers import canary

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

BASE = Path(settings.BASE_DIR)
APPS = ("core", "subjects", "processing", "consent", "retention", "subject_requests")
HOSTILE = {
    "nul": "a\x00b",
    "long": "x" * 100_000,
    "rtl": "\u202eexe.txt",
    "sql": "' OR 1=1 --",
    "html": "<script>alert(1)</script>",
    "path": "../../etc/passwd",
    "percent-nul": "%00",
}
# Names the admin's list pages read (search, order, page, the error flag, popups).
ADMIN_PARAMS = {"q", "o", "p", "e", "all", "_to_field", "_popup", "_changelist_filters"}


def form_field_names() -> set[str]:
    def subclasses(cls: type) -> Iterator[type]:
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    names: set[str] = set()
    for form in subclasses(forms.BaseForm):
        if form.__module__.split(".")[0] in APPS:
            names |= set(getattr(form, "base_fields", {}))
    return names


READ = re.compile(r"""(?:request\.GET|params)(?:\.get)?[\[(]\s*f?["']([\w{}]+)["']""")


def names_read_in(path: Path) -> set[str]:
    """The query-string names a module reads directly (`<code>_page`: a person's records)."""
    names = set(READ.findall(path.read_text(encoding="utf-8")))
    return {name.replace("{code}", "demos") for name in names}


def names_read_from_get() -> set[str]:
    return {
        name for app in APPS for path in (BASE / app).rglob("*.py") for name in names_read_in(path)
    }


def parameter_names() -> list[str]:
    get_resolver().url_patterns  # noqa: B018 - imports every view, and so every form
    return sorted(form_field_names() | names_read_from_get() | ADMIN_PARAMS | {"page"})


def test_the_parameter_list_sees_forms_and_direct_reads() -> None:
    names = set(parameter_names())
    assert {"action", "target_type", "status", "group", "real", "page", "demos_page"} <= names
    assert {"q", "as_of", "assignee"} <= names  # form fields (queue, purge preview)


class Rows:
    """Real rows and tokens to fill the URL patterns' converters with."""

    def __init__(self, marketing: Any) -> None:
        self.person, _markers = canary("Fuzz")
        self.request = SubjectRequest.objects.filter(subjects=self.person).get()
        self.request.verification_nonce = "fuzz-nonce"
        delivery.issue_link(self.request)
        delivery.issue_link(self.request, delivery.RECEIVER)
        self.request.transmission = "confirmed"
        self.request.receiver_email = "privacy@receiver.example"
        self.request.save()
        self.answer = Answer.objects.filter(request=self.request).get()
        self.document = TimelineEntry.objects.filter(request=self.request, kind="document")
        self.run = f.PurgeRunFactory.create()
        system = f.SystemFactory.create(name="Fuzz CRM")
        self.task = SystemTask.objects.create(
            request=self.request,
            subject=self.person,
            system=system,
            kind="action",
            operation="access",
            connector="manual",
            owner=system.owner,
            due_on=self.request.target_on(),
            payload={"person": {"work_email": self.person.work_email}},
            callback_nonce="fuzz",
        )
        importer = f.UserFactory.create(username="fuzz-importer")
        self.csv_import = CsvImport.objects.create(
            kind="prospects", status="checked", headers=["email"], mapping={"email": "work_email"},
            content=b"email\nfuzz@example.com\n", total_rows=1, counts={"create": 1},
            plan=[[2, "create", None, {}]], created_by=importer,
        )  # fmt: skip
        pending = PendingSubscription.objects.get(email_index=self.person.work_email_index)
        pending.nonce = "fuzz"
        pending.save()
        self.tokens = {
            "privacy/request/verify/": verification_token(self.request),
            "privacy/request/status/": status_token(self.request),
            "privacy/answers/": delivery.token_for(self.request),
            "privacy/transfer/": delivery.token_for(self.request, delivery.RECEIVER),
            "p/unsubscribe/": unsubscribe_token(self.person, marketing),
            "p/subscribe/confirm/": subscription_token(pending_id=pending.pk, nonce="fuzz"),
            "hooks/system-tasks/": callback_token(
                purpose=CALLBACK_PURPOSE, object_id=self.task.pk, nonce="fuzz"
            ),
            "p/me/link/": link_token(SignInLink.objects.create(subject=self.person, nonce="fuzz")),
        }

    def pk_for(self, route: str) -> Any:
        by_prefix: list[tuple[str, Callable[[], Any]]] = [
            ("subjects/organisations/", lambda: self.person.organisation_id),
            ("subjects/", lambda: self.person.pk),
            ("consent/evidence/", lambda: ConsentEvidence.objects.values_list("pk").first()),
            ("consent/policies/", lambda: PolicyVersion.objects.values_list("pk").first()),
            ("consent/objections/", lambda: ObjectionReview.objects.values_list("pk").first()),
            ("consent/imports/", lambda: self.csv_import.pk),
            ("consent/", lambda: self.person.pk),
            ("retention/runs/", lambda: self.run.pk),
            ("retention/rules/", lambda: RetentionRule.objects.values_list("pk").first()),
            ("retention/changes/", lambda: RuleChange.objects.values_list("pk").first()),
            ("requests/tasks/", lambda: self.task.pk),
            ("requests/", lambda: self.request.pk),
        ]
        for prefix, value in by_prefix:
            if route.startswith(prefix):
                found = value()
                return found[0] if isinstance(found, tuple) else (found or 1)
        return 1

    def url(self, route: str) -> str | None:
        converters = re.findall(r"<(\w+):(\w+)>", route)
        if "(?P" in route or "^" in route:
            return None  # the admin's regular expressions: its list pages are added below
        kwargs: dict[str, str] = {}
        for converter, name in converters:
            if name == "token":
                kwargs[name] = next(t for p, t in self.tokens.items() if route.startswith(p))
            elif name == "pk":
                kwargs[name] = str(self.pk_for(route))
            elif name == "entry_id":
                kwargs[name] = str(self.document.values_list("pk", flat=True).first())
            elif name == "answer_id":
                kwargs[name] = str(self.answer.pk)
            elif name == "subject_pk":
                kwargs[name] = str(self.person.pk)
            elif converter == "slug":
                kwargs[name] = "reject"
            else:
                return None
        url = "/" + route
        for converter, name in converters:
            url = url.replace(f"<{converter}:{name}>", kwargs[name])
        return url


@dataclass(frozen=True)
class Page:
    url: str
    public: bool
    # Names the view's module (and its app's selectors) read from the query string.
    reads: frozenset[str]


def view_reads(callback: Any) -> frozenset[str]:
    module = getattr(callback, "__module__", "") or ""
    if module.split(".")[0] not in APPS:
        return frozenset()
    source = BASE / (module.replace(".", "/") + ".py")
    selectors = BASE / module.split(".")[0] / "selectors.py"
    found = set()
    for path in (source, selectors):
        if path.exists():
            found |= names_read_in(path)
    return frozenset(found)


def pages(rows: Rows) -> list[Page]:
    found = {}
    for route, pattern, app_names in iter_patterns(get_resolver().url_patterns):
        if route.startswith("admin/") or (url := rows.url(route)) is None:
            continue
        callback = pattern.callback
        public = declared_permission(callback, app_names) in PUBLIC_KEYS
        found[url] = Page(url, public, view_reads(callback))
    admin_pages = [reverse("admin:index")] + [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]
    for url in admin_pages:
        found[url] = Page(url, False, frozenset(ADMIN_PARAMS))
    return sorted(found.values(), key=lambda page: page.url)


def test_every_page_is_reached_with_real_rows(seeded: None, marketing: Any) -> None:
    rows = Rows(marketing)
    urls = [page.url for page in pages(rows)]
    assert f"/subjects/{rows.person.pk}/" in urls
    assert f"/requests/{rows.request.pk}/answers/{rows.answer.pk}/file/" in urls
    assert any(url.startswith("/privacy/answers/") for url in urls)
    assert "/admin/subjects/datasubject/" in urls
    assert f"/requests/tasks/{rows.task.pk}/" in urls
    assert any(url.startswith("/hooks/system-tasks/") for url in urls)
    assert DataSubject.objects.count() >= 1


@pytest.fixture
def clients(dpo: User, staff: User, admin_user: User, auditor: User) -> dict[str, Client]:
    found = {"anonymous": Client(raise_request_exception=False)}
    for user in (dpo, staff, admin_user, auditor):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        found[user.username] = client
    return found


GET_FORM = re.compile(r"<form\b(?![^>]*method=\"post\")[^>]*>(.*?)</form>", re.S | re.I)
FIELD_NAME = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)


def parameters_of(page: Page, html: str) -> list[str]:
    """What the page can be asked: its GET forms' fields and what its view reads."""
    names = {name for form in GET_FORM.findall(html) for name in FIELD_NAME.findall(form)}
    return sorted((names | page.reads | {"page"}) - {"csrfmiddlewaretoken"})


@pytest.mark.postgres
def test_no_hostile_get_parameter_gives_a_server_error(
    seeded: None, marketing: Any, clients: dict[str, Client]
) -> None:
    """A bounded sample per page: every hostile value once per page, spread over the roles
    that may open it, a NUL for each of those roles, and a NUL in each parameter alone."""
    failures: list[str] = []

    def get(client: Client, role: str, url: str, data: dict[str, str], what: str) -> None:
        response = client.get(url, data)
        if isinstance(response, StreamingHttpResponse):  # a CSV export fails while it streams
            try:
                b"".join(response)
            except Exception as error:  # any failure is the finding
                failures.append(f"streaming {role} {url} {what}: {error!r}")
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {role} {url} {what}")

    for page in pages(Rows(marketing)):
        # A public page is the same for everyone: the anonymous visitor asks it.
        visitors: list[tuple[str, Client, str]] = []
        for role, client in (
            clients.items() if not page.public else [("anonymous", clients["anonymous"])]
        ):
            plain = client.get(page.url)
            if plain.status_code in {403, 405} or (
                plain.status_code == 302 and plain["Location"].startswith(("/login/", "/account"))
            ):
                continue  # not this role's page: the guard answers before any parameter
            visitors.append(
                (role, client, "" if plain.streaming else plain.content.decode(errors="replace"))
            )
        for position, (role, client, html) in enumerate(visitors):
            params = parameters_of(page, html)
            for index, (name, value) in enumerate(HOSTILE.items()):
                if name == "nul" or index % len(visitors) == position:
                    get(client, role, page.url, dict.fromkeys(params, value), name)
            if position == 0:
                # One at a time too: a refused parameter must not shield the next one.
                for param in params:
                    get(client, role, page.url, {param: HOSTILE["nul"]}, f"nul in {param}")
    assert failures == [], "\n".join(failures)


def test_the_audit_filter_refuses_a_nul_or_an_overlong_value_and_filters_nothing(
    client_for: Any, dpo: User
) -> None:
    client = client_for(dpo)
    for value in ("subject.viewed\x00", "x" * 101):
        response = client.get("/audit/", {"action": value})
        assert response.status_code == 200
        assert "The filter was not applied" in response.content.decode()
    assert "The filter was not applied" not in client.get("/audit/?action=x").content.decode()


def test_the_run_history_reads_only_the_statuses_it_offers(client_for: Any, dpo: User) -> None:
    failed = f.PurgeRunFactory.create(status="failed")
    succeeded = f.PurgeRunFactory.create(status="succeeded", dry_run=True)
    client = client_for(dpo)

    def listed(query: dict[str, str]) -> set[int]:
        page = client.get("/retention/runs/", query)
        assert page.status_code == 200
        return {
            int(pk) for pk in re.findall(r'href="/retention/runs/(\d+)/"', page.content.decode())
        }

    assert listed({"status": "failed"}) == {failed.pk}
    assert listed({"real": "1"}) == {failed.pk}
    assert listed({"status": "a\x00b"}) == {failed.pk, succeeded.pk}  # filters nothing


def test_the_admin_refuses_a_nul_or_an_overlong_value_before_any_lookup(
    client_for: Any, admin_user: User
) -> None:
    client = client_for(admin_user)
    assert client.get("/admin/core/auditevent/", {"action": "a\x00b"}).status_code == 400
    assert client.get("/admin/core/auditevent/", {"q": "x" * 2001}).status_code == 400
    assert client.get("/admin/core/auditevent/", {"q": "x"}).status_code == 200

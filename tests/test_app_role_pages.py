"""Every page and every job works under the application role of production.

In production the portal connects as a role that owns no table and may only `SELECT, INSERT`
on the append-only tables (`core.dbroles`); the suite connects as the owner. So these tests
create such a role inside the test's transaction, grant it with `grant_app_role`, and go on
as that role (`SET LOCAL ROLE`: each statement meets the role's grants as under a login of
that role, and the test's rollback drops the role again). Then every page of the URL
patterns, filled with real rows (`tests/test_fuzz_get.py`'s `Rows`), is opened by each role
that may open it (a public page by a visitor and by a person signed in to the self-service
pages), with the Django admin's list and change pages; and every Celery task and command of
the application role runs, started as production starts it. A server error or a refusal by
the database fails the test, which names each page or job that failed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from celery import current_app
from celery.signals import task_prerun
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone
from pytest_django import DjangoCaptureOnCommitCallbacks

from core.checks import iter_patterns
from core.dbroles import grant_app_role
from core.permissions import MATRIX, declared_permission, has_permission
from privacyops.beat import SCHEDULE
from tests import factories as f
from tests.test_fuzz_get import Rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# The API's reference is generated from the code, the same for every role, and costs a second
# a request: one role opens it.
SAME_FOR_EVERY_ROLE = {"/api/schema/", "/api/docs/"}
LONG_AGO = dt.datetime(2019, 1, 5, 12, tzinfo=dt.UTC)
ROOT = Path(settings.BASE_DIR)


@contextmanager
def application_role() -> Iterator[str]:
    """The block runs as a freshly granted application role, inside the test's transaction."""
    role = f"{settings.DATABASES['default']['NAME']}_pages"
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {quoted} NOLOGIN")
    grant_app_role(role=role)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {quoted}")
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == role
    yield role


class Failed(Exception):
    """A page answered a server error."""


def attempt(failures: list[str], what: str, step: Callable[[], object]) -> None:
    """Run `step` in a savepoint; a failure (an exception, a 5xx) is noted and rolled back, so
    the next page or job runs in a sound transaction."""
    try:
        with transaction.atomic():
            outcome = step()
            if isinstance(outcome, StreamingHttpResponse):
                b"".join(outcome)  # a CSV export queries while it streams
            status = getattr(outcome, "status_code", 200)
            if status >= 500:
                error = getattr(outcome, "exc_info", None)
                raise Failed(f"{status} {error[1]!r}" if error else str(status))
    except Exception as exc:  # any failure is the finding
        failures.append(f"{what}: {exc!r}"[:500])


def every_page(rows: Rows) -> list[tuple[str, str]]:
    """(url, permission) of every page of the URL patterns, and the Django admin's list and
    change page of every model."""
    found: dict[str, str] = {}
    for route, pattern, app_names in iter_patterns(get_resolver().url_patterns):
        if route.startswith("admin/") or (url := rows.url(route)) is None:
            continue
        permission = declared_permission(pattern.callback, app_names)
        assert permission is not None, route
        found[url] = permission
    found[reverse("admin:index")] = "admin.site"
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        found[reverse(f"{name}_changelist")] = "admin.site"
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            found[reverse(f"{name}_change", args=[first])] = "admin.site"
    return sorted(found.items())


@pytest.fixture
def clients(dpo: User, staff: User, admin_user: User, auditor: User) -> dict[User, Client]:
    found = {}
    for user in (dpo, staff, admin_user, auditor):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        found[user] = client
    return found


def test_every_page_opens_for_each_role_under_the_application_role(
    seeded: None, marketing: Any, clients: dict[User, Client]
) -> None:
    rows = Rows(marketing)
    anonymous = Client(raise_request_exception=False)
    person = Client(raise_request_exception=False)  # signed in to the self-service pages
    failures: list[str] = []
    opened = 0
    with application_role():
        assert person.post(f"/p/me/link/{rows.tokens['p/me/link/']}/").status_code == 302
        for url, permission in every_page(rows):
            visitors = [
                (user.username, client)
                for user, client in clients.items()
                if has_permission(user, permission)
            ]
            if MATRIX[permission].public:
                visitors = [("anonymous", anonymous), ("the person", person)]
            if url in SAME_FOR_EVERY_ROLE:
                visitors = visitors[:1]
            for name, client in visitors:
                attempt(failures, f"{name} {url}", partial(client.get, url))
                opened += 1
    assert failures == [], "\n".join(failures)
    assert opened > 300  # the walk saw the pages, not an empty list


# --- the jobs ----------------------------------------------------------------------------------


def _expired_prospect() -> int:
    return int(f.ProspectFactory.create(collected_at=LONG_AGO).pk)


def _breach_letters(dpo: User) -> int:
    from breaches import services
    from breaches.selectors import people_for_selection
    from breaches.tasks import send_breach_letters
    from processing.models import DataCategory

    breach = services.record_breach(
        values={
            "title": "Laptop stolen",
            "aware_at": timezone.now() - dt.timedelta(hours=1),
            "occurred_at": None,
            "nature": "confidentiality",
            "description": "An export of contacts was on a stolen laptop.",
            "subject_kinds": ["client"],
            "approx_people": 1,
            "approx_records": 1,
            "consequences": "Phishing e-mails.",
            "measures": "Passwords reset.",
            "contact_point": "dpo@privacyops.example",
        },
        categories=DataCategory.objects.filter(code="contact"),
        actor=dpo,
    )
    person = f.DataSubjectFactory.create(work_email="breach@role.example")
    services.add_affected_people(
        breach=breach,
        people=people_for_selection().filter(pk=person.pk),
        selection="filter",
        actor=dpo,
    )
    services.decide_people(breach=breach, decision="inform", reason="High risk.", actor=dpo)
    return int(send_breach_letters.delay(breach.pk).get())


def _csv_import(rows: Rows, dpo: User, *, apply: bool) -> object:
    from consent.imports.services import confirm_import, start_dry_run

    if apply:
        rows.csv_import.refresh_from_db()
        return confirm_import(csv_import=rows.csv_import, actor=dpo)
    return start_dry_run(
        csv_import=rows.csv_import,
        mapping={"email": "work_email"},
        defaults={"kind": "prospect", "source": "public_register"},
        purpose=None,
        actor=dpo,
    )


def _policy(dpo: User) -> object:
    from consent.services import publish_policy_version

    return publish_policy_version(
        actor=dpo,
        version="role-test",
        summary="A new e-mail provider.",
        full_text="The full text.",
        effective_on=timezone.localdate() + dt.timedelta(days=40),
    )


def _information_notices() -> object:
    from consent.tasks import send_information_notices

    f.DataSubjectFactory.create(source="public_register", work_email="told@role.example")
    return send_information_notices.delay().get()


def jobs(rows: Rows, dpo: User) -> dict[str, Callable[[], object]]:
    """Each job of production with work to do, started as the portal starts it: the beat
    schedule's tasks by name, the others through the service a page calls."""
    from consent.tasks import erase_objecting_prospect_task
    from selfservice.copies import request_copy
    from selfservice.links import request_sign_in_link
    from subject_requests.services.answers import request_answer
    from subject_requests.services.common import send_letter
    from subject_requests.tasks import (
        carry_out_platform_task,
        deliver_system_task,
        tell_task_withdrawn,
    )
    from subjects.services.erasure import erase_subjects

    current_app.loader.import_default_modules()  # the tasks modules of every app

    def beat(entry: str) -> Callable[[], object]:
        return lambda: current_app.tasks[SCHEDULE[entry]["task"]].delay().get()

    found: dict[str, Callable[[], object]] = {
        f"beat: {entry}": beat(entry) for entry in SCHEDULE if entry != "nightly-purge"
    }
    return found | {
        "beat: nightly-purge": lambda: (_expired_prospect(), beat("nightly-purge")())[1],
        "beat: daily-information-notices": _information_notices,
        "manage.py purge": lambda: call_command("purge", "--json", stdout=StringIO()),
        "manage.py verify_audit": lambda: call_command("verify_audit", stdout=StringIO()),
        "manage.py seed_policy": lambda: call_command("seed_policy", "-v0"),
        "an access report": lambda: request_answer(request=rows.request, actor=dpo),
        "a letter": lambda: send_letter(
            rows.request,
            letter="message",
            actor=dpo,
            summary="A message",
            now=timezone.now(),
            body="Hello",
        ),
        "an erasure": lambda: erase_subjects(
            subject_ids=[_expired_prospect()], actor=dpo, reason="GDPR Art. 17(1)(a)"
        ),
        "an objecting prospect's erasure": lambda: erase_objecting_prospect_task.delay(
            _expired_prospect()
        ).get(),
        "a system's task": lambda: deliver_system_task.delay(rows.task.pk).get(),
        # The platform connector's queue: the same claim, delivery and release.
        "a task in a system's database": lambda: carry_out_platform_task.delay(rows.task.pk).get(),
        "a withdrawn task": lambda: tell_task_withdrawn.delay(rows.task.pk, "withdrawn").get(),
        "a policy notice": lambda: _policy(dpo),
        "a CSV import's dry run": lambda: _csv_import(rows, dpo, apply=False),
        "a CSV import": lambda: _csv_import(rows, dpo, apply=True),
        "the breach letters": lambda: _breach_letters(dpo),
        "a self-service copy": lambda: request_copy(subject=rows.person, language="en"),
        "a sign-in link": lambda: request_sign_in_link(
            email=rows.person.work_email or "", language="en"
        ),
    }


def project_tasks() -> set[str]:
    """The Celery tasks of the portal's own apps (not Celery's built-in ones)."""
    current_app.loader.import_default_modules()  # the tasks modules of every app
    ours = {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}
    return {
        name for name, task in current_app.tasks.items() if task.__module__.split(".")[0] in ours
    }


def test_every_job_runs_under_the_application_role(
    seeded: None,
    marketing: Any,
    dpo: User,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    from subject_requests.services import task_withdrawal

    rows = Rows(marketing)
    # The system's webhook answers 2xx: what follows the call is the database's work.
    monkeypatch.setattr(task_withdrawal, "post_json", lambda **kwargs: SimpleNamespace(ok=True))
    todo = jobs(rows, dpo)
    ran: set[str] = set()

    def note(sender: Any = None, **kwargs: Any) -> None:
        ran.add(sender.name)

    task_prerun.connect(note, weak=False)
    failures: list[str] = []
    try:
        with application_role():
            for name, job in todo.items():

                def step(job: Callable[[], object] = job) -> object:
                    with django_capture_on_commit_callbacks(execute=True):
                        return job()

                attempt(failures, name, step)
    finally:
        task_prerun.disconnect(note)
    assert failures == [], "\n".join(failures)
    tasks = project_tasks()
    assert len(tasks) > 10  # the registry was read, not found empty
    assert tasks - ran == set(), "a task no job started"

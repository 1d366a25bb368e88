"""CSV import in the browser: upload, map, dry run, confirm, apply, result;
the dry run's classification is the applied result; withdrawals through the ledger."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from consent import services as consent_services
from consent.imports import parsing
from consent.imports.models import CsvImport, ImportKind, ImportStatus
from consent.models import Channel, ConsentEvent, EventKind
from consent.services import suppress_email
from core.models import AuditEvent
from core.timeutil import start_of_legal_day
from processing.models import Purpose
from subjects.models import DataSubject, SubjectKind
from tests.factories import DataSubjectFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

PROSPECTS = (
    "Email;First name;Surname;Job title;Country;Platform ID;Notes\n"
    "new1@example.com;Mari;Tamm;CTO;EE;p-1;x\n"
    "known@example.com;Jaan;Kask;CEO;EE;;\n"
    "suppressed@example.com;Olev;Saar;;EE;;\n"
    "not-an-address;Liis;Mets;;EE;;\n"
    "NEW1@example.com;Mari;Tamm;;EE;;\n"
    "new2@example.com;Anna;Lepp;;LV;p-2;\n"
)


def _upload(client: Client, text: str, kind: str = ImportKind.PROSPECTS) -> CsvImport:
    upload = SimpleUploadedFile("list.csv", text.encode(), content_type="text/csv")
    response = client.post("/consent/imports/", {"kind": kind, "file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    return CsvImport.objects.latest("id")


def _map(client: Client, csv_import: CsvImport, run: Callable[..., Any], **extra: Any) -> None:
    data = {f"column_{n}": csv_import.mapping[h] for n, h in enumerate(csv_import.headers)}
    data |= extra
    with run(execute=True):
        response = client.post(f"/consent/imports/{csv_import.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]


def test_the_mapping_is_guessed_from_the_headers() -> None:
    headers = ["E-mail address", "First Name", "Surname", "Job title", "Platform ID", "Notes"]

    guessed = parsing.guess_mapping(headers, ImportKind.PROSPECTS)

    assert guessed == {
        "E-mail address": "work_email",
        "First Name": "first_name",
        "Surname": "last_name",
        "Job title": "position",
        "Platform ID": "external_id",
        "Notes": "",
    }


def test_a_dry_run_then_apply_writes_what_the_dry_run_showed(
    client_for: ClientFor, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    known = DataSubjectFactory.create(work_email="known@example.com", position="Clerk")
    suppress_email(email="suppressed@example.com", channel=Channel.STAFF, actor=staff)
    client = client_for(staff)

    csv_import = _upload(client, PROSPECTS)
    assert csv_import.total_rows == 6 and csv_import.content
    _map(
        client,
        csv_import,
        django_capture_on_commit_callbacks,
        default_kind=SubjectKind.PROSPECT,
        default_source="public_register",
    )
    csv_import.refresh_from_db()
    assert csv_import.status == ImportStatus.CHECKED
    assert DataSubject.objects.count() == 1  # a dry run writes nothing
    plan = csv_import.plan
    assert [(entry[0], entry[1]) for entry in plan] == [
        (2, "create"),
        (3, "update"),
        (4, "refuse"),
        (5, "refuse"),
        (6, "refuse"),
        (7, "create"),
    ]
    assert "suppression" in plan[2][3]["work_email"][0]
    assert "Line 2" in plan[4][3]["work_email"][0]
    page = client.get(f"/consent/imports/{csv_import.pk}/").content.decode()
    assert "Dry run: nothing is written yet" in page and "not-an-address" not in page

    assert client.get(f"/consent/imports/{csv_import.pk}/confirm/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/consent/imports/{csv_import.pk}/confirm/")
    csv_import.refresh_from_db()

    assert csv_import.status == ImportStatus.APPLIED and csv_import.content is None
    assert [e[:2] for e in csv_import.result] == [e[:2] for e in plan]
    assert csv_import.result[1][2] == known.pk
    created = DataSubject.objects.exclude(pk=known.pk)
    assert set(created.values_list("external_id", flat=True)) == {"p-1", "p-2"}
    assert set(created.values_list("kind", flat=True)) == {SubjectKind.PROSPECT}
    known.refresh_from_db()
    assert known.position == "CEO" and known.kind == SubjectKind.USER  # defaults: new only
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"consent.import_uploaded", "consent.import_applied", "subjects.bulk_upserted"} <= (
        actions
    )
    result = client.get(f"/consent/imports/{csv_import.pk}/result.csv")
    lines = list(csv.reader(io.StringIO(result.content.decode())))
    assert lines[0] == ["line", "action", "subject_id", "reasons"] and len(lines) == 7
    assert "new1@example.com" not in result.content.decode()


def test_withdrawals_from_a_marketing_tool_go_through_the_ledger(
    client_for: ClientFor,
    staff: User,
    marketing: Purpose,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subscriber = DataSubjectFactory.create(work_email="sub@example.com")
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC), tick=False):
        consent_services.grant_consent(
            subject=subscriber, purpose=marketing, channel="web_form", actor="data subject",
            wording="Newsletter",
        )  # fmt: skip
    DataSubjectFactory.create(work_email="never@example.com")
    text = "email,unsubscribed_at\nsub@example.com,2026-02-01\nnever@example.com,\nwho@x.ee,\n"
    client = client_for(staff)
    csv_import = _upload(client, text, ImportKind.WITHDRAWALS)
    assert csv_import.mapping == {"email": "work_email", "unsubscribed_at": "occurred_at"}

    _map(client, csv_import, django_capture_on_commit_callbacks, purpose=marketing.pk)
    csv_import.refresh_from_db()
    assert [e[1] for e in csv_import.plan] == ["withdraw", "unchanged", "refuse"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/consent/imports/{csv_import.pk}/confirm/")

    withdrawal = ConsentEvent.objects.get(subject=subscriber, kind=EventKind.WITHDRAWN)
    assert withdrawal.occurred_at == start_of_legal_day(dt.date(2026, 2, 1))
    assert withdrawal.channel == Channel.UNSUBSCRIBE_LINK
    assert AuditEvent.objects.filter(action="consent.withdrawn", target_id=withdrawal.pk).exists()


def test_the_progress_is_polled_as_json(client_for: ClientFor, staff: User) -> None:
    client = client_for(staff)
    csv_import = _upload(client, PROSPECTS)
    CsvImport.objects.filter(pk=csv_import.pk).update(
        status=ImportStatus.CHECKING, processed_rows=3
    )

    state = client.get(f"/consent/imports/{csv_import.pk}/progress/").json()
    page = client.get(f"/consent/imports/{csv_import.pk}/").content.decode()

    assert state == {
        "status": "checking",
        "running": True,
        "processed": 3,
        "total": 6,
        "percent": 50,
    }
    assert "data-import-progress-url" in page and "js/import-progress.js" in page


def test_an_unreadable_file_is_refused_with_a_message(client_for: ClientFor, staff: User) -> None:
    upload = SimpleUploadedFile("x.csv", b"email\n", content_type="text/csv")

    response = client_for(staff).post(
        "/consent/imports/", {"kind": ImportKind.PROSPECTS, "file": upload}
    )

    assert response.status_code == 200 and "no data" in response.content.decode()
    assert not CsvImport.objects.exists()


def test_a_discarded_import_deletes_its_file(client_for: ClientFor, staff: User) -> None:
    client = client_for(staff)
    csv_import = _upload(client, PROSPECTS)

    client.post(f"/consent/imports/{csv_import.pk}/discard/")

    assert not CsvImport.objects.exists()
    assert AuditEvent.objects.filter(action="consent.import_discarded").exists()


def test_the_auditor_cannot_import(client_for: ClientFor, auditor: User) -> None:
    assert client_for(auditor).get("/consent/imports/").status_code == 403

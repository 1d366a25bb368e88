from __future__ import annotations

import datetime as dt
import os
import subprocess
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from pytest_django import Settings

from core import crypto
from subjects.models import DataSubject, Invoice
from tests.factories import DataSubjectFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

MARKER = "marker-7f3a@secret.example"


def raw_dump(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
        rows = cursor.fetchall()
    return repr(rows)


def test_marker_email_is_never_stored_in_plaintext_on_any_write_path() -> None:
    created = DataSubjectFactory.create(work_email=MARKER)
    DataSubject.objects.bulk_create(
        [DataSubject(kind="user", first_name="Bulk", work_email=MARKER)]
    )
    updated = DataSubjectFactory.create(work_email="before@company.example")
    DataSubject.objects.filter(pk=updated.pk).update(work_email=MARKER)
    created.work_phone = "+372 123"
    created.save()

    dump = raw_dump("subjects_datasubject")
    assert MARKER not in dump
    assert "marker-7f3a" not in dump
    assert DataSubject.objects.get(pk=created.pk).work_email == MARKER
    assert DataSubject.objects.get(pk=updated.pk).work_email == MARKER
    assert DataSubject.objects.with_email(MARKER).count() == 3


def test_dates_and_bytes_round_trip_encrypted() -> None:
    subject = DataSubjectFactory.create(
        date_of_birth=dt.date(1980, 2, 29), photo=b"\x89PNG-photo-bytes"
    )
    fresh = DataSubject.objects.get(pk=subject.pk)
    assert fresh.date_of_birth == dt.date(1980, 2, 29)
    assert fresh.photo == b"\x89PNG-photo-bytes"
    dump = raw_dump("subjects_datasubject")
    assert "1980-02-29" not in dump
    assert "PNG-photo-bytes" not in dump


def test_encrypted_fields_refuse_lookups_that_would_silently_match_nothing() -> None:
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(DataSubject.objects.filter(work_email=MARKER))
    assert DataSubject.objects.filter(work_email__isnull=True).count() == 0


def test_blind_index_finds_an_email_whatever_its_case_and_spaces() -> None:
    subject = DataSubjectFactory.create(work_email="Mari.Maasikas@Firma.ee")
    DataSubjectFactory.create(work_email="someone.else@firma.ee")
    assert list(DataSubject.objects.with_email("  mari.maasikas@firma.EE ")) == [subject]
    assert subject.work_email_index == crypto.blind_index("mari.maasikas@firma.ee")


def test_blind_index_follows_a_set_based_update() -> None:
    subject = DataSubjectFactory.create(work_email="old@firma.ee")
    DataSubject.objects.filter(pk=subject.pk).update(work_email="new@firma.ee")
    assert not DataSubject.objects.with_email("old@firma.ee").exists()
    assert DataSubject.objects.with_email("new@firma.ee").get() == subject
    DataSubject.objects.filter(pk=subject.pk).update(work_email=None)
    subject.refresh_from_db()
    assert subject.work_email_index is None


def test_key_rotation_old_key_decrypts_and_reencrypt_lets_it_go(settings: Settings) -> None:
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    subject = DataSubjectFactory.create(work_email=MARKER, date_of_birth=dt.date(1990, 1, 2))
    invoice = InvoiceFactory.create(billing_email="pay@firma.ee")

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        assert DataSubject.objects.get(pk=subject.pk).work_email == MARKER
        call_command(
            "reencrypt", "--no-progress", "--batch-size", "1", stdout=open(os.devnull, "w")
        )
        # A rerun finds nothing left to do: it resumes rather than repeats.
        out = StringIO()
        call_command("reencrypt", "--no-progress", stdout=out)
        assert "Done: 0 rows re-encrypted" in out.getvalue()

    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        fresh = DataSubject.objects.get(pk=subject.pk)
        assert fresh.work_email == MARKER
        assert fresh.date_of_birth == dt.date(1990, 1, 2)
        assert Invoice.objects.get(pk=invoice.pk).billing_email == "pay@firma.ee"

    with override_settings(FIELD_ENCRYPTION_KEYS=[old_key]), pytest.raises(crypto.InvalidToken):
        DataSubject.objects.get(pk=subject.pk)


def test_tokens_are_aes_gcm_under_the_first_key_and_name_it(settings: Settings) -> None:
    import base64

    from cryptography.fernet import Fernet

    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[first, second]):
        token = crypto.encrypt(b"Mari Maasikas")
        raw = base64.urlsafe_b64decode(token)
        assert raw[0] == crypto.VERSION and token.startswith(b"k")
        # Random nonces: the same value never gives the same token.
        assert crypto.encrypt(b"Mari Maasikas") != token
        assert crypto.decrypt(token) == b"Mari Maasikas" and crypto.is_current(token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[second, first]):
        assert crypto.decrypt(token) == b"Mari Maasikas"  # every key decrypts
        assert not crypto.is_current(token)  # …but only the first is current
        rotated = crypto.rotate(token)
        assert crypto.is_current(rotated) and crypto.decrypt(rotated) == b"Mari Maasikas"
        assert base64.urlsafe_b64decode(rotated)[1:5] != raw[1:5]  # names the other key
    with override_settings(FIELD_ENCRYPTION_KEYS=[second]), pytest.raises(crypto.InvalidToken):
        crypto.decrypt(token)


def test_a_tampered_truncated_or_foreign_token_is_refused() -> None:
    import base64

    token = bytearray(base64.urlsafe_b64decode(crypto.encrypt(b"Mari Maasikas")))
    flipped = [
        bytes(token[:i]) + bytes([token[i] ^ 1]) + bytes(token[i + 1 :]) for i in (1, 9, 20, -1)
    ]
    for raw in [*flipped, bytes(token[:20])]:
        with pytest.raises(crypto.InvalidToken):
            crypto.decrypt(base64.urlsafe_b64encode(raw))
    for garbage in (b"", b"not base64 !", b"kQ==", b"plain@text.example"):
        with pytest.raises(crypto.InvalidToken):
            crypto.decrypt(garbage)
        assert not crypto.is_current(garbage)


def test_values_written_as_fernet_tokens_read_and_are_rewritten_by_reencrypt(
    settings: Settings,
) -> None:
    """Data encrypted before AES-GCM (Fernet, under the same keys) stays readable, and
    `reencrypt` rewrites it in the current format without a new key."""
    from cryptography.fernet import MultiFernet

    fernet = MultiFernet([Fernet(k.encode()) for k in settings.FIELD_ENCRYPTION_KEYS])
    subject = DataSubjectFactory.create(work_email="old@firma.ee", first_name="Mari")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE subjects_datasubject SET work_email = %s, first_name = %s WHERE id = %s",
            [
                fernet.encrypt(b"old@firma.ee").decode(),
                fernet.encrypt(b"Mari").decode(),
                subject.pk,
            ],
        )
    stored = raw_values(subject.pk)
    assert all(value.startswith("gAAAAA") for value in stored)
    assert not any(crypto.is_current(value.encode()) for value in stored)
    fresh = DataSubject.objects.get(pk=subject.pk)
    assert (fresh.work_email, fresh.first_name) == ("old@firma.ee", "Mari")

    out = StringIO()
    call_command("reencrypt", "--no-progress", stdout=out)
    assert "Done: 1 rows re-encrypted." in out.getvalue()
    stored = raw_values(subject.pk)
    assert all(crypto.is_current(value.encode()) for value in stored)
    fresh = DataSubject.objects.get(pk=subject.pk)
    assert (fresh.work_email, fresh.first_name) == ("old@firma.ee", "Mari")


def raw_values(pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT work_email, first_name FROM subjects_datasubject WHERE id = %s", [pk]
        )
        row = cursor.fetchone()
    return row[0], row[1]


def test_free_text_about_a_person_is_ciphertext_in_every_table() -> None:
    from consent.models import ConsentEvidence
    from tests.factories import (
        ConsentEventFactory,
        OrganisationFactory,
        SubjectRequestFactory,
        TrialContentFactory,
    )

    marker = "Marker-Kask"
    organisation = OrganisationFactory.create()
    person = DataSubjectFactory.create(
        first_name=f"{marker} first", last_name=f"{marker} last", position=f"{marker} CFO",
        organisation=organisation,
    )  # fmt: skip
    DataSubject.objects.filter(pk=person.pk).update(
        legal_hold_reason=f"{marker} claim", restriction_reason=f"{marker} contests",
        erasure_flag_reason=f"{marker} minor",
    )  # fmt: skip
    type(organisation).objects.filter(pk=organisation.pk).update(legal_hold_reason=marker)
    TrialContentFactory.create(author=person, title=f"{marker} review")
    ConsentEvidence.objects.create(
        event=ConsentEventFactory.create(subject=person), file_name=f"{marker}.pdf"
    )
    SubjectRequestFactory.create(
        extension_reason=f"{marker} two processors", closure_reason=f"{marker} done",
        refused_part=f"{marker} the invoices",
    )  # fmt: skip

    tables = [
        "subjects_datasubject", "subjects_organisation", "subjects_trialcontent",
        "consent_consentevidence", "subject_requests_subjectrequest",
    ]  # fmt: skip
    assert {table: marker in raw_dump(table) for table in tables} == dict.fromkeys(tables, False)
    fresh = DataSubject.objects.get(pk=person.pk)
    assert (fresh.position, fresh.legal_hold_reason) == (f"{marker} CFO", f"{marker} claim")
    assert fresh.on_legal_hold and DataSubject.objects.held().filter(pk=person.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_marker_email_is_absent_from_pg_dump() -> None:
    DataSubjectFactory.create(work_email=MARKER)
    DataSubject.objects.bulk_create([DataSubject(kind="user", work_email=MARKER)])
    other = DataSubjectFactory.create()
    DataSubject.objects.filter(pk=other.pk).update(work_email=MARKER)
    InvoiceFactory.create(billing_email=MARKER)
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            "pg_dump",
            "--data-only",
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            connection.settings_dict["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    assert "subjects_datasubject" in dump
    assert dump.count(MARKER) == 0


def test_generate_key_prints_a_key_the_settings_take_and_that_encrypts() -> None:
    from privacyops.environment import read_fernet_keys

    out = StringIO()
    call_command("generate_key", stdout=out)
    key = out.getvalue().strip()
    assert read_fernet_keys(key, debug=False) == [key]
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        assert crypto.decrypt(crypto.encrypt(b"Mari")) == b"Mari"

"""A dump of the database holds no seeded personal data in clear: seed the
demo population and its history as `make run` does, `pg_dump` the database, and look for every
seeded first name, last name, position, e-mail, phone, address and date of birth.

A value counts as found only as a whole value (not inside a longer word or a ciphertext), and
the count is compared with a dump taken before the demo data: the register's seeded texts may
legitimately contain a word that is also a position ("Accountant"), but storing a person's
value in clear adds an occurrence."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable

import pytest
from django.core.management import call_command
from django.db import connection
from pytest_django import Settings

from subjects.models import DataSubject, Organisation

# Ciphertext (url-safe base64 tokens: AES-GCM's begin "kQ", Fernet's "gAAAAA"), bytea as hex
# and hex digests are noise here: a short name ("Ng", "Tan") can occur in them by chance.
NOISE = re.compile(r"kQ[A-Za-z0-9_-]{40,}=*|gAAAAA[A-Za-z0-9_=-]+|\\x[0-9a-f]+|\b[0-9a-f]{32,}\b")
# A value is whole when neither neighbour could belong to a word, a number or a token.
EDGE = r"[A-Za-z0-9_\-]"
PG_DUMP = shutil.which("pg_dump") or "/usr/lib/postgresql/15/bin/pg_dump"


def pg_dump() -> str:
    db = connection.settings_dict
    return subprocess.run(
        [
            PG_DUMP,
            "--no-owner",
            "-h",
            db.get("HOST") or "127.0.0.1",
            "-p",
            str(db.get("PORT") or 5432),
            "-U",
            db.get("USER") or "postgres",
            db["NAME"],
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
    ).stdout


def occurrences(dump: str, values: Iterable[str]) -> Counter[str]:
    text = NOISE.sub(" ", dump)
    return Counter(
        {
            value: len(re.findall(rf"(?<!{EDGE}){re.escape(value)}(?!{EDGE})", text))
            for value in values
        }
    )


def seeded_values() -> dict[str, set[str]]:
    people = list(DataSubject.objects.all())
    return {
        "first names": {p.first_name for p in people if p.first_name},
        "last names": {p.last_name for p in people if p.last_name},
        "positions": {p.position for p in people if p.position},
        "e-mails": {p.work_email for p in people if p.work_email},
        "phones": {p.work_phone for p in people if p.work_phone},
        "addresses": {p.work_address for p in people if p.work_address},
        "dates of birth": {p.date_of_birth.isoformat() for p in people if p.date_of_birth},
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_seeded_demo_holds_no_personal_data_in_clear(
    seeded: None, settings: Settings
) -> None:
    settings.DEBUG = True  # demo_activity is for development only
    call_command("demo_users", verbosity=0)
    before = pg_dump()
    call_command("seed_demo", "--subjects", "300", stdout=open(os.devnull, "w"))
    call_command("demo_activity", stdout=open(os.devnull, "w"))
    after = pg_dump()

    values = seeded_values()
    # What the test looks for was really seeded, each kind of it.
    assert len(values["last names"]) > 20 and len(values["e-mails"]) == 300
    assert all(values.values()), {kind: len(found) for kind, found in values.items()}
    # And the search sees clear text where it is: organisation names are stored in clear.
    organisations = {o.name for o in Organisation.objects.all()}
    assert all(occurrences(after, organisations).values())

    everything = set().union(*values.values())
    in_clear = occurrences(after, everything) - occurrences(before, everything)
    assert {kind: sorted(set(found) & set(in_clear)) for kind, found in values.items()} == {
        kind: [] for kind in values
    }

"""The manifest of a platform database, checked
against the live schema read by SQLAlchemy; a draft generated from that schema; and the
coverage gate `manage.py check_manifest`, which fails naming every column, foreign key or
table the manifest leaves out. On SQLite here, and on PostgreSQL where CI gives one."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from django.core.management import call_command
from django.core.management.base import CommandError

from processing.databases.draft import draft
from processing.databases.manifest import ManifestError, parse
from processing.databases.schema import Unreachable, problems_against, reflect
from processing.models import DatabaseManifest, PlatformDatabase
from tests import factories as f
from tests.platform_db import MANIFEST


def test_reflection_reads_tables_columns_and_foreign_keys(platform_url: str) -> None:
    live = reflect(platform_url)
    assert set(live.tables) == {"accounts", "users", "projects", "comments"}
    assert list(live.tables["users"].columns) == [
        "id", "account_id", "email", "full_name", "created_at",
    ]  # fmt: skip
    keys = {(k.columns, k.table, k.on_delete) for k in live.tables["comments"].foreign_keys}
    assert keys == {(("project_id",), "projects", ""), (("author_id",), "users", "CASCADE")}


@pytest.mark.postgres
def test_reflection_reads_postgresql_alike(postgres_platform_url: str) -> None:
    live = reflect(postgres_platform_url)
    assert set(live.tables) == {"accounts", "users", "projects", "comments"}
    manifest = parse(MANIFEST)
    assert problems_against(manifest, live, categories=CATEGORIES) == []


CATEGORIES = {"identification", "contact", "employment", "communication", "usage"}


def test_a_complete_manifest_passes_and_knows_whose_rows_are_whose(platform_url: str) -> None:
    manifest = parse(MANIFEST)
    assert problems_against(manifest, reflect(platform_url), categories=CATEGORIES) == []
    # A comment is the person's; the project it is on, and the account, are not.
    assert manifest.reached() == {"users", "comments"}


def test_the_document_itself_is_checked_field_by_field() -> None:
    bad = """
manifest: 1
tables:
  users:
    erase: truncate
    colums: {}
    columns:
      email: {category: contact, identity: mail, erase: hash}
      full_name: {category: identification}
      account_id: {references: accounts}
      note: {erase: {value: x}}
"""
    with pytest.raises(ManifestError) as refused:
        parse(bad)
    said = [str(p) for p in refused.value.problems]
    assert said == [
        "tables.users: unknown key(s): colums",
        "tables.users.erase: only “delete” (the person's rows go)",
        "tables.users.columns.email.identity: one of email, external_id, phone, not “mail”",
        "tables.users.columns.account_id.references: “table.column”, not “accounts”",
        "tables.users.columns.note.category: a personal column needs its data category",
        "tables.users.columns.full_name.erase: say what erasure does to it (or delete the "
        "person's rows, or keep them with a reason)",
    ]
    with pytest.raises(ManifestError, match="no column is an identity"):
        parse(MANIFEST.replace("identity: email, ", ""))
    with pytest.raises(ManifestError, match="not valid YAML"):
        parse("tables: [unclosed")


def test_the_live_schema_refutes_what_the_manifest_gets_wrong(platform_url: str) -> None:
    wrong = (
        MANIFEST.replace("full_name:", "fullname:")
        .replace("author_id: {references: users.id}", "author_id: not personal")
        .replace("category: communication", "category: hobbies")
        + "  invoices: not personal\n"
    )
    said = [
        str(p) for p in problems_against(parse(wrong), reflect(platform_url), categories=CATEGORIES)
    ]
    assert said == [
        "tables.users.columns.fullname: no such column in the database",
        "tables.users.columns.full_name: not in the manifest: annotate it or mark it not personal",
        "tables.comments.columns.body.category: “hobbies” is not a data category of the register",
        "tables.comments.columns.author_id: a foreign key to users.id that the manifest does not "
        "model: add `references: users.id`",
        "tables.invoices: no such table in the database",
        "tables.comments: holds personal data but is not reached from an identity: model the "
        "reference that leads to the person",
    ]


def test_a_draft_covers_every_table_and_column_and_marks_what_needs_review(
    platform_url: str,
) -> None:
    live = reflect(platform_url)
    text = draft(live)
    manifest = parse(text)
    assert set(manifest.tables) == set(live.tables)
    users = manifest.tables["users"].columns
    assert users["email"].identity == "email" and users["email"].category == "contact"
    assert users["full_name"].category == "identification"
    assert users["account_id"].references == ("accounts", "id") and not users["id"].personal
    assert manifest.tables["comments"].columns["body"].category == "communication"
    # Guesses are not decisions: what it could not guess fails the gate until reviewed.
    said = [str(p) for p in problems_against(manifest, live, categories=CATEGORIES)]
    assert "tables.accounts.columns.plan: not reviewed: annotate it or mark it not personal" in said
    assert not [p for p in said if "foreign key" in p or "no such" in p]


@pytest.mark.django_db
def test_the_commands_draft_and_gate_a_systems_manifest(
    platform_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], seeded: None
) -> None:
    system = f.SystemFactory.create(name="Platform under test")
    database = PlatformDatabase.objects.create(system=system, url=platform_url)
    call_command("draft_manifest", "Platform under test")
    drafted = capsys.readouterr().out
    assert drafted.startswith("# A draft from the live schema") and "  comments:" in drafted

    DatabaseManifest.objects.create(database=database, version=1, text=MANIFEST)
    call_command("check_manifest", str(system.pk))
    assert "covers all 4 tables; 2 hold people's rows" in capsys.readouterr().out

    # A migration of the platform adds a personal column: the gate fails, naming it.
    engine = sa.create_engine(platform_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE users ADD COLUMN phone VARCHAR(40)")
    engine.dispose()
    with pytest.raises(CommandError) as failed:
        call_command("check_manifest", "Platform under test")
    assert failed.value.returncode == 1 and "1 problem(s)" in str(failed.value)
    assert "tables.users.columns.phone: not in the manifest" in capsys.readouterr().err

    # The platform's own CI: a file and a URL, no system.
    file = tmp_path / "manifest.yaml"
    file.write_text(
        MANIFEST.replace(
            "      created_at:", "      phone: {category: contact, erase: clear}\n      created_at:"
        )
    )
    call_command("check_manifest", "--manifest", str(file), "--url", platform_url)


@pytest.mark.django_db
def test_bad_input_to_the_commands_is_a_clear_message(tmp_path: Path, seeded: None) -> None:
    with pytest.raises(CommandError, match="No system “Nope” in the register"):
        call_command("check_manifest", "Nope")
    f.SystemFactory.create(name="Helpdesk under test")
    with pytest.raises(CommandError, match="“Helpdesk under test” has no database connection"):
        call_command("draft_manifest", "Helpdesk under test")
    with pytest.raises(CommandError, match="Name a SYSTEM of the register, or give --url"):
        call_command("draft_manifest")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("check_manifest", "--manifest", str(tmp_path / "none.yaml"), "--url", "x")
    with pytest.raises(CommandError, match="The database cannot be read: not a database URL"):
        call_command("draft_manifest", "--url", "nonsense://")


def test_a_database_that_cannot_be_reached_says_why_without_its_password() -> None:
    with pytest.raises(Unreachable) as failed:
        reflect("postgresql://platform:s3cret-pw@127.0.0.1:1/platform", timeout=2)
    assert "s3cret-pw" not in str(failed.value) and str(failed.value)

"""The Admin connects a system's database and edits its
manifest on the system's page, checked as `manage.py connect_database` checks it (nothing saved
on any problem, every problem named, the text kept); a change that erases less waits, not in
force, for a DPO to confirm or reject it; the Auditor reads the page and never the password."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from processing.databases.compare import erases_less
from processing.databases.connect import connect_database
from processing.databases.manifest import parse
from processing.models import DatabaseManifest, ManifestState, PlatformDatabase, System
from subject_requests.models import SystemTask
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script
from tests.test_platform_requests import kadri, rows
from tests.test_system_tasks import erase, request_for

pytestmark = pytest.mark.django_db

FULL = MANIFEST + ATTACHMENTS
# Comments are no longer deleted with the person, only their text replaced: erases less.
KEEPS_COMMENTS = FULL.replace("  comments:\n    erase: delete\n", "  comments:\n", 1).replace(
    "body: {category: communication}", 'body: {category: communication, erase: {value: "-"}}'
)
UNREACHABLE = "postgresql://portal:s3cret-word@127.0.0.1:1/platform"


@pytest.fixture
def platform(platform_url: str, admin_user: User, staff: User, seeded: None) -> System:
    """The test platform with Kadri and her colleague, connected by the Admin (manifest v1)."""
    System.objects.update(active=False)
    run_script(platform_url, ROWS)
    system = f.SystemFactory.create(
        name="Platform under test",
        owner=staff,
        categories=["identification", "contact", "communication"],
        subject_kinds=["client", "prospect"],
    )
    connect_database(system=system, url=platform_url, manifest_text=FULL, actor=admin_user)
    system.refresh_from_db()
    return system


def page(system: System) -> str:
    return f"/processing/systems/{system.pk}/database/"


def edit(system: System) -> str:
    return f"/processing/systems/{system.pk}/database/edit/"


def decide(system: System, version: int) -> str:
    return f"/processing/systems/{system.pk}/database/v{version}/decide/"


def text_of(response: Any) -> str:
    """The page as a reader sees it (&#x27; read as the apostrophe)."""
    return html.unescape(str(response.content.decode()))


def in_force(system: System) -> int:
    version = PlatformDatabase.objects.get(system=system).manifest()
    assert version is not None
    return version.version


def versions(system: System) -> list[tuple[int, str]]:
    return list(
        DatabaseManifest.objects.filter(database__system=system)
        .order_by("version")
        .values_list("version", "state")
    )


# --- the Admin's changes -----------------------------------------------------------------------


def test_the_admin_saves_a_change_that_erases_as_much_and_it_is_in_force_at_once(
    platform: System, client_for: ClientFor, admin_user: User, platform_url: str
) -> None:
    hashed_name = FULL.replace("erase: clear}", 'erase: {value: "?"}}')
    client = client_for(admin_user)
    response = client.post(
        edit(platform), {"url": "", "manifest": hashed_name.replace("\n", "\r\n")}
    )
    assert response.status_code == 302 and response["Location"] == page(platform)
    assert versions(platform) == [(1, "accepted"), (2, "accepted")]
    assert DatabaseManifest.objects.get(version=2).text == hashed_name
    assert platform.database.url == platform_url  # left empty: the connection stays
    event = AuditEvent.objects.get(action="processing.system_database_changed")
    assert event.actor == admin_user and event.details == {
        "manifest_version": 2,
        "tables": 5,
        "manifest_changed": True,
        "connection_changed": False,
    }
    shown = text_of(client.get(page(platform)))
    assert "Manifest v2 is in force" in shown and "reachable" in shown


def test_the_admin_connects_a_system_from_a_draft(
    platform_url: str, client_for: ClientFor, admin_user: User, seeded: None
) -> None:
    system = f.SystemFactory.create(name="Helpdesk under test")
    client = client_for(admin_user)
    assert f"/processing/systems/{system.pk}/database/edit/" in text_of(
        client.get(f"/processing/systems/{system.pk}/")
    )
    drafted = client.post(edit(system), {"url": platform_url, "manifest": "", "draft": "1"})
    text = drafted.context["form"]["manifest"].value()
    assert text.startswith("# A draft from the live schema") and "  comments:" in text
    assert platform_url not in text_of(drafted)  # the URL is never sent back
    assert not PlatformDatabase.objects.exists()
    # The draft leaves `review` where it could not guess: the gate refuses it, naming them.
    refused = client.post(edit(system), {"url": platform_url, "manifest": text})
    assert "tables.accounts.columns.plan: not reviewed" in text_of(refused)
    assert not PlatformDatabase.objects.exists()
    response = client.post(
        edit(system), {"url": platform_url, "manifest": FULL.replace(ATTACHMENTS, "")}
    )
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.connector == "database" and versions(system) == [(1, "accepted")]
    assert AuditEvent.objects.get(action="processing.system_database_connected").details == {
        "manifest_version": 1,
        "tables": 4,
    }


def test_a_manifest_naming_a_missing_table_or_column_is_refused_and_the_text_kept(
    platform: System, client_for: ClientFor, admin_user: User
) -> None:
    wrong = FULL.replace("full_name:", "fullname:") + "  invoices: not personal\n"
    before = AuditEvent.objects.filter(action__startswith="processing.").count()
    response = client_for(admin_user).post(edit(platform), {"url": "", "manifest": wrong})
    assert response.status_code == 200
    shown = text_of(response)
    assert "Nothing was saved" in shown
    assert "tables.users.columns.fullname: no such column in the database" in shown
    assert "tables.invoices: no such table in the database" in shown
    assert response.context["form"]["manifest"].value() == wrong
    assert versions(platform) == [(1, "accepted")]
    assert AuditEvent.objects.filter(action__startswith="processing.").count() == before


def test_a_ring_of_tables_deleting_each_other_is_refused_on_the_page_and_by_the_command(
    platform: System, client_for: ClientFor, admin_user: User, platform_url: str, tmp_path: Path
) -> None:
    run_script(
        platform_url, "ALTER TABLE users ADD COLUMN pinned_id INTEGER REFERENCES comments(id)"
    )
    ring = FULL.replace("  users:\n    columns:\n", "  users:\n    erase: delete\n    columns:\n")
    ring = ring.replace(
        "      created_at: not personal\n",
        "      created_at: not personal\n      pinned_id: {references: comments.id}\n",
        1,
    )
    response = client_for(admin_user).post(edit(platform), {"url": "", "manifest": ring})
    said = "tables: a cycle of deletes without a delete rule: comments, users"
    assert said in text_of(response)
    file = tmp_path / "ring.yaml"
    file.write_text(ring)
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command("connect_database", str(platform.pk), "--manifest", str(file))
    assert versions(platform) == [(1, "accepted")]


def test_a_database_that_cannot_be_reached_is_a_clear_message_without_the_password(
    platform: System, client_for: ClientFor, admin_user: User, platform_url: str
) -> None:
    response = client_for(admin_user).post(edit(platform), {"url": UNREACHABLE, "manifest": FULL})
    errors = response.context["form"].errors["url"]
    assert errors[0].startswith("The database cannot be read: ") and "127.0.0.1" in errors[0]
    assert "s3cret-word" not in text_of(response)
    platform.database.refresh_from_db()
    assert platform.database.url == platform_url and versions(platform) == [(1, "accepted")]


# --- a change that erases less ---------------------------------------------------------------


def test_a_change_that_erases_less_waits_for_the_dpo_and_the_runner_keeps_the_old_version(
    platform: System,
    client_for: ClientFor,
    admin_user: User,
    dpo: User,
    platform_url: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response = client_for(admin_user).post(edit(platform), {"url": "", "manifest": KEEPS_COMMENTS})
    assert response.status_code == 302
    assert versions(platform) == [(1, "accepted"), (2, "pending")]
    assert in_force(platform) == 1
    reason = (
        "“comments”: the person's rows were deleted; now they stay and only their personal "
        "columns change."
    )
    proposed = AuditEvent.objects.get(action="processing.system_database_change_proposed")
    assert proposed.details == {
        "manifest_version": 2,
        "in_force": 1,
        "reasons": [reason],
        "connection_changed": False,
    }
    admin_page = text_of(client_for(admin_user).get(page(platform)))
    assert reason in admin_page and "Only a DPO can confirm or reject it." in admin_page
    assert (
        client_for(admin_user).post(decide(platform, 2), {"decision": "confirm"}).status_code == 403
    )

    # Meanwhile an erasure follows v1: Kadri's comments are deleted.
    erase(request_for(kadri(), dpo, "erasure"), dpo, django_capture_on_commit_callbacks)
    task = SystemTask.objects.get(system=platform)
    assert task.status == "done", task.last_error
    assert "following the manifest v1" in task.evidence
    assert rows(platform_url, "SELECT id FROM comments ORDER BY id") == [(2,)]

    dpo_client = client_for(dpo)
    assert "Confirm: v2 takes effect" in text_of(dpo_client.get(page(platform)))
    dpo_client.post(decide(platform, 2), {"decision": "confirm"})
    assert versions(platform) == [(1, "accepted"), (2, "accepted")]
    assert in_force(platform) == 2
    confirmed = AuditEvent.objects.get(action="processing.system_database_change_confirmed")
    assert confirmed.details == {
        "manifest_version": 2,
        "proposed_by": "admin",
        "confirmed_by": "dpo",
        "connection_changed": False,
    }
    # From now on v2: Mart's comment stays, its text replaced.
    mart = f.DataSubjectFactory.create(kind="client", work_email="mart@acme.example")
    erase(request_for(mart, dpo, "erasure"), dpo, django_capture_on_commit_callbacks)
    assert rows(platform_url, "SELECT id, body FROM comments ORDER BY id") == [(2, "-")]


def test_the_dpo_rejects_a_change_and_the_version_in_force_stays(
    platform: System, client_for: ClientFor, admin_user: User, dpo: User, platform_url: str
) -> None:
    # A new connection proposed with it waits too, and goes with the rejection.
    connect_database(
        system=platform, url=platform_url + "?timeout=5", manifest_text=KEEPS_COMMENTS,
        actor=admin_user,
    )  # fmt: skip
    pending = DatabaseManifest.objects.get(state=ManifestState.PENDING)
    assert pending.new_url == platform_url + "?timeout=5"
    assert platform.database.url == platform_url
    response = client_for(dpo).post(decide(platform, 2), {"decision": "reject"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert (pending.state, pending.new_url, pending.decided_by) == ("rejected", "", dpo)
    assert in_force(platform) == 1
    event = AuditEvent.objects.get(action="processing.system_database_change_rejected")
    assert event.details == {"manifest_version": 2} and event.actor == dpo
    assert "timeout" not in str(AuditEvent.objects.values_list("details", flat=True))
    # Decided once: a second decision is refused with a message, nothing changes.
    client_for(dpo).post(decide(platform, 2), {"decision": "confirm"})
    pending.refresh_from_db()
    assert pending.state == "rejected"


def test_a_newer_save_supersedes_the_change_awaiting_the_dpo(
    platform: System, admin_user: User, platform_url: str
) -> None:
    connect_database(system=platform, url="", manifest_text=KEEPS_COMMENTS, actor=admin_user)
    again = connect_database(
        system=platform, url="", manifest_text=KEEPS_COMMENTS, actor=admin_user
    )
    assert again.pending and not again.changed  # the same proposal, not a new version
    connect_database(system=platform, url="", manifest_text=FULL, actor=admin_user)
    assert versions(platform) == [(1, "accepted"), (2, "withdrawn")]
    event = AuditEvent.objects.get(action="processing.system_database_changed")
    assert event.details["superseded"] == 2


def test_the_command_says_a_change_awaits_the_dpo(
    platform: System, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "less.yaml"
    file.write_text(KEEPS_COMMENTS)
    call_command("connect_database", str(platform.pk), "--manifest", str(file))
    out = capsys.readouterr().out
    assert "manifest v2 awaits a DPO's confirmation" in out and "“comments”" in out
    assert in_force(platform) == 1


# --- who may do what -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["staff", "auditor", "dpo"])
def test_nobody_but_the_admin_may_connect_or_edit(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor, platform: System
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get(edit(platform)).status_code == 403
    assert client.post(edit(platform), {"url": UNREACHABLE, "manifest": FULL}).status_code == 403
    assert versions(platform) == [(1, "accepted")]


def test_staff_does_not_see_the_page_and_only_a_dpo_decides(
    platform: System, client_for: ClientFor, staff: User, auditor: User, admin_user: User
) -> None:
    connect_database(system=platform, url="", manifest_text=KEEPS_COMMENTS, actor=admin_user)
    assert client_for(staff).get(page(platform)).status_code == 403
    for user in (staff, auditor):
        assert (
            client_for(user).post(decide(platform, 2), {"decision": "confirm"}).status_code == 403
        )
    assert versions(platform) == [(1, "accepted"), (2, "pending")]


def test_the_auditor_reads_the_page_but_never_the_password(
    platform: System, client_for: ClientFor, auditor: User
) -> None:
    PlatformDatabase.objects.filter(system=platform).update(url=UNREACHABLE)
    shown = text_of(client_for(auditor).get(page(platform)))
    assert "postgresql://portal:***@127.0.0.1:1/platform" in shown
    assert "s3cret" not in shown and "cannot be read" in shown
    assert "What manifest v1 says" in shown and "Change the manifest" not in shown
    assert "Confirm:" not in shown


# --- what erases less ----------------------------------------------------------------------------


def less(old: str, new: str) -> list[str]:
    return erases_less(parse(old), parse(new))


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("full_name: {category: identification, erase: clear}", "full_name: not personal",
         "“users.full_name” held identification data; it is now marked not personal."),
        ("identity: email,", "identity: external_id,",
         "“users.email” no longer finds a person by email."),
        ("author_id: {references: users.id}", "author_id: not personal",
         "“comments.author_id” no longer leads to users.id: the rows it links to a person are "
         "no longer found through it."),
        ("  comments:\n    erase: delete\n",
         "  comments:\n    erase: delete\n    keep: {reason: disputes}\n",
         "“comments”: the person's rows were deleted; now they are kept (disputes)."),
    ],
)  # fmt: skip
def test_each_way_a_column_or_a_table_erases_less_is_named(
    before: str, after: str, expected: str
) -> None:
    assert less(FULL, FULL.replace(before, after, 1)) == [expected]


def test_erasing_as_much_or_more_needs_no_one() -> None:
    fixed_value = FULL.replace("erase: clear}", 'erase: {value: "?"}}')
    assert less(FULL, fixed_value) == []
    deletes_users = FULL.replace(
        "  users:\n    columns:\n", "  users:\n    erase: delete\n    columns:\n"
    )
    assert less(FULL, deletes_users) == []
    assert less(FULL, FULL) == []


def test_a_table_or_an_erasure_left_out_erases_less() -> None:
    assert less(FULL, MANIFEST) == [
        "The table “attachments” is no longer in the manifest: the person's rows there are no "
        "longer found or erased."
    ]
    assert less(FULL, MANIFEST + "  attachments: not personal\n") == [
        "The table “attachments” is now marked not personal: the person's rows there are no "
        "longer found or erased."
    ]
    kept_users = FULL.replace(
        "  users:\n    columns:\n", "  users:\n    keep: {reason: contract}\n    columns:\n"
    ).replace(
        "full_name: {category: identification, erase: clear}",
        "full_name: {category: identification}",
    )
    assert less(FULL, kept_users) == [
        "“users”: the person's personal columns were erased; now the rows are kept as they are "
        "(contract)."
    ]

"""Erasures replayed on SQLite: a backup restored after erasures gives the erased rows back,
and `replay_erasures` erases them again from the ledger's copy, in ledger order, with the
erasures' own times; a second replay has nothing to do.

The backup is of the whole test database (`tests.backups`: SQLite's online backup, pg_dump
on PostgreSQL), so the restore rolls the database's ledger back with the data, as a real one
does.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from retention.ledger import record_erasure
from retention.models import ErasureEntry
from retention.services.purge import run_purge
from subject_requests.models import SubjectRequest
from subjects.models import Claim, Communication, DataSubject, TrialContent
from subjects.services import defer_erasure, erase_subjects
from tests import factories as f
from tests.backups import Backup

pytestmark = [pytest.mark.django_db(transaction=True)]

TALLINN = ZoneInfo("Europe/Tallinn")
LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)
DAY = dt.date(2025, 6, 1)


@dataclass
class World:
    claimant: DataSubject  # an expired prospect kept by an expired claim: both go in one run
    prospect: DataSubject  # an expired prospect, with a message
    client: DataSubject  # erased on request
    held: DataSubject  # asked for erasure under a legal hold: out of use, data kept
    request: SubjectRequest  # closed in 2020: anonymised by the requests rule
    content: TrialContent  # of a trial ended in 2024: deleted by its rule


@pytest.fixture
def world(seeded: None) -> World:
    claimant = f.ProspectFactory.create(collected_at=LONG_AGO, first_name="Claimant")
    f.ClaimFactory.create(subject=claimant, fell_due_on=dt.date(2012, 1, 1))
    prospect = f.ProspectFactory.create(collected_at=LONG_AGO, first_name="Prospect")
    f.CommunicationFactory.create(subject=prospect, sent_at=LONG_AGO, body="Call me back")
    request = f.SubjectRequestFactory.create(
        status="completed", closed_at=dt.datetime(2020, 3, 1, 12, tzinfo=TALLINN)
    )
    request.subjects.add(f.DataSubjectFactory.create())
    return World(
        claimant=claimant,
        prospect=prospect,
        client=f.DataSubjectFactory.create(first_name="Client"),
        held=f.DataSubjectFactory.create(first_name="Held", legal_hold_reason="Court case"),
        request=request,
        content=f.TrialContentFactory.create(trial__ended_on=dt.date(2024, 1, 1)),
    )


@pytest.fixture
def backup(tmp_path: Path) -> Callable[[], Backup]:
    return lambda: Backup(tmp_path)


def erase_everything(world: World, dpo: User) -> None:
    with time_machine.travel(dt.datetime(2025, 6, 1, 3, tzinfo=TALLINN)):
        erase_subjects(subject_ids=[world.client.pk], actor=dpo, reason="GDPR Art. 17")
        defer_erasure(subject_ids=[world.held.pk], actor=dpo, reason="GDPR Art. 17")
        run = run_purge(as_of=DAY, dry_run=False, actor="test")
    assert run.status == "succeeded", run.note


def state() -> dict[str, Any]:
    """Everything an erasure changes, with the times it was made at."""
    return {
        "people": sorted(
            DataSubject.objects.values_list(
                "pk", "first_name", "anonymised_at", "erasure_requested_at", "organisation_id"
            )
        ),
        "claims": sorted(Claim.objects.values_list("pk", "subject_id", "anonymised_at")),
        "messages": sorted(Communication.objects.values_list("pk", "body")),
        "requests": sorted(
            SubjectRequest.objects.values_list("pk", "requester_name", "anonymised_at")
        ),
        "request_links": SubjectRequest.subjects.through.objects.count(),
        "contents": sorted(TrialContent.objects.values_list("pk", flat=True)),
    }


def replay(*args: str) -> dict[str, Any]:
    out = io.StringIO()
    call_command("replay_erasures", "--since", DAY.isoformat(), "--json", *args, stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_erasures_made_after_a_backup_are_made_again_after_its_restore(
    world: World, dpo: User, backup: Callable[[], Backup], erasure_ledger_dir: Path
) -> None:
    saved = backup()
    before = state()
    erase_everything(world, dpo)
    erased = state()
    entries = list(ErasureEntry.objects.values_list("uuid", flat=True))
    assert len(entries) == 6  # request, deferral, and claims, trial content, requests, prospects

    saved.restore()
    assert state() == before  # the erased rows are back, and the ledger has none of it
    assert not ErasureEntry.objects.exists()

    result = replay("--from-file", str(erasure_ledger_dir))
    assert state() == erased  # the same rows, cleared as they were, at the same times
    assert (result["entries"], result["redone"], result["stored_again"]) == (6, 6, 6)
    assert sorted(ErasureEntry.objects.values_list("uuid", flat=True)) == sorted(entries)
    # The deferred person is out of use again, their data still kept by the hold.
    held = DataSubject.objects.get(pk=world.held.pk)
    assert held.erasure_requested_at is not None and held.anonymised_at is None

    again = replay("--from-file", str(erasure_ledger_dir))
    assert (again["entries"], again["redone"], again["needed_nothing"]) == (6, 0, 6)
    assert again["stored_again"] == 0
    assert state() == erased


def test_the_claimant_is_erased_only_because_the_claim_is_replayed_first(
    world: World, dpo: User, backup: Callable[[], Backup], erasure_ledger_dir: Path
) -> None:
    saved = backup()
    erase_everything(world, dpo)
    saved.restore()
    result = replay("--from-file", str(erasure_ledger_dir))
    rules = [group["rule"] for group in result["groups"] if group["rule"]]
    assert rules.index("claims-10y") < rules.index("prospects-1y")
    claimant = DataSubject.objects.get(pk=world.claimant.pk)
    assert claimant.anonymised_at is not None and claimant.first_name == ""


def test_the_report_counts_per_rule_and_reason_and_is_audited(
    world: World, dpo: User, backup: Callable[[], Backup], erasure_ledger_dir: Path
) -> None:
    saved = backup()
    erase_everything(world, dpo)
    saved.restore()
    result = replay("--from-file", str(erasure_ledger_dir))
    groups = {(g["record_type"], g["rule"] or g["reason"]): g for g in result["groups"]}
    prospects = groups[("subjects.prospect", "prospects-1y")]
    assert prospects["entries"] == 1 and prospects["rows"]["subjects.datasubject"] == 2
    assert prospects["rows"]["subjects.communication"] == 1
    assert groups[("subjects.trial_content", "trial-content-75d")]["rows"] == {
        "subjects.trialcontent": 1
    }
    request = groups[("subjects.erasure_requested", "GDPR Art. 17")]
    assert request["entries"] == 2  # the erasure and the deferral
    event = AuditEvent.objects.get(action="retention.erasures_replayed")
    assert event.details["entries"] == 6 and event.details["stored_again"] == 6


def test_the_command_says_what_it_redid_in_words(
    world: World, dpo: User, backup: Callable[[], Backup], erasure_ledger_dir: Path
) -> None:
    saved = backup()
    erase_everything(world, dpo)
    saved.restore()
    out = io.StringIO()
    call_command("replay_erasures", "--since", "2025-06-01", "--from-file", stdout=out)
    assert "subjects.claim (rule claims-10y): 1 entries, 1 redone, 0 needed nothing" in (
        out.getvalue()
    )
    assert "Redone: 6 entries; needed nothing: 0." in out.getvalue()


def test_a_dry_run_counts_what_a_replay_would_redo_and_changes_nothing(
    world: World, dpo: User, backup: Callable[[], Backup], erasure_ledger_dir: Path
) -> None:
    saved = backup()
    before = state()
    erase_everything(world, dpo)
    saved.restore()
    result = replay("--from-file", str(erasure_ledger_dir), "--dry-run")
    assert (result["dry_run"], result["redone"], result["stored_again"]) == (True, 6, 6)
    assert state() == before
    assert not ErasureEntry.objects.exists()
    assert not AuditEvent.objects.filter(action="retention.erasures_replayed").exists()


def test_entries_before_the_day_asked_for_are_left_alone(
    world: World, dpo: User, erasure_ledger_dir: Path
) -> None:
    erase_everything(world, dpo)
    result = replay("--from-file", str(erasure_ledger_dir), "--since", "2025-06-02")
    assert result["entries"] == 0


def test_without_the_copy_the_database_s_entries_are_redone(world: World) -> None:
    # A ledger entry whose rows the database still holds: what a restore of the domain
    # tables alone leaves behind.
    record_erasure(
        source="erasure",
        record_type="subjects.erasure_requested",
        action="anonymise",
        ids=[world.client.pk],
        reason="GDPR Art. 17",
        now=dt.datetime(2025, 6, 1, 9, tzinfo=TALLINN),
    )
    result = replay()
    assert (result["entries"], result["redone"], result["stored_again"]) == (1, 1, 0)
    client = DataSubject.objects.get(pk=world.client.pk)
    assert client.anonymised_at == dt.datetime(2025, 6, 1, 9, tzinfo=TALLINN)


def test_an_entry_no_record_type_takes_is_reported_and_the_rest_redone(world: World) -> None:
    for record_type, action in [("gone.type", "anonymise"), ("subjects.claim", "delete")]:
        record_erasure(
            source="purge",
            record_type=record_type,
            action=action,
            ids=[1],
            reason="old rule",
            now=dt.datetime(2025, 6, 1, 9, tzinfo=TALLINN),
        )
    record_erasure(
        source="erasure",
        record_type="subjects.erasure_requested",
        action="anonymise",
        ids=[world.client.pk],
        reason="GDPR Art. 17",
        now=dt.datetime(2025, 6, 1, 10, tzinfo=TALLINN),
    )
    with pytest.raises(CommandError, match="2 entries were not redone") as refusal:
        call_command("replay_erasures", "--since", "2025-06-01", stdout=io.StringIO())
    assert "no record type gone.type" in str(refusal.value)
    assert "subjects.claim does not delete" in str(refusal.value)
    assert DataSubject.objects.get(pk=world.client.pk).anonymised_at is not None


def test_a_missing_copy_is_an_error_not_an_empty_replay(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no erasure ledger copy"):
        replay("--from-file", str(tmp_path / "nowhere"))

"""Self-service left subject_requests for its own app keeping its tables: a sign-in link and
a copy made before the move are the same rows after it — and the move goes back."""

from __future__ import annotations

import pytest

from selfservice.models import SelfServiceCopy, SignInLink
from tests.factories import DataSubjectFactory
from tests.migrating import migrate

BEFORE = [("subject_requests", "0019_breaches_moved")]


@pytest.mark.django_db(transaction=True)
def test_a_link_and_a_copy_made_before_the_move_are_read_after_it_and_back() -> None:
    person = DataSubjectFactory.create()
    old = migrate(BEFORE).loader.project_state(BEFORE).apps
    link = old.get_model("subject_requests", "SignInLink").objects.create(
        subject_id=person.pk, nonce="n-before-the-move", language="et"
    )
    copy = old.get_model("subject_requests", "SelfServiceCopy").objects.create(
        subject_id=person.pk, status="ready", report_sha256="a" * 64
    )

    migrate()
    assert SignInLink.objects.get(pk=link.pk).nonce == "n-before-the-move"
    moved = SelfServiceCopy.objects.get(pk=copy.pk)
    assert (moved.subject_id, moved.status, moved.report_sha256) == (person.pk, "ready", "a" * 64)
    assert SignInLink._meta.db_table == "subject_requests_signinlink"

    migrate(BEFORE)
    back = old.get_model("subject_requests", "SignInLink").objects.get(pk=link.pk)
    assert back.language == "et"
    migrate()

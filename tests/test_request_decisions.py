"""The request page offers exactly the actions the services accept: its buttons come from the
services' own guards (`selectors.request_actions`), never from the template."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from subject_requests import services
from subject_requests.guards import ACTIONS
from subject_requests.models import Status, SubjectRequest
from subject_requests.services import erasure
from tests.factories import DataSubjectFactory, SubjectRequestFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
# Received Monday 2 February 2026: due Monday 2 March; "now" is Friday 20 February.
RECEIVED = dt.datetime(2026, 2, 2, 10, 0, tzinfo=TALLINN)
NOW = dt.datetime(2026, 2, 20, 10, 0, tzinfo=TALLINN)


def _received(dpo: User) -> SubjectRequest:
    return SubjectRequestFactory.create(received_at=RECEIVED)


def _received_by_letter(dpo: User) -> SubjectRequest:
    return SubjectRequestFactory.create(
        received_at=RECEIVED, channel="letter", requester_email=None
    )


def _awaiting(dpo: User) -> SubjectRequest:
    request = _received(dpo)
    return services.resend_verification_link(request=request, actor=dpo, now=RECEIVED)


def _verified(dpo: User) -> SubjectRequest:
    return services.verify_manually(
        request=_received(dpo), asked="a", shown="b", actor=dpo, now=RECEIVED
    )


def _in_progress(dpo: User) -> SubjectRequest:
    return services.start_work(request=_verified(dpo), actor=dpo, now=RECEIVED)


def _paused(dpo: User) -> SubjectRequest:
    return services.pause_request(
        request=_in_progress(dpo), reason="clarification", note="?", actor=dpo, now=RECEIVED
    )


def _paused_for_identity(dpo: User) -> SubjectRequest:
    return services.pause_request(
        request=_received(dpo), reason="identity", note="ID?", actor=dpo, now=RECEIVED
    )


def _extended(dpo: User) -> SubjectRequest:
    return services.extend_deadline(
        request=_in_progress(dpo), reason="Complex", actor=dpo, now=RECEIVED
    )


def _overdue(dpo: User) -> SubjectRequest:
    # Received 5 January: due Thursday 5 February, long past on the 20th.
    request = SubjectRequestFactory.create(
        received_at=RECEIVED - dt.timedelta(days=28), channel="email"
    )
    return services.start_work(
        request=services.verify_manually(
            request=request, asked="a", shown="b", actor=dpo, now=RECEIVED
        ),
        actor=dpo,
        now=RECEIVED,
    )


def _erasure(dpo: User) -> SubjectRequest:
    person = DataSubjectFactory.create(work_email="kadri@acme.example")
    request = SubjectRequestFactory.create(
        received_at=RECEIVED, type="erasure", requester_email=person.work_email
    )
    return services.verify_manually(
        request=request, asked="a", shown="b", subject_email=person.work_email, actor=dpo,
        now=RECEIVED,
    )  # fmt: skip


def _erasure_proposed(dpo: User) -> SubjectRequest:
    request = _erasure(dpo)
    erasure.propose_erasure(request=request, actor=dpo, now=RECEIVED)
    return request


def _asking_a_company(dpo: User) -> SubjectRequest:
    """A portability request whose package is to go to another company (GDPR Art. 20(2))."""
    return SubjectRequestFactory.create(
        received_at=RECEIVED,
        type="portability",
        receiver_name="Uus Teenus OÜ",
        receiver_email="privacy@uusteenus.example",
        transmission="asked",
    )


def _asking_a_company_verified(dpo: User) -> SubjectRequest:
    return services.verify_manually(
        request=_asking_a_company(dpo), asked="a", shown="b", actor=dpo, now=RECEIVED
    )


def _closed(status: str) -> Callable[[Any], SubjectRequest]:
    def make(dpo: User) -> SubjectRequest:
        return SubjectRequestFactory.create(received_at=RECEIVED, channel="phone", status=status)

    return make


STATES: dict[str, Callable[[Any], SubjectRequest]] = {
    "received": _received,
    "received by letter": _received_by_letter,
    "awaiting identity": _awaiting,
    "verified": _verified,
    "in progress": _in_progress,
    "paused": _paused,
    "paused for identity": _paused_for_identity,
    "extended": _extended,
    "overdue": _overdue,
    "erasure to propose": _erasure,
    "erasure proposed": _erasure_proposed,
    "portability to a company": _asking_a_company,
    "portability to a company, verified": _asking_a_company_verified,
    "completed": _closed(Status.COMPLETED),
    "rejected": _closed(Status.REJECTED),
    "withdrawn": _closed(Status.WITHDRAWN),
    "closed unverified": _closed(Status.CLOSED_UNVERIFIED),
}


def attempts(dpo: User | None) -> dict[str, Callable[[SubjectRequest], Any]]:
    """Each action with valid input: only the request's state can refuse it."""
    return {
        "verify": lambda r: services.verify_manually(request=r, asked="a", shown="b", actor=dpo),
        "resend-link": lambda r: services.resend_verification_link(request=r, actor=dpo),
        "start": lambda r: services.start_work(request=r, actor=dpo),
        "complete": lambda r: services.complete_request(request=r, outcome="Done", actor=dpo),
        "pause": lambda r: services.pause_request(
            request=r, reason="clarification", note="Which account?", actor=dpo
        ),
        "resume": lambda r: services.resume_request(request=r, actor=dpo),
        "extend": lambda r: services.extend_deadline(request=r, reason="Complex", actor=dpo),
        "reject": lambda r: services.reject_request(request=r, reason="Not ours", actor=dpo),
        "close": lambda r: services.close_unverified(request=r, reason="No answer", actor=dpo),
        "withdraw": lambda r: services.withdraw_request(request=r, actor=dpo),
        "assign": lambda r: services.assign_requests(request_ids=[r.pk], assignee=dpo, actor=dpo),
        "build-answer": lambda r: services.request_answer(request=r, actor=dpo),
        "change-received": lambda r: services.change_received_at(
            request=r, received_at=RECEIVED + dt.timedelta(hours=1), reason="Typo", actor=dpo
        ),
        "propose-erasure": lambda r: erasure.propose_erasure(request=r, actor=dpo),
        "confirm-erasure": lambda r: erasure.confirm_erasure(request=r, actor=dpo),
        "cancel-erasure": lambda r: erasure.cancel_erasure(request=r, reason="Wrong", actor=dpo),
        "transmission": lambda r: services.confirm_transmission(request=r, actor=dpo),
    }


class _Undo(Exception):
    pass


def accepted_by_the_services(request: SubjectRequest, dpo: User) -> set[str]:
    accepted = set()
    for action, attempt in attempts(dpo).items():
        try:
            with transaction.atomic():
                attempt(SubjectRequest.objects.get(pk=request.pk))
                raise _Undo
        except _Undo:
            accepted.add(action)
        except services.RequestError:
            pass
    return accepted


def offered_on_the_page(client: Client, request: SubjectRequest) -> set[str]:
    page = client.get(f"/requests/{request.pk}/").content.decode()
    offered = set(re.findall(r'data-action="([a-z-]+)"', page))
    if f"/requests/{request.pk}/received/" in page:
        offered.add("change-received")
    if request.type == "erasure":
        erasure_page = client.get(f"/requests/{request.pk}/erasure/").content.decode()
        offered |= set(re.findall(r'data-action="([a-z-]+)"', erasure_page))
    return offered


def test_every_action_is_tried() -> None:
    assert set(attempts(None)) == set(ACTIONS)


@pytest.mark.parametrize("state", STATES)
def test_the_buttons_shown_are_the_actions_the_services_accept(
    client_for: ClientFor, dpo: User, state: str
) -> None:
    request = STATES[state](dpo)
    client = client_for(dpo)
    with time_machine.travel(NOW, tick=False):
        offered = offered_on_the_page(client, request)
        accepted = accepted_by_the_services(request, dpo)
    assert offered == accepted
    if request.is_open:
        # Every open request can at least be rejected, withdrawn and assigned.
        assert {"reject", "withdraw", "assign"} <= offered
    else:
        assert offered == set()


def test_an_overdue_request_offers_neither_pause_nor_extension(
    client_for: ClientFor, dpo: User
) -> None:
    request = _overdue(dpo)
    with time_machine.travel(NOW, tick=False):
        offered = offered_on_the_page(client_for(dpo), request)
    assert {"pause", "extend"}.isdisjoint(offered)
    assert "complete" in offered


def test_staff_are_offered_only_what_their_role_allows(
    client_for: ClientFor, dpo: User, staff: User
) -> None:
    request = SubjectRequestFactory.create(received_at=RECEIVED, channel="email")
    with time_machine.travel(NOW, tick=False):
        page = client_for(staff).get(f"/requests/{request.pk}/").content.decode()
        offered = offered_on_the_page(client_for(staff), request)
    assert offered == {"change-received"}
    assert "are for the DPO" in page


def test_the_confirmation_page_of_a_refused_action_says_why(
    client_for: ClientFor, dpo: User
) -> None:
    request = _extended(dpo)
    with time_machine.travel(NOW, tick=False):
        response = client_for(dpo).get(f"/requests/{request.pk}/extend/", follow=True)
    assert "the law allows it once" in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/requests/{request.pk}/"


@pytest.mark.parametrize(
    ("received", "paused_days", "shown"),
    [
        # Three months from 4 January 2026 end on Saturday 4 April; Easter Sunday follows.
        (dt.datetime(2026, 1, 4, 9, 0, tzinfo=TALLINN), 0, "Monday 06.04.2026"),
        # From 5 January: Sunday 5 April, then Monday 6 April.
        (dt.datetime(2026, 1, 5, 9, 0, tzinfo=TALLINN), 0, "Monday 06.04.2026"),
        # From 7 January: Tuesday 7 April, a working day; 2 paused days make it Thursday 9th.
        (dt.datetime(2026, 1, 7, 9, 0, tzinfo=TALLINN), 2, "Thursday 09.04.2026"),
    ],
)
def test_the_extend_page_shows_the_resulting_legal_due_day(
    client_for: ClientFor, dpo: User, received: dt.datetime, paused_days: int, shown: str
) -> None:
    request = SubjectRequestFactory.create(received_at=received, paused_days=paused_days)
    with time_machine.travel(dt.datetime(2026, 1, 20, 9, 0, tzinfo=TALLINN), tick=False):
        page = client_for(dpo).get(f"/requests/{request.pk}/extend/").content.decode()
    assert f"The request will be due on {shown}." in page

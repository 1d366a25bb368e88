"""The base of the state machine of the request services (`test_request_state_machine`).

Its harness: each example runs in a savepoint over the seeded policy, rolled back at its
end, on a frozen clock the machine itself starts and moves. Each service call is checked
against the request page's guard, for its audit event when taken and for unchanged data when
refused. A rule mostly aims at a request (and a person) it may act on — nine draws in ten —
else at any, so that the services' refusals are exercised as well.

Its rules: intake, identity, matching and the clock."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import time_machine
from django.contrib.auth.models import User
from django.db import transaction
from django.test import TestCase
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from consent.models import ObjectionReview
from core.models import AuditEvent
from core.timeutil import legal_today
from core.webhooks import callback_token
from selfservice.requests import file_request
from subject_requests import guards, services
from subject_requests.choices import UNRESOLVED_TASKS, ActionStatus, PauseReason
from subject_requests.models import Pause, RightAction, SubjectRequest, SystemTask
from subject_requests.services.reminders import close_unverified_requests, unverified_to_close
from subject_requests.services.systems import CALLBACK_PURPOSE
from subjects.models import DataSubject
from tests.conftest import suite_clock
from tests.request_machine_helpers import (
    ACTIVE,
    ADDRESSES,
    ANSWERING,
    CASES,
    CHANNELS,
    PAUSED,
    RUNNING,
    TYPES,
    UNEXTENDED,
    UNVERIFIED,
    VERIFIED,
    Aim,
    Known,
    choose,
    last_event_id,
    room_for_one_more,
    snapshot,
)
from tests.request_machine_invariants import Watch

# The services each rule's call took, over a run: the machine must reach its right's.
TAKEN: Counter[str] = Counter()


class RequestMachineBase(RuleBasedStateMachine):
    first_right = "access"  # the right of each example's first request
    # The stored people and systems (`store_people_and_systems`), made once before the
    # examples: each example's savepoint gives them back as they were. Made in each example,
    # they took a tenth of its time.
    stored_people: tuple[int, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.dpo = User.objects.get(username="dpo")
        self.staff = User.objects.get(username="staff")
        self.traveller = time_machine.travel(suite_clock(), tick=False)
        self.clock = self.traveller.start()
        self.example = transaction.atomic()
        self.example.__enter__()
        self.people: list[int] = []
        self.known: dict[int, Known] = {}
        self.links: dict[int, str] = {}  # the verification link each request was sent
        self.tokens: dict[int, str] = {}  # the completion link each webhook task was sent
        self.open_tasks = self.open_callbacks = self.open_reviews = 0
        self.calls_taken = 0  # each wrote its audit event; a refused one changed nothing
        self.watch = Watch()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)
        self.traveller.stop()

    # --- the harness ----------------------------------------------------------------------

    def _call(
        self,
        name: str,
        service: Callable[[], object],
        *,
        audited: str | tuple[str, ...],
        allowed: bool | None,
        refused_by: tuple[type[Exception], ...] = (services.RequestError,),
    ) -> bool:
        """Run one service call. Refused: with the service's own error, only where its guard
        refuses (`allowed` False or None), and nothing changed. Taken: only where its guard
        allows (`allowed` True or None), with its audit event."""
        before = None if allowed else snapshot()
        last_event = before[-1] if before is not None else last_event_id()
        try:
            # The workers keep up: what the call queued for after its commit (the systems'
            # deliveries, report builds, a prospect's erasure) runs with the step.
            with TestCase.captureOnCommitCallbacks(execute=True):
                service()
        except refused_by as refusal:
            assert allowed is not True, f"{name}: refused what its guard allows: {refusal}"
            assert snapshot() == before, f"{name}: refused ({refusal}), but changed the data"
            return False
        assert allowed is not False, f"{name}: the service did what its guard refuses"
        actions = set(AuditEvent.objects.filter(pk__gt=last_event).values_list("action", flat=True))
        expected = {audited} if isinstance(audited, str) else set(audited)
        assert actions & expected, f"{name}: no {expected} event among {actions or 'none'}"
        TAKEN[name] += 1
        self.calls_taken += 1
        self._after_change()
        return True

    def _after_change(self) -> None:
        """What the rules aim at: what is left to do on each request, the open tasks and
        reviews, and the completion links the webhook system was sent with its new tasks."""
        proposing = set(
            RightAction.objects.filter(status=ActionStatus.PROPOSED).values_list(
                "request_id", flat=True
            )
        )
        pauses = Counter(Pause.objects.values_list("request_id", flat=True))
        rows = SubjectRequest.objects.values_list(
            "pk", "status", "type", "paused_since", "extended_at"
        )
        self.known = {
            pk: Known(
                status,
                type,
                paused=paused is not None,
                pauses=pauses[pk],
                extended=extended is not None,
                proposing=pk in proposing,
                unanswered=False,
                waiting=False,
                restricted=False,
            )
            for pk, status, type, paused, extended in rows
        }
        for pk, known in self.known.items():
            if known.status in ACTIVE:
                self.known[pk] = self._answering(pk, known)
        tasks = SystemTask.objects.values_list("pk", "callback_nonce", "status")
        for pk, nonce, _status in tasks:
            if nonce and pk not in self.tokens:
                self.tokens[pk] = callback_token(
                    purpose=CALLBACK_PURPOSE, object_id=pk, nonce=nonce
                )
        unresolved = [pk for pk, _nonce, status in tasks if status in UNRESOLVED_TASKS]
        self.open_tasks = len(unresolved)
        self.open_callbacks = len([pk for pk in unresolved if pk in self.tokens])
        self.open_reviews = ObjectionReview.objects.open().count()

    def _answering(self, pk: int, known: Known) -> Known:
        """What is left to do on a verified request."""
        request = self._request(pk)
        if known.type == "access":
            left = guards.answer_not_reviewed(request) or guards.answer_out_of_date(request)
            return known._replace(unanswered=left is not None)
        restricted = request.subjects.filter(restricted_at__isnull=False).exists()
        waiting = bool(guards.people_not_acted_on(request))
        return known._replace(waiting=waiting, restricted=restricted)

    def _pick(self, data: st.DataObject, aim: Aim) -> int:
        """A request the rule is meant for (nine draws in ten), else any."""
        return choose(data, aim.fitting(self), sorted(self.known), "request")

    def _pick_person(self, data: st.DataObject, request: int, **where: object) -> DataSubject:
        """One of the request's people (`where` they are so, if given) nine draws in ten,
        else any stored person."""
        matched = DataSubject.objects.filter(subject_requests=request, **where).order_by("pk")
        fitting = list(matched.values_list("pk", flat=True))
        return DataSubject.objects.get(pk=choose(data, fitting, self.people, "person"))

    def _request(self, pk: int) -> SubjectRequest:
        return SubjectRequest.objects.get(pk=pk)

    def _guard(self, action: str, pk: int) -> bool:
        return guards.ACTIONS[action].guard(self._request(pk), timezone.now()) is None

    # --- intake and identity --------------------------------------------------------------

    @initialize(
        address=st.sampled_from(ADDRESSES),
        case=st.sampled_from(CASES),
        channel=st.sampled_from(CHANNELS),
    )
    def first_request(self, address: str, case: Callable[[str], str], channel: str) -> None:
        """The first request, for the machine's right, among the stored people and systems."""
        assert self.stored_people, "store_people_and_systems() before the machine runs"
        self.people = list(self.stored_people)
        self.file(self.first_right, address, case, channel)

    @precondition(room_for_one_more)
    @rule(
        type=st.sampled_from(TYPES),
        address=st.sampled_from(ADDRESSES),
        case=st.sampled_from(CASES),
        channel=st.sampled_from(CHANNELS),
    )
    def file(self, type: str, address: str, case: Callable[[str], str], channel: str) -> None:
        """Filed by a stored person on their self-service pages (verified at once), on the
        public form (a verification link sent, valid 7 days), or phoned in a few hours ago
        and entered by staff (received, no proof asked yet)."""
        person = DataSubject.objects.active().with_email(address).first()
        if channel == "self_service" and person is not None:
            self._call(
                "file_self_service",
                lambda: file_request(subject=person, type=type, description="", language="en"),
                audited="request.verified",
                allowed=True,
            )
        elif channel == "phone":
            received_at = timezone.now() - dt.timedelta(hours=3)
            self._call(
                "enter",
                lambda: services.enter_request(
                    type=type,
                    channel="phone",
                    name="Caller",
                    email=case(address),
                    description="",
                    received_at=received_at,
                    actor=self.staff,
                ),
                audited="request.entered",
                allowed=True,
            )
        else:
            submit = services.submit_request
            self._call(
                "submit",
                lambda: submit(type=type, name="Requester", email=case(address), description=""),
                audited="request.received",
                allowed=True,
            )
            request = SubjectRequest.objects.latest("pk")
            self.links[request.pk] = services.verification_token(request)

    @precondition(UNVERIFIED)
    @rule(data=st.data(), resend=st.booleans())
    def verification_link(self, data: st.DataObject, resend: bool) -> None:
        """The DPO sends a new link (the older one stops working), or the requester follows
        the last link they were sent: valid once, for 7 days."""
        request = self._pick(data, UNVERIFIED)
        if resend:
            if self._call(
                "resend_link",
                lambda: services.resend_verification_link(
                    request=self._request(request), actor=self.dpo
                ),
                audited="request.verification_link_sent",
                allowed=self._guard("resend-link", request),
            ):
                self.links[request] = services.verification_token(self._request(request))
        elif request in self.links:
            self._call(
                "follow_link",
                lambda: services.verify_by_link(token=self.links[request]),
                audited=("request.verified", "request.email_confirmed"),
                allowed=None,
            )

    @precondition(UNVERIFIED)
    @rule(data=st.data(), named=st.sampled_from(["", *ADDRESSES]), case=st.sampled_from(CASES))
    def verify(self, data: st.DataObject, named: str, case: Callable[[str], str]) -> None:
        """The DPO's identity check, matching the requester's own address or one they name."""
        request = self._pick(data, UNVERIFIED)
        allowed = self._guard("verify", request)
        if named and not DataSubject.objects.active().with_email(named).exists():
            allowed = False  # nobody in use is stored under the named address
        self._call(
            "verify",
            lambda: services.verify_manually(
                request=self._request(request),
                asked="Date of birth",
                shown="Passport",
                subject_email=case(named),
                actor=self.dpo,
            ),
            audited="request.verified",
            allowed=allowed,
        )

    @precondition(ANSWERING)
    @rule(data=st.data(), unlink=st.booleans())
    def change_match(self, data: st.DataObject, unlink: bool) -> None:
        """The DPO links a stored person found another way, or unlinks one matched wrongly."""
        link = not unlink
        request = self._pick(data, ANSWERING)
        person = data.draw(st.sampled_from(self.people), label="person")
        guard = guards.can_change_match(self._request(request), timezone.now())
        service = services.link_subject if link else services.unlink_subject
        self._call(
            "link" if link else "unlink",
            lambda: service(request=self._request(request), subject_id=person, actor=self.dpo),
            audited="request.subject_linked" if link else "request.subject_unlinked",
            allowed=None if guard is None else False,
        )

    # --- the clock ------------------------------------------------------------------------

    @precondition(VERIFIED)
    @rule(data=st.data())
    def start(self, data: st.DataObject) -> None:
        request = self._pick(data, VERIFIED)
        self._call(
            "start",
            lambda: services.start_work(request=self._request(request), actor=self.dpo),
            audited="request.status_changed",
            allowed=self._guard("start", request),
        )

    @precondition(UNEXTENDED)
    @rule(data=st.data())
    def extend(self, data: st.DataObject) -> None:
        """GDPR Art. 12(3): once, by two months, told to the requester within the first."""
        request = self._pick(data, UNEXTENDED)
        self._call(
            "extend",
            lambda: services.extend_deadline(
                request=self._request(request), reason="Many systems to search", actor=self.dpo
            ),
            audited="request.extended",
            allowed=self._guard("extend", request),
        )

    @precondition(RUNNING)
    @rule(data=st.data(), reason=st.sampled_from(PauseReason.values))
    def pause(self, data: st.DataObject, reason: str) -> None:
        """The DPO asks the requester for proof of identity or what they mean: the clock
        stops."""
        request = self._pick(data, RUNNING)
        verified = self._request(request).is_verified
        self._call(
            "pause",
            lambda: services.pause_request(
                request=self._request(request),
                reason=reason,
                note="Please tell us more.",
                actor=self.dpo,
            ),
            audited="request.paused",
            allowed=self._guard("pause", request)
            and not (reason == PauseReason.IDENTITY and verified),
        )

    @precondition(PAUSED)
    @rule(data=st.data())
    def resume(self, data: st.DataObject) -> None:
        """The answer is in: the clock runs again, the due date moved by the paused days."""
        request = self._pick(data, PAUSED)
        self._call(
            "resume",
            lambda: services.resume_request(request=self._request(request), actor=self.dpo),
            audited="request.resumed",
            allowed=self._guard("resume", request),
        )

    @rule(hours=st.sampled_from([1, 6, 30, 24 * 4, 24 * 9]))
    def time_passes(self, hours: int) -> None:
        """Some hours pass; on a new day the daily job closes each request whose verification
        link went unfollowed for 7 days."""
        yesterday = legal_today()
        self.clock.shift(dt.timedelta(hours=hours))
        if legal_today() != yesterday and unverified_to_close(now=timezone.now()).exists():
            self._call(
                "close_unverified",
                lambda: close_unverified_requests(now=timezone.now()),
                audited="request.status_changed",
                allowed=True,
            )
            assert not unverified_to_close(now=timezone.now()).exists()

"""A state machine of the data-subject request services: random sequences of intake,
verification, matching, extension, pauses, erasure proposals and confirmations,
rectification, restriction, objections, refusals, access reports, the systems' answers (by
their owner, the DPO or the webhook's signed call) and the request's end, one machine per
right of its first request, with invariants read from the data after every step:

- a completed request of a right that acts on data has, for every matched person, the
  right's action carried out or refused with reasons, or the person was already so;
- no completed request leaves a system task unresolved without the DPO's reason, a system
  is asked only about the request's people, and a started access request asked it about
  each of them;
- a request's deadline never moves back and is always that of its receipt, extension and
  pauses; its status history stays within the status machine; its letters stay on record;
- every call a service took wrote its audit event, and the audit log's chain verifies;
- every call a service refused raised its own error and left the data as it was, and the
  request page's guards agree with the services (`tests.request_machine`).
"""

from __future__ import annotations

import json
import time

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.timezone import now
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, precondition, rule, run_state_machine_as_test

from consent.models import ObjectionReview, ReviewStatus
from consent.services import decide_objection
from subject_requests import guards, services
from subject_requests.choices import UNRESOLVED_TASKS, AnswerStatus
from subject_requests.models import Answer, SystemTask
from subject_requests.services import answers, changes, erasure, refusals, task_results
from subjects.models import DataSubject
from tests.request_machine import TAKEN, RequestMachineBase
from tests.request_machine_helpers import (
    ACTING,
    AIMS,
    ANSWERING,
    ERASING,
    GROUNDS,
    OPEN,
    PROPOSED,
    REACHED,
    SECRET,
    TYPES,
    UNANSWERED,
    accepted,
    choose,
    not_emailed,
    stand_in_pdf,
    store_people_and_systems,
)
from tests.request_machine_invariants import (
    check_a_request_closed_unanswered_asks_nothing,
    check_access_asks_the_systems_about_everyone,
    check_acting_rights_answered,
    check_audit_log_verifies,
    check_deadlines,
    check_no_open_task_on_a_completed_request,
    check_open_tasks_concern_the_requests_people,
    check_status_history,
    check_the_record_of_letters_stays,
)
from tests.webhook_server import callback_headers

pytestmark = pytest.mark.django_db


class RequestMachine(RequestMachineBase):
    # --- erasure: proposed, confirmed by a DPO, or withdrawn ------------------------------

    @precondition(ERASING)
    @rule(data=st.data(), by_staff=st.booleans(), later=st.booleans())
    def propose_erasure(self, data: st.DataObject, by_staff: bool, later: bool) -> None:
        """Staff or the DPO propose the erasure; the DPO confirms it at once, or later."""
        request = self._pick(data, ERASING)
        proposed = self._call(
            "propose_erasure",
            lambda: erasure.propose_erasure(
                request=self._request(request), actor=self.staff if by_staff else self.dpo
            ),
            audited="request.erasure_proposed",
            allowed=self._guard("propose-erasure", request),
        )
        if proposed and not later:
            self._confirm(request)

    def _confirm(self, request: int) -> None:
        refusal = erasure.confirm_refusal(self._request(request), actor=self.dpo, now=now())
        self._call(
            "confirm_erasure",
            lambda: erasure.confirm_erasure(request=self._request(request), actor=self.dpo),
            audited="request.erasure_confirmed",
            allowed=refusal is None,
        )

    @precondition(PROPOSED)
    @rule(data=st.data(), withdrawn=st.booleans())
    def decide_erasure(self, data: st.DataObject, withdrawn: bool) -> None:
        """A DPO confirms the proposed erasure, or staff withdraw the proposal."""
        request = self._pick(data, PROPOSED)
        if not withdrawn:
            self._confirm(request)
            return
        self._call(
            "cancel_erasure",
            lambda: erasure.cancel_erasure(
                request=self._request(request), reason="Proposed by mistake", actor=self.staff
            ),
            audited="request.erasure_cancelled",
            allowed=self._guard("cancel-erasure", request),
        )

    # --- rectification, restriction, objection, refusal -----------------------------------

    def _acting(
        self, data: st.DataObject, kind: str, **where: object
    ) -> tuple[int, DataSubject, bool | None]:
        """A request and a person to act on (`where` the person is so), and whether the guard
        allows acting: None (the person decides it) where it does, False where it refuses."""
        request = self._pick(data, AIMS[kind])
        person = self._pick_person(data, request, **where)
        refusal = guards.can_act(self._request(request), kind)
        return request, person, None if refusal is None else False

    @precondition(AIMS["rectification"])
    @rule(data=st.data(), unchanged=st.booleans())
    def rectify(self, data: st.DataObject, unchanged: bool) -> None:
        """The person's position corrected (or, refused, "corrected" to what it is)."""
        request, person, allowed = self._acting(data, "rectification")
        position = person.position if unchanged else f"{person.position or ''} (corrected)"[-60:]
        self._call(
            "rectify",
            lambda: changes.rectify(
                request=self._request(request),
                subject=person,
                fields={"position": position},
                actor=self.dpo,
            ),
            audited="request.rectification",
            allowed=allowed,
        )

    @precondition(AIMS["restriction"])
    @rule(data=st.data(), ground=st.sampled_from(GROUNDS))
    def restrict(self, data: st.DataObject, ground: str) -> None:
        request, person, allowed = self._acting(data, "restriction", restricted_at=None)
        self._call(
            "restrict",
            lambda: changes.restrict(
                request=self._request(request), subject=person, ground=ground, actor=self.dpo
            ),
            audited="request.restriction",
            allowed=allowed,
        )

    @precondition(AIMS["restriction_lift"])
    @rule(data=st.data(), unannounced=st.booleans())
    def lift(self, data: st.DataObject, unannounced: bool) -> None:
        """The restriction lifted, after the person was told (Art. 18(3)) — or refused when
        they were not."""
        request, person, allowed = self._acting(
            data, "restriction_lift", restricted_at__isnull=False
        )
        if not unannounced:
            self._call(
                "announce_lift",
                lambda: changes.announce_lift(
                    request=self._request(request), subject=person, actor=self.dpo
                ),
                audited="request.restriction_lift_announced",
                allowed=allowed,
            )
        self._call(
            "lift",
            lambda: changes.lift(request=self._request(request), subject=person, actor=self.dpo),
            audited="request.restriction_lift",
            allowed=allowed,
        )

    @precondition(AIMS["objection"])
    @rule(data=st.data(), every_purpose=st.booleans())
    def object(self, data: st.DataObject, every_purpose: bool) -> None:
        """The objection recorded for the purposes offered (all, or the first)."""
        request, person, allowed = self._acting(data, "objection")
        offered = changes.objection_purposes(self._request(request), person)
        purposes = offered if every_purpose else offered[:1]
        self._call(
            "object",
            lambda: changes.object_from_request(
                request=self._request(request), subject=person, purposes=purposes, actor=self.dpo
            ),
            audited="request.objection",
            allowed=allowed,
        )

    @precondition(lambda self: self.open_reviews > 0)
    @rule(data=st.data(), upheld=st.booleans())
    def decide_objection(self, data: st.DataObject, upheld: bool) -> None:
        """The DPO's balancing of an objection to other processing (Art. 21(1))."""
        reviews = list(ObjectionReview.objects.order_by("pk"))
        still_open = [r for r in reviews if r.status == ReviewStatus.OPEN]
        review = choose(data, still_open, reviews, "review")
        self._call(
            "decide_objection",
            lambda: decide_objection(
                review=review, actor=self.dpo, upheld=upheld, reasoning="Weighed the grounds."
            ),
            audited="consent.objection_decided",
            allowed=review.status == ReviewStatus.OPEN,
            refused_by=(ValidationError,),
        )

    @precondition(ACTING)
    @rule(data=st.data())
    def refuse(self, data: st.DataObject) -> None:
        """The DPO refuses the right's action for one person, with reasons (Art. 12(4))."""
        request = self._pick(data, ACTING)
        waiting = [p.pk for p in guards.people_not_acted_on(self._request(request))]
        person = self._pick_person(data, request, pk__in=waiting)
        refusal = guards.can_refuse_action(self._request(request), now())
        self._call(
            "refuse",
            lambda: refusals.refuse_action(
                request=self._request(request),
                subject_id=person.pk,
                reason="The law requires us to keep it.",
                actor=self.dpo,
            ),
            audited="request.action_refused",
            allowed=None if refusal is None else False,
        )

    # --- access: the report built and reviewed --------------------------------------------

    @precondition(UNANSWERED)
    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        """Build the access report about one matched person (the worker's job runs at once),
        and the DPO reviews it."""
        request = self._pick(data, UNANSWERED)
        person = self._pick_person(data, request)
        refusal = guards.can_build_answer(self._request(request), now())
        built: list[Answer] = []
        if self._call(
            "request_answer",
            lambda: built.append(
                answers.request_answer(
                    request=self._request(request), subject=person, actor=self.dpo
                )
            ),
            audited="request.answer_requested",
            allowed=None if refusal is None else False,
        ):
            document = Answer.objects.get(pk=built[0].pk)  # built by the reports worker
            assert document.status == AnswerStatus.READY, document.error
            self._call(
                "review_answer",
                lambda: answers.review_answer(answer=document, actor=self.dpo),
                audited="request.answer_reviewed",
                allowed=True,
            )

    # --- the systems outside the portal ---------------------------------------------------

    @precondition(lambda self: self.open_tasks > 0)
    @rule(data=st.data(), held=st.booleans(), by_owner=st.booleans())
    def resolve_task(self, data: st.DataObject, held: bool, by_owner: bool) -> None:
        """The system's owner, or the DPO, records what was done there, with evidence."""
        tasks = list(SystemTask.objects.order_by("pk"))
        task = choose(data, [t for t in tasks if t.status in UNRESOLVED_TASKS], tasks, "task")
        self._call(
            "resolve_task",
            lambda: task_results.resolve_task(
                task=task,
                status="done" if held else "not_held",
                evidence="Checked by hand.",
                actor=self.staff if by_owner else self.dpo,
            ),
            audited="request.system_task_resolved",
            allowed=None,
        )

    @precondition(lambda self: self.open_callbacks > 0)
    @rule(data=st.data(), held=st.booleans())
    def system_calls_back(self, data: st.DataObject, held: bool) -> None:
        """The webhook system calls its task's signed completion link (once only)."""
        tasks = list(SystemTask.objects.filter(pk__in=self.tokens).order_by("pk"))
        task = choose(data, [t for t in tasks if t.status in UNRESOLVED_TASKS], tasks, "task")
        body = json.dumps({"status": "done" if held else "not_held"}).encode()
        headers = callback_headers(secret=SECRET, timestamp=int(time.time()), body=body)
        self._call(
            "system_calls_back",
            lambda: task_results.complete_by_callback(
                token=self.tokens[task.pk], body=body, headers=headers
            ),
            audited="request.system_task_confirmed",
            allowed=task.status in UNRESOLVED_TASKS,
            refused_by=(task_results.CallbackRefused,),
        )

    # --- the end --------------------------------------------------------------------------

    @precondition(ANSWERING)
    @rule(data=st.data(), override=st.booleans())
    def complete(self, data: st.DataObject, override: bool) -> None:
        """Answer the request; with the DPO's reason while a system has not answered."""
        request = self._pick(data, ANSWERING)
        current = self._request(request)
        waiting = current.system_tasks.unresolved().exists()
        allowed = guards.can_complete(current, now()) is None and (override or not waiting)
        self._call(
            "complete",
            lambda: services.complete_request(
                request=self._request(request),
                outcome="Answered.",
                actor=self.dpo,
                systems_override="The CRM's owner confirmed by phone." if override else "",
            ),
            audited="request.status_changed",
            allowed=allowed,
        )

    @precondition(OPEN)
    @rule(data=st.data(), withdrawn=st.booleans())
    def close_unanswered(self, data: st.DataObject, withdrawn: bool) -> None:
        """The requester withdraws, or the DPO rejects the request (with the reason)."""
        request = self._pick(data, OPEN)
        if withdrawn:
            self._call(
                "withdraw",
                lambda: services.withdraw_request(request=self._request(request), actor=self.dpo),
                audited="request.status_changed",
                allowed=self._guard("withdraw", request),
            )
        else:
            self._call(
                "reject",
                lambda: services.reject_request(
                    request=self._request(request), reason="Manifestly unfounded.", actor=self.dpo
                ),
                audited="request.status_changed",
                allowed=self._guard("reject", request),
            )

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def invariants_hold(self) -> None:
        """Read after every step that wrote something: every call a service took wrote its
        audit event, and a call it refused wrote nothing (`_call` checks both), so a step that
        took no call left the data as the last check saw it."""
        if not self.watch.changed(self.calls_taken):
            return
        check_acting_rights_answered(self.watch)
        check_no_open_task_on_a_completed_request()
        check_open_tasks_concern_the_requests_people()
        check_a_request_closed_unanswered_asks_nothing()
        check_access_asks_the_systems_about_everyone()
        check_deadlines(self.watch)
        check_status_history()
        check_the_record_of_letters_stays()
        check_audit_log_verifies()


def machine_for(right: str) -> type[RequestMachine]:
    # Hypothesis seeds the machine's draws (`derandomize`) from this class's source: an edit
    # to it is another walk, which may miss a service its right must reach.
    class FirstRequestOfThisRight(RequestMachine):
        first_right = right

    return FirstRequestOfThisRight


@pytest.mark.parametrize("right", TYPES)
def test_request_services_keep_their_invariants_in_any_order(
    right: str, seeded: None, dpo: User, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The letters and reports are laid out as HTML as ever; WeasyPrint's PDF of it (a tenth of
    # a second each) and the letters' e-mails are not what the machine checks: the tests of
    # the letters and reports are.
    monkeypatch.setattr("subject_requests.letters.html_to_pdf", stand_in_pdf)
    monkeypatch.setattr("reports.documents.html_to_pdf", stand_in_pdf)
    monkeypatch.setattr("subject_requests.tasks.send_request_letter.delay", not_emailed)
    # The webhook system accepts its deliveries (and calls back later: a rule).
    monkeypatch.setattr("subject_requests.services.systems.post_json", accepted)
    TAKEN.clear()
    machine = machine_for(right)
    machine.stored_people = tuple(p.pk for p in store_people_and_systems(owner=staff))
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=40,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    missing = ({"complete"} | REACHED[right]) - set(TAKEN)
    assert not missing, f"never taken: {sorted(missing)}; taken: {dict(TAKEN)}"

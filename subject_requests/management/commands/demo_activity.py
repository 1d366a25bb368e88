from __future__ import annotations

# The demo history goes through every app's services (consent, requests, people), so the
# command lives in the app at the top of the layering.
import datetime as dt
import random
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from consent.models import Channel as ConsentChannel
from consent.models import ConsentEvent
from consent.services import grant_consent, withdraw_consent
from processing.models import Purpose
from subject_requests import guards
from subject_requests.demo_systems import configure_demo_systems
from subject_requests.models import RequestType, SubjectRequest
from subject_requests.services import (
    assign_requests,
    complete_request,
    enter_request,
    extend_deadline,
    reject_request,
    start_work,
    submit_request,
    verify_manually,
)
from subject_requests.services.answers import request_answer, review_answer, run_answer_build
from subject_requests.services.task_results import resolve_task
from subjects.models import DataSubject

WORDING = "Yes, send me the PrivacyOps newsletter and offers. I can unsubscribe at any time."


class Command(BaseCommand):
    help = (
        "Give the demo population some history through the real services: consents and "
        "withdrawals, and data-subject requests in every state (development only)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Skip when requests exist.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo activity is for development (DEBUG=true) only.")
        if options["if_empty"] and SubjectRequest.objects.exists():
            self.stdout.write("Requests exist already; no demo activity added (--if-empty).")
            return
        User = get_user_model()
        try:
            dpo, staff = User.objects.get(username="dpo"), User.objects.get(username="staff")
        except User.DoesNotExist:
            raise CommandError("Run `manage.py demo_users` first.") from None
        rng = random.Random(options["seed"])
        now = timezone.now()
        people = list(
            DataSubject.objects.active().filter(work_email__isnull=False).order_by("pk")[:200]
        )
        if len(people) < 30:
            raise CommandError("Seed at least 30 people first (`manage.py seed_demo`).")
        admin = User.objects.filter(username="admin").first() or dpo
        with transaction.atomic():  # all or nothing: a rerun starts clean
            configured = configure_demo_systems(
                owners={"staff": staff, "admin": admin}, actor=admin
            )
            grants, withdrawals = self.consents(people, rng, now, staff)
            requests = self.requests(people, rng, now, dpo, staff)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo activity: {configured} systems given an owner, {grants} consents, "
                f"{withdrawals} withdrawals, {requests} data-subject requests."
            )
        )

    def consents(
        self, people: list[DataSubject], rng: random.Random, now: dt.datetime, staff: Any
    ) -> tuple[int, int]:
        marketing = Purpose.objects.get(code="direct-marketing")
        if ConsentEvent.objects.exists():
            return 0, 0
        granted = rng.sample(people, 40)
        for index, person in enumerate(granted):
            moment = now - dt.timedelta(days=200 - index * 3)
            grant_consent(
                subject=person,
                purpose=marketing,
                channel=ConsentChannel.WEB_FORM,
                actor="data subject",
                wording=WORDING,
                occurred_at=moment,
                now=moment,
            )
        for person in granted[:6]:
            withdraw_consent(
                subject=person,
                purpose=marketing,
                channel=ConsentChannel.EMAIL,
                actor=staff,
                evidence_text="E-mail to the privacy address: please stop the newsletter.",
                occurred_at=now - dt.timedelta(days=2),
            )
        return len(granted), 6

    def requests(
        self,
        people: list[DataSubject],
        rng: random.Random,
        now: dt.datetime,
        dpo: Any,
        staff: Any,
    ) -> int:
        chosen = rng.sample(people, 14)
        types = list(RequestType.values)
        made = []
        for index, person in enumerate(chosen):
            received = now - dt.timedelta(days=rng.randint(1, 40), hours=rng.randint(0, 12))
            if index % 3 == 0:
                request = enter_request(
                    type=types[index % len(types)],
                    channel="email",
                    name=person.full_name,
                    email=str(person.work_email),
                    description="Sent to the privacy address; entered by staff.",
                    received_at=received,
                    actor=staff,
                    now=received + dt.timedelta(hours=2),
                )
            else:
                request = submit_request(
                    type=types[index % len(types)],
                    name=person.full_name,
                    email=str(person.work_email),
                    description="Filed on the public request page.",
                    now=received,
                )
            made.append(request)
        # Move some along the workflow so the queue shows every state.
        for request in made[:9]:
            verify_manually(
                request=request,
                asked="Confirm the invoice number of your last invoice.",
                shown="The requester quoted it correctly by e-mail.",
                actor=dpo,
                subject_email=request.requester_email or "",
            )
        for request in [*made[:7], made[8]]:
            start_work(request=request, actor=dpo)
        assign_requests(request_ids=[r.pk for r in made[:5]], assignee=dpo, actor=dpo)
        assign_requests(request_ids=[r.pk for r in made[5:8]], assignee=staff, actor=dpo)
        for request in made[:7]:
            request.refresh_from_db()
            if not request.is_overdue(now):
                extend_deadline(
                    request=request,
                    reason="The request covers several years of records held by two processors.",
                    actor=dpo,
                )
                break
        reject_request(
            request=made[7],
            reason="The address given is not one we hold, and no other proof was offered.",
            actor=dpo,
        )
        # An answered request: its document built (here, in this process), reviewed, sent.
        answered = made[8]
        answered.refresh_from_db()
        if guards.can_build_answer(answered, now) is None:
            answer = request_answer(request=answered, actor=dpo)
            run_answer_build(answer_id=answer.pk)
            answer.refresh_from_db()
            review_answer(answer=answer, actor=dpo)
        # Its systems answered what they hold: each owner recorded it.
        for task in answered.system_tasks.unresolved().select_related("owner", "system"):
            resolve_task(
                task=task,
                status="done",
                evidence=f"Searched {task.system.name} by e-mail; the export is attached to "
                "the request.",
                actor=task.owner or dpo,
            )
        complete_request(
            request=answered,
            outcome="We sent the requester their document with the list of recipients.",
            actor=dpo,
        )
        return len(made)

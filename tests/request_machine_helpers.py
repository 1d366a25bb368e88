"""What the state machine of the request services (`test_request_state_machine`) stands on:
the stored people and systems of each example, a fingerprint of everything a request service
may write, and what the machine knows of each request to aim its rules at."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

from django.db import connection
from django.db.models import Max
from hypothesis import strategies as st

from consent.models import ConsentEvent, ObjectionReview, SuppressionEntry
from core.models import AuditEvent
from core.pdf import Pdf
from core.webhooks import WebhookResult
from processing.models import DataCategory, System
from subject_requests.choices import ACTIONS_FOR_TYPE, OPEN_STATUSES, Status
from subject_requests.models import (
    Answer,
    Pause,
    RightAction,
    SubjectRequest,
    SystemTask,
    TimelineEntry,
)
from subjects.models import DataSubject, RestrictionGround
from tests import factories as f

# The webhook system's signing secret (the test's own).
SECRET = "whsec_c3RhdGUtbWFjaGluZS1zZWNyZXQtMDEyMzQ1Njc4OWE="  # as the portal issues one
KINDS = ["client", "client_representative", "user", "prospect"]
# The stored people: (kind, first name, last name, work e-mail). Mari has an unpaid claim, so
# an erasure keeps her for it (erased in use, her data kept out of it).
PEOPLE = [
    ("client", "Mari", "Tamm", "mari@acme.example"),
    ("client_representative", "Jaan", "Kask", "jaan@acme.example"),
    ("user", "Liis", "Mets", "liis@acme.example"),
    ("prospect", "Pia", "Saar", "pia@lead.example"),
]
# The addresses requests come from: each stored person's, and one nobody has.
ADDRESSES = [email for *_, email in PEOPLE] + ["stranger@elsewhere.example"]


def store_people_and_systems(*, owner: Any) -> list[DataSubject]:
    """The people requests are about, and the register's systems the requests reach: a
    manual CRM and a webhook platform owned by `owner`, and a recipient told of changes
    (Art. 19). The seeded systems wait for an owner: they are set aside."""
    System.objects.update(active=False)
    organisation = f.OrganisationFactory.create(name="Acme", registry_code="12345678")
    people = [
        f.DataSubjectFactory.create(
            kind=kind, first_name=first, last_name=last, work_email=email,
            organisation=organisation, position="Engineer",
        )
        for kind, first, last, email in PEOPLE
    ]  # fmt: skip
    f.ClaimFactory.create(subject=people[0], organisation=organisation)
    every = list(DataCategory.objects.values_list("code", flat=True))
    f.SystemFactory.create(name="CRM", owner=owner, subject_kinds=KINDS, categories=every)
    f.SystemFactory.create(
        name="Platform", owner=owner, subject_kinds=KINDS, categories=["identification", "contact"],
        connector="webhook", webhook_url="https://platform.example/hook", webhook_secret=SECRET,
    )  # fmt: skip
    f.SystemFactory.create(
        name="Auditor LLP", kind="recipient", owner=owner, subject_kinds=KINDS,
        categories=["contact"], contact_email="privacy@auditor.example",
    )  # fmt: skip
    return people


def last_event_id() -> int:
    return int(AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0)


# What a request service writes. A refused call must leave these tables as they were: read
# as stored (no decryption), row by row.
WRITTEN = (
    SubjectRequest,
    SubjectRequest.subjects.through,
    Pause,
    RightAction,
    SystemTask,
    TimelineEntry,
    Answer,
    DataSubject,
    ObjectionReview,
    ConsentEvent,
    SuppressionEntry,
)


def snapshot() -> list[Any]:
    """The rows of every table in `WRITTEN`, and the last audit event. On PostgreSQL in one
    statement, each row as its text: a call that may be refused is checked against it (325
    times in a run of the machine), and its twelve queries each time were a quarter of all."""
    tables = [connection.ops.quote_name(model._meta.db_table) for model in WRITTEN]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows = ", ".join(f"ARRAY(SELECT t::text FROM {table} t ORDER BY 1)" for table in tables)
            audit = connection.ops.quote_name(AuditEvent._meta.db_table)
            cursor.execute(f"SELECT {rows}, (SELECT MAX(id) FROM {audit})")
            *found, last = cursor.fetchone()
            return [*found, int(last or 0)]
        found = []
        for table in tables:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")
            found.append(cursor.fetchall())
    return [*found, last_event_id()]


# --- what the machine knows of the requests, to aim its rules -----------------------------

TYPES = [
    "erasure",
    "restriction",
    "objection_processing",
    "rectification",
    "objection_marketing",
    "access",
]
MAX_REQUESTS = 5
MAX_OPEN = 2
CASES: list[Callable[[str], str]] = [str.lower, str.upper, str.title]
CHANNELS = ["self_service", "web", "phone"]
# A rule aims at a request it may act on, unless it draws ASIDE: Hypothesis draws the
# simplest value (0) most often, and it shrinks towards it.
ASTRAY, ASIDE = st.integers(0, 9), 5
T = TypeVar("T")


def choose(data: st.DataObject, fitting: Sequence[T], every: Sequence[T], label: str) -> T:
    """One of `fitting` (nine draws in ten, when there is one), else one of `every`."""
    aimed = bool(fitting) and data.draw(ASTRAY, label=f"one in ten: any {label}") != ASIDE
    return data.draw(st.sampled_from(fitting if aimed else every), label=label)


def room_for_one_more(machine: Machine) -> bool:
    """A few open requests at a time, and a few in all: each gets steps enough to close."""
    return len(machine.known) < MAX_REQUESTS and len(OPEN.fitting(machine)) < MAX_OPEN


class Known(NamedTuple):
    """What the machine knows of a request between steps, to aim its rules."""

    status: str
    type: str
    paused: bool
    pauses: int  # how often the requester was asked
    extended: bool
    proposing: bool  # an erasure waits for a DPO's confirmation
    unanswered: bool  # an access request without its report, reviewed and up to date
    waiting: bool  # a matched person whom the right's action has not reached
    restricted: bool  # a matched person whose processing is restricted


class Machine(Protocol):
    known: dict[int, Known]


@dataclass(frozen=True)
class Aim:
    """The requests a rule is meant for; as a precondition, that there is one."""

    statuses: Collection[str] = OPEN_STATUSES
    types: Collection[str] = tuple(TYPES)
    when: Callable[[Known], bool] | None = None

    def fitting(self, machine: Machine) -> list[int]:
        return sorted(
            pk
            for pk, known in machine.known.items()
            if known.status in self.statuses
            and known.type in self.types
            and (self.when is None or self.when(known))
        )

    def __call__(self, machine: Machine) -> bool:
        return bool(self.fitting(machine))


OPEN = Aim()
UNVERIFIED = Aim((Status.RECEIVED, Status.AWAITING_IDENTITY))
VERIFIED = Aim((Status.VERIFIED,))
ACTIVE = (Status.VERIFIED, Status.IN_PROGRESS)
ANSWERING = Aim(ACTIVE)
# The DPO asks a requester twice at most (the machine's choice, so that a request moves on).
RUNNING = Aim(when=lambda known: not known.paused and known.pauses < 2)
UNEXTENDED = Aim(when=lambda known: not known.extended)
PAUSED = Aim(when=lambda known: known.paused)
# The requests each action is taken on (a restriction's lifting on a restriction request).
AIMS = {
    "rectification": Aim(ACTIVE, ("rectification",)),
    "restriction": Aim(ACTIVE, ("restriction",)),
    "restriction_lift": Aim(ACTIVE, ("restriction",), lambda known: known.restricted),
    "objection": Aim(ACTIVE, ("objection_marketing", "objection_processing")),
}
ERASING = Aim(ACTIVE, ("erasure",), lambda known: not known.proposing)
PROPOSED = Aim(ACTIVE, ("erasure",), lambda known: known.proposing)
ACTING = Aim(ACTIVE, tuple(ACTIONS_FOR_TYPE), lambda known: known.waiting)
UNANSWERED = Aim(ACTIVE, ("access",), lambda known: known.unanswered)
GROUNDS = [g for g in RestrictionGround.values if g != RestrictionGround.OBJECTION_PENDING]

# What each right's machine must have reached, besides answering a request: the services of
# the right itself. Without them its invariants would hold by never getting there.
REACHED = {
    "erasure": {"propose_erasure", "confirm_erasure", "refuse"},
    "restriction": {"restrict", "lift", "refuse"},
    "objection_processing": {"object", "decide_objection"},
    "objection_marketing": {"object"},
    "rectification": {"rectify", "refuse"},
    "access": {"request_answer", "review_answer"},
}


def accepted(**request: object) -> WebhookResult:
    return WebhookResult(status_code=202, ok=True)  # the webhook system's answer


def stand_in_pdf(html: str, **options: object) -> Pdf:
    return Pdf(content=b"%PDF stand-in " + hashlib.sha256(html.encode()).digest(), pages=1)


def not_emailed(entry_id: int) -> None:
    """A letter stays on the timeline, not e-mailed (its worker is not run)."""

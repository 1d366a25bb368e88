"""A realistic demo population, built set-based (`bulk_create` in batches).

Used by `manage.py seed_demo`. Deterministic for a given `seed` and day: every choice comes
from one `random.Random(seed)`, and dates are relative to the legal today (so retention
deadlines fall on both sides of "now"). Ciphertexts differ between runs (a random nonce per value).

Cost: encrypting is ~1 µs per value (AES-GCM), a few times that through the field's
`get_db_prep_value`; the population averages about eight encrypted values per subject, so
the CPU cost stays well below the cost of inserting the rows. Rarer data (date of birth,
address, photo) is given to a fraction of people, as in life.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.audit import record_event
from core.timeutil import legal_today, start_of_legal_day
from subjects.demo_vocabulary import (
    COMPANY_NOUNS,
    COMPANY_WORDS,
    COUNTRY_WEIGHTS,
    FIRST_NAMES,
    KIND_WEIGHTS,
    LAST_NAMES,
    MESSAGE_LINES,
    POSITIONS,
    STATUS_WEIGHTS,
    SUFFIX,
    TINY_PNG,
    USAGE_ACTIONS,
)
from subjects.models import (
    Claim,
    Communication,
    CommunicationChannel,
    CommunicationDirection,
    DataSubject,
    Demo,
    Invoice,
    KindChange,
    Organisation,
    OrganisationStatus,
    Source,
    SubjectKind,
    Trial,
    TrialContent,
    UsageRecord,
    source_needs_notice,
)

# Subjects per chunk: each chunk's people and their records are inserted before the next is
# built, so memory stays flat at any N. 5 000 keeps each INSERT well under PostgreSQL's
# parameter limit with batch_size below.
CHUNK = 5_000
BATCH_SIZE = 2_000


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class DemoCounts:
    organisations: int = 0
    subjects: int = 0
    kind_changes: int = 0
    trials: int = 0
    trial_contents: int = 0
    demos: int = 0
    invoices: int = 0
    claims: int = 0
    communications: int = 0
    usage_records: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Org:
    pk: int
    status: str
    country: str
    domain: str
    started: dt.date | None
    ended: dt.date | None
    trial_pk: int | None = None
    billing_contact: int | None = None
    people: list[int] = field(default_factory=list)


class DemoPopulation:
    def __init__(self, *, subjects: int, seed: int, today: dt.date | None = None) -> None:
        self.n = subjects
        self.rng = random.Random(seed)
        self.today = today or legal_today()
        self.counts = DemoCounts()
        start = DataSubject.objects.aggregate(top=Max("pk"))["top"] or 0
        self.offset = start  # keeps e-mails unique when run on top of existing people

    # --- helpers -------------------------------------------------------------------------
    def day_between(self, first: dt.date, last: dt.date) -> dt.date:
        span = max((last - first).days, 0)
        return first + dt.timedelta(days=self.rng.randint(0, span))

    def moment_on(self, day: dt.date) -> dt.datetime:
        return start_of_legal_day(day) + dt.timedelta(seconds=self.rng.randint(8 * 3600, 18 * 3600))

    def years_ago(self, years: int, months: int = 0) -> dt.date:
        return self.today - relativedelta(years=years, months=months)

    # --- organisations and trials ----------------------------------------------------------
    def build_organisations(self) -> list[_Org]:
        rng = self.rng
        count = max(10, self.n // 8)
        statuses = list(OrganisationStatus)
        rows = []
        for i in range(count):
            # The first ten cover every status in Australia and Singapore.
            if i < 10:
                status, country = statuses[i % 5], ("AU" if i < 5 else "SG")
            else:
                status, country = _pick(rng, STATUS_WEIGHTS), _pick(rng, COUNTRY_WEIGHTS)
            started = ended = None
            if status in (OrganisationStatus.PAYING, OrganisationStatus.FORMER):
                started = self.day_between(self.years_ago(9), self.years_ago(0, 2))
                if status == OrganisationStatus.FORMER:
                    ended = self.day_between(started + relativedelta(months=6), self.today)
                    ended = min(ended, self.today)
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_NOUNS)} {i + 1}"
            rows.append(
                Organisation(
                    name=f"{name} {SUFFIX[country]}",
                    registry_code=f"{10_000_000 + self.offset * 8 + i}",
                    country=country,
                    status=status,
                    contract_started_on=started,
                    contract_ended_on=ended,
                    created_at=self.moment_on(started or self.years_ago(1)),
                )
            )
        created = Organisation.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.counts.organisations = len(created)
        return [
            _Org(
                pk=o.pk,
                status=o.status,
                country=str(o.country),
                domain=_ascii(o.name.split(" ")[0] + o.name.split(" ")[1]) + ".example",
                started=o.contract_started_on,
                ended=o.contract_ended_on,
            )
            for o in created
        ]

    def build_trials(self, orgs: list[_Org]) -> None:
        rng = self.rng
        rows: list[tuple[_Org, Trial]] = []
        for org in orgs:
            trial: Trial | None = None
            if org.status == OrganisationStatus.TRIAL:
                started = self.day_between(self.today - relativedelta(months=2), self.today)
                running = rng.random() < 0.6
                ended = None if running else started + dt.timedelta(days=30)
                trial = Trial(organisation_id=org.pk, started_on=started, ended_on=ended)
            elif org.status == OrganisationStatus.PAYING and org.started and rng.random() < 0.5:
                started = org.started - dt.timedelta(days=30)
                trial = Trial(
                    organisation_id=org.pk,
                    started_on=started,
                    ended_on=org.started,
                    converted_on=org.started,
                )
            elif org.status == OrganisationStatus.PROSPECT and rng.random() < 0.3:
                # Unconverted trials, some over a year past their end (due for purging).
                started = self.day_between(self.years_ago(2), self.today - dt.timedelta(days=40))
                trial = Trial(
                    organisation_id=org.pk,
                    started_on=started,
                    ended_on=started + dt.timedelta(days=30),
                )
            if trial is not None:
                if rng.random() < 0.05:
                    trial.retention_override_days = 180
                    trial.retention_override_note = "Agreed by e-mail to keep content longer"
                rows.append((org, trial))
        Trial.objects.bulk_create([t for _, t in rows], batch_size=BATCH_SIZE)
        for org, trial in rows:
            org.trial_pk = trial.pk
        self.counts.trials = len(rows)

    # --- people ---------------------------------------------------------------------------
    def build_people(self, orgs: list[_Org], size: int, start: int) -> list[DataSubject]:
        rng = self.rng
        people = []
        for i in range(start, start + size):
            org = rng.choice(orgs) if rng.random() > 0.03 else None
            if org is None:
                kind = SubjectKind.OTHER
            elif org.status in KIND_WEIGHTS:
                kind = _pick(rng, KIND_WEIGHTS[org.status])
            else:
                kind = _pick(rng, KIND_WEIGHTS["prospect"])
            prospect = kind in (SubjectKind.PROSPECT, SubjectKind.PROSPECT_REPRESENTATIVE)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            domain = org.domain if org else "mail.example"
            if prospect:
                source = _pick(
                    rng, {Source.PUBLIC_REGISTER: 5, Source.SUBJECT: 3, Source.THIRD_PARTY: 2}
                )
                collected = self.day_between(self.years_ago(2), self.today)
            else:
                source = _pick(rng, {Source.SUBJECT: 5, Source.COLLEAGUE: 4, Source.AUTOMATIC: 1})
                earliest = org.started if org and org.started else self.years_ago(5)
                collected = self.day_between(earliest, self.today)
            informed = None
            if source_needs_notice(source) and rng.random() < 0.85:  # the rest are Art. 14 findings
                informed = self.moment_on(
                    min(collected + dt.timedelta(days=rng.randint(1, 25)), self.today)
                )
            subject = DataSubject(
                kind=kind,
                first_name=first,
                last_name=last,
                work_email=f"{_ascii(first)}.{_ascii(last)}.{self.offset + i}@{domain}",
                work_phone=f"+{rng.randint(30, 99)} {rng.randint(5000000, 5999999)}",
                organisation_id=org.pk if org else None,
                position=rng.choice(POSITIONS) if org else "",
                country=org.country if org and rng.random() < 0.85 else _pick(rng, COUNTRY_WEIGHTS),
                source=source,
                collected_at=self.moment_on(collected),
                informed_at=informed,
                created_at=self.moment_on(collected),
            )
            if not prospect:
                if rng.random() < 0.35:
                    subject.date_of_birth = self.day_between(self.years_ago(66), self.years_ago(20))
                if rng.random() < 0.25:
                    subject.work_address = f"{rng.choice(LAST_NAMES)} street {rng.randint(1, 99)}"
                if rng.random() < 0.03:
                    subject.photo = TINY_PNG
                    subject.photo_content_type = "image/png"
            people.append(subject)
        DataSubject.objects.bulk_create(people, batch_size=BATCH_SIZE)
        by_pk = {o.pk: o for o in orgs}
        for subject in people:
            if subject.organisation_id:
                org = by_pk[subject.organisation_id]
                org.people.append(subject.pk)
                if org.billing_contact is None and subject.kind == SubjectKind.CLIENT:
                    org.billing_contact = subject.pk
        self.counts.subjects += len(people)
        return people

    def build_records(self, people: list[DataSubject], orgs_by_pk: dict[int, _Org]) -> None:
        rng = self.rng
        kinds: list[KindChange] = []
        demos: list[Demo] = []
        contents: list[TrialContent] = []
        claims: list[Claim] = []
        messages: list[Communication] = []
        usage: list[UsageRecord] = []
        for s in people:
            assert s.pk is not None
            org = orgs_by_pk.get(s.organisation_id) if s.organisation_id else None
            collected = s.collected_at.date()
            prospect = s.kind in (SubjectKind.PROSPECT, SubjectKind.PROSPECT_REPRESENTATIVE)
            if not prospect and s.kind != SubjectKind.OTHER and rng.random() < 0.1:
                # Came in as a prospect, became a client's person later: a kind changes over time.
                was = SubjectKind.PROSPECT
                kinds.append(KindChange(subject_id=s.pk, kind=was, changed_on=collected))
                changed = min(collected + dt.timedelta(days=rng.randint(20, 200)), self.today)
                kinds.append(
                    KindChange(subject_id=s.pk, kind=s.kind, previous_kind=was, changed_on=changed)
                )
            else:
                kinds.append(KindChange(subject_id=s.pk, kind=s.kind, changed_on=collected))
            if prospect and org and (org.status == OrganisationStatus.DEMO or rng.random() < 0.1):
                demos.append(
                    Demo(
                        subject_id=s.pk,
                        held_on=self.day_between(collected, self.today),
                        notes="Interested in board portal and e-signing",
                    )
                )
            if org and org.trial_pk and rng.random() < 0.3:
                for n in range(rng.randint(1, 3)):
                    contents.append(
                        TrialContent(
                            trial_id=org.trial_pk,
                            author_id=s.pk,
                            title=f"Meeting minutes {n + 1}",
                            content=f"Minutes drafted by {s.first_name} {s.last_name}.",
                        )
                    )
            client_side = s.kind in (SubjectKind.CLIENT, SubjectKind.CLIENT_REPRESENTATIVE)
            if client_side and rng.random() < 0.15:
                due = self.day_between(self.years_ago(11), self.today - dt.timedelta(days=30))
                closed = due + dt.timedelta(days=rng.randint(30, 400))
                claims.append(
                    Claim(
                        subject_id=s.pk,
                        organisation_id=s.organisation_id,
                        fell_due_on=due,
                        closed_on=closed if closed < self.today and rng.random() < 0.6 else None,
                        amount=Decimal(rng.randint(100, 20000)),
                        description="Unpaid subscription invoice",
                    )
                )
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                line, body = rng.choice(MESSAGE_LINES)
                messages.append(
                    Communication(
                        subject_id=s.pk,
                        direction=rng.choice(list(CommunicationDirection)),
                        channel=_pick(
                            rng,
                            {CommunicationChannel.EMAIL: 8, CommunicationChannel.MESSAGE: 2},
                        ),
                        sent_at=self.moment_on(self.day_between(collected, self.today)),
                        subject_line=line,
                        body=body,
                    )
                )
            for _ in range(rng.choice((0, 1, 2, 3) if not prospect else (0, 0, 1))):
                usage.append(
                    UsageRecord(
                        subject_id=s.pk,
                        occurred_at=self.moment_on(self.day_between(collected, self.today)),
                        action=rng.choice(USAGE_ACTIONS),
                        details={"ip": f"192.0.2.{rng.randint(1, 254)}", "client": "web"},
                    )
                )
        batches: tuple[tuple[Any, list[Any], str], ...] = (
            (KindChange, kinds, "kind_changes"),
            (Demo, demos, "demos"),
            (TrialContent, contents, "trial_contents"),
            (Claim, claims, "claims"),
            (Communication, messages, "communications"),
            (UsageRecord, usage, "usage_records"),
        )
        for model, rows, name in batches:
            model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            setattr(self.counts, name, getattr(self.counts, name) + len(rows))

    def build_invoices(self, orgs: list[_Org]) -> None:
        """Invoices of paying and former clients across their financial years."""
        rng = self.rng
        rows = []
        for org in orgs:
            if org.started is None or org.billing_contact is None:
                continue
            last = org.ended or self.today
            # Yearly invoices on the contract's anniversary, at most the latest ten.
            issued = [
                org.started + relativedelta(years=y)
                for y in range(0, 12)
                if org.started + relativedelta(years=y) <= last
            ][-10:]
            address = f"{rng.choice(LAST_NAMES)} street {rng.randint(1, 99)}"
            for number, day in enumerate(issued, start=1):
                rows.append(
                    Invoice(
                        organisation_id=org.pk,
                        billing_contact_id=org.billing_contact,
                        number=f"INV-{org.pk}-{number:02d}",
                        issued_on=day,
                        billing_name=f"Accounts payable, org {org.pk}",
                        billing_email=f"invoices@{org.domain}",
                        billing_address=address,
                        amount=Decimal(rng.choice((490, 990, 1990, 4900))),
                        currency="EUR",
                    )
                )
        Invoice.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.counts.invoices = len(rows)


def seed_demo_population(
    *, subjects: int, seed: int, progress: Callable[[int], None] | None = None
) -> DemoCounts:
    """Create `subjects` people with their organisations and records, in one transaction."""
    with transaction.atomic():
        population = DemoPopulation(subjects=subjects, seed=seed)
        orgs = population.build_organisations()
        population.build_trials(orgs)
        by_pk = {o.pk: o for o in orgs}
        for start in range(0, subjects, CHUNK):
            size = min(CHUNK, subjects - start)
            people = population.build_people(orgs, size, start)
            population.build_records(people, by_pk)
            if progress is not None:
                progress(size)
        population.build_invoices(orgs)
        record_event(
            action="subjects.demo_seeded",
            actor="seed-demo",
            target_type=DataSubject._meta.label_lower,
            details=population.counts.as_dict() | {"seed": seed, "at": timezone.now()},
        )
    return population.counts

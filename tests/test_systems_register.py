"""The systems register (GDPR Art. 30(1)(d)): what a system may be, where a request must go,
the seeded systems, and the services that change them, each with its audit event."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from core import crypto, webhooks
from core.fields import encrypted_fields, personal_data_fields
from core.models import AuditEvent
from processing.models import (
    Connector,
    DataCategory,
    Processor,
    Recipient,
    System,
    SystemKind,
)
from processing.selectors import seeded_waiting, system_problems, systems_holding, warnings_for
from processing.services.systems import (
    SystemValues,
    create_system,
    deactivate_system,
    reactivate_system,
    rotate_secret,
    update_system,
)
from processing.systems_seed import INTERNAL_SYSTEMS
from retention.selectors import personal_data_models
from tests.factories import SystemFactory, UserFactory

pytestmark = pytest.mark.django_db


def categories(*codes: str) -> list[DataCategory]:
    return list(DataCategory.objects.filter(code__in=codes).order_by("id"))


def values(owner: User | None, **changes: Any) -> SystemValues:
    stated: dict[str, Any] = {
        "name": "Support desk",
        "kind": SystemKind.INTERNAL,
        "owner": owner,
        "subject_kinds": ["client", "user"],
        "categories": categories("contact", "communication"),
    }
    stated.update(changes)
    return SystemValues(**stated)


def events(system: System) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type="processing.system", target_id=str(system.pk))
        .order_by("sequence")
        .select_related("actor")
    )


@pytest.fixture
def no_seeded_systems(db: None) -> None:
    """The migrations seed the register's systems; these tests start from none."""
    System.objects.all().delete()


def problems_of(system: System) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        system.full_clean()
    return refused.value.message_dict


# --- what a system may be --------------------------------------------------------------------


def test_a_webhook_must_be_https(staff: User) -> None:
    system = SystemFactory.build(
        owner=staff, connector=Connector.WEBHOOK, webhook_url="http://crm.example/hook"
    )
    assert "HTTPS" in problems_of(system)["webhook_url"][0]
    system.webhook_url = "https://crm.example/privacyops"
    system.full_clean()


def test_a_webhook_needs_its_address_and_a_manual_system_has_none(staff: User) -> None:
    system = SystemFactory.build(owner=staff, connector=Connector.WEBHOOK, webhook_url="")
    assert list(problems_of(system)) == ["webhook_url"]
    manual = SystemFactory.build(owner=staff, webhook_url="https://crm.example/hook")
    assert list(problems_of(manual)) == ["webhook_url"]
    sync_manual = SystemFactory.build(owner=staff, synchronous=True)
    assert list(problems_of(sync_manual)) == ["synchronous"]


@pytest.mark.parametrize(
    "url",
    [
        "https://user:password@crm.example/hook",
        "ftp://crm.example/hook",
        "https://",
        "crm.example/hook",
        "https://crm.example:99999/hook",
    ],
)
def test_addresses_that_are_no_https_endpoint_are_refused(staff: User, url: str) -> None:
    system = SystemFactory.build(owner=staff, connector=Connector.WEBHOOK, webhook_url=url)
    assert "webhook_url" in problems_of(system)


def test_plain_http_to_the_local_machine_works_in_tests_and_development_only(
    staff: User,
) -> None:
    for url in ("http://127.0.0.1:8765/hook", "http://localhost:8765/hook"):
        SystemFactory.build(owner=staff, connector=Connector.WEBHOOK, webhook_url=url).full_clean()
    with override_settings(WEBHOOK_ALLOW_LOCAL_HTTP=False):
        for url in (
            "http://127.0.0.1:8765/hook",
            "https://localhost/hook",
            "https://127.0.0.1/hook",
            "https://169.254.169.254/latest",
        ):
            system = SystemFactory.build(owner=staff, connector="webhook", webhook_url=url)
            assert "webhook_url" in problems_of(system), url
    # Another machine on plain HTTP is refused even here.
    system = SystemFactory.build(
        owner=staff, connector=Connector.WEBHOOK, webhook_url="http://10.0.0.5/hook"
    )
    assert "webhook_url" in problems_of(system)


def test_a_system_is_one_processor_or_one_recipient_of_its_own_kind(
    seeded: None, staff: User
) -> None:
    processor = Processor.objects.get(name="Payment provider")
    recipient = Recipient.objects.get(name="Auditors")
    both = SystemFactory.build(
        owner=staff, kind=SystemKind.PROCESSOR, processor=processor, recipient=recipient
    )
    assert "not both" in problems_of(both)["recipient"][0]
    internal = SystemFactory.build(owner=staff, kind=SystemKind.INTERNAL, processor=processor)
    assert list(problems_of(internal)) == ["processor"]
    wrong = SystemFactory.build(owner=staff, kind=SystemKind.PROCESSOR, recipient=recipient)
    assert list(problems_of(wrong)) == ["recipient"]
    SystemFactory.build(owner=staff, kind=SystemKind.PROCESSOR, processor=processor).full_clean()
    SystemFactory.build(owner=staff, kind=SystemKind.RECIPIENT, recipient=recipient).full_clean()


def test_the_database_refuses_a_system_with_two_parties_or_no_owner(
    seeded: None, staff: User
) -> None:
    processor = Processor.objects.get(name="Payment provider")
    recipient = Recipient.objects.get(name="Auditors")
    with pytest.raises(IntegrityError), transaction.atomic():
        SystemFactory.create(
            owner=staff, kind=SystemKind.PROCESSOR, processor=processor, recipient=recipient
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SystemFactory.create(owner=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        SystemFactory.create(owner=staff, connector=Connector.WEBHOOK, webhook_url="")


@pytest.mark.parametrize(
    ("kinds", "message"),
    [([], "Choose the kinds"), (["client", "robot"], "Unknown kinds"), ("client", "Choose")],
)
def test_subject_kinds_must_be_a_list_of_known_kinds(staff: User, kinds: Any, message: str) -> None:
    system = SystemFactory.build(owner=staff, subject_kinds=kinds)
    assert problems_of(system)["subject_kinds"][0].startswith(message)


def test_only_a_seeded_system_may_wait_for_its_owner() -> None:
    assert list(problems_of(SystemFactory.build(owner=None))) == ["owner"]
    SystemFactory.build(owner=None, seed_key="internal:test").full_clean()


def test_the_signing_secrets_are_encrypted_credentials_not_personal_data(staff: User) -> None:
    system = SystemFactory.create(
        owner=staff, connector=Connector.WEBHOOK, webhook_url="https://crm.example/hook"
    )
    secret = rotate_secret(system=system, actor=staff)
    with connection.cursor() as cursor:
        cursor.execute("SELECT webhook_secret FROM processing_system WHERE id = %s", [system.pk])
        (stored,) = cursor.fetchone()
    assert secret not in stored and crypto.is_current(stored.encode())  # a token
    names = {f.name for f in encrypted_fields(System)}
    assert {"webhook_secret", "previous_webhook_secret"} <= names
    assert personal_data_fields(System) == []
    assert System not in personal_data_models()


def test_reencrypt_rotates_the_signing_secrets_to_the_newest_key(staff: User) -> None:
    from cryptography.fernet import Fernet
    from django.conf import settings

    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    system = SystemFactory.create(
        owner=staff, connector=Connector.WEBHOOK, webhook_url="https://crm.example/hook"
    )
    secret = rotate_secret(system=system, actor=staff)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        call_command("reencrypt", "--no-progress", stdout=io.StringIO())
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        assert System.objects.get(pk=system.pk).webhook_secret == secret
    with override_settings(FIELD_ENCRYPTION_KEYS=[old_key]), pytest.raises(crypto.InvalidToken):
        System.objects.get(pk=system.pk)


# --- where a request must go -----------------------------------------------------------------


def test_systems_holding_matches_the_kind_and_any_of_the_categories(
    no_seeded_systems: None,
) -> None:
    crm = SystemFactory.create(subject_kinds=["client", "user"], categories=["contact", "usage"])
    billing = SystemFactory.create(subject_kinds=["client"], categories=["identification"])
    leads = SystemFactory.create(subject_kinds=["prospect"], categories=["contact"])
    SystemFactory.create(subject_kinds=["client"], categories=["contact"], active=False)

    assert systems_holding(kind="client", categories=["contact"]) == [crm]
    assert systems_holding(kind="client", categories=["contact", "identification"]) == sorted(
        [crm, billing], key=lambda s: s.name
    )
    assert systems_holding(kind="user", categories=["identification"]) == []
    assert systems_holding(kind="prospect", categories=["contact", "usage"]) == [leads]
    assert systems_holding(kind="other", categories=["contact"]) == []
    assert systems_holding(kind="client", categories=[]) == []


def test_a_system_holding_several_of_the_categories_comes_back_once(
    no_seeded_systems: None,
) -> None:
    crm = SystemFactory.create(categories=["contact", "usage", "identification"])
    assert systems_holding(kind="client", categories=["contact", "usage"]) == [crm]


def test_systems_holding_is_one_query(no_seeded_systems: None) -> None:
    SystemFactory.create_batch(5, categories=["contact"])
    with CaptureQueriesContext(connection) as queries:
        found = systems_holding(kind="client", categories=["contact", "usage"])
        owners = [system.owner for system in found]
    assert len(found) == 5 and all(owners)
    assert len(queries) == 1


def test_systems_holding_refuses_an_unknown_kind(db: None) -> None:
    with pytest.raises(ValueError, match="robot"):
        systems_holding(kind="robot", categories=["contact"])


# --- the seeded systems ----------------------------------------------------------------------


def test_the_migrations_seed_one_manual_ownerless_system_per_party_and_the_internal_ones() -> None:
    systems = System.objects.all()
    assert systems.count() == Processor.objects.count() + Recipient.objects.count() + 4
    assert set(systems.values_list("connector", flat=True)) == {"manual"}
    assert not systems.filter(owner__isnull=False).exists()
    for processor in Processor.objects.all():
        assert processor.systems.get().kind == SystemKind.PROCESSOR
    for recipient in Recipient.objects.all():
        assert recipient.systems.get().kind == SystemKind.RECIPIENT
    internal = systems.filter(kind=SystemKind.INTERNAL).order_by("id")
    assert [s.name for s in internal] == ["The platform", "CRM", "E-mail tool", "Accounting"]
    assert len(INTERNAL_SYSTEMS) == 4


def test_a_seeded_system_holds_what_its_purposes_hold(seeded: None) -> None:
    auditors = System.objects.get(recipient__name="Auditors")
    # The legal-obligation purpose: clients' identification, contact and employment data.
    assert auditors.subject_kinds == ["client"]
    assert [c.code for c in auditors.categories.order_by("id")] == [
        "identification",
        "contact",
        "employment",
    ]
    payment = System.objects.get(processor__name="Payment provider")
    assert payment.subject_kinds == ["client"]
    accounting = System.objects.get(seed_key="internal:accounting")
    assert accounting.subject_kinds == ["client"]
    platform = System.objects.get(seed_key="internal:platform")
    assert len(platform.subject_kinds) == 6


def test_reseeding_adds_nothing_and_keeps_the_admins_changes(
    seeded: None, admin_user: User
) -> None:
    crm = System.objects.get(seed_key="internal:crm")
    update_system(
        system=crm,
        values=values(admin_user, name="HubSpot", subject_kinds=["client"]),
        actor=admin_user,
    )
    deactivate_system(system=System.objects.get(seed_key="internal:accounting"), actor=admin_user)
    before = System.objects.count()
    call_command("seed_policy", verbosity=0)
    call_command("seed_policy", verbosity=0)
    assert System.objects.count() == before
    crm.refresh_from_db()
    assert (crm.name, crm.owner) == ("HubSpot", admin_user)
    assert not System.objects.get(seed_key="internal:accounting").active


def test_seeded_systems_wait_inactive_for_an_owner(seeded: None, admin_user: User) -> None:
    seeded_rows = System.objects.filter(seed_key__isnull=False)
    assert seeded_rows.count() == seeded_waiting() == 17
    assert not seeded_rows.filter(active=True).exists()
    # Inactive: no request reaches them, so they raise no warnings yet.
    assert system_problems() == []
    crm = System.objects.get(seed_key="internal:crm")
    with pytest.raises(ValidationError, match="owner"):
        reactivate_system(system=crm, actor=admin_user)
    auditors = System.objects.get(kind=SystemKind.RECIPIENT, name="Auditors")
    auditors.owner = admin_user
    auditors.save()
    reactivate_system(system=auditors, actor=admin_user)
    # Recipients are reached by e-mail until they take a webhook: each needs its contact.
    problems = system_problems()
    assert [p.system for p in problems] == [auditors]
    assert "No contact e-mail" in problems[0].problem
    assert seeded_waiting() == 16


# --- warnings --------------------------------------------------------------------------------


def test_warnings_name_a_missing_secret_and_an_owner_who_left(staff: User) -> None:
    system = SystemFactory.create(
        owner=staff, connector=Connector.WEBHOOK, webhook_url="https://crm.example/hook"
    )
    assert warnings_for(system) == [
        "No signing secret: the webhook cannot be called. Generate the secret."
    ]
    rotate_secret(system=system, actor=staff)
    staff.is_active = False
    staff.save()
    system = System.objects.select_related("owner").get(pk=system.pk)
    assert warnings_for(system) == ["Its owner, staff, can no longer log in: choose another owner."]
    assert [p.problem for p in system_problems() if p.system == system] == warnings_for(system)


def test_inactive_systems_raise_no_warnings(no_seeded_systems: None) -> None:
    SystemFactory.create(owner=None, seed_key="internal:x", active=False)
    assert system_problems() == []


def test_system_problems_is_one_query(no_seeded_systems: None) -> None:
    SystemFactory.create_batch(4)
    with CaptureQueriesContext(connection) as queries:
        system_problems()
    assert len(queries) == 1


# --- the services, each audited --------------------------------------------------------------


def test_creating_a_system_saves_it_and_audits_it(
    seeded: None, admin_user: User, dpo: User
) -> None:
    system = create_system(values=values(dpo), actor=admin_user)
    system.refresh_from_db()
    assert (system.name, system.owner, system.subject_kinds) == (
        "Support desk",
        dpo,
        ["client", "user"],
    )
    assert [c.code for c in system.categories.order_by("id")] == ["contact", "communication"]
    (event,) = events(system)
    assert (event.action, event.actor) == ("system.created", admin_user)
    assert event.details == {
        "kind": "internal",
        "connector": "manual",
        "owner_id": dpo.pk,
        "categories": ["communication", "contact"],
        "subject_kinds": ["client", "user"],
    }


def test_a_refused_system_is_not_stored_nor_audited(seeded: None, admin_user: User) -> None:
    with pytest.raises(ValidationError) as refused:
        create_system(
            values=values(
                admin_user,
                categories=[],
                connector=Connector.WEBHOOK,
                webhook_url="http://crm.example/hook",
            ),
            actor=admin_user,
        )
    assert set(refused.value.message_dict) == {"categories", "webhook_url"}
    with pytest.raises(ValidationError) as no_owner:
        create_system(values=values(None), actor=admin_user)
    assert list(no_owner.value.message_dict) == ["owner"]
    assert not System.objects.filter(name="Support desk").exists()
    assert not AuditEvent.objects.filter(action="system.created").exists()


def test_changing_a_system_audits_which_fields_changed(seeded: None, admin_user: User) -> None:
    system = create_system(values=values(admin_user), actor=admin_user)
    update_system(
        system=system,
        values=values(admin_user, name="Help desk", categories=categories("contact")),
        actor=admin_user,
    )
    update_system(
        system=system,
        values=values(admin_user, name="Help desk", categories=categories("contact")),
        actor=admin_user,
    )
    _created, updated = events(system)
    assert updated.action == "system.updated"
    assert updated.details == {"fields": ["categories", "name"], "categories": ["contact"]}
    system.refresh_from_db()
    assert system.name == "Help desk"


def test_a_seeded_system_gets_its_owner_on_its_first_change(
    seeded: None, admin_user: User, staff: User
) -> None:
    crm = System.objects.get(seed_key="internal:crm")
    with pytest.raises(ValidationError):
        update_system(system=crm, values=values(None), actor=admin_user)
    update_system(system=crm, values=values(staff, name="CRM"), actor=admin_user)
    (event,) = events(crm)
    assert event.details["owner_id"] == staff.pk
    assert "owner" in event.details["fields"]


def test_rotation_returns_a_new_secret_and_keeps_the_previous_one_verifying(
    seeded: None, admin_user: User
) -> None:
    system = create_system(
        values=values(
            admin_user, connector=Connector.WEBHOOK, webhook_url="https://crm.example/hook"
        ),
        actor=admin_user,
    )
    first = rotate_secret(system=system, actor=admin_user)
    system.refresh_from_db()
    assert system.webhook_secret == first and system.verifying_secrets == [first]

    second = rotate_secret(system=system, actor=admin_user)
    system.refresh_from_db()
    assert second != first
    assert system.webhook_secret == second
    assert system.verifying_secrets == [second, first]

    now = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)

    def signed_by(secret: str) -> bool:
        headers = webhooks.signature_headers(secret=secret, message_id="m", sent_at=now, body=b"{}")
        return webhooks.verify(
            secrets=system.verifying_secrets, headers=headers, body=b"{}", now=now
        )

    assert signed_by(second) and signed_by(first)
    third = rotate_secret(system=system, actor=admin_user)
    system.refresh_from_db()
    assert signed_by(third) and signed_by(second) and not signed_by(first)

    rotations = [e for e in events(system) if e.action == "system.secret_rotated"]
    assert [e.details for e in rotations] == [
        {"first": True, "previous_still_verifies": False},
        {"first": False, "previous_still_verifies": True},
        {"first": False, "previous_still_verifies": True},
    ]
    assert not any(s in str(e.details) for e in events(system) for s in (first, second, third))


def test_a_manual_system_gets_no_secret(seeded: None, admin_user: User) -> None:
    system = create_system(values=values(admin_user), actor=admin_user)
    with pytest.raises(ValidationError):
        rotate_secret(system=system, actor=admin_user)
    system.refresh_from_db()
    assert system.webhook_secret == ""


def test_turning_a_webhook_system_manual_discards_its_secrets(
    seeded: None, admin_user: User
) -> None:
    webhook = values(admin_user, connector=Connector.WEBHOOK, webhook_url="https://x.example/h")
    system = create_system(values=webhook, actor=admin_user)
    rotate_secret(system=system, actor=admin_user)
    rotate_secret(system=system, actor=admin_user)
    update_system(system=system, values=values(admin_user), actor=admin_user)
    system.refresh_from_db()
    assert system.verifying_secrets == []
    last = events(system)[-1]
    assert last.details == {
        "fields": ["connector", "webhook_url"],
        "connector": "manual",
        "secrets_discarded": True,
    }


def test_deactivating_takes_a_system_out_of_reach_once(seeded: None, admin_user: User) -> None:
    system = create_system(values=values(admin_user), actor=admin_user)

    def reached() -> bool:
        return system in systems_holding(kind="client", categories=["contact"])

    assert reached()
    deactivate_system(system=system, actor=admin_user)
    deactivate_system(system=system, actor=admin_user)
    assert not reached()
    assert [e.action for e in events(system)] == ["system.created", "system.deactivated"]
    reactivate_system(system=system, actor=admin_user)
    assert reached()
    assert events(system)[-1].action == "system.reactivated"


def test_an_owner_who_owns_a_system_cannot_be_deleted(db: None) -> None:
    from django.db.models import ProtectedError

    owner = UserFactory.create(username="owner")
    SystemFactory.create(owner=owner)
    with pytest.raises(ProtectedError):
        owner.delete()

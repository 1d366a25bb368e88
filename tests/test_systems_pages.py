"""The systems pages: Admin manages, DPO and Auditor read, Staff is refused; the secret is
shown once; every change leaves its audit event."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from processing.models import Connector, DataCategory, System
from tests.factories import SystemFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

LIST = "/processing/systems/"


def detail(system: System) -> str:
    return f"/processing/systems/{system.pk}/"


def form_data(owner: User, **changes: object) -> dict[str, object]:
    contact = DataCategory.objects.get(code="contact")
    data: dict[str, object] = {
        "name": "Support desk",
        "kind": "internal",
        "owner": owner.pk,
        "categories": [contact.pk],
        "subject_kinds": ["client", "user"],
        "connector": "manual",
        "webhook_url": "",
        "contact_email": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def webhook_system(admin_user: User) -> System:
    return SystemFactory.create(
        name="Billing webhook",
        owner=admin_user,
        connector=Connector.WEBHOOK,
        webhook_url="https://billing.example/privacyops",
    )


# --- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_user", "dpo", "auditor"])
def test_admin_dpo_and_auditor_read_the_list_and_a_system(
    persona: str, request: pytest.FixtureRequest, client_for: ClientFor, seeded: None
) -> None:
    client = client_for(request.getfixturevalue(persona))
    crm = System.objects.get(seed_key="internal:crm")
    page = client.get(LIST)
    assert page.status_code == 200
    assert "CRM" in page.content.decode() and "Payment provider" in page.content.decode()
    assert client.get(detail(crm)).status_code == 200


def test_only_the_admin_is_offered_the_changes(
    client_for: ClientFor, admin_user: User, auditor: User, webhook_system: System
) -> None:
    base = detail(webhook_system)
    actions = [f"{base}edit/", f"{base}secret/", f"{base}deactivate/"]
    admin = client_for(admin_user)
    assert all(action in admin.get(base).content.decode() for action in actions)
    assert "/processing/systems/new/" in admin.get(LIST).content.decode()
    reader = client_for(auditor)
    assert not any(action in reader.get(base).content.decode() for action in actions)
    assert "/processing/systems/new/" not in reader.get(LIST).content.decode()


@pytest.mark.parametrize("persona", ["dpo", "auditor", "staff"])
def test_nobody_but_the_admin_may_change_a_system(
    persona: str,
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    webhook_system: System,
    admin_user: User,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    base = detail(webhook_system)
    for url in ("/processing/systems/new/", f"{base}edit/", f"{base}secret/", f"{base}deactivate/"):
        assert client.get(url).status_code == 403, url
        assert client.post(url, form_data(admin_user)).status_code == 403, url
    assert client.post(f"{base}reactivate/").status_code == 403
    webhook_system.refresh_from_db()
    assert webhook_system.active and not webhook_system.has_secret
    assert not AuditEvent.objects.filter(action__startswith="system.").exists()


def test_staff_cannot_read_the_systems(client_for: ClientFor, staff: User) -> None:
    assert client_for(staff).get(LIST).status_code == 403


# --- the list --------------------------------------------------------------------------------


def test_the_list_filters_by_kind_and_connector_and_shows_warnings(
    client_for: ClientFor, admin_user: User, seeded: None, webhook_system: System
) -> None:
    client = client_for(admin_user)
    page = client.get(LIST, {"kind": "recipient"}).content.decode()
    assert "Auditors" in page and "Payment provider" not in page and "CRM" not in page
    page = client.get(LIST, {"connector": "webhook"}).content.decode()
    assert "Billing webhook" in page and "Auditors" not in page
    assert "1 warning" in page  # no signing secret yet
    page = client.get(LIST).content.decode()
    assert "18 systems need attention" in page  # the 17 seeded ones have no owner
    assert "no owner" in page


def test_the_list_costs_the_same_queries_for_many_systems(
    client_for: ClientFor, admin_user: User
) -> None:
    client = client_for(admin_user)
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    SystemFactory.create_batch(10, categories=["contact", "usage"])
    with CaptureQueriesContext(connection) as many:
        client.get(LIST)
    assert len(many) == len(few)


def test_the_register_links_to_the_systems_and_counts_their_warnings(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    page = client_for(dpo).get("/processing/").content.decode()
    assert 'href="/processing/systems/"' in page
    assert "17 systems of the register wait for their owner" in page


def test_inactive_systems_show_with_their_badge_and_hide_when_asked(
    client_for: ClientFor, admin_user: User, webhook_system: System
) -> None:
    webhook_system.active = False
    webhook_system.save()
    client = client_for(admin_user)
    assert "Billing webhook" not in client.get(LIST, {"state": "active"}).content.decode()
    assert "Billing webhook" in client.get(LIST, {"state": "inactive"}).content.decode()
    # All of them by default: the seeded ones waiting for an owner are there to configure.
    assert "Billing webhook" in client.get(LIST).content.decode()


# --- create and change -----------------------------------------------------------------------


def test_the_admin_adds_a_system_and_it_is_audited(
    client_for: ClientFor, admin_user: User, dpo: User
) -> None:
    response = client_for(admin_user).post("/processing/systems/new/", form_data(dpo))
    system = System.objects.get(name="Support desk")
    assert response.status_code == 302 and response["Location"] == detail(system)
    assert system.owner == dpo and system.subject_kinds == ["client", "user"]
    event = AuditEvent.objects.get(action="system.created")
    assert (event.actor, event.target_id) == (admin_user, str(system.pk))


def test_refusals_show_next_to_their_fields(client_for: ClientFor, admin_user: User) -> None:
    response = client_for(admin_user).post(
        "/processing/systems/new/",
        form_data(admin_user, connector="webhook", webhook_url="http://crm.example/hook"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "webhook_url": ["Webhooks are called over HTTPS only: the address starts with https://."]
    }
    response = client_for(admin_user).post(
        "/processing/systems/new/", form_data(admin_user, categories=[], subject_kinds=[])
    )
    assert set(response.context["form"].errors) == {"categories", "subject_kinds"}
    assert not System.objects.filter(name="Support desk").exists()


def test_the_owner_is_a_working_portal_user(
    client_for: ClientFor, admin_user: User, auditor: User
) -> None:
    response = client_for(admin_user).post("/processing/systems/new/", form_data(auditor))
    assert "owner" in response.context["form"].errors


def test_the_admin_names_the_owner_of_a_seeded_system(
    client_for: ClientFor, admin_user: User, staff: User, seeded: None
) -> None:
    crm = System.objects.get(seed_key="internal:crm")
    client = client_for(admin_user)
    page = client.get(f"{detail(crm)}edit/").content.decode()
    assert 'value="CRM"' in page
    response = client.post(f"{detail(crm)}edit/", form_data(staff, name="CRM"))
    assert response.status_code == 302
    crm.refresh_from_db()
    assert crm.owner == staff and crm.seed_key == "internal:crm"
    event = AuditEvent.objects.get(action="system.updated")
    assert "owner" in event.details["fields"]
    assert "No owner" not in client.get(detail(crm)).content.decode()


# --- the signing secret ----------------------------------------------------------------------


def _secret_in(page: str) -> str:
    match = re.search(r'id="secret" type="text" readonly value="([^"]+)"', page)
    assert match is not None, "the page shows no secret"
    return match.group(1)


def test_the_secret_is_confirmed_then_shown_once(
    client_for: ClientFor, admin_user: User, webhook_system: System
) -> None:
    client = client_for(admin_user)
    url = f"{detail(webhook_system)}secret/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'id="secret"' not in confirm.content.decode()
    assert not System.objects.get(pk=webhook_system.pk).has_secret

    shown = client.post(url)
    assert shown.status_code == 200
    assert "no-store" in shown["Cache-Control"]
    secret = _secret_in(shown.content.decode())
    assert System.objects.get(pk=webhook_system.pk).webhook_secret == secret

    for page in (client.get(detail(webhook_system)), client.get(LIST), client.get(url)):
        assert secret not in page.content.decode()
    event = AuditEvent.objects.get(action="system.secret_rotated")
    assert secret not in str(event.details)


def test_rotating_on_the_page_keeps_the_previous_secret_until_the_next_rotation(
    client_for: ClientFor, admin_user: User, webhook_system: System
) -> None:
    client = client_for(admin_user)
    url = f"{detail(webhook_system)}secret/"
    first = _secret_in(client.post(url).content.decode())
    second = _secret_in(client.post(url).content.decode())
    webhook_system.refresh_from_db()
    assert webhook_system.verifying_secrets == [second, first]
    assert (
        "The previous secret still verifies" in client.get(detail(webhook_system)).content.decode()
    )
    third = _secret_in(client.post(url).content.decode())
    webhook_system.refresh_from_db()
    assert webhook_system.verifying_secrets == [third, second]


def test_a_manual_system_is_offered_no_secret(client_for: ClientFor, admin_user: User) -> None:
    system = SystemFactory.create(owner=admin_user)
    client = client_for(admin_user)
    assert "/secret/" not in client.get(detail(system)).content.decode()
    response = client.post(f"{detail(system)}secret/", follow=True)
    assert "A manual system signs nothing" in response.content.decode()
    assert not AuditEvent.objects.filter(action="system.secret_rotated").exists()


# --- deactivation ----------------------------------------------------------------------------


def test_deactivation_is_confirmed_first_and_audited(
    client_for: ClientFor, admin_user: User, webhook_system: System
) -> None:
    client = client_for(admin_user)
    url = f"{detail(webhook_system)}deactivate/"
    assert "Deactivate “Billing webhook”?" in client.get(url).content.decode()
    webhook_system.refresh_from_db()
    assert webhook_system.active

    assert client.post(url).status_code == 302
    webhook_system.refresh_from_db()
    assert not webhook_system.active
    assert AuditEvent.objects.filter(action="system.deactivated").count() == 1

    assert client.post(f"{detail(webhook_system)}reactivate/").status_code == 302
    webhook_system.refresh_from_db()
    assert webhook_system.active
    assert AuditEvent.objects.filter(action="system.reactivated").count() == 1


def test_an_unknown_system_is_not_found(client_for: ClientFor, admin_user: User) -> None:
    client: Client = client_for(admin_user)
    assert client.get("/processing/systems/987654/").status_code == 404
    assert client.post("/processing/systems/987654/secret/").status_code == 404


def test_the_django_admin_shows_systems_read_only_and_never_a_secret(
    client_for: ClientFor, admin_user: User, webhook_system: System
) -> None:
    from processing.services.systems import rotate_secret

    secret = rotate_secret(system=webhook_system, actor=admin_user)
    admin_user.is_staff = True
    admin_user.save()
    client = client_for(admin_user)
    listing = client.get("/admin/processing/system/")
    assert listing.status_code == 200
    assert "Billing webhook" in listing.content.decode()
    assert f'href="{detail(webhook_system)}"' in listing.content.decode()
    change_url = f"/admin/processing/system/{webhook_system.pk}/change/"
    page = client.get(change_url)
    assert page.status_code == 200
    assert secret not in page.content.decode()
    assert client.post(change_url, {"name": "Renamed"}).status_code == 403
    assert client.get("/admin/processing/system/add/").status_code == 403
    webhook_system.refresh_from_db()
    assert webhook_system.name == "Billing webhook"

"""Seeds find their rows again by a code an Admin cannot change, never by a name: after an
Admin renamed a seeded row, reseeding (`seed_policy`, and `migrate`, the second step of a
restore) neither re-creates it nor renames it back."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import models
from django_celery_beat.models import PeriodicTask

from core.seeding import seed_all
from privacyops.beat import SCHEDULE
from processing.models import (
    DataCategory,
    Processor,
    ProcessorCategory,
    Purpose,
    Recipient,
    System,
)
from processing.seed import seed_key
from retention.models import RetentionRule
from retention.pause import pause_purge, purge_paused, purge_time
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

CLIENT_RECIPIENT = "The client (the person's company)"


def reseed() -> None:
    """What a restore runs (`migrate`, whose post_migrate seeds) and what an operator may run."""
    call_command("migrate", verbosity=0)
    call_command("seed_policy")
    seed_all()


def test_a_renamed_seeded_recipient_is_not_seeded_again(seeded: None) -> None:
    client = Recipient.objects.get(seed_key=seed_key(CLIENT_RECIPIENT))
    count = Recipient.objects.count()
    Recipient.objects.filter(pk=client.pk).update(name="Our clients")
    reseed()
    assert Recipient.objects.count() == count
    assert not Recipient.objects.filter(name=CLIENT_RECIPIENT).exists()
    assert Recipient.objects.get(pk=client.pk).name == "Our clients"


RENAMED: list[tuple[type[models.Model], dict[str, Any]]] = [
    (Processor, {"name": "Cloud hosting (EU)"}),
    (DataCategory, {"code": "contact"}),
    (Purpose, {"code": "direct-marketing"}),
    (ProcessorCategory, {"code": "email"}),
    (System, {"seed_key": "internal:crm"}),
    (RetentionRule, {"code": "invoices-7y"}),
    (PeriodicTask, {"name": "daily-audit-verification"}),
]


@pytest.mark.parametrize(
    ("model", "lookup"), [pytest.param(*entry, id=entry[0].__name__) for entry in RENAMED]
)
def test_no_seeded_row_comes_back_after_an_admin_renamed_it(
    seeded: None, model: Any, lookup: dict[str, Any]
) -> None:
    row = model.objects.get(**lookup)
    seeded_name = row.name
    count = model.objects.count()
    model.objects.filter(pk=row.pk).update(name="Renamed by the Admin")
    reseed()
    assert model.objects.count() == count
    assert not model.objects.filter(name=seeded_name).exists()
    assert model.objects.get(pk=row.pk).name == "Renamed by the Admin"


def test_the_schedule_has_one_entry_per_task_so_its_task_finds_it() -> None:
    tasks = [entry["task"] for entry in SCHEDULE.values()]
    assert len(set(tasks)) == len(tasks)


def test_a_renamed_nightly_purge_is_still_the_one_paused_and_timed(seeded: None, dpo: User) -> None:
    PeriodicTask.objects.filter(name="nightly-purge").update(name="Purge at night")
    reseed()
    assert purge_time() == "02:00"
    pause_purge(actor=dpo, reason="Restoring a backup.")
    assert PeriodicTask.objects.get(name="Purge at night").enabled is False
    paused = purge_paused()
    assert paused is not None
    assert paused.reason == "Restoring a backup."


@pytest.mark.parametrize(
    ("model", "code"),
    [(Purpose, "direct-marketing"), (DataCategory, "contact"), (ProcessorCategory, "email")],
)
def test_the_admin_shows_a_saved_code_but_cannot_change_it(
    seeded: None, client_for: ClientFor, admin_user: User, model: Any, code: str
) -> None:
    row = model.objects.get(code=code)
    url = f"/admin/processing/{model._meta.model_name}/{row.pk}/change/"
    client = client_for(admin_user)
    page = client.get(url).content.decode()
    assert code in page
    assert 'name="code"' not in page
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    data.update({"code": "changed", "name": "Renamed by the Admin"})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    row.refresh_from_db()
    assert (row.code, row.name) == (code, "Renamed by the Admin")


def test_the_admin_chooses_the_code_of_a_row_it_adds(
    seeded: None, client_for: ClientFor, admin_user: User
) -> None:
    page = client_for(admin_user).get("/admin/processing/datacategory/add/").content.decode()
    assert 'name="code"' in page


def test_the_migration_keys_the_seeded_row_an_admin_renamed_not_its_restored_twin(
    seeded: None,
) -> None:
    # Before the keys: the Admin renamed the client recipient, and a restore's `migrate`
    # seeded a second one under the seeded name.
    Processor.objects.update(seed_key=None)
    Recipient.objects.update(seed_key=None)
    original = Recipient.objects.get(name=CLIENT_RECIPIENT)
    Recipient.objects.filter(pk=original.pk).update(name="Our clients")
    twin = Recipient.objects.create(name=CLIENT_RECIPIENT, kind="client", legal_basis="contract")
    migration = importlib.import_module("processing.migrations.0013_seed_keys")
    migration.key_seeded_rows(apps, None)
    assert Recipient.objects.get(pk=original.pk).seed_key == seed_key(CLIENT_RECIPIENT)
    assert Recipient.objects.get(pk=twin.pk).seed_key is None
    assert Processor.objects.filter(seed_key__isnull=True).count() == 0
    assert Recipient.objects.filter(seed_key__isnull=False).count() == 3

"""A group is a role by the key it holds (`core.role_dpo`, ...), never by its name: renaming
the group "DPO" keeps its members' rights, a new group called "DPO" gives none, and taking the
key from a group takes the role from its members."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command

from core.duties import dpo_count
from core.permissions import ROLE_KEYS, Role, role_group, user_roles
from core.seeding import seed_all
from tests.factories import UserFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db


def key(role: Role) -> Permission:
    return Permission.objects.get(content_type__app_label="core", codename=ROLE_KEYS[role])


def fresh(user: User) -> User:
    # `user_roles` caches on the instance, as for one request.
    return User.objects.get(pk=user.pk)


def test_a_renamed_dpo_group_keeps_its_members_rights(client_for: ClientFor, dpo: User) -> None:
    Group.objects.filter(name="DPO").update(name="Data protection officer")
    assert user_roles(fresh(dpo)) == {Role.DPO}
    client = client_for(dpo)
    assert client.get("/dashboard/").status_code == 200
    assert client.get("/requests/").status_code == 200
    assert dpo_count() == 1


def test_reseeding_after_a_rename_makes_no_second_group(dpo: User) -> None:
    Group.objects.filter(name="DPO").update(name="Data protection officer")
    call_command("seed_policy")
    seed_all()
    assert not Group.objects.filter(name="DPO").exists()
    assert list(Group.objects.filter(role_group(Role.DPO)).values_list("name", flat=True)) == [
        "Data protection officer"
    ]


def test_a_new_group_named_dpo_without_the_key_gives_nothing(client_for: ClientFor) -> None:
    Group.objects.filter(name="DPO").update(name="Data protection officer")
    impostor = UserFactory.create(username="impostor")
    impostor.groups.add(Group.objects.create(name="DPO"))
    assert user_roles(fresh(impostor)) == frozenset()
    assert client_for(impostor).get("/dashboard/").status_code == 403
    call_command("seed_policy")
    assert not Group.objects.get(name="DPO").permissions.exists()


def test_taking_the_key_from_the_group_takes_the_role(client_for: ClientFor, dpo: User) -> None:
    Group.objects.get(name="DPO").permissions.remove(key(Role.DPO))
    assert user_roles(fresh(dpo)) == frozenset()
    assert client_for(dpo).get("/dashboard/").status_code == 403
    # Reseeding (every `migrate`) does not hand it back.
    call_command("seed_policy")
    assert user_roles(fresh(dpo)) == frozenset()


def test_the_key_on_any_group_gives_the_role(client_for: ClientFor) -> None:
    officers = Group.objects.create(name="Privacy team")
    officers.permissions.add(key(Role.DPO))
    member = UserFactory.create(username="member")
    member.groups.add(officers)
    assert user_roles(fresh(member)) == {Role.DPO}
    assert client_for(member).get("/dashboard/").status_code == 200


def test_the_admin_group_holds_every_model_permission_but_no_other_roles_key(
    admin_user: User,
) -> None:
    call_command("seed_policy")
    admin_group = Group.objects.get(role_group(Role.ADMIN))
    held = set(admin_group.permissions.values_list("codename", flat=True))
    assert {"change_datacategory", "change_crontabschedule", "change_group"} <= held
    assert held & set(ROLE_KEYS.values()) == {"role_admin"}
    assert user_roles(fresh(admin_user)) == {Role.ADMIN}


def test_the_migration_gives_each_key_to_the_group_of_the_roles_seeded_name() -> None:
    # A database from before the keys: four groups by name, none holding a key.
    for role in Role:
        Group.objects.get(name=role.value).permissions.remove(key(role))
    renamed_before = Group.objects.create(name="Staff (old)")
    migration = importlib.import_module("core.migrations.0008_role_keys")
    migration.give_seeded_groups_their_keys(apps, None)
    for role in Role:
        assert list(Group.objects.filter(role_group(role))) == [Group.objects.get(name=role.value)]
    assert not renamed_before.permissions.exists()

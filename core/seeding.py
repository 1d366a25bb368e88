"""Idempotent seeding of what a fresh database must hold.

Each app may have a `seed.py` with `seed_policy(apps)`; `seed_all` runs them in the order of
`INSTALLED_APPS`, which follows the apps' layering (the register before the people, the people
before the ledger).
Data migrations call the same functions with the historical app registry, and
`manage.py seed_policy` (and `post_migrate`, which also follows the flush of transactional
tests) calls them with the live one, so the three never disagree.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from django.apps import apps as global_apps


def seed_all(apps: Any = global_apps, verbosity: int = 0) -> list[str]:
    done = []
    for config in global_apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.seed") is None:
            continue
        importlib.import_module(f"{config.name}.seed").seed_policy(apps)
        done.append(config.label)
    return done


def seed_after_migrate(sender: Any, **kwargs: Any) -> None:
    from django.contrib.auth.management import create_permissions

    apps = kwargs.get("apps") or global_apps
    # post_migrate reaches apps in INSTALLED_APPS order, so the permissions of apps after
    # `core` do not exist yet; create them now so the Admin group gets them all.
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=apps, using=kwargs.get("using", "default"))
    seed_all(apps)

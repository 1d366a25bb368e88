"""What every process of the portal carries: the purge, each worker and each web worker import
the project's modules, and a library imported at the top of one of them weighs on all of them.
The heavy ones that only some work needs (WeasyPrint for a document, SQLAlchemy for a system's
database, httpx for a webhook, the holidays package for a working day, the API's views) are
imported where that work starts; this holds it, so the purge's memory is the purge's own
(bench/purge.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Imported by the first document, system database, webhook, working day — not by starting up.
LAZY = ("weasyprint", "fontTools", "sqlalchemy", "httpx", "rich", "holidays")
# The API's views (and, through drf-spectacular, Django's test client and Jinja2): the web
# process loads them with its URLs; a worker or the purge need not.
API_VIEWS = ("rest_framework.generics", "django.test", "jinja2")

STARTUP = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyops.settings")
import django
django.setup()
from django.core.management import load_command_class
load_command_class("retention", "purge")
from retention.services.purge import run_purge
print(json.dumps(sorted(sys.modules)))
"""


def modules_after_start_up() -> set[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    result = subprocess.run(
        [sys.executable, "-c", STARTUP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_starting_the_portal_and_its_purge_imports_no_library_only_some_work_needs() -> None:
    modules = modules_after_start_up()
    assert [name for name in LAZY if name in modules] == []
    assert [name for name in API_VIEWS if name in modules] == []

"""What every process of the portal carries: the purge, each worker and each web worker import
the project's modules, and a library imported at the top of one of them weighs on all of them.
The heavy ones that only some work needs (WeasyPrint for a document, SQLAlchemy for a system's
database, httpx for a webhook, every country's calendar of holidays) are imported where that
work starts; this holds it, so the purge's memory is the purge's own (bench/purge.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Imported by the first document, system database, webhook — not by starting up.
LAZY = ("weasyprint", "fontTools", "sqlalchemy", "httpx", "rich")

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
    # Checking the holiday country's code reads the registry, not every country's calendar.
    countries = [name for name in modules if name.startswith("holidays.countries.")]
    assert len(countries) <= 1, countries

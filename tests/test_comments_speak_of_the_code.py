"""Comments speak of the code, not of its history.

A comment or docstring that points at a tracker's numbered item or at a document kept outside
the repository says nothing to the reader who has only the repository: it states the rule
instead (the article, the policy's words). This test reads every Python, template, YAML and
SQL file of the project and fails on a numbered tracker item or a reference to the domain
notes. Its own patterns are built from pieces, so it does not match itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = frozenset({".py", ".html", ".yaml", ".yml", ".sql"})
# Not the project's own text: installed packages, translations, the documentation site,
# what the test runs leave behind, and front-end packages.
SKIPPED_DIRECTORIES = frozenset({".venv", "locale", "docs", "test-artifacts", "node_modules"})

TRACKER_ITEM = re.compile(r"\b" + "iss" + r"ue\s+\d+", re.IGNORECASE)
DOMAIN_NOTES = re.compile(re.escape("DOMAIN" + "." + "md"))


def project_files() -> list[Path]:
    found: list[Path] = []
    for folder, directories, files in os.walk(ROOT):
        # Hidden folders (.git, tool caches) are not the project's text either.
        directories[:] = sorted(
            d for d in directories if d not in SKIPPED_DIRECTORIES and not d.startswith(".")
        )
        found.extend(Path(folder) / name for name in sorted(files))
    return [path for path in found if path.suffix in SUFFIXES]


def test_the_walk_reads_the_apps_and_the_tests() -> None:
    names = {str(path.relative_to(ROOT)) for path in project_files()}
    assert "manage.py" in names
    assert str(Path(__file__).relative_to(ROOT)) in names
    assert not any(name.startswith((".venv", "locale", "docs")) for name in names)


def test_the_patterns_find_what_they_are_for() -> None:
    assert TRACKER_ITEM.search("(" + "Iss" + "ue 12, item 9)")
    assert TRACKER_ITEM.search("see " + "iss" + "ue 4")
    assert not TRACKER_ITEM.search("the issued 12 invoices")
    assert DOMAIN_NOTES.search("(" + "DOMAIN" + ".md G)")


def test_no_comment_cites_a_tracker_item_or_the_domain_notes() -> None:
    found = []
    for path in project_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if TRACKER_ITEM.search(line) or DOMAIN_NOTES.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "Say the rule itself, not where it was asked for:\n" + "\n".join(found)

"""The manual: README.md is the first screen a newcomer needs, docs/ is the rest, and MkDocs
builds it as CI does (`--strict`: a broken link or anchor, or a page left out of the nav, fails).
The permission table in docs/admin-guide.md is tested against the code in test_permissions.py."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"

# The first screen; what is longer than this is a manual, and the manual is docs/.
README_MAX_LINES = 150

# `[text](target)` or `[text](target#anchor)` with a relative target.
RELATIVE_LINK = re.compile(r"\]\((?!https?://|mailto:|#)([^)#\s]+)(?:#([^)\s]+))?\)")


def readme_links() -> list[tuple[str, str]]:
    """(target, anchor) of every relative link in the README; anchor '' when there is none."""
    return RELATIVE_LINK.findall(README.read_text())


def test_the_readme_is_one_screen_that_starts_with_the_two_commands() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) < README_MAX_LINES, (
        f"README.md has {len(lines)} lines: keep it the first screen and move the rest to docs/"
    )
    text = [line for line in lines if line.strip()]
    assert text[0] == "# PrivacyOps"
    assert text[1].startswith("```"), "the two commands come first, right under the title"
    block = text[2 : text.index("```", 2)]
    commands = [line.split()[:2] for line in block if not line.lstrip().startswith("#")]
    assert commands == [["make", "run"], ["make", "test"]]


def test_the_readme_leads_into_every_page_of_the_manual() -> None:
    targets = {target for target, _anchor in readme_links()}
    for target in targets:
        assert (ROOT / target).exists(), f"README.md links to {target}, which does not exist"
    pages = {f"docs/{page.name}" for page in DOCS.glob("*.md")}
    assert pages, "docs/ holds no page"
    assert pages <= targets, f"README.md does not link to {sorted(pages - targets)}"


@pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs-material is not installed (`make install` installs it with the dev extras)",
)
def test_the_manual_builds_strictly_and_the_readmes_anchors_exist(tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    for page in DOCS.glob("*.md"):
        html = site / ("index.html" if page.stem == "index" else f"{page.stem}/index.html")
        assert html.exists(), f"{page.name} was not built"
    # MkDocs checks the links between pages; the README's links into them are checked here.
    for target, anchor in readme_links():
        if not (target.startswith("docs/") and target.endswith(".md") and anchor):
            continue
        stem = Path(target).stem
        html = site / ("index.html" if stem == "index" else f"{stem}/index.html")
        assert f'id="{anchor}"' in html.read_text(), f"README.md links to {target}#{anchor}"


def test_the_operations_page_lists_the_beat_schedule_as_seeded() -> None:
    from privacyops.beat import SCHEDULE

    page = (DOCS / "operations.md").read_text()
    section = page.split("## Scheduled jobs", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[1].strip("`"): cells
        for cells in ([cell.strip() for cell in line.split("|")] for line in section.splitlines())
        if len(cells) > 3 and cells[1].startswith("`")
    }
    assert set(rows) == set(SCHEDULE), "docs/operations.md: the table of scheduled jobs"
    for name, entry in SCHEDULE.items():
        if entry["hour"] == "*":
            when = f"every hour at :{int(entry['minute']):02d}"
        else:
            when = f"{int(entry['hour']):02d}:{int(entry['minute']):02d}"
        assert rows[name][2:4] == [when, f"`{entry['task']}`"], name

"""The shape of the code: the apps' layering, the engine that knows no domain, module sizes,
each app's share of the code, and every Celery task bounded in time."""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path

import pytest
from pytest_django import Settings

ROOT = Path(__file__).resolve().parent.parent

# The apps in levels, lowest first: an app imports the apps of the levels below its own and
# nothing from its own level but itself (INSTALLED_APPS lists them in this order). The breach
# register and the self-service pages both stand on the requests (the self-service pages on
# the reports too: a person downloads their own copy) and know nothing of each
# other; oversight reads across everything, and nothing imports it.
LEVELS = [
    ["core"],
    ["retention"],
    ["processing"],
    ["subjects"],
    ["consent"],
    ["subject_requests"],
    ["reports"],
    ["breaches", "selfservice"],
    ["oversight"],
]
LAYERS = [app for level in LEVELS for app in level]
ALLOWED = {
    app: {below for lower in LEVELS[:n] for below in lower} | {app}
    for n, level in enumerate(LEVELS)
    for app in level
}
# No app grows into the place where new things go (STYLE.md: "a breach register is not a
# request"): each holds at most this share of the apps' lines.
MAX_APP_SHARE = 0.25
# A module past this many lines becomes a folder (STYLE.md: "a file that passes ~400 lines").
MAX_MODULE_LINES = 420
# mypy runs strict over the whole tree; a silenced error needs its code and a reason, and
# fewer than ten may exist. The pattern is spelled so this file does not match it.
MAX_TYPE_IGNORES = 9
TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore\b")


def _modules(app: str) -> list[Path]:
    return [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]


def _imported_apps(path: Path) -> set[str]:
    """Every app this file imports, at module level or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(LAYERS)
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app: str) -> None:
    allowed = ALLOWED[app]
    wrong = {
        str(path.relative_to(ROOT)): sorted(_imported_apps(path) - allowed)
        for path in _modules(app)
        if _imported_apps(path) - allowed
    }
    assert wrong == {}


def test_the_layer_test_refuses_an_import_from_the_same_level(tmp_path: Path) -> None:
    module = tmp_path / "sibling.py"
    module.write_text("from selfservice.links import send_link\nfrom subject_requests import x\n")
    assert _imported_apps(module) - ALLOWED["breaches"] == {"selfservice"}


def test_the_retention_engine_imports_no_domain_app() -> None:
    domain = set(LAYERS) - {"core", "retention"}
    assert {p.name: _imported_apps(p) & domain for p in _modules("retention")} == {
        p.name: set() for p in _modules("retention")
    }


def test_the_layer_test_sees_an_import_hidden_in_a_function(tmp_path: Path) -> None:
    module = tmp_path / "hidden.py"
    module.write_text("def f():\n    from consent.selectors import consent_state\n")
    assert _imported_apps(module) == {"consent"}


def test_installed_apps_follow_the_layering(settings: Settings) -> None:
    from django.conf import settings as django_settings

    ours = [app for app in django_settings.INSTALLED_APPS if app in LAYERS]
    assert sorted(ours) == sorted(LAYERS)
    # Every app comes after every app it may import.
    assert [app for app in ours if any(ours.index(b) > ours.index(app) for b in ALLOWED[app])] == []


@pytest.mark.parametrize("app", [*LAYERS, "privacyops"])
def test_no_module_of_an_app_is_over_about_400_lines(app: str) -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules(app)
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def _lines(app: str) -> int:
    return sum(len(p.read_text().splitlines()) for p in _modules(app))


@pytest.mark.parametrize("app", LAYERS)
def test_no_app_holds_over_a_quarter_of_the_code(app: str) -> None:
    total = sum(_lines(each) for each in LAYERS)
    assert _lines(app) <= MAX_APP_SHARE * total, f"{app}: {_lines(app) / total:.0%}"


def test_every_celery_task_has_a_soft_and_a_hard_time_limit() -> None:
    from privacyops.celery import app

    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}
    assert ours, "no tasks were found"
    unbounded = {
        name
        for name, task in ours.items()
        if not (task.soft_time_limit and task.time_limit and task.soft_time_limit < task.time_limit)
    }
    assert unbounded == set()


def _type_ignores(root: Path) -> dict[str, int]:
    """Silenced mypy errors per .py file, outside dot-folders (.venv) and migrations."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "migrations"]
        for name in files:
            if name.endswith(".py"):
                path = Path(folder) / name
                if n := len(TYPE_IGNORE.findall(path.read_text(encoding="utf-8"))):
                    found[str(path.relative_to(root))] = n
    return found


def test_fewer_than_ten_type_errors_are_silenced_in_the_tree() -> None:
    ignores = _type_ignores(ROOT)
    assert sum(ignores.values()) <= MAX_TYPE_IGNORES, ignores


def test_the_silenced_error_count_sees_every_spelling(tmp_path: Path) -> None:
    marker, terse = "# type" + ": ignore", "#type" + ":ignore"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "a.py").write_text(f"x = 1  {marker}[misc]\ny = 2  {terse}\n")
    (tmp_path / "app" / "migrations").mkdir()
    (tmp_path / "app" / "migrations" / "0001.py").write_text(f"z = 3  {marker}\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text(f"z = 3  {marker}\n")
    assert _type_ignores(tmp_path) == {"app/a.py": 2}


def import_drawing() -> str:
    """The apps and who imports whom, read from the code, drawn as text (Mermaid's flowchart
    syntax, readable as it is where no script draws it): each app an arrow to every app it
    imports, one line per app, top level first."""
    lines = ["```text", "flowchart TD"]
    for app in reversed(LAYERS):
        used = set().union(*(_imported_apps(path) for path in _modules(app))) - {app}
        targets = [other for other in reversed(LAYERS) if other in used]
        if targets:
            lines.append(f"    {app} --> {' & '.join(targets)}")
    lines.append("```")
    return "\n".join(lines)


def test_the_architecture_page_draws_the_imports_as_they_are() -> None:
    """docs/architecture.md shows the imports between the apps as the code has them: the
    drawing is this test's output (`python -c "from tests.test_architecture import
    import_drawing; print(import_drawing())"`), so a new import changes it here first."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    assert import_drawing() in page

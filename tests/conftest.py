from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

    from processing.models import Purpose
    from subjects.models import DataSubject
    from tests.fixture_types import ClientFor, LoginInBrowser, SignInAsSubject

# Playwright's sync API runs an event loop in this thread; Django's async guard would then
# refuse ORM calls made by live_server tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ON_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


TALLINN = ZoneInfo("Europe/Tallinn")
# The instant every test starts at, its fixtures included: a test never reads the machine's
# clock. `PRIVACYOPS_TEST_CLOCK` (ISO 8601, read in Tallinn when it names no offset) runs the
# suite at another instant; CI runs the date-sensitive modules so, on a 29 February.
DEFAULT_TEST_CLOCK = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TALLINN)


def suite_clock() -> dt.datetime:
    """The instant a test starts at, unless its `clock` marker names another."""
    configured = os.environ.get("PRIVACYOPS_TEST_CLOCK", "").strip()
    if not configured:
        return DEFAULT_TEST_CLOCK
    moment = dt.datetime.fromisoformat(configured)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TALLINN)


def _on_postgres() -> bool:
    engine: str = settings.DATABASES["default"]["ENGINE"]
    return engine == "django.db.backends.postgresql"


# The suite's longest tests, started first: xdist hands tests out in collection order, so a
# long test collected last keeps one worker busy while the others have nothing left (`make
# test` lists the slowest tests at the end of every run: keep this in step with it).
LONG_FIRST = (
    "tests/test_fuzz_get.py::test_no_hostile_get_parameter",
    "tests/test_browser_accessibility.py::",
    "tests/test_request_state_machine.py::",
    "tests/test_purge_postgres.py::test_a_purge_killed",
    "tests/test_bench_smoke.py::test_every_benchmark_runs",
    "tests/test_names_migration.py::",
    "tests/test_legal_deadlines.py::test_the_migration",
    "tests/test_app_role_pages.py::",
    "tests/test_navigation_walk.py::test_every_page",
    "tests/test_breach_move_migration.py::",
)


def _long_first(item: pytest.Item) -> int:
    return next(
        (i for i, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix)),
        len(LONG_FIRST),
    )


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what the run leaves out
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=_long_first)  # stable: the rest keep their order
    if _on_postgres():
        return
    if ON_CI and any("postgres" in item.keywords for item in items):
        raise pytest.UsageError(
            "CI must run the postgres tests: set DATABASE_URL to a PostgreSQL database."
        )
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if ON_CI and skipped:
        terminalreporter.write_line(
            f"CI forbids skipped tests; {len(skipped)} were skipped.", red=True
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if ON_CI and reporter is not None and reporter.stats.get("skipped"):
        session.exitstatus = 1


@pytest.fixture(autouse=True, scope="session")
def _frozen_session_clock() -> Iterator[time_machine.travel]:
    """The session's set-up runs on the suite's clock too: the test database's migrations
    write rows dated "today" (the seeded transfer's certification check), and a date read
    from the machine would put them after the tests' today."""
    traveller = time_machine.travel(suite_clock(), tick=False)
    traveller.start()
    yield traveller
    traveller.stop()


@pytest.fixture(autouse=True)
def _frozen_clock(
    request: pytest.FixtureRequest, _frozen_session_clock: time_machine.travel
) -> Iterator[time_machine.Traveller | None]:
    """Every test, with its function-scoped fixtures, runs on one frozen clock in Tallinn
    (`tick=False`: the clock moves only when a test moves it, with `time_machine.travel`).
    `@pytest.mark.clock(instant)` on a test or a module freezes it at that instant instead, so
    a fixture and its test share the module's clock; `@pytest.mark.wall_clock` lets the few
    tests that measure real time or share it with another process read the machine's clock.
    Defined first in this file, so the autouse fixtures below run on it too."""
    if request.node.get_closest_marker("wall_clock") is not None:
        _frozen_session_clock.stop()
        yield None
        _frozen_session_clock.start()
        return
    marker = request.node.get_closest_marker("clock")
    instant = marker.args[0] if marker is not None else suite_clock()
    with time_machine.travel(instant, tick=False) as coordinates:
        yield coordinates


@pytest.fixture
def clock(_frozen_clock: time_machine.Traveller | None) -> time_machine.Traveller:
    """The test's frozen clock, to move on: `clock.shift(dt.timedelta(minutes=1))` is "a
    minute later" for what follows (a withdrawal after a grant, a second build)."""
    assert _frozen_clock is not None, "a wall_clock test has no frozen clock to move"
    return _frozen_clock


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache (rate limits, cached counts), as a fresh portal —
    and as after an intact audit check: the audit-chain alarm is cached (one query fewer per
    page), so a chain broken by one test must not raise the alarm in the next, and page query
    counts do not include a cold cache."""
    from django.core.cache import cache

    from core.services.audit_chain import ALARM_CACHE_KEY, ALARM_CACHE_SECONDS

    cache.clear()
    cache.set(ALARM_CACHE_KEY, False, ALARM_CACHE_SECONDS)


@pytest.fixture(autouse=True)
def erasure_ledger_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's erasure ledger copy goes to a folder of its own, never the repository's
    `var/`; commands the test runs as processes inherit it through the environment."""
    directory = tmp_path / "erasure-ledger"
    settings.ERASURE_LEDGER_DIR = directory
    monkeypatch.setenv("ERASURE_LEDGER_DIR", str(directory))
    return directory


@pytest.fixture(autouse=True)
def _staff_language_after_each_test() -> Iterator[None]:
    """A request to a public page activates the visitor's language in this thread, as a new
    request would in production; the next test starts from the staff language again."""
    yield
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker: Any, request: pytest.FixtureRequest
) -> Iterator[None]:
    """pytest-django's test database, its seeded rows kept as it is made (`tests/db_snapshot`),
    and on PostgreSQL a copy of it for the benchmarks' smoke runs when they are collected."""
    from tests import db_snapshot

    benchmarks = any("test_bench_smoke.py" in item.nodeid for item in request.session.items)
    with django_db_blocker.unblock():
        db_snapshot.take()
        copied = benchmarks and db_snapshot.copy_as_made()
    yield
    if copied:
        with django_db_blocker.unblock():
            db_snapshot.drop_copy()


@pytest.fixture(autouse=True, scope="session")
def _flushes_put_back_the_seeded_database() -> Iterator[None]:
    """Transactional tests end with a flush: here it empties every table and writes back the
    rows the test database was made with, instead of Django's `TRUNCATE` then a `post_migrate`
    that seeds everything again (5–6 s a test on PostgreSQL; see `tests/db_snapshot.py`)."""
    from django.core.management.commands import flush
    from django.db import connection

    from tests import db_snapshot

    operations = type(connection.ops)  # the backend in use (its module is imported by now)
    original = operations.execute_sql_flush
    emit = getattr(flush, "emit_post_migrate_signal")  # noqa: B009 (not in the stubs)
    restored: set[str] = set()

    def execute_sql_flush(self: Any, sql_list: list[str]) -> None:
        if not db_snapshot.taken(self.connection.alias):
            # Before the test database is made (a flush inside its creation): as Django does,
            # with the append-only tables' triggers off for this transaction.
            db_snapshot.flush_as_django(self.connection, sql_list)
            return
        db_snapshot.restore(self.connection)
        restored.add(self.connection.alias)

    def emit_unless_restored(
        verbosity: int, interactive: bool, database: str, **kwargs: Any
    ) -> None:
        if database in restored:
            restored.discard(database)  # the seeded rows are back as migrate left them
            return
        emit(verbosity, interactive, database, **kwargs)

    setattr(operations, "execute_sql_flush", execute_sql_flush)  # noqa: B010
    setattr(flush, "emit_post_migrate_signal", emit_unless_restored)  # noqa: B010
    yield
    setattr(operations, "execute_sql_flush", original)  # noqa: B010
    setattr(flush, "emit_post_migrate_signal", emit)  # noqa: B010


def needs_second_factor(user: User) -> bool:
    """Whether the user holds a role that signs in with a second factor (by the roles' keys,
    read afresh: a test may have changed the groups)."""
    from core.permissions import holding_role
    from core.services.two_factor import SECOND_FACTOR_ROLES

    users = type(user).objects.filter(pk=user.pk)
    return bool(users.filter(holding_role(*SECOND_FACTOR_ROLES)).exists())


# A fixed authenticator key for test personas, so a browser test can type the current code.
PERSONA_TOTP_KEY = "3132333435363738393031323334353637383930"


def persona_authenticator(user: User) -> Any:
    from core.models import Authenticator

    device, _ = Authenticator.objects.get_or_create(
        user=user, name="test persona", defaults={"key": PERSONA_TOTP_KEY, "confirmed": True}
    )
    return device


def current_totp(device: Any) -> str:  # an Authenticator (django-otp's bases are untyped)
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}"


@pytest.fixture(autouse=True)
def _force_login_includes_the_second_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    """`client.force_login` stands for a completed login; for DPO and Admin that includes the
    second factor (their pages need it). Tests of the login itself post to the real forms."""
    from django.test.client import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    original = Client.force_login

    def force_login(self: Client, user: User, backend: str | None = None) -> None:
        original(self, user, backend)
        if needs_second_factor(user):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = persona_authenticator(user).persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def seeded(db: None) -> None:
    """The seeded policy (roles, purposes, rules, the beat schedule, …). `migrate` seeds the
    test database, a test's transaction rolls its changes back, and a transactional test's
    flush runs the same seeding again; so the seeds are there unless a flush inhibited it.
    Checking costs 3 queries; seeding again 94 (75–115 ms a test on PostgreSQL)."""
    from django.contrib.auth.models import Group

    from core.seeding import seed_all
    from processing.models import Purpose
    from retention.models import RetentionRule

    present = (
        Group.objects.filter(name="DPO").exists()
        and Purpose.objects.exists()
        and RetentionRule.objects.exists()
    )
    if not present:
        seed_all()


@pytest.fixture
def marketing(seeded: None) -> Purpose:
    """The seeded direct-marketing purpose, the one the newsletter asks consent for."""
    from tests.factories import purpose

    return purpose("direct-marketing")


def _persona(username: str, role: str | None) -> User:
    from django.contrib.auth.models import Group

    from core.seeding import seed_all
    from tests.factories import UserFactory

    if role is not None and not Group.objects.filter(name=role).exists():
        seed_all()
    user = UserFactory.create(username=username, first_name=username.capitalize())
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def dpo(db: None) -> User:
    return _persona("dpo", "DPO")


@pytest.fixture
def staff(db: None) -> User:
    return _persona("staff", "Staff")


@pytest.fixture
def admin_user(db: None) -> User:
    return _persona("admin", "Admin")


@pytest.fixture
def auditor(db: None) -> User:
    return _persona("auditor", "Auditor")


@pytest.fixture
def outsider(db: None) -> User:
    """A logged-in account with no role."""
    return _persona("outsider", None)


@pytest.fixture
def client_for(client: Client) -> ClientFor:
    def login(user: User) -> Client:
        client.force_login(user)
        return client

    return login


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(executable):
        if ON_CI:
            raise RuntimeError(f"CI needs Chromium at {executable} (apt-get install chromium)")
        pytest.skip("Chromium is not installed here (apt-get install chromium); CI runs these")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in_page(page: Page, user: User, password: str = "correct horse battery") -> Page:
    """Log `user` in on `page`: password, then the authenticator's code for DPO and Admin."""
    needs_code = needs_second_factor(user)
    device = persona_authenticator(user) if needs_code else None
    page.goto("/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if device is not None:
        page.wait_for_url("**/account/2fa/verify/**")
        page.get_by_label("Code").fill(current_totp(device))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/")
    return page


def sign_in_page(page: Page, user: User, server_url: str) -> Client:
    """`user`'s session on `page`, the second factor included, as `log_in_page` leaves it but
    made by the test client (`force_login`) and handed to the browser as its cookie: a test
    about what comes after the login saves the ~2 s of the forms a person (the login itself is
    walked by `log_in_page`'s tests and test_browser_2fa). Returns the client, which shares
    the page's session."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {"name": name, "value": cookie.value, "url": server_url}
            for name, cookie in client.cookies.items()
        ]
    )
    return client


@pytest.fixture
def login_in_browser(page: Page) -> LoginInBrowser:
    def login(user: User, password: str = "correct horse battery") -> Page:
        return log_in_page(page, user, password)

    return login


@pytest.fixture
def sign_in_as_subject(client: Client, django_capture_on_commit_callbacks: Any) -> SignInAsSubject:
    """Ask for the link on /p/me/, read it from the outbox and use it."""
    import re

    from django.core import mail

    def sign_in(subject: DataSubject) -> Client:
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/p/me/", {"email": subject.work_email or ""})
        match = re.search(r"http://\S+(/p/me/link/\S+/)", str(mail.outbox[-1].body))
        assert match is not None, "no sign-in link was sent"
        client.post(match.group(1))
        return client

    return sign_in


# --- a platform database ----------------------------------------------------------


@pytest.fixture
def platform_url(tmp_path: Path) -> str:
    """The small platform database of `tests.platform_db`, as an SQLite file."""
    from tests.platform_db import sqlite_platform

    return sqlite_platform(tmp_path)


@pytest.fixture
def postgres_platform_url() -> Iterator[str]:
    """The same, as a second PostgreSQL database (skipped without one)."""
    from tests.platform_db import postgres_platform

    yield from postgres_platform()

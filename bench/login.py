"""Benchmark of logging in: under 300 ms p95 with passwords stored by Argon2id.

A Staff user logs in through the login page (the form, django-axes' checks, the session, the
audit event) `--logins` times with the password hashers of production (`PASSWORD_HASHERS`:
Argon2id at OWASP's setting, `core.hashers`), and as many times with PBKDF2 at Django's
default iterations first, the baseline measured in the same run (what every login cost before).
It prints the median and p95 of each and their ratio — refused when the baseline's logins,
cut in three consecutive blocks, differ from block to block by over 20 %
(`bench/_measure.py`) — and checks that a password stored with PBKDF2 is stored again with
Argon2id at its first login. The last line, `BENCH login key=value …` with the machine's load
before and after, is what CI looks for.

    .venv/bin/python bench/login.py            # SQLite or DATABASE_URL
    .venv/bin/python bench/login.py --smoke    # a few logins (CI runs it)
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from typing import Any

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import MIN_BASELINE_RUNS, Bench, block_medians
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client, override_settings

from core.hashers import Argon2idHasher

ARGON2ID = f"{Argon2idHasher.__module__}.{Argon2idHasher.__qualname__}"
PBKDF2 = "django.contrib.auth.hashers.PBKDF2PasswordHasher"
PRODUCTION = [ARGON2ID, PBKDF2]
BEFORE = [PBKDF2, ARGON2ID]
PASSWORD = secrets.token_urlsafe(16)
SMOKE = {"logins": 5}
TARGET_MS = 300


class BenchFailed(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"bench/login.py: {message}")


def _user(username: str) -> Any:
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.groups.add(Group.objects.get(name="Staff"))
    user.set_password(PASSWORD)
    user.save()
    return user


def measure(hashers: list[str], username: str, logins: int) -> list[float]:
    """The milliseconds of each login, in order."""
    timings = []
    with override_settings(PASSWORD_HASHERS=hashers):
        _user(username)
        for n in range(logins + 1):
            client = Client()
            started = time.perf_counter()
            response = client.post(
                "/login/", {"username": username, "password": PASSWORD}, REMOTE_ADDR="10.9.8.7"
            )
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 302 or "_auth_user_id" not in client.session:
                raise BenchFailed(f"{username} was not logged in ({response.status_code})")
            if n:  # the first warms the templates and the connection
                timings.append(elapsed)
    return timings


def median_p95(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def upgraded_at_login() -> bool:
    """A password stored with PBKDF2 is stored again with Argon2id when its owner logs in."""
    with override_settings(PASSWORD_HASHERS=BEFORE):
        user = _user("bench-login-upgrade")
    with override_settings(PASSWORD_HASHERS=PRODUCTION):
        Client().post(
            "/login/",
            {"username": "bench-login-upgrade", "password": PASSWORD},
            REMOTE_ADDR="10.9.8.6",
        )
    user = get_user_model().objects.get(pk=user.pk)
    return bool(user.password.startswith("argon2$argon2id$"))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--smoke", action="store_true", help=f"a tiny size for CI: {SMOKE}")
    args = parser.parse_args()
    if args.smoke:
        vars(args).update(SMOKE)
    if args.logins < MIN_BASELINE_RUNS:
        parser.error(f"--logins must be at least {MIN_BASELINE_RUNS}: the baseline's runs")
    bench = Bench("login", smoke=args.smoke)
    argon = measure(PRODUCTION, "bench-login-argon2id", args.logins)
    pbkdf2 = measure(BEFORE, "bench-login-pbkdf2", args.logins)
    if not upgraded_at_login():
        raise BenchFailed("a PBKDF2 password was not stored again with Argon2id at its login")
    (median, p95), (base_median, base_p95) = median_p95(argon), median_p95(pbkdf2)
    ratio = bench.ratio(median, block_medians(pbkdf2))
    print(f"\n{args.logins} logins each\n")
    print(f"{'passwords stored with':<36}{'median ms':>10}{'p95 ms':>10}")
    print(f"{'Argon2id (production)':<36}{median:>10.1f}{p95:>10.1f}")
    print(f"{'baseline: PBKDF2, Django default':<36}{base_median:>10.1f}{base_p95:>10.1f}")
    print(f"Argon2id / PBKDF2: {ratio} (baseline's spread {ratio.spread_pct:.1f} %)")
    if not args.smoke and p95 > TARGET_MS:
        print(f"warning: a login's p95 is over {TARGET_MS} ms")
    bench.line(
        logins=args.logins,
        median_ms=f"{median:.1f}",
        p95_ms=f"{p95:.1f}",
        baseline_pbkdf2_median_ms=f"{base_median:.1f}",
        baseline_pbkdf2_p95_ms=f"{base_p95:.1f}",
        **ratio.figures(),
        target_ms=TARGET_MS,
    )
    bench.finish()


if __name__ == "__main__":
    main()

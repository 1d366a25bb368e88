"""Production settings refuse development keys and malformed values at start-up."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from privacyops.devkeys import ensure_dev_env
from privacyops.environment import redis_url_of_test_worker

ROOT = Path(__file__).resolve().parent.parent


def run_django(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEYS",
            "BLIND_INDEX_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_overrides)
    env.pop("PYTEST_CURRENT_TEST", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "privacy.operator.example",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        # docker-compose.yml's TLS proxy, as web sees it.
        "TRUSTED_PROXIES": "172.28.53.10",
        # docker-compose.yml's file of the audit chain's daily heads.
        "AUDIT_HEAD_EXPORT": "file:///var/lib/privacyops/audit-heads/audit-heads.jsonl",
    }


def test_production_settings_refuse_development_keys() -> None:
    env = production_env()
    del env["FIELD_ENCRYPTION_KEYS"]
    env["FIELD_ENCRYPTION_KEYS"] = "dev-" + Fernet.generate_key().decode()
    result = run_django(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "FIELD_ENCRYPTION_KEYS holds a development key" in result.stderr


def test_production_settings_refuse_the_generated_dev_secret_key() -> None:
    env = production_env()
    env["SECRET_KEY"] = "dev-" + secrets.token_urlsafe(50)
    result = run_django(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY holds a development key" in result.stderr


def test_a_malformed_value_stops_start_up_naming_the_variable() -> None:
    for name, value, message in [
        ("DEBUG", "perhaps", "DEBUG must be true or false"),
        ("FIELD_ENCRYPTION_KEYS", "not-a-key", "FIELD_ENCRYPTION_KEYS: key 1"),
        ("DATABASE_URL", "mysql-ish://nowhere", "DATABASE_URL"),
        ("REDIS_URL", "http://localhost", "REDIS_URL must start with redis://"),
        ("ERASURE_LEDGER_DIR", "var/ledger", "ERASURE_LEDGER_DIR must be an absolute path"),
        ("AUDIT_HEAD_EXPORT", "s3://heads/audit.jsonl", "AUDIT_HEAD_EXPORT must be a file://"),
        ("AUDIT_HEAD_EXPORT", "file://var/heads.jsonl", "AUDIT_HEAD_EXPORT must be a file://"),
    ]:
        env = production_env()
        env[name] = value
        result = run_django(env, "check")
        assert result.returncode != 0, name
        assert "ImproperlyConfigured" in result.stderr, name
        assert message in result.stderr, (name, result.stderr[-500:])


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run_django(production_env(), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_each_test_worker_clears_a_redis_database_of_its_own() -> None:
    """The suite empties the cache before every test; under pytest-xdist two workers on one
    Redis database would empty each other's cache mid-test."""
    url = "redis://:secret@cache.internal:6380/0"
    assert redis_url_of_test_worker(url, "") == url
    assert redis_url_of_test_worker(url, "gw0") == "redis://:secret@cache.internal:6380/1"
    assert redis_url_of_test_worker("redis://127.0.0.1:6379", "gw1") == "redis://127.0.0.1:6379/2"
    with pytest.raises(ImproperlyConfigured, match="at most 15 workers"):
        redis_url_of_test_worker(url, "gw15")
    with pytest.raises(ImproperlyConfigured, match="PYTEST_XDIST_WORKER"):
        redis_url_of_test_worker(url, "worker-a")


def test_debug_is_on_only_where_the_generated_env_turns_it_on(tmp_path: Path) -> None:
    """The settings default to DEBUG off; the development `.env` turns it on, and one written
    before that default changed gets the line once. A `.env` with keys of its own (no `dev-`
    value) is someone's configuration and is left as it is."""
    fresh = tmp_path / "fresh.env"
    ensure_dev_env(fresh)
    written = dict(
        line.split("=", 1) for line in fresh.read_text().splitlines() if line[:1].isalpha()
    )
    assert written["DEBUG"] == "true"
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"):
        assert written[name].startswith("dev-")

    older = tmp_path / "older.env"
    older.write_text("SECRET_KEY=dev-abc\nBLIND_INDEX_KEY=dev-def\n")
    ensure_dev_env(older)
    ensure_dev_env(older)
    assert older.read_text() == "SECRET_KEY=dev-abc\nBLIND_INDEX_KEY=dev-def\nDEBUG=true\n"

    chosen = tmp_path / "chosen.env"
    for text in ("SECRET_KEY=dev-abc\nDEBUG=false\n", "SECRET_KEY=production-value\n"):
        chosen.write_text(text)
        ensure_dev_env(chosen)
        assert chosen.read_text() == text

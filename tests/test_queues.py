"""Every Celery task has a queue and time limits in one table (`privacyops.queues`); the Redis
broker never hands out a running task's message again, because its visibility timeout is
derived from the longest hard limit; and the workers of production and of a laptop consume
every queue."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery import Celery

from privacyops import queues
from tests.test_settings import production_env, run_django

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def app() -> Celery:
    from privacyops.celery import app

    app.loader.import_default_modules()  # the tasks modules of every app
    return app


def project_tasks(app: Celery) -> dict[str, Any]:
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


def test_every_task_has_a_queue_and_time_limits_in_the_one_table(app: Celery) -> None:
    tasks = project_tasks(app)
    assert len(tasks) > 10  # the registry was read, not found empty
    assert set(tasks) - set(queues.JOBS) == set(), "a task without a queue"
    assert set(queues.JOBS) - set(tasks) == set(), "the table names a task that does not exist"
    for name, job in queues.JOBS.items():
        assert job.queue in queues.QUEUES, name
        assert 0 < job.soft_time_limit < job.time_limit, name


def test_each_task_runs_on_its_queue_with_the_tables_limits(app: Celery) -> None:
    for name, task in project_tasks(app).items():
        job = queues.JOBS[name]
        route = app.amqp.router.route({}, name, (), {})
        assert route["queue"].name == job.queue, name
        assert (task.soft_time_limit, task.time_limit) == (job.soft_time_limit, job.time_limit)


def test_each_workload_has_a_queue_of_its_own(app: Celery) -> None:
    """A long job never waits behind another workload's, nor holds one up."""
    queue_of = {name: job.queue for name, job in queues.JOBS.items()}
    assert queue_of["retention.tasks.nightly_purge"] == queues.PURGE
    assert queue_of["subject_requests.tasks.build_answer_task"] == queues.REPORTS
    assert queue_of["subject_requests.tasks.carry_out_platform_task"] == queues.PLATFORM
    assert queue_of["consent.tasks.apply_import_task"] == queues.IMPORTS
    assert queue_of["consent.tasks.send_information_notices"] == queues.NOTICES
    # What a person or a system waits for shares its queue with nothing that runs long.
    waited_for = [job for job in queues.JOBS.values() if job.queue == queues.DELIVERIES]
    assert waited_for and max(job.time_limit for job in waited_for) <= 90


def test_the_broker_never_hands_out_a_running_tasks_message_again() -> None:
    from subject_requests.services.systems import retry_delay

    longest = max(job.time_limit for job in queues.JOBS.values())
    assert longest == queues.JOBS["retention.tasks.nightly_purge"].time_limit == 4 * 3600 + 300
    assert longest < queues.VISIBILITY_TIMEOUT
    # A retry waits out its countdown unacknowledged too.
    assert retry_delay(10**6) < queues.VISIBILITY_TIMEOUT


def test_production_gives_the_redis_broker_that_visibility_timeout() -> None:
    env = production_env() | {"REDIS_URL": "redis://redis:6379/0"}
    script = (
        "from privacyops.celery import app; "
        "print(app.conf.broker_transport_options['visibility_timeout'])"
    )
    result = run_django(env, "shell", "-v0", "-c", script)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) == queues.VISIBILITY_TIMEOUT


def _consumed(command: str) -> set[str]:
    words = shlex.split(command)
    assert words[words.index("-A") + 1 :][:2] == ["privacyops", "worker"], command
    found = [w.split("=", 1)[1] for w in words if w.startswith("--queues=")]
    assert len(found) == 1, command
    return set(found[0].split(","))


def test_production_runs_one_worker_per_queue() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = {
        name: _consumed(service["command"])
        for name, service in services.items()
        if " worker " in f" {service.get('command') or ''} "
    }
    assert all(len(consumed) == 1 for consumed in workers.values()), workers
    consumed = [queue for each in workers.values() for queue in each]
    assert sorted(consumed) == sorted(queues.QUEUES)


def test_the_development_worker_consumes_every_queue() -> None:
    lines = (ROOT / "Procfile").read_text().splitlines()
    workers = [line.split(":", 1)[1] for line in lines if line.startswith("worker:")]
    assert len(workers) == 1
    assert _consumed(workers[0]) == set(queues.QUEUES)

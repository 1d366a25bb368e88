"""A long job runs once however often its message is delivered, and a DPO is not stranded by a
killed worker: an answer document or an erasure in a system's database whose worker stopped
beating (`core.heartbeat`) shows "the worker stopped" with a button that takes it over, two
minutes after its last sign of life, not when the broker hands its message out again."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from core import heartbeat
from core.heartbeat import STALE_AFTER
from core.models import AuditEvent
from processing.models import System
from subject_requests import services
from subject_requests import tasks as request_tasks
from subject_requests.choices import AnswerStatus, Operation, TaskStatus
from subject_requests.models import Answer, SystemTask
from subject_requests.services import answers, systems, task_claims
from subject_requests.services.systems import Delivery
from tests import factories as f
from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script
from tests.test_answers import verified_request
from tests.test_platform_requests import kadri
from tests.test_system_tasks import erase, request_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
JUST_ALIVE = STALE_AFTER  # the last beat exactly two minutes ago: not yet stale
STOPPED = STALE_AFTER + dt.timedelta(seconds=1)


class Killed(BaseException):
    """SIGKILL as the build sees it: nothing after it runs, no failure is recorded."""


def killed_build(answer: Answer, progress: answers.Progress) -> answers.Built:
    progress(5, "Reading the records")
    raise Killed


def queued_answer(dpo: Any, capture: Any) -> Answer:
    request = verified_request(dpo)
    with capture(execute=False):  # the message sits in the broker
        return services.request_answer(request=request, actor=dpo)


def stalled_answer(dpo: Any, capture: Any, monkeypatch: pytest.MonkeyPatch) -> Answer:
    """Claimed by a worker that was killed at 5 %: the answer's row as SIGKILL leaves it."""
    answer = queued_answer(dpo, capture)
    with monkeypatch.context() as patched:
        patched.setattr(answers, "build", killed_build)
        with pytest.raises(Killed):
            services.run_answer_build(answer_id=answer.pk)
    answer.refresh_from_db()
    assert (answer.status, answer.progress, answer.attempts) == (AnswerStatus.BUILDING, 5, 1)
    return answer


def page(client: Any, answer: Answer) -> str:
    return str(client.get(f"/requests/{answer.request_id}/").content.decode())


def take_over_url(answer: Answer) -> str:
    return f"/requests/{answer.request_id}/answers/{answer.pk}/take-over/"


# --- the heartbeat -----------------------------------------------------------------------------


def test_a_worker_is_taken_for_stopped_after_two_minutes_without_a_beat() -> None:
    assert dt.timedelta(minutes=2) == STALE_AFTER
    assert heartbeat.BEAT_EVERY * 4 < STALE_AFTER  # a few missed beats are not a death
    now = timezone.now()
    assert not heartbeat.is_stale(now - STALE_AFTER, now=now)
    assert heartbeat.is_stale(now - STOPPED, now=now) and heartbeat.is_stale(None, now=now)


def test_the_heartbeat_beats_while_the_job_runs_and_stops_with_it(monkeypatch: Any) -> None:
    monkeypatch.setattr(heartbeat, "BEAT_EVERY", dt.timedelta(milliseconds=10))
    beats: list[int] = []

    def beat() -> bool:
        beats.append(1)
        return True

    with heartbeat.beating(beat):
        time.sleep(0.2)
    ended = len(beats)
    time.sleep(0.1)
    assert ended >= 3 and len(beats) == ended
    # A beat that finds the claim taken over stops the thread.
    lost: list[int] = []

    def taken_over() -> bool:
        lost.append(1)
        return False

    with heartbeat.beating(taken_over):
        time.sleep(0.2)
    assert lost == [1]


# --- the answer documents ---------------------------------------------------------------------


def test_a_second_delivery_of_a_build_while_it_runs_does_nothing(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    answer = queued_answer(dpo, django_capture_on_commit_callbacks)
    real_build = answers.build
    builds: list[int] = []
    second_worker: list[bool] = []

    def build_while_redelivered(answer: Answer, progress: answers.Progress) -> answers.Built:
        builds.append(answer.pk)
        # The broker hands the same message to a second worker while the first one builds.
        second_worker.append(services.run_answer_build(answer_id=answer.pk))
        return real_build(answer, progress)

    monkeypatch.setattr(answers, "build", build_while_redelivered)
    assert services.run_answer_build(answer_id=answer.pk) is True
    assert builds == [answer.pk] and second_worker == [False]
    assert AuditEvent.objects.filter(action="request.answer_built").count() == 1
    assert Answer.objects.get(pk=answer.pk).attempts == 1


def test_a_killed_build_offers_the_dpo_to_take_it_over_two_minutes_after_its_last_beat(
    seeded: None,
    dpo: Any,
    client_for: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    answer = stalled_answer(dpo, django_capture_on_commit_callbacks, monkeypatch)
    client = client_for(dpo)
    progress_url = f"/requests/{answer.request_id}/answers/{answer.pk}/progress/"

    clock.shift(JUST_ALIVE)
    shown = page(client, answer)
    assert "5% · Reading the records" in shown
    assert 'data-testid="take-over-answer"' not in shown and "the worker stopped" not in shown
    assert client.get(progress_url).json()["stalled"] is False

    clock.shift(STOPPED - JUST_ALIVE)
    shown = page(client, answer)
    assert 'data-testid="take-over-answer"' in shown and "the worker stopped" in shown
    assert client.get(progress_url).json()["stalled"] is True  # the polling page reloads

    with django_capture_on_commit_callbacks(execute=True):
        client.post(take_over_url(answer), {"understood": "yes"})
    answer.refresh_from_db()
    assert answer.status == AnswerStatus.READY and answer.attempts == 2
    event = AuditEvent.objects.get(action="request.answer_taken_over")
    assert event.actor == dpo and event.details["answer"] == answer.pk
    assert 'data-testid="review-answer"' in page(client, answer)


def test_a_build_whose_worker_beats_shows_its_progress_and_cannot_be_taken_over(
    seeded: None,
    dpo: Any,
    client_for: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    answer = queued_answer(dpo, django_capture_on_commit_callbacks)
    client = client_for(dpo)
    real_build = answers.build
    seen: list[str] = []

    def long_and_alive(answer: Answer, progress: answers.Progress) -> answers.Built:
        clock.shift(dt.timedelta(minutes=10))  # long past two minutes since the claim…
        progress(40, "Laying out the pages")  # …but it beats
        clock.shift(JUST_ALIVE)
        seen.append(page(client, answer))
        with pytest.raises(services.RequestError, match="Its worker is building it"):
            services.take_over_answer(answer=answer, actor=dpo)
        return real_build(answer, progress)

    monkeypatch.setattr(answers, "build", long_and_alive)
    assert services.run_answer_build(answer_id=answer.pk) is True
    assert "40% · Laying out the pages" in seen[0]
    assert 'data-testid="take-over-answer"' not in seen[0]
    assert not AuditEvent.objects.filter(action="request.answer_taken_over").exists()


def test_a_second_take_over_of_the_same_build_is_refused(
    seeded: None,
    dpo: Any,
    client_for: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    answer = stalled_answer(dpo, django_capture_on_commit_callbacks, monkeypatch)
    clock.shift(STOPPED)
    client = client_for(dpo)
    # Two tabs showed the button; both are pressed before a worker picks the build up.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(take_over_url(answer), {"understood": "yes"}, follow=True)
        second = client.post(take_over_url(answer), {"understood": "yes"}, follow=True)
    assert "Taken over: it is being built again." in first.content.decode()
    assert "It is waiting for a worker: taken over already" in second.content.decode()
    assert len(queued) == 1
    assert AuditEvent.objects.filter(action="request.answer_taken_over").count() == 1
    assert Answer.objects.get(pk=answer.pk).status == AnswerStatus.QUEUED


def test_taking_over_needs_the_confirmation(
    seeded: None,
    dpo: Any,
    client_for: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    answer = stalled_answer(dpo, django_capture_on_commit_callbacks, monkeypatch)
    clock.shift(STOPPED)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client_for(dpo).post(take_over_url(answer), follow=True)
    assert "Confirm that its worker stopped" in response.content.decode()
    assert queued == [] and Answer.objects.get(pk=answer.pk).status == AnswerStatus.BUILDING


class StillBuilding(BaseException):
    """Hands control back from the build of the worker that took over, which goes on."""


def test_a_worker_whose_build_was_taken_over_writes_nothing_when_it_wakes(
    seeded: None,
    dpo: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    answer = queued_answer(dpo, django_capture_on_commit_callbacks)
    calls: list[int] = []

    def paused_then_wakes(answer: Answer, progress: answers.Progress) -> answers.Built:
        calls.append(answer.pk)
        if len(calls) > 1:  # the worker that took over has claimed it and builds
            raise StillBuilding
        clock.shift(STOPPED)  # the process was paused (no beats) long enough to look dead
        with django_capture_on_commit_callbacks(execute=False):
            services.take_over_answer(answer=answer, actor=dpo)
        with pytest.raises(StillBuilding):
            services.run_answer_build(answer_id=answer.pk)
        progress(90, "Still here")  # the paused worker wakes up and goes on
        return b"from the paused worker", "application/pdf", "stale.pdf", 1

    monkeypatch.setattr(answers, "build", paused_then_wakes)
    assert services.run_answer_build(answer_id=answer.pk) is False
    answer.refresh_from_db()
    assert (answer.status, answer.attempts, answer.progress) == (AnswerStatus.BUILDING, 2, 1)
    assert answer.content is None and len(calls) == 2
    assert not AuditEvent.objects.filter(action="request.answer_built").exists()


# --- an erasure in a system's database --------------------------------------------------------


@pytest.fixture
def platform(platform_url: str, tmp_path: Path, staff: Any, seeded: None) -> System:
    """A system the portal reaches by SQL (`tests.platform_db`), the only one active."""
    System.objects.update(active=False)
    run_script(platform_url, ROWS)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(MANIFEST + ATTACHMENTS)
    system = f.SystemFactory.create(
        name="Platform under test",
        owner=staff,
        categories=["identification", "contact", "communication"],
        subject_kinds=["client", "prospect"],
    )
    call_command(
        "connect_database", str(system.pk), "--url", platform_url, "--manifest", str(manifest)
    )
    return system


def platform_erasure(platform: System, dpo: Any) -> SystemTask:
    """Confirmed, its message in the broker (the deliveries run below)."""
    request = request_for(kadri(), dpo, "erasure")
    erase(request, dpo, lambda execute: contextlib.nullcontext())
    return SystemTask.objects.get(system=platform, operation=Operation.ERASE)


def test_a_platform_erasure_goes_to_the_platform_queue(
    platform: System, dpo: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    queued: dict[str, list[int]] = {"platform": [], "deliveries": []}
    monkeypatch.setattr(request_tasks.carry_out_platform_task, "delay", queued["platform"].append)
    monkeypatch.setattr(request_tasks.deliver_system_task, "delay", queued["deliveries"].append)
    request = request_for(kadri(), dpo, "erasure")
    erase(request, dpo, django_capture_on_commit_callbacks)
    task = SystemTask.objects.get(system=platform, operation=Operation.ERASE)
    assert queued == {"platform": [task.pk], "deliveries": []}


def test_a_second_delivery_of_an_erasure_while_it_runs_does_nothing(
    platform: System, dpo: Any, monkeypatch: Any
) -> None:
    task = platform_erasure(platform, dpo)
    real_deliver = systems.deliver
    runs: list[int] = []
    second_worker: list[Delivery] = []

    def deliver_while_redelivered(*, task_id: int, now: dt.datetime) -> Delivery:
        runs.append(task_id)
        second_worker.append(task_claims.deliver_claimed(task_id=task_id))
        return real_deliver(task_id=task_id, now=now)

    monkeypatch.setattr(task_claims, "deliver", deliver_while_redelivered)
    assert task_claims.deliver_claimed(task_id=task.pk).status == TaskStatus.DONE
    assert runs == [task.pk] and second_worker == [Delivery(status=TaskStatus.OPEN)]
    task.refresh_from_db()
    assert (task.claimed_by, task.heartbeat_at, task.attempts) == ("", None, 1)
    assert AuditEvent.objects.filter(action="request.system_task_carried_out").count() == 1


def test_a_killed_platform_erasure_is_offered_to_the_dpo_and_carried_out_once_taken_over(
    platform: System,
    dpo: Any,
    client_for: Any,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    task = platform_erasure(platform, dpo)
    # A worker claims it and is killed: the claim stays, its heartbeat stops.
    assert task_claims.claim_task(task.pk, now=timezone.now()) is not None
    client = client_for(dpo)
    url = f"/requests/tasks/{task.pk}/take-over/"

    clock.shift(JUST_ALIVE)
    shown = client.get(f"/requests/{task.request_id}/").content.decode()
    assert "being carried out" in shown and 'data-testid="take-over-task"' not in shown
    # Meanwhile a second delivery of its message finds the claim alive and does nothing.
    assert task_claims.deliver_claimed(task_id=task.pk).status == TaskStatus.OPEN
    assert SystemTask.objects.get(pk=task.pk).attempts == 0

    clock.shift(STOPPED - JUST_ALIVE)
    shown = client.get(f"/requests/{task.request_id}/").content.decode()
    assert 'data-testid="take-over-task"' in shown and "the worker stopped" in shown
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"understood": "yes"})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_via == "database"
    assert "nothing identifying found" in (task.evidence or "")
    event = AuditEvent.objects.get(action="request.system_task_taken_over")
    assert event.actor == dpo and event.details["task"] == task.pk
    refused = client.post(url, {"understood": "yes"}, follow=True).content.decode()
    assert "Only a task whose worker stopped can be taken over." in refused
    assert AuditEvent.objects.filter(action="request.system_task_taken_over").count() == 1


def test_a_second_take_over_of_the_same_erasure_is_refused(
    platform: System, dpo: Any, clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    task = platform_erasure(platform, dpo)
    assert task_claims.claim_task(task.pk, now=timezone.now()) is not None
    clock.shift(STOPPED)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        task_claims.take_over_task(task=task, actor=dpo)
        with pytest.raises(services.RequestError, match="It is waiting for a worker"):
            task_claims.take_over_task(task=task, actor=dpo)
    assert len(queued) == 1
    assert AuditEvent.objects.filter(action="request.system_task_taken_over").count() == 1


# --- on PostgreSQL: two workers at once, the heartbeat's thread, a real SIGKILL -----------------


def _run_together(target: Callable[[], object]) -> list[object]:
    """`target` in two threads (two workers) started at the same instant."""
    barrier = threading.Barrier(2)
    results: list[object] = []

    def worker() -> None:
        try:
            barrier.wait(10)
            results.append(target())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, name=f"worker-{n}") for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_build_at_once_build_it_once(
    seeded: None, dpo: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(request_tasks.build_answer_task, "delay", lambda answer_id: None)
    answer = services.request_answer(request=verified_request(dpo), actor=dpo)
    real_build = answers.build
    builders: list[str] = []

    def slow_build(answer: Answer, progress: answers.Progress) -> answers.Built:
        builders.append(threading.current_thread().name)
        time.sleep(0.5)  # the other worker asks while this one builds
        return real_build(answer, progress)

    monkeypatch.setattr(answers, "build", slow_build)
    results = _run_together(lambda: services.run_answer_build(answer_id=answer.pk))
    assert sorted(results, key=str) == [False, True] and len(builders) == 1
    assert AuditEvent.objects.filter(action="request.answer_built").count() == 1
    assert Answer.objects.get(pk=answer.pk).attempts == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_erasure_at_once_carry_it_out_once(
    platform: System, dpo: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(request_tasks.carry_out_platform_task, "delay", lambda task_id: None)
    task = platform_erasure(platform, dpo)
    real_deliver = systems.deliver
    runs: list[str] = []

    def slow_deliver(*, task_id: int, now: dt.datetime) -> Delivery:
        runs.append(threading.current_thread().name)
        time.sleep(0.5)
        return real_deliver(task_id=task_id, now=now)

    monkeypatch.setattr(task_claims, "deliver", slow_deliver)
    results = _run_together(lambda: task_claims.deliver_claimed(task_id=task.pk).status)
    assert sorted(results, key=str) == [TaskStatus.DONE, TaskStatus.OPEN] and len(runs) == 1
    assert AuditEvent.objects.filter(action="request.system_task_carried_out").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_silent_build_stays_alive_by_its_heartbeat(
    seeded: None, dpo: Any, clock: Any, monkeypatch: Any
) -> None:
    """A step that reports no progress for long (one big page layout) is not taken for a dead
    worker: the build's own thread beats meanwhile."""
    monkeypatch.setattr(heartbeat, "BEAT_EVERY", dt.timedelta(milliseconds=20))
    monkeypatch.setattr(request_tasks.build_answer_task, "delay", lambda answer_id: None)
    answer = services.request_answer(request=verified_request(dpo), actor=dpo)
    real_build = answers.build
    beaten: list[dt.datetime | None] = []

    def silent_step(answer: Answer, progress: answers.Progress) -> answers.Built:
        clock.shift(dt.timedelta(minutes=10))
        time.sleep(0.3)  # a dozen beats of the thread, no progress call
        beaten.append(Answer.objects.get(pk=answer.pk).heartbeat_at)
        with pytest.raises(services.RequestError, match="Its worker is building it"):
            services.take_over_answer(answer=answer, actor=dpo)
        return real_build(answer, progress)

    monkeypatch.setattr(answers, "build", silent_step)
    assert services.run_answer_build(answer_id=answer.pk) is True
    assert beaten == [timezone.now()]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_build_whose_worker_process_is_sigkilled_is_taken_over(
    seeded: None, dpo: Any, client_for: Any, clock: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(request_tasks.build_answer_task, "delay", lambda answer_id: None)
    answer = services.request_answer(request=verified_request(dpo), actor=dpo)
    database = connection.settings_dict
    worker = textwrap.dedent(
        f"""
        import datetime, os, signal
        import django
        django.setup()
        from subject_requests.services import answers
        def build(answer, progress):
            os.kill(os.getpid(), signal.SIGKILL)
        answers.build = build
        answers.run_answer_build(
            answer_id={answer.pk}, now=datetime.datetime.fromisoformat("{timezone.now()}")
        )
        """
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyops.settings",
        "PRIVACYOPS_TESTING": "1",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
    }
    killed = subprocess.run(
        [sys.executable, "-c", worker], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    answer.refresh_from_db()
    assert answer.status == AnswerStatus.BUILDING and answer.heartbeat_at == timezone.now()

    client = client_for(dpo)
    clock.shift(JUST_ALIVE)
    assert 'data-testid="take-over-answer"' not in page(client, answer)
    clock.shift(STOPPED - JUST_ALIVE)
    assert 'data-testid="take-over-answer"' in page(client, answer)
    monkeypatch.undo()  # the take-over's build runs at its commit
    client.post(take_over_url(answer), {"understood": "yes"})
    answer.refresh_from_db()
    assert answer.status == AnswerStatus.READY and answer.attempts == 2

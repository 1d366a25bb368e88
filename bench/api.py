"""Benchmark of the API's bulk upsert and suppression check on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres po_api_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/po_api_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/api.py                 # 100 000 people in batches of 10 000
    .venv/bin/python bench/api.py --smoke         # tiny, seconds (CI runs it)

(a) N new prospects are POSTed to `/api/v1/subjects/bulk/` in batches, with an API key,
through Django's request handling in this process (JSON parsing, authentication, scopes,
throttling, `upsert_subjects` with its guards, encryption, blind indexes and name tokens,
the kind history, the audit event). After each API batch, a batch of N other people of the
same shape goes in by `DataSubject.objects.bulk_create` (encryption, blind index and name
tokens on too; no guard, no HTTP, no kind history): alternating keeps the load of a shared
machine and the table sizes the same for both. Prints people/s of both and the ratio of the
API's seconds per person to the median batch of `bulk_create`'s, refused when those batches
(at least three) spread over 20 % (`bench/_measure.py`); then (b) the API's people again
with a changed position: the update path.

(c) The suppression check: 1 000 addresses (half of them suppressed) POSTed to
`/api/v1/marketing/suppression-check/` against a list of 10 000 entries; median and p95 of
20 calls (no baseline: the machine's load only). Each part checks its result and prints one
line `BENCH api mode=… key=value …`.

The database's domain tables are TRUNCATEd: never point it at data you want to keep.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from typing import Any

import _setup  # noqa: F401  (first: the project root on sys.path, Django set up)
from _measure import MIN_BASELINE_RUNS, Bench
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from consent.models import Channel, SuppressionEntry
from core.api.models import ApiKey, IdempotentReply, Scope
from core.api.services import create_api_key
from core.crypto import blind_index
from subjects.models import DataSubject, KindChange

# Three batches: the baseline's three runs.
SMOKE = {"people": 1500, "batch": 500, "suppressed": 500, "checked": 100, "calls": 3}
TABLES = "subjects_datasubject, subjects_kindchange, subjects_nametoken, consent_suppressionentry"


class BenchFailed(Exception):
    pass


def reset() -> None:
    # The cascade reaches the consent ledger, whose trigger refuses TRUNCATE: the benchmark
    # database is a throwaway, so only this statement runs with triggers off.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    IdempotentReply.objects.all().delete()


def rows(n: int, *, position: str = "Buyer", tag: str = "api") -> list[dict[str, Any]]:
    return [
        {
            "external_id": f"{tag}-{i}",
            "kind": "prospect",
            "first_name": f"Mari{i % 997}",
            "last_name": f"Tamm-{i % 1009}",
            "work_email": f"{tag}{i}@company{i % 500}.example",
            "work_phone": f"+372 5{i:07d}",
            "position": position,
            "country": "EE",
            "source": "public_register",
        }
        for i in range(n)
    ]


def api_client() -> tuple[Client, dict[str, str]]:
    admin, _ = get_user_model().objects.get_or_create(username="bench-admin")
    ApiKey.objects.filter(name="bench").delete()
    _, secret = create_api_key(
        name="bench",
        scopes=Scope.values,
        expires_at=timezone.now() + dt.timedelta(days=1),
        actor=admin,
    )
    return Client(), {"Authorization": f"Bearer {secret}"}


def post(client: Client, headers: dict[str, str], path: str, body: Any) -> Any:
    response = client.post(path, json.dumps(body), content_type="application/json", headers=headers)
    if response.status_code != 200:
        raise BenchFailed(f"{path} answered {response.status_code}: {response.content[:500]!r}")
    return response.json()


def api_batch(client: Client, headers: dict[str, str], people: list[dict[str, Any]]) -> Any:
    return post(client, headers, "/api/v1/subjects/bulk/", {"people": people})


def bulk_create_batch(people: list[dict[str, Any]]) -> None:
    now = timezone.now()
    with transaction.atomic():
        DataSubject.objects.bulk_create(
            [DataSubject(**row, collected_at=now) for row in people], batch_size=1000
        )


def create_both(
    client: Client, headers: dict[str, str], n: int, batch: int
) -> tuple[float, float, list[float], int]:
    """Batch by batch, alternately: the API's people, then as many others by bulk_create.
    On a shared machine the load drifts; alternating gives both the same conditions and the
    same table sizes. Returns the seconds of each, the seconds per person of each baseline
    batch (its runs) and the people the API created."""
    api_people, other_people = rows(n), rows(n, tag="bc")
    api_s = baseline_s = 0.0
    baseline_runs = []
    created = 0
    for start in range(0, n, batch):
        started = time.perf_counter()
        created += api_batch(client, headers, api_people[start : start + batch])["created"]
        api_s += time.perf_counter() - started
        others = other_people[start : start + batch]
        started = time.perf_counter()
        bulk_create_batch(others)
        elapsed = time.perf_counter() - started
        baseline_s += elapsed
        baseline_runs.append(elapsed / len(others))
    return api_s, baseline_s, baseline_runs, created


def update_through_api(client: Client, headers: dict[str, str], n: int, batch: int) -> float:
    changed = rows(n, position="Head of buying")
    started = time.perf_counter()
    updated = 0
    for start in range(0, n, batch):
        updated += api_batch(client, headers, changed[start : start + batch])["updated"]
    if updated != n:
        raise BenchFailed(f"the API updated {updated}, expected {n}")
    return time.perf_counter() - started


def suppression(
    client: Client, headers: dict[str, str], *, suppressed: int, checked: int, calls: int
) -> tuple[float, float]:
    today = timezone.localdate()
    SuppressionEntry.objects.bulk_create(
        SuppressionEntry(
            email_index=blind_index(f"gone{i}@old.example") or "",
            suppressed_on=today,
            channel=Channel.API,
        )
        for i in range(suppressed)
    )
    # Every other address sent is suppressed; the answer must name exactly those.
    emails = [
        f"gone{i}@old.example" if i % 2 == 0 else f"fresh{i}@new.example" for i in range(checked)
    ]
    expected = [e for e in emails if e.startswith("gone")]
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        answer = post(client, headers, "/api/v1/marketing/suppression-check/", {"emails": emails})
        timings.append(time.perf_counter() - started)
        if answer["suppressed"] != expected:
            raise BenchFailed("the suppression check named other addresses than expected")
    timings.sort()
    return statistics.median(timings), timings[max(0, round(0.95 * len(timings)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--suppressed", type=int, default=10_000)
    parser.add_argument("--checked", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help=f"tiny, for CI: {SMOKE}")
    args = parser.parse_args()
    if args.smoke:
        vars(args).update(SMOKE)
    if -(-args.people // args.batch) < MIN_BASELINE_RUNS:
        parser.error(f"--people must fill {MIN_BASELINE_RUNS} batches: the baseline's runs")
    if connection.vendor != "postgresql":
        sys.exit("Run the benchmark on PostgreSQL: set DATABASE_URL.")
    bench = Bench("api", smoke=args.smoke)

    client, headers = api_client()
    # The first request imports the URLconf and every view: not part of the figure.
    client.get("/api/v1/register/purposes/", headers=headers)

    reset()
    api_s, baseline_s, baseline_runs, created = create_both(
        client, headers, args.people, args.batch
    )
    by_api = DataSubject.objects.filter(external_id__startswith="api-")
    if created != args.people or by_api.count() != args.people:
        raise BenchFailed(f"the API created {created}, expected {args.people}")
    if DataSubject.objects.count() != 2 * args.people:
        raise BenchFailed("bulk_create did not store exactly its rows")
    if KindChange.objects.count() != args.people:
        raise BenchFailed("the API did not record each new person's kind")
    update_s = update_through_api(client, headers, args.people, args.batch)
    if by_api.order_by("pk").values_list("position", flat=True).first() != "Head of buying":
        raise BenchFailed("the update did not reach the row")

    ratio = bench.ratio(api_s / args.people, baseline_runs)
    api_rate, update_rate, base_rate = (args.people / s for s in (api_s, update_s, baseline_s))
    print(f"API bulk upsert, {args.people} new people in batches of {args.batch}:")
    print(f"  through the API   {api_s:8.2f} s  {api_rate:8.0f} people/s")
    print(
        f"  bulk_create       {baseline_s:8.2f} s  {base_rate:8.0f} people/s  "
        f"({len(baseline_runs)} batches, spread {ratio.spread_pct:.1f} %)"
    )
    print(f"  ratio             {ratio!s:>8}     (goal: >= 3000/s, <= 2.5)")
    print(f"  update pass       {update_s:8.2f} s  {update_rate:8.0f} people/s")
    bench.line(
        mode="upsert",
        people=args.people,
        batch=args.batch,
        api_per_s=f"{api_rate:.0f}",
        bulk_create_per_s=f"{base_rate:.0f}",
        **ratio.figures(),
        update_per_s=f"{update_rate:.0f}",
    )

    reset()
    median_s, p95_s = suppression(
        client, headers, suppressed=args.suppressed, checked=args.checked, calls=args.calls
    )
    print(
        f"Suppression check of {args.checked} addresses against {args.suppressed} entries: "
        f"median {median_s * 1000:.1f} ms, p95 {p95_s * 1000:.1f} ms (goal: < 200 ms)"
    )
    bench.line(
        mode="suppression",
        addresses=args.checked,
        entries=args.suppressed,
        median_ms=f"{median_s * 1000:.1f}",
        p95_ms=f"{p95_s * 1000:.1f}",
    )
    bench.finish()


if __name__ == "__main__":
    main()

"""Issue 16 item 12: the daily pages cost a constant number of queries however much data
there is (the timings at a million requests are `bench/request_queue.py`'s)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CommunicationFactory, DataSubjectFactory, UsageRecordFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db


def test_explore(client_for: ClientFor, dpo: User) -> None:
    person = DataSubjectFactory.create()
    CommunicationFactory.create_batch(15, subject=person)
    UsageRecordFactory.create_batch(15, subject=person)
    client = client_for(dpo)
    client.get("/")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/subjects/{person.pk}/")
    assert response.status_code == 200
    for q in captured.captured_queries:
        print(q["sql"][:300])
    print(len(captured))

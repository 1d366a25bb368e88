"""Erasing many people from a platform database in one run (the people a retention rule
removed, a benchmark's thousands): a group of people per plan and transaction, the tables
reflected once (`reach.Reflected`), so a person costs their rows' share of the statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from processing.databases.erase import BATCH, Plan, PlanRefused, plan_erasure, refind
from processing.databases.manifest import Manifest
from processing.databases.reach import Reflected
from processing.databases.schema import LiveSchema
from processing.databases.statements import carry_out

# People per plan in `erase_many`: the statements are the same for 1 000 people as for one
# (an `IN (…)` of up to 900 keys each), and a group's keys stay a few MB.
GROUP = 1000


@dataclass
class Group:
    """One plan's worth of people erased by `erase_many`."""

    first: int  # the index, in `people`, of the group's first person
    people: int
    rows: dict[str, int] = field(default_factory=dict)  # table → rows deleted or changed
    left: dict[str, int] = field(default_factory=dict)  # the re-find's answer: empty, certified
    refused: dict[int, str] = field(default_factory=dict)  # index in `people` → why not


def erase_many(
    engine: sa.Engine,
    manifest: Manifest,
    live: LiveSchema,
    people: Iterable[Mapping[str, Sequence[str]]],
    *,
    hash_key: bytes,
    group: int = GROUP,
    batch_size: int = BATCH,
    on_plan: Callable[[Plan], None] | None = None,
) -> Iterator[Group]:
    """Erase many people in one run, `group` people at a time: found together, one plan, its
    statements in one transaction, then looked for again together — so a person costs their
    rows' share of the statements, not a reflection, a round of statements and a commit per
    table of their own. The tables are reflected once for the run; memory is one group's keys,
    whatever the number of people. A plan refused for the group is made again per person: the
    people it refuses are named (`Group.refused`) and left untouched, the others erased. A run
    killed half-way is finished by running it again for the same people: a group is erased
    whole or not at all, and the people already erased are no longer found. `on_plan` sees
    each plan before its first statement (to record it): if it raises, nothing of the group
    is done."""
    reflected = Reflected()
    first = 0
    for chunk in _groups(people, group):
        erased = Group(first=first, people=len(chunk))
        with engine.begin() as connection:
            try:
                plans = [
                    plan_erasure(connection, manifest, live, _merged(chunk), reflected=reflected)
                ]
            except PlanRefused:
                plans = []
                for index, person in enumerate(chunk):
                    try:
                        plans.append(
                            plan_erasure(connection, manifest, live, person, reflected=reflected)
                        )
                    except PlanRefused as refused:
                        erased.refused[first + index] = str(refused)
            for plan in plans:
                if on_plan is not None:
                    on_plan(plan)
                for batch in carry_out(
                    connection, plan, hash_key=hash_key, batch_size=batch_size, reflected=reflected
                ):
                    erased.rows[batch.table] = erased.rows.get(batch.table, 0) + batch.rows
        gone = [p for i, p in enumerate(chunk) if first + i not in erased.refused]
        if gone:
            with engine.connect() as connection:
                erased.left = refind(connection, manifest, _merged(gone), reflected=reflected)
        first += len(chunk)
        yield erased


def _groups(
    people: Iterable[Mapping[str, Sequence[str]]], size: int
) -> Iterator[list[Mapping[str, Sequence[str]]]]:
    chunk: list[Mapping[str, Sequence[str]]] = []
    for person in people:
        chunk.append(person)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _merged(people: Iterable[Mapping[str, Sequence[str]]]) -> dict[str, list[str]]:
    """The identities of several people as one: role → every value."""
    merged: dict[str, list[str]] = {}
    for person in people:
        for role, values in person.items():
            merged.setdefault(role, []).extend(values)
    return merged

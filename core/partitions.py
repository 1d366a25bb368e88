"""Monthly partitions of the two logs that grow for ever: the audit log and the consent ledger.

PostgreSQL only (declarative partitioning, `PARTITION BY RANGE`); on SQLite both stay plain
tables. Each table is cut by the moment its row was *written*, in UTC months:

- `core_auditevent` by `occurred_at`, which `core.audit` sets to the clock at the insert;
- `consent_consentevent` by `recorded_at`, not `occurred_at`: a person's act may be entered
  long after it happened (a letter, an import, a call noted later), so `occurred_at` would
  scatter new rows over old months, and into the DEFAULT partition before the first one;
  `recorded_at` puts each month's writes in that month's partition, made ahead, and a month
  that is over is never written again (it can be archived or frozen as it stands).

A row whose month has no partition (a clock set wrong, a write before the first month of a
converted table) lands in the DEFAULT partition: nothing is refused, nothing is lost.

What partitioning changes, and what it does not:
- PostgreSQL's unique indexes on a partitioned table must include the partition key, so a
  unique index on `(id, <key>)` stands for the primary key (Django still treats `id` as the
  primary key: ids come from one identity sequence and stay unique) and the audit log's
  `sequence` is unique with its `occurred_at`. A second row with a used number can
  therefore be stored, by whoever holds the application's credentials; the chain's walk
  reads `(sequence, id)` in order and stops at it (`core.chain.verify_chain`), as it stops
  at any other tampering. Unique *indexes*, not constraints: for a constraint, PostgreSQL
  15's `pg_dump` writes a DROP of each partition's copy, which the server refuses, so
  `pg_restore --clean` (a restore over the database) would stop there.
- A foreign key into a partitioned table must name such a unique key: consent evidence and
  objection reviews point at their event without a database constraint, and a trigger
  refuses an event id that does not exist (`link_without_constraint`). An event cannot go away
  after the check: the ledger refuses DELETE and TRUNCATE.
- The append-only triggers: the row trigger (UPDATE, DELETE) is declared on the parent and
  PostgreSQL puts it on every partition, present and future; a statement trigger is not
  inherited, so each partition gets its own TRUNCATE trigger when it is made.
- Grants: the application role is granted the parent only; reading and writing through the
  parent checks the parent's privileges alone, and the partitions grant it nothing
  (`core.dbroles`), so it can neither change nor empty a partition directly.

Who makes the partitions: `CREATE TABLE … PARTITION OF` needs the parent's owner, which the
application role is not (it must not be: an owner can lift the triggers). The owner installs
one function, `privacyops_make_partitions(first_month, months)`, `SECURITY DEFINER`: it
makes that many monthly partitions of both tables from the month given, with their TRUNCATE
trigger, and nothing else, so the beat job (`core.tasks.make_partitions_ahead`, daily) runs
it as the application role. The migration made them up to `MONTHS_AHEAD` months ahead
already, so a job that stopped has months before any row falls into the DEFAULT partition.
A month whose rows are already in the DEFAULT partition is not made (PostgreSQL would refuse
to leave rows there that a new partition covers); the job reports it and keeps them there.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import connection

logger = logging.getLogger(__name__)

# The tables and the column each is partitioned by (see the module's docstring for why).
PARTITIONED = {"core_auditevent": "occurred_at", "consent_consentevent": "recorded_at"}
# Months made ahead of the current one: a beat job that stopped is noticed long before then.
MONTHS_AHEAD = 3
# The most months one call makes: bounds what a caller of the function can ask for.
MAX_MONTHS = 36
# CREATE TABLE … PARTITION OF locks the parent for a moment; waiting longer behind a long
# query would hold every insert queued behind the lock. The job tries again the next day.
LOCK_TIMEOUT = "5s"


def default_partition(table: str) -> str:
    return f"{table}_default"


def month_partition(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def first_of_month(moment: dt.datetime | dt.date) -> dt.date:
    day = moment.astimezone(dt.UTC).date() if isinstance(moment, dt.datetime) else moment
    return day.replace(day=1)


def _bound(month: dt.date) -> str:
    return f"{month:%Y-%m-%d} 00:00:00+00"


_REFUSE_TRUNCATE = (
    "CREATE TRIGGER {trigger} BEFORE TRUNCATE ON {table} "
    "FOR EACH STATEMENT EXECUTE FUNCTION privacyops_refuse_change()"
)


def make_partitions_sql(schema: str) -> str:
    """The owner's function that makes monthly partitions (see the module's docstring)."""
    specs = ", ".join(f"('{table}', '{key}')" for table, key in PARTITIONED.items())
    truncate = _REFUSE_TRUNCATE.format(trigger="%I", table="%I")
    return f"""
CREATE OR REPLACE FUNCTION privacyops_make_partitions(first_month date, months integer)
RETURNS TABLE (parent text, partition text, outcome text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = {connection.ops.quote_name(schema)}, pg_temp
SET lock_timeout = '{LOCK_TIMEOUT}'
AS $$
DECLARE
    spec record;
    month_start date;
    crowded boolean;
BEGIN
    IF months IS NULL OR months < 0 OR months > {MAX_MONTHS} THEN
        RAISE EXCEPTION 'make 0 to {MAX_MONTHS} months of partitions, not %', months;
    END IF;
    FOR spec IN SELECT * FROM (VALUES {specs}) AS s (tablename, partkey) LOOP
        CONTINUE WHEN NOT EXISTS (
            SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(spec.tablename)
        );
        FOR step IN 0 .. months - 1 LOOP
            month_start := date_trunc('month', first_month) + make_interval(months => step);
            parent := spec.tablename;
            partition := spec.tablename || '_p' || to_char(month_start, 'YYYYMM');
            IF to_regclass(partition) IS NOT NULL THEN
                outcome := CASE WHEN EXISTS (
                    SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(partition)
                    AND inhparent = to_regclass(spec.tablename)
                ) THEN 'exists' ELSE 'name taken' END;
            ELSE
                EXECUTE format(
                    'SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= %L AND %I < %L)',
                    spec.tablename || '_default',
                    spec.partkey, to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00',
                    spec.partkey,
                    to_char(month_start + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00'
                ) INTO crowded;
                IF crowded THEN
                    outcome := 'rows in default';
                ELSE
                    EXECUTE format(
                        'CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                        partition, spec.tablename,
                        to_char(month_start, 'YYYY-MM-DD') || ' 00:00:00+00',
                        to_char(month_start + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00'
                    );
                    EXECUTE format('{truncate}', partition || '_no_truncate', partition);
                    outcome := 'made';
                END IF;
            END IF;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION privacyops_make_partitions(date, integer) FROM PUBLIC;
"""  # noqa: S608


@dataclass(frozen=True)
class MonthOutcome:
    parent: str
    partition: str
    # "made", "exists", "rows in default" or "name taken"
    outcome: str

    @property
    def missing(self) -> bool:
        return self.outcome not in {"made", "exists"}


def make_partitions(*, first_month: dt.date, months: int) -> list[MonthOutcome]:
    """Make the monthly partitions from `first_month` on; idempotent. Nothing on SQLite."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT parent, partition, outcome FROM privacyops_make_partitions(%s, %s)",
            [first_month, months],
        )
        return [MonthOutcome(*row) for row in cursor.fetchall()]


def is_partitioned(table: str, using: Any = connection) -> bool:
    with using.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))",
            [table],
        )
        return bool(cursor.fetchone()[0])


def partitions_of(table: str, using: Any = connection) -> list[str]:
    """The partitions of `table`, by name ([] if it is not partitioned)."""
    with using.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [table],
        )
        return [row[0] for row in cursor.fetchall()]


# --- converting a plain table (the migrations) -------------------------------------------


def _rows(schema_editor: Any, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def convert_to_partitions(schema_editor: Any, table: str, *, now: dt.datetime) -> None:
    """Replace the plain `table` by one partitioned by month, with its rows, indexes, checks,
    foreign keys and append-only triggers; its months from the oldest row's to `MONTHS_AHEAD`
    after `now`'s are made, and a DEFAULT partition. Run by the owner, in the migration's
    transaction: a failure leaves the plain table as it was."""
    key = PARTITIONED[table]
    quote = schema_editor.connection.ops.quote_name
    if is_partitioned(table, schema_editor.connection):
        return  # converted already (a migration run again after going back past it)
    (oldest,) = _rows(schema_editor, f"SELECT min({quote(key)}) FROM {quote(table)}", [])[0]  # noqa: S608
    # Every index; those of the primary key and the unique constraints must now include the
    # partition key. CHECKs come with LIKE, foreign keys are read to be declared again.
    indexes = _rows(
        schema_editor,
        "SELECT i.indexname, i.indexdef, c.contype, "
        "  (SELECT array_agg(a.attname ORDER BY k.ord) FROM unnest(c.conkey) "
        "   WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute a "
        "   ON a.attrelid = c.conrelid AND a.attnum = k.attnum) "
        "FROM pg_indexes i LEFT JOIN pg_constraint c ON c.conname = i.indexname "
        "AND c.conrelid = to_regclass(i.tablename) "
        "WHERE i.schemaname = current_schema() AND i.tablename = %s ORDER BY i.indexname",
        [table],
    )
    foreign_keys = _rows(
        schema_editor,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
        [table],
    )
    new = f"{table}_partitioned"

    def execute(sql: str) -> None:
        schema_editor.execute(sql, params=None)

    execute(
        f"CREATE TABLE {quote(new)} (LIKE {quote(table)} INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE) "
        f"PARTITION BY RANGE ({quote(key)})"
    )
    execute(f"CREATE TABLE {quote(default_partition(table))} PARTITION OF {quote(new)} DEFAULT")
    start = first_of_month(oldest or now)
    end = first_of_month(now) + relativedelta(months=MONTHS_AHEAD)
    month = start
    while month <= end:
        execute(
            f"CREATE TABLE {quote(month_partition(table, month))} PARTITION OF {quote(new)} "
            f"FOR VALUES FROM ('{_bound(month)}') TO ('{_bound(month + relativedelta(months=1))}')"
        )
        month += relativedelta(months=1)
    execute(f"INSERT INTO {quote(new)} SELECT * FROM {quote(table)}")  # noqa: S608
    execute(f"DROP TABLE {quote(table)}")
    execute(f"ALTER TABLE {quote(new)} RENAME TO {quote(table)}")
    (sequence,) = _rows(schema_editor, "SELECT pg_get_serial_sequence(%s, 'id')", [table])[0]
    execute(f"ALTER SEQUENCE {sequence} RENAME TO {quote(table + '_id_seq')}")
    execute(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
        f"(SELECT COALESCE(max(id), 0) + 1 FROM {quote(table)}), false)"
    )
    for name, definition, contype, columns in indexes:
        if contype in {"p", "u"}:
            # The primary key's name keeps its place; see the module's docstring.
            listed = ", ".join(quote(column) for column in [*columns, key])
            execute(f"CREATE UNIQUE INDEX {quote(name)} ON {quote(table)} ({listed})")
        else:
            execute(definition)
    for name, definition in foreign_keys:
        execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")
    execute(
        f"CREATE TRIGGER {quote(table + '_append_only')} BEFORE UPDATE OR DELETE ON "
        f"{quote(table)} FOR EACH ROW EXECUTE FUNCTION privacyops_refuse_change()"
    )
    for partition in [table, *partitions_of(table, schema_editor.connection)]:
        execute(
            _REFUSE_TRUNCATE.format(
                trigger=quote(partition + "_no_truncate"), table=quote(partition)
            )
        )
    execute(f"ANALYZE {quote(table)}")


# --- links into a partitioned table ------------------------------------------------------

_EVENT_EXISTS_FUNCTION = """
CREATE OR REPLACE FUNCTION privacyops_row_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target_id bigint := (to_jsonb(NEW) ->> TG_ARGV[0])::bigint;
    found boolean;
BEGIN
    IF target_id IS NULL THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', TG_ARGV[1])
        INTO found USING target_id;
    IF NOT found THEN
        RAISE EXCEPTION 'insert or update on table "%" violates its link to "%"',
            TG_TABLE_NAME, TG_ARGV[1]
            USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                TG_ARGV[0], target_id, TG_ARGV[1]);
    END IF;
    RETURN NEW;
END;
$$;
"""


def link_without_constraint(schema_editor: Any, table: str, column: str, target: str) -> None:
    """Replace the foreign key `table.column` → `target(id)` by a trigger that refuses a row
    naming no existing `target` row (PostgreSQL; see the module's docstring). The target
    must be append-only: the trigger checks the referring side only."""
    quote = schema_editor.connection.ops.quote_name
    for (name,) in _rows(
        schema_editor,
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(%s) "
        "AND confrelid = to_regclass(%s) AND contype = 'f'",
        [table, target],
    ):
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    schema_editor.execute(_EVENT_EXISTS_FUNCTION, params=None)
    schema_editor.execute(
        f"CREATE OR REPLACE TRIGGER {quote(f'{table}_{column}_exists')} "
        f"BEFORE INSERT OR UPDATE OF "
        f"{quote(column)} ON {quote(table)} FOR EACH ROW "
        f"EXECUTE FUNCTION privacyops_row_exists('{column}', '{target}')"
    )


def make_partitions_ahead(*, now: dt.datetime, months: int = MONTHS_AHEAD) -> list[MonthOutcome]:
    """The partitions of `now`'s month and the `months` after it; a month that could not be
    made is logged as an error (its rows go to the DEFAULT partition meanwhile)."""
    outcomes = make_partitions(first_month=first_of_month(now), months=months + 1)
    for month in outcomes:
        if month.missing:
            logger.error(
                "partition %s of %s not made (%s): its month's rows go to %s",
                month.partition,
                month.parent,
                month.outcome,
                default_partition(month.parent),
            )
        elif month.outcome == "made":
            logger.info("partition %s of %s made", month.partition, month.parent)
    return outcomes

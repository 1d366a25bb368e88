"""Whether a new manifest erases less than the one in force: each way a person would keep more
of their data after an erasure, or be found in fewer rows, in words a DPO can weigh.

A change with any such reason waits for a DPO, as a retention rule's change that purges more
does (`connect.connect_database`); one with none takes effect at once. Erasing more, or the
same differently — a hash or a fixed value in place of an emptied column — needs no one's
confirmation: the value is gone either way."""

from __future__ import annotations

from django.utils.translation import gettext as _

from processing.databases.manifest import Column, Manifest, Table

DELETE, UPDATE, KEEP = "delete", "update", "keep"


def erases_less(old: Manifest, new: Manifest) -> list[str]:
    """The reasons, table by table in name order; empty when `new` erases at least as much."""
    reasons: list[str] = []
    for name in sorted(old.tables):
        before, after = old.tables[name], new.tables.get(name)
        if not _holds_people(before):
            continue
        if after is None:
            reasons.append(
                _(
                    "The table “%(table)s” is no longer in the manifest: the person's rows there "
                    "are no longer found or erased."
                )
                % {"table": name}
            )
        elif not after.personal:
            reasons.append(
                _(
                    "The table “%(table)s” is now marked not personal: the person's rows there "
                    "are no longer found or erased."
                )
                % {"table": name}
            )
        else:
            reasons += _table_reasons(before, after)
    return reasons


def _holds_people(table: Table) -> bool:
    return table.personal and any(
        c.personal or c.identity or c.references for c in table.columns.values()
    )


def _action(table: Table) -> str:
    # As the erasure plan reads a table: a reason to keep wins over a delete.
    return KEEP if table.keep is not None else DELETE if table.delete_rows else UPDATE


def _table_reasons(before: Table, after: Table) -> list[str]:
    reasons = []
    was, now = _action(before), _action(after)
    words = {"table": before.name, "reason": after.keep.reason if after.keep else ""}
    if was == DELETE and now == KEEP:
        reasons.append(
            _("“%(table)s”: the person's rows were deleted; now they are kept (%(reason)s).")
            % words
        )
    elif was == UPDATE and now == KEEP and before.personal_columns:
        reasons.append(
            _(
                "“%(table)s”: the person's personal columns were erased; now the rows are kept "
                "as they are (%(reason)s)."
            )
            % words
        )
    elif was == DELETE and now == UPDATE:
        reasons.append(
            _(
                "“%(table)s”: the person's rows were deleted; now they stay and only their "
                "personal columns change."
            )
            % words
        )
    for name, column in before.columns.items():
        reasons += _column_reasons(before.name, column, after.columns.get(name))
    return reasons


def _column_reasons(table: str, before: Column, after: Column | None) -> list[str]:
    words = {
        "column": f"{table}.{before.name}",
        "category": before.category,
        "identity": before.identity.replace("_", " "),
        "target": ".".join(before.references or ()),
    }
    if after is None:
        if before.personal:
            return [
                _(
                    "“%(column)s” (%(category)s data) is no longer in the manifest: it is no "
                    "longer erased."
                )
                % words
            ]
        if before.references:
            return [
                _(
                    "“%(column)s” (a reference to %(target)s) is no longer in the manifest: the "
                    "rows it links to a person are no longer found through it."
                )
                % words
            ]
        return []
    reasons = []
    # An erasure cannot simply be dropped from a column whose rows stay: the manifest demands
    # one for every personal column there, so it goes only with rows now kept (named above).
    if before.personal and not after.personal:
        reasons.append(
            _("“%(column)s” held %(category)s data; it is now marked not personal.") % words
        )
    if before.identity and after.identity != before.identity:
        reasons.append(_("“%(column)s” no longer finds a person by %(identity)s.") % words)
    if before.references and after.references != before.references:
        reasons.append(
            _(
                "“%(column)s” no longer leads to %(target)s: the rows it links to a person are "
                "no longer found through it."
            )
            % words
        )
    return reasons

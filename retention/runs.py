"""A purge run's counts in words, for its page and for `manage.py purge`: each rule by its
name, each table by its records' name ("Demos", not `subjects.demo`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import ngettext

from core.words import records_name
from retention.models import PurgeRun, RetentionRule


@dataclass(frozen=True)
class RuleCount:
    code: str
    name: str
    records: int
    # (the records' name, rows changed), largest first.
    rows: list[tuple[str, int]]

    @property
    def rows_in_words(self) -> str:
        return ", ".join(f"{name}: {n}" for name, n in self.rows)


def run_counts_in_words(run: PurgeRun, rule_names: dict[str, str] | None = None) -> list[RuleCount]:
    names = (
        rule_names
        if rule_names is not None
        else dict(RetentionRule.objects.values_list("code", "name"))
    )
    counts = []
    for code, entry in (run.counts or {}).items():
        rows = sorted(
            ((records_name(label) or label, int(n)) for label, n in entry.get("rows", {}).items()),
            key=lambda pair: (-pair[1], pair[0]),
        )
        counts.append(RuleCount(code, names.get(code, code), int(entry.get("records", 0)), rows))
    return counts


def rule_line(count: RuleCount, *, dry_run: bool) -> str:
    """One rule's line in `manage.py purge`'s output."""
    if dry_run:
        text = ngettext(
            "%(rule)s: %(n)d record due", "%(rule)s: %(n)d records due", count.records
        ) % {"rule": count.name, "n": count.records}
    else:
        text = ngettext(
            "%(rule)s: %(n)d record purged", "%(rule)s: %(n)d records purged", count.records
        ) % {"rule": count.name, "n": count.records}
    if count.rows:
        text += f" ({count.rows_in_words})"
    return text

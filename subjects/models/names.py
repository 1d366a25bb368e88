"""Search by name without a name in clear: one row per word of a person's first or last name,
holding the word's blind index (`core.crypto.name_token_digests`: case and diacritics folded,
keyed under `BLIND_INDEX_KEY`).

Why a table of its own rather than a column of digests on the person: a search is then an
`EXISTS` probe of one B-tree index on (digest, subject) that PostgreSQL and SQLite both use
the same way; an array column would need PostgreSQL's GIN index and a different lookup on
SQLite (whose JSON `contains` Django does not offer), and a delimited text column could only be
searched with `LIKE '%…%'`, a scan of the whole table on both. The price is keeping the rows
in step, which `DataSubject.save` and `NameTokenWrites` (`update`, `bulk_create`,
`bulk_update`) do on every write path, as `pre_save` does for the e-mail index (`update`
refuses an SQL expression for a name, so `bulk_update` of a name is refused too, as it is for
the e-mail). Deleting a person deletes their tokens (CASCADE, also through `retention`'s
set-based delete).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import connections, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core.bulkupdate import update_from_values
from core.copyinsert import copy_insert, copy_rows, copy_supported
from core.crypto import name_token_digests
from core.fields import PersonalDataQuerySet
from retention.lookups import IdArray

if TYPE_CHECKING:
    from subjects.models.people import DataSubject

# The people (a type variable so the queryset of `DataSubject` keeps its model for the stubs).
_M = TypeVar("_M", bound="DataSubject")

# A search of more words than this matches on the first ones only: no name has more, and a
# pasted paragraph must not become a query of hundreds of EXISTS.
MAX_SEARCH_TOKENS = 8
# Token rows per INSERT: three parameters each, so 5 000 stay far below PostgreSQL's 65 535
# parameters and SQLite's 32 766 whatever the size of a bulk import.
INSERT_BATCH = 5000


class NamePart(models.IntegerChoices):
    FIRST = 1, _("first name")
    LAST = 2, _("last name")


# The fields whose words are indexed, and the part each is stored as.
NAME_PARTS: dict[str, NamePart] = {"first_name": NamePart.FIRST, "last_name": NamePart.LAST}


class NameToken(models.Model):
    subject = models.ForeignKey(
        "subjects.DataSubject", on_delete=models.CASCADE, related_name="name_tokens", db_index=False
    )
    part = models.PositiveSmallIntegerField(_("part of the name"), choices=NamePart.choices)
    digest = models.CharField(_("blind index of the word"), max_length=64)

    class Meta:
        verbose_name = _("name token")
        constraints = [
            # Also the index that replacing a person's tokens deletes by (subject first).
            models.UniqueConstraint(
                fields=["subject", "part", "digest"], name="subjects_nametoken_unique"
            )
        ]
        indexes = [models.Index(fields=["digest", "subject"], name="subjects_nametoken_search")]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.get_part_display()} {self.digest[:12]}…"


def name_search_condition(text: str) -> Q | None:
    """Every word of `text` is a word of the person's first or last name (exact, folded);
    None when `text` has no word at all."""
    digests = name_token_digests(text)[:MAX_SEARCH_TOKENS]
    if not digests:
        return None
    condition = Q()
    for digest in digests:
        condition &= Q(Exists(NameToken.objects.filter(subject=OuterRef("pk"), digest=digest)))
    return condition


# (subject id, part, digest): a token as the database holds it.
TokenRow = tuple[int, int, str]


def token_rows(subject_id: int, names: Mapping[str, str | None]) -> list[TokenRow]:
    return [
        (subject_id, int(NAME_PARTS[field]), digest)
        for field, value in names.items()
        for digest in name_token_digests(value)
    ]


def insert_tokens(rows: list[TokenRow], *, using: str) -> None:
    """New tokens: as rows by one `COPY` on PostgreSQL (a model instance per word cost more
    than its INSERT, bench/api.py), else `bulk_create` in batches."""
    if not rows:
        return
    if copy_supported(using):
        column = {f.name: f.column for f in NameToken._meta.concrete_fields}
        columns = [column["subject"], column["part"], column["digest"]]
        copy_rows(NameToken._meta.db_table, columns, rows, using=using)
        return
    NameToken.objects.using(using).bulk_create(
        [NameToken(subject_id=pk, part=part, digest=digest) for pk, part, digest in rows],
        batch_size=INSERT_BATCH,
    )


def replace_name_tokens(
    subjects: Iterable[DataSubject], fields: Iterable[str], *, using: str, adding: bool = False
) -> None:
    """Make the tokens of `fields` (of NAME_PARTS) those of each person's current value: one
    DELETE (none for new people), then the INSERT of the new words in batches."""
    fields = [name for name in fields if name in NAME_PARTS]
    people = list(subjects)
    if not fields or not people:
        return
    if not adding:
        NameToken.objects.using(using).filter(
            subject_id__any_of=IdArray(p.pk for p in people),
            part__in=[NAME_PARTS[f] for f in fields],
        )._raw_delete(using)
    insert_tokens(
        [
            row
            for person in people
            for row in token_rows(person.pk, {f: getattr(person, f) for f in fields})
        ],
        using=using,
    )


def set_name_tokens_of_set(people: Any, values: Mapping[str, Any], *, using: str) -> None:
    """Before `people.update(**values)`: the same tokens for every person of the queryset,
    set-based — one DELETE (on SQLite one per `INSERT_BATCH` people), and one INSERT only when
    a name is given (clearing a name, as anonymisation does, deletes only).

    Clearing on PostgreSQL, the DELETE names the people by their queryset, as an array the
    server builds once (`retention.lookups`): nothing is read back. Otherwise it names their
    ids and their range (one array on PostgreSQL), read first, since the INSERT needs them.
    By `IN (subquery)` PostgreSQL planned a hash join over the whole token table for every
    purge batch: 209 ms per batch of 5 000 at 200 000 people (EXPLAIN ANALYZE), against 65 ms
    by ids at that size and 44 ms at a million people."""
    fields = [name for name in values if name in NAME_PARTS]
    if not fields:
        return
    if any(not isinstance(values[f], str | None) for f in fields):
        raise TypeError("Names have a blind index: update them with a value.")
    names = {f: values[f] for f in fields}
    tokens = NameToken.objects.using(using).filter(part__in=[NAME_PARTS[f] for f in fields])
    adding = any(name_token_digests(value) for value in names.values())
    if not adding and connections[using].vendor == "postgresql":
        tokens.filter(subject_id__any_of=people.values("pk"))._raw_delete(using)
        return
    ids = sorted(people.values_list("pk", flat=True))
    if not ids:
        return
    # PostgreSQL takes the ids as one array parameter, however many; SQLite one each.
    size = len(ids) if connections[using].vendor == "postgresql" else INSERT_BATCH
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        tokens.filter(
            subject_id__gte=chunk[0], subject_id__lte=chunk[-1], subject_id__any_of=IdArray(chunk)
        )._raw_delete(using)
    if adding:
        insert_tokens([row for pk in ids for row in token_rows(pk, names)], using=using)


class NameTokenWrites(PersonalDataQuerySet[_M]):
    """The people's set-based writes, their name tokens following each, as the e-mail's
    blind index follows in `PersonalDataQuerySet` (the base of `DataSubjectQuerySet`)."""

    def update(self, **kwargs: Any) -> int:
        self._for_write = True  # as QuerySet.update: self.db is then the database written to
        with transaction.atomic(using=self.db, savepoint=False):
            set_name_tokens_of_set(self, kwargs, using=self.db)
            return super().update(**kwargs)

    def bulk_create(
        self,
        objs: Iterable[_M],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[_M]:
        if ignore_conflicts or update_conflicts:
            # Rows skipped or merged by the database come back without a known id.
            raise TypeError("DataSubject.bulk_create cannot keep name tokens with conflicts.")
        self._for_write = True
        people = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            if copy_supported(self.db) and all(p.pk is None for p in people):
                created = copy_insert(people, using=self.db)
            else:
                created = super().bulk_create(people, batch_size=batch_size)
            replace_name_tokens(created, NAME_PARTS, using=self.db, adding=True)
        return created

    def bulk_update(
        self, objs: Iterable[_M], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        """Each person's own values, set-based (`core.bulkupdate`): the e-mail's blind index
        and the names' tokens follow, as on every other write path."""
        people = list(objs)
        fields = list(dict.fromkeys(fields))
        if "work_email" in fields:
            fields.append("work_email_index")
        if "updated_at" not in fields:
            fields.append("updated_at")
        self._for_write = True
        with transaction.atomic(using=self.db, savepoint=False):
            written = update_from_values(self.model, people, fields, using=self.db)
            replace_name_tokens(people, fields, using=self.db)
        return written

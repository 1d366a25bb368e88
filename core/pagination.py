"""Pagination whose last page costs what its first does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.utils.functional import cached_property

# django-stubs makes Paginator generic; at run time it is not subscriptable.
if TYPE_CHECKING:
    _Paginator = Paginator[Any]
else:
    _Paginator = Paginator


class FromEitherEndPaginator(_Paginator):
    """A page in the second half of an ordered queryset is read from the far end: the
    reversed order, offset by the rows after it, then put back in order.

    `OFFSET n` reads and throws away n rows: at 50 000 open requests the queue's last page
    spent 115 ms skipping 49 950 index entries, its first 1 ms. From the far end the last page
    skips nothing, and no page skips more than half the rows. Page numbers, links and the
    count stay Django's; the order must be total (end it with the primary key), or the two
    directions could disagree on ties.
    """

    def page(self, number: Any) -> Page[Any]:
        number = self.validate_number(number)
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or not queryset.ordered:
            return super().page(number)
        count = self.count
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= count:
            top = count
        if bottom <= count // 2:
            return super().page(number)
        rows = list(queryset.reverse()[count - top : count - bottom])
        rows.reverse()
        return Page(rows, number, self)


class CountedPaginator(_Paginator):
    """A paginator told its count, for a page of several lists whose counts were read
    together (`core.expressions.RowCount`, one query) instead of one COUNT each."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


class CappedPaginator(_Paginator):
    """A paginator that counts at most `cap` rows: an exact count of a list that may hold
    millions (the audit log filtered by a common action: a million matches, 3.4 s to count at
    ten million events) costs a page more than its rows. Past the cap the pages stop at the
    cap and `capped` says there are more (`includes/pagination.html`: "Page 1 of more than
    200"); a narrower filter, or the export, reaches the rest."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.queryset = object_list
        self.cap = cap

    @cached_property
    def _rows_counted(self) -> int:
        # Any cap + 1 rows tell whether there are more: no order to keep while counting.
        return self.queryset.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._rows_counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._rows_counted > self.cap


# The attribute each row of a `page_with_count` page carries: how many rows there are in all.
ROWS_IN_ALL = "rows_in_all"


def _rows(queryset: QuerySet[Any], number: int, per_page: int) -> list[Any]:
    bottom = (number - 1) * per_page
    counted = queryset.annotate(**{ROWS_IN_ALL: Window(Count("pk"))})
    return list(counted[bottom : bottom + per_page])


def page_with_count(queryset: QuerySet[Any], number: Any, per_page: int) -> Page[Any]:
    """A page of a list of models and how many rows the list has, in one query:
    `COUNT(*) OVER ()` beside each row of the page, for a page showing several lists
    ("showing 10 of 2 000") at one query each. Only a number past the end (an old link)
    costs a COUNT more, to show the last page instead, as `Paginator.get_page` does."""
    try:
        wanted = max(1, int(number))
    except (TypeError, ValueError):
        wanted = 1
    rows = _rows(queryset, wanted, per_page)
    if rows:
        count = getattr(rows[0], ROWS_IN_ALL)
    elif wanted == 1:
        count = 0
    else:
        count = queryset.count()
        wanted = max(1, -(-count // per_page))
        rows = _rows(queryset, wanted, per_page)
    return Page(rows, wanted, CountedPaginator(queryset, per_page, count=count))

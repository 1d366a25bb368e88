"""Pagination whose last page costs what its first does."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class FromEitherEndPaginator(Paginator):
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
        return self._get_page(rows, number, self)

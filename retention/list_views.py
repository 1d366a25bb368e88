"""The full lists behind the counts: every record a rule would purge (the preview's "all N")
and every extra record a proposed change would purge, paginated and as CSV. A viewer without
`subjects.detail` (the Admin) sees each record's kind and id only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render

from core.display import staff_date
from core.exports import csv_response
from core.permissions import has_permission, requires
from retention.due_lists import chunked_rows, due_under_rule, extra_under_change, record_rows
from retention.forms import AsOfForm
from retention.models import RetentionRule, RuleChange
from retention.registry import RecordType, registry
from retention.selectors import tonights_as_of
from retention.services.rules import period_of

PAGE_SIZE = 50


def _as_of(request: HttpRequest) -> dt.date:
    form = AsOfForm(request.GET or None)
    if form.is_valid() and form.cleaned_data["as_of"]:
        day: dt.date = form.cleaned_data["as_of"]
        return day
    return tonights_as_of()


def _page(request: HttpRequest, template_context: dict[str, Any]) -> HttpResponse:
    record_type: RecordType = template_context["record_type"]
    records = template_context.pop("records")
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    template_context |= {
        "page": page,
        "rows": record_rows(record_type, template_context["period"], page.object_list),
        "can_open_people": has_permission(request.user, "subjects.detail"),
    }
    return render(request, "retention/due_list.html", template_context)


def _csv(
    request: HttpRequest, filename: str, record_type: RecordType, period: Any, records: Any
) -> StreamingHttpResponse:
    named = has_permission(request.user, "subjects.detail")
    header = ["record", "id", *(["description"] if named else []), "anchor", "kept through"]

    def lines() -> Any:
        for row in chunked_rows(record_type, period, records):
            record = row["record"]
            described = [str(record)] if named else []
            kind = str(record._meta.verbose_name)
            yield [
                kind,
                record.pk,
                *described,
                staff_date(row["anchor"]),
                staff_date(row["expires_on"]),
            ]

    return csv_response(filename, header, lines())


@requires("retention.preview")
def rule_due(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(RetentionRule, pk=pk, record_type__in=[rt.code for rt in registry])
    as_of = _as_of(request)
    context = {
        "rule": rule,
        "record_type": registry.get(rule.record_type),
        "period": rule.period,
        "as_of": as_of,
        "records": due_under_rule(rule, as_of=as_of),
        "change": None,
    }
    return _page(request, context)


@requires("retention.preview")
def rule_due_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    rule = get_object_or_404(RetentionRule, pk=pk, record_type__in=[rt.code for rt in registry])
    as_of = _as_of(request)
    return _csv(
        request,
        f"purge-{rule.code}-{as_of.isoformat()}.csv",
        registry.get(rule.record_type),
        rule.period,
        due_under_rule(rule, as_of=as_of),
    )


@requires("retention.preview")
def change_extra(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(RuleChange.objects.select_related("rule"), pk=pk)
    context = {
        "rule": change.rule,
        "record_type": registry.get(change.rule.record_type),
        "period": period_of(change.proposed),
        "as_of": change.purge_date,
        "records": extra_under_change(change),
        "change": change,
    }
    return _page(request, context)


@requires("retention.preview")
def change_extra_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    change = get_object_or_404(RuleChange.objects.select_related("rule"), pk=pk)
    return _csv(
        request,
        f"proposal-{change.rule.code}-{change.pk}-extra.csv",
        registry.get(change.rule.record_type),
        period_of(change.proposed),
        extra_under_change(change),
    )

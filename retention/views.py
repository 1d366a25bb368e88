from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.models import AuditEvent
from core.permissions import has_permission, requires
from retention.forms import AsOfForm, RetentionRuleForm, RunFilterForm
from retention.models import PurgeRun, RetentionRule, RuleChange
from retention.pause import purge_paused
from retention.periods import Period
from retention.preview import held_people, purge_preview, uncovered_groups
from retention.registry import RecordType, registry
from retention.runs import run_counts_in_words
from retention.selectors import (
    findings,
    last_successful_run,
    purge_is_late,
    tonights_as_of,
)
from retention.services import rules as rule_services


def ungoverned_record_types() -> list[RecordType]:
    """The kinds of record no active rule governs: the only ones a new rule can be for."""
    governed = set(RetentionRule.objects.active().values_list("record_type", flat=True))
    return [rt for rt in registry if rt.code not in governed]


@requires("retention.preview")
def preview(request: HttpRequest) -> HttpResponse:
    form = AsOfForm(request.GET or None)
    as_of = tonights_as_of()
    if form.is_valid() and form.cleaned_data["as_of"]:
        as_of = form.cleaned_data["as_of"]
    previews = purge_preview(as_of=as_of)
    return render(
        request,
        "retention/preview.html",
        {
            "form": form,
            "as_of": as_of,
            "is_tonight": as_of == tonights_as_of(),
            "previews": previews,
            "total": sum(p.count for p in previews),
            "held": held_people(as_of=as_of),
            "findings": findings(as_of=as_of),
            "can_open_people": has_permission(request.user, "subjects.detail"),
            "recent_runs": PurgeRun.objects.select_related("actor")[:5],
            "last_success": last_successful_run(),
            "late": purge_is_late(),
            "paused": purge_paused(),
            "can_pause": has_permission(request.user, "retention.purge.pause"),
        },
    )


@requires("retention.preview")
def uncovered(request: HttpRequest) -> HttpResponse:
    """Every record no rule in force governs, one group at a time, paginated."""
    groups = uncovered_groups(as_of=tonights_as_of())
    chosen = next((g for g in groups if g.key == request.GET.get("group")), None)
    if chosen is None and groups:
        chosen = groups[0]
    page = None
    if chosen is not None:
        page = Paginator(chosen.records.order_by("pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "retention/uncovered.html",
        {
            "groups": groups,
            "chosen": chosen,
            "page": page,
            "can_open_people": has_permission(request.user, "subjects.detail"),
        },
    )


@requires("retention.preview")
def history(request: HttpRequest) -> HttpResponse:
    runs = PurgeRun.objects.select_related("actor")
    form = RunFilterForm(request.GET or None)
    status, real = "", False
    if form.is_valid():
        status, real = form.cleaned_data["status"], form.cleaned_data["real"]
    if status:
        runs = runs.filter(status=status)
    if real:
        runs = runs.real()
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "real": real}
    return render(request, "retention/history.html", context)


@requires("retention.preview")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(PurgeRun.objects.select_related("actor"), pk=pk)
    batches = run.batches.order_by("id")
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    rule_names = dict(RetentionRule.objects.values_list("code", "name"))
    batch_rows = [
        {
            "batch": batch,
            "rule_name": rule_names.get(batch.rule_code, batch.rule_code),
            "people": [int(pk) for pk in batch.subject_ids.split(",") if pk],
        }
        for batch in page
    ]
    return render(
        request,
        "retention/run_detail.html",
        {
            "run": run,
            "per_rule": run_counts_in_words(run, rule_names),
            "page": page,
            "batch_rows": batch_rows,
            "rows": batches.aggregate(n=Sum("rows"))["n"] or 0,
        },
    )


@requires("retention.rules")
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = RetentionRule.objects.all()
    pending = {c.rule_id: c for c in RuleChange.objects.pending()}
    rows = [
        {
            "rule": rule,
            "record_type": registry.get(rule.record_type) if rule.record_type in registry else None,
            "pending": pending.get(rule.pk),
            "deactivation": rule.pk in pending and rule_services.is_deactivation(pending[rule.pk]),
        }
        for rule in rules
    ]
    return render(
        request,
        "retention/rule_list.html",
        {
            "rows": rows,
            "can_manage": has_permission(request.user, "retention.rules.manage"),
            "ungoverned": ungoverned_record_types(),
            "exemptions": sorted(registry.exemptions.items()),
        },
    )


@requires("retention.rules")
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(RetentionRule, pk=pk)
    record_type = registry.get(rule.record_type) if rule.record_type in registry else None
    change = RuleChange.objects.pending().filter(rule=rule).first()
    proposed_period = Period()
    if change is not None:
        proposed_period = rule_services.period_of(change.proposed)
    events = AuditEvent.objects.filter(
        target_type="retention.retentionrule", target_id=str(rule.pk)
    ).select_related("actor")
    page = Paginator(events, 20).get_page(request.GET.get("page"))
    as_of = tonights_as_of()
    due_if_confirmed = 0
    if not rule.confirmed and rule.active:
        values = rule_services.rule_values(rule)
        due_if_confirmed = rule_services.due_tonight(values, as_of=as_of)
    return render(
        request,
        "retention/rule_detail.html",
        {
            "rule": rule,
            "record_type": record_type,
            "change": change,
            "change_deactivates": change is not None and rule_services.is_deactivation(change),
            "proposed_period": proposed_period,
            "decided": RuleChange.objects.filter(rule=rule).exclude(status="pending")[:10],
            "page": page,
            "can_manage": has_permission(request.user, "retention.rules.manage"),
            "can_confirm": has_permission(request.user, "retention.rules.confirm"),
            "can_preview": has_permission(request.user, "retention.preview"),
            "as_of": as_of,
            "due_if_confirmed": due_if_confirmed,
        },
    )


@requires("retention.rules.manage")
def rule_create(request: HttpRequest) -> HttpResponse:
    if not ungoverned_record_types():
        messages.info(
            request,
            _(
                "Every kind of record has a rule in force, and one rule governs each kind: to "
                "keep a kind longer or shorter, replace its rule by changing it."
            ),
        )
        return redirect("retention:rule_list")
    return _rule_form(request, None)


@requires("retention.rules.manage")
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _rule_form(request, get_object_or_404(RetentionRule, pk=pk))


def _rule_form(request: HttpRequest, rule: RetentionRule | None) -> HttpResponse:
    initial = {"record_type": request.GET.get("record_type", "")} if rule is None else None
    data = request.POST if request.method == "POST" else None
    form = RetentionRuleForm(data, instance=rule, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = rule_services.save_rule(
                rule=rule,
                values=form.rule_values(),
                actor=request.user,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            if saved.change is not None and rule_services.is_deactivation(saved.change):
                messages.warning(
                    request,
                    ngettext(
                        "Saved as a proposal: deactivating a rule in force stops its purge "
                        "(%(before)d record is due tonight). It takes effect once a DPO "
                        "confirms it.",
                        "Saved as a proposal: deactivating a rule in force stops its purge "
                        "(%(before)d records are due tonight). It takes effect once a DPO "
                        "confirms it.",
                        saved.due_before,
                    )
                    % {"before": saved.due_before},
                )
            elif saved.change is not None:
                messages.warning(
                    request,
                    _(
                        "Saved as a proposal: tonight's purge would act on %(after)d records "
                        "instead of %(before)d (+%(more)d). It takes effect once a DPO confirms it."
                    )
                    % {
                        "after": saved.due_after,
                        "before": saved.due_before,
                        "more": saved.due_after - saved.due_before,
                    },
                )
            else:
                messages.success(request, _("The rule is saved."))
            return redirect(saved.rule)
    return render(request, "retention/rule_form.html", {"form": form, "rule": rule})


@requires("retention.rules.confirm")
@require_POST
def change_decide(request: HttpRequest, pk: int) -> HttpResponse:
    change = get_object_or_404(RuleChange, pk=pk)
    decision = request.POST.get("decision")
    try:
        if decision == "confirm":
            rule_services.confirm_change(change=change, actor=request.user)
            messages.success(request, _("Confirmed: the change is in force from now on."))
        elif decision == "reject":
            rule_services.reject_change(change=change, actor=request.user)
            messages.success(request, _("Rejected: the rule stays as it was."))
        else:
            messages.error(request, _("Choose to confirm or to reject the change."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("retention:rule_detail", pk=change.rule_id)


@requires("retention.rules.confirm")
@require_POST
def rule_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(RetentionRule, pk=pk)
    if request.POST.get("understood") != "yes":
        messages.error(request, _("Tick the box to confirm that you have checked the period."))
        return redirect(rule)
    try:
        rule_services.confirm_rule(rule=rule, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Confirmed: the rule runs from tonight's purge on."))
    return redirect(rule)

"""Every model with personal fields has a rule or a stated exemption (G)."""

from __future__ import annotations

import pytest
from django.db import models
from django.test.utils import isolate_apps

from core.fields import EncryptedTextField
from retention.registry import RecordType, registry
from retention.selectors import coverage_findings, personal_data_models

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("label", sorted(m._meta.label for m in personal_data_models()))
def test_every_model_with_personal_fields_has_an_active_rule_or_an_exemption(
    seeded: None, label: str
) -> None:
    # One test per model, so a failure names the app that must declare its record type
    # (`<app>/retention.py`) or its exemption.
    from django.apps import apps

    assert coverage_findings([apps.get_model(label)]) == []


@isolate_apps("retention")
def test_coverage_fails_for_a_new_model_that_declares_nothing(seeded: None) -> None:
    class Newsletter(models.Model):
        recipient_note = EncryptedTextField(null=True)

        class Meta:
            app_label = "retention"

        def __str__(self) -> str:
            return f"newsletter {self.pk}"

    declared = [m for m in personal_data_models() if m._meta.app_label == "subjects"]
    assert coverage_findings(declared) == []
    found = coverage_findings([*declared, Newsletter])
    assert [finding.kind for finding in found] == ["uncovered"]
    assert "retention.Newsletter" in found[0].text


@isolate_apps("retention")
def test_a_model_joins_by_declaring_a_record_type_or_an_exemption(seeded: None) -> None:
    class Newsletter(models.Model):
        recipient_note = EncryptedTextField(null=True)

        class Meta:
            app_label = "retention"

        def __str__(self) -> str:
            return f"newsletter {self.pk}"

    @registry.register
    class NewsletterData(RecordType):
        code = "tests.newsletter"
        model_label = "retention.Newsletter"
        anchors = {"sent": "sent"}

    try:
        # Declared, but no active rule yet: still a finding, of another kind.
        assert [f.kind for f in coverage_findings([Newsletter])] == ["no active rule"]
    finally:
        registry.unregister("tests.newsletter")
    registry.exempt("retention.Newsletter", "kept as proof")
    try:
        assert coverage_findings([Newsletter]) == []
    finally:
        registry._exemptions.pop("retention.newsletter")


def test_an_inactive_rule_leaves_its_records_uncovered(seeded: None) -> None:
    from retention.models import RetentionRule

    RetentionRule.objects.filter(code="invoices-7y").update(active=False)
    from subjects.models import Invoice

    found = coverage_findings([Invoice])
    assert [(f.kind, "subjects.Invoice" in f.text) for f in found] == [("no active rule", True)]

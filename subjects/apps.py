from __future__ import annotations

from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "subjects"
    verbose_name = "Data subjects"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from core.audit_browser import TargetKind, register_person_search, register_target
        from core.audit_words import register_detail_words
        from processing.category_fields import register_person_fields
        from subjects.api.erased import forget_answers_of_erased
        from subjects.fields import PERSON_FIELD_NAMES
        from subjects.hooks import register_after_erase, register_after_minimise
        from subjects.models import OrganisationStatus
        from subjects.selectors import people_matching

        register_target(
            "subjects.datasubject", TargetKind(_("Person"), "subjects:detail", "subjects.detail")
        )
        register_target(
            "subjects.organisation",
            TargetKind(_("Organisation"), "subjects:organisation", "subjects.list"),
        )
        register_detail_words(
            "organisation.status_changed", **{"from": OrganisationStatus, "to": OrganisationStatus}
        )
        register_detail_words(
            "subject.restriction_lifted",
            after={"decision": "the balancing decision", "notice": "the person was told"},
        )
        register_person_search(people_matching)
        # The names a data category may list (`processing.DataCategory.fields`).
        register_person_fields(PERSON_FIELD_NAMES)
        register_after_erase(forget_answers_of_erased)
        register_after_minimise(forget_answers_of_erased)

from __future__ import annotations

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        # The suppression list guards every new person: plugged into `subjects`, which sits
        # below this app and never imports it.
        from consent.home import consent_panel
        from consent.sections import consent_timeline_section
        from consent.suppression import flag_if_suppressed, suppression_errors
        from core.audit_words import register_detail_words
        from core.home import register_panel
        from subjects import hooks
        from subjects.sections import register_section

        hooks.register_email_check(suppression_errors)
        hooks.register_after_create(flag_if_suppressed)
        register_section(consent_timeline_section, position=20)
        register_panel(consent_panel, position=10)
        # The consent pages a look at a person was made from, as their titles name them.
        pages = {
            "consent.ledger": "Consent ledger",
            "consent.find_person": "Log a withdrawal or objection",
            "consent.log": "Log a withdrawal or objection",
            "consent.subject": "Consent",
            "consent.objection": "Decide an objection",
        }
        register_detail_words("consent.subject_viewed", page=pages)
        register_detail_words("subject.listed", page=pages)

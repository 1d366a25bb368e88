from __future__ import annotations

from django.apps import AppConfig


class ProcessingConfig(AppConfig):
    name = "processing"
    verbose_name = "Processing register"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from core.audit_browser import TargetKind, register_target
        from core.audit_words import register_detail_words
        from processing.models import SubjectKind
        from processing.selectors import category_names, purpose_names

        register_target(
            "processing.system",
            TargetKind(_("System"), "processing:system_detail", "processing.systems"),
        )
        for model, label in (
            ("purpose", _("Purpose")),
            ("processor", _("Processor")),
            ("recipient", _("Recipient")),
            ("transfer", _("Transfer")),
            ("recordversion", _("Record of processing (printed)")),
            ("securitymeasures", _("Security measures")),
        ):
            register_target(f"processing.{model}", TargetKind(label))
        register_detail_words("", purpose=purpose_names, purposes=purpose_names)
        register_detail_words("", categories=category_names)
        register_detail_words("system.", subject_kinds=SubjectKind)

from __future__ import annotations

from django.apps import AppConfig


class ProcessingConfig(AppConfig):
    name = "processing"
    verbose_name = "Processing register"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from core.audit_browser import TargetKind, register_target

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

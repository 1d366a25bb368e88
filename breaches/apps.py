from __future__ import annotations

from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "breaches"
    verbose_name = "Personal-data breaches"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from breaches.alarms import breach_clock_alarms
        from core.audit_browser import TargetKind, register_target
        from core.home import register_alarm

        breach = TargetKind(_("Breach"), "breaches:detail", "breaches.register")
        register_target("breaches.breach", breach)
        # Events written while the register lived in subject_requests name the old label;
        # the audit log is append-only, so the old name stays a target too.
        register_target("subject_requests.breach", breach)
        register_alarm(breach_clock_alarms)

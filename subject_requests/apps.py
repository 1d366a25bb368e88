from __future__ import annotations

from django.apps import AppConfig


class SubjectRequestsConfig(AppConfig):
    name = "subject_requests"
    verbose_name = "Data-subject requests"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from core.audit_browser import TargetKind, register_target
        from core.audit_words import register_detail_words
        from core.home import register_panel
        from retention.hooks import register_after_rule_purged, register_before_batch_purged
        from subject_requests.choices import (
            ActionKind,
            AnswerKind,
            DeliveryStatus,
            Status,
            TaskStatus,
        )
        from subject_requests.home import requests_panel, system_tasks_panel
        from subject_requests.letters import LETTER_WORDS
        from subject_requests.sections import requests_section
        from subject_requests.services.erasure_reach import (
            capture_for_databases,
            reach_systems,
            reach_systems_after_retention,
        )
        from subject_requests.services.systems import release_waiting
        from subject_requests.services.task_withdrawal import WHY
        from subjects.hooks import register_after_erase
        from subjects.sections import register_section

        register_after_erase(release_waiting)
        register_after_erase(reach_systems)
        register_before_batch_purged(capture_for_databases)
        register_after_rule_purged(reach_systems_after_retention)
        register_target(
            "subject_requests.subjectrequest",
            TargetKind(_("Request"), "subject_requests:detail", "requests.queue"),
        )
        register_detail_words("request.status_changed", old=Status, new=Status)
        register_detail_words("request.system_task", status=TaskStatus)
        register_detail_words("request.answer", kind=AnswerKind)
        register_detail_words("request.action_refused", kind=ActionKind)
        register_detail_words("request.letter_sent", letter=LETTER_WORDS, delivery=DeliveryStatus)
        register_detail_words("request.system_tasks_withdrawn", why=WHY)
        register_section(requests_section, position=30)
        register_panel(requests_panel, position=20)
        register_panel(system_tasks_panel, position=15)

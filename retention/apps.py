from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = "Retention"

    def ready(self) -> None:
        # The subjects app's record types, then every other app's `<app>/retention.py`,
        # where a model with personal data declares its record type or its exemption.
        from retention import lookups, record_types  # noqa: F401

        lookups.register()

        autodiscover_modules("retention")

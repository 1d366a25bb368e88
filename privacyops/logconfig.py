"""The logging configuration: no personal data in logs.

Every handler scrubs e-mail addresses, link tokens and query
strings (core.logscrub). Django's own handlers are replaced by these: its request and
runserver loggers write through them too, and nothing mails a request's details to admins;
Celery workers and beat use them instead of their own (privacyops.celery: setup_logging).
"""

from __future__ import annotations

from typing import Any


def logging_config(level: str) -> dict[str, Any]:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"personal_data": {"()": "core.logscrub.PersonalDataFilter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["personal_data"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Through the root's handler, instead of Django's own (console, mail_admins, server).
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": [], "level": "INFO", "propagate": True},
            "django.db.backends": {"level": "WARNING"},
            # WeasyPrint reports every layout step at INFO; only its warnings matter.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }

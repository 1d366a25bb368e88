from __future__ import annotations

import copy
import os
from typing import Any

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyops.settings")

app = Celery("privacyops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def log_through_django_settings(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING, whose every handler scrubs personal
    data (core.logscrub), instead of the handlers Celery would install of its own."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(copy.deepcopy(settings.LOGGING))

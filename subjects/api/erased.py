"""What the API keeps of an erased person: nothing. Its stored answers that showed them are
blanked when they are erased (`subjects.hooks.after_erase`, on request or by the purge).

Kept apart from the API's views, so that registering the hook (`subjects.apps`) does not
import Django REST framework and drf-spectacular into every process: the purge's would carry
~20 MB more (tests/test_process_weight.py)."""

from __future__ import annotations

import datetime as dt

from core.api import replies

# How the API's answers and audit events name a person.
TARGET_TYPE = "subjects.datasubject"


def forget_answers_of_erased(*, subject_ids: list[int], now: dt.datetime, cause: str) -> object:
    """The stored answers that show an erased person's data are blanked (a retry gets 410,
    not the data nor a second creation)."""
    return replies.forget(target_type=TARGET_TYPE, ids=subject_ids)

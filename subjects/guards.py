"""The rules a subject's data must satisfy (no minors; less data for prospects), as pure functions.

The services call these; nothing else should re-implement them.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from subjects.models import PROSPECT_KINDS

ADULT_AGE = 18

# Data prospects do not get (data minimisation by kind).
NOT_FOR_PROSPECTS = ("date_of_birth", "photo", "work_address")

# A photo is a small portrait, not an archive: larger files are refused with a clear message.
PHOTO_MAX_BYTES = 2 * 1024 * 1024

# Checked by magic bytes, never by the file name or the browser's claimed type.
PHOTO_SIGNATURES: dict[str, bytes] = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}


def eighteenth_birthday(born: dt.date) -> dt.date:
    """The day a person born on `born` turns 18.

    Someone born on 29 February turns 18 on 1 March in a common year;
    `relativedelta(years=18)` would give 28 February, a day too early.
    """
    try:
        return born.replace(year=born.year + ADULT_AGE)
    except ValueError:
        return dt.date(born.year + ADULT_AGE, 3, 1)


def is_adult(born: dt.date, *, on: dt.date) -> bool:
    return on >= eighteenth_birthday(born)


def photo_content_type(photo: bytes) -> str | None:
    for content_type, signature in PHOTO_SIGNATURES.items():
        if photo.startswith(signature):
            return content_type
    return None


def photo_errors(photo: bytes) -> list[str]:
    errors = []
    if len(photo) > PHOTO_MAX_BYTES:
        errors.append(
            str(
                _("The photo is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "size": f"{len(photo) / (1024 * 1024):.1f}",
                    "limit": PHOTO_MAX_BYTES // (1024 * 1024),
                }
            )
        )
    if photo_content_type(photo) is None:
        errors.append(str(_("The photo must be a JPEG or PNG image.")))
    return errors


def minimisation_errors(kind: str, values: dict[str, object]) -> dict[str, str]:
    """Fields a record of `kind` may not hold, with the message to show for each."""
    if kind not in PROSPECT_KINDS:
        return {}
    message = _(
        "Prospects and prospect representatives get no %(field)s (privacy policy, data "
        "minimisation). Leave it empty; if the kind is changing to a prospect kind, clear it "
        "in the same change."
    )
    labels = {
        "date_of_birth": _("date of birth"),
        "photo": _("photo"),
        "work_address": _("work address"),
    }
    return {
        field: str(message % {"field": labels[field]})
        for field in NOT_FOR_PROSPECTS
        if values.get(field) not in (None, "", b"")
    }

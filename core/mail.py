"""The development e-mail backend (`EMAIL_URL=consolemail://`): Django's console backend,
printing every message with its recipients, every e-mail address in it and the name in its
greeting masked, and its attachments (reports, letters) by name and size only. The links stay:
a developer follows them to try the flows."""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends import console
from django.core.mail.message import EmailAlternative
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from core.logscrub import EMAIL

MASK = "[e-mail]"
NAME_MASK = "[name]"
# The greetings the letters and e-mails open with (their templates' `blocktranslate`s): the
# name in them is masked in every language the portal writes in.
GREETINGS = (
    gettext_noop("Dear %(name)s,"),
    gettext_noop("Hello %(name)s,"),
    gettext_noop("To %(name)s,"),
)


@cache
def greeting_pattern() -> re.Pattern[str]:
    """Every greeting in every language: a match is the name in it (never past a line or a tag)."""
    wordings = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            wordings |= {gettext(greeting) for greeting in GREETINGS}
    alternatives = []
    for wording in sorted(wordings):
        before, _, after = wording.partition("%(name)s")
        alternatives.append(f"(?<={re.escape(before)})[^\\n<>]+?(?={re.escape(after)})")
    return re.compile("|".join(alternatives))


def _mask(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    return greeting_pattern().sub(NAME_MASK, EMAIL.sub(MASK, text))


class MaskingConsoleBackend(console.EmailBackend):
    def write_message(self, message: EmailMessage) -> None:
        masked = copy.copy(message)
        masked.to = [MASK for _ in message.to]
        masked.cc = [MASK for _ in message.cc]
        masked.bcc = [MASK for _ in message.bcc]
        masked.reply_to = [MASK for _ in message.reply_to]
        masked.subject = _mask(message.subject)
        masked.extra_headers = {k: _mask(v) for k, v in message.extra_headers.items()}
        attachments = [
            f"[attachment: {item[0] or 'unnamed'}, {len(item[1] or b'')} bytes]"
            for item in message.attachments
            if isinstance(item, tuple)
        ]
        masked.body = "\n".join([_mask(message.body), *attachments])
        masked.attachments = []
        if isinstance(message, EmailMultiAlternatives) and isinstance(
            masked, EmailMultiAlternatives
        ):
            masked.alternatives = [
                EmailAlternative(_mask(content), mimetype)
                for content, mimetype in message.alternatives
            ]
        super().write_message(masked)

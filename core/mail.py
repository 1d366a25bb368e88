"""The development e-mail backend (`EMAIL_URL=consolemail://`): Django's console backend,
printing every message with its recipients and every e-mail address in it masked, and its
attachments (reports, letters) by name and size only. The links stay: a developer follows
them to try the flows."""

from __future__ import annotations

import copy
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends import console
from django.core.mail.message import EmailAlternative

from core.logscrub import EMAIL

MASK = "[e-mail]"


def _mask(text: Any) -> Any:
    return EMAIL.sub(MASK, text) if isinstance(text, str) else text


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

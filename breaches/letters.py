"""What the breach register writes: the notification draft for the supervisory authority
(GDPR Art. 33(3)) and the letter to the people affected (Art. 34(2)) in each person's language.

Both are PDFs laid out like every other document (`core.pdf`); the letter
is also e-mailed, each person claimed with a conditional UPDATE so a rerun sends nothing twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from breaches.clock import notification_deadline
from breaches.models import AffectedPerson, Breach
from core.audit import record_event
from core.display import format_date
from core.pdf import Pdf, html_to_pdf
from core.timeutil import legal_date
from processing.models import SubjectKind

logger = logging.getLogger(__name__)

LETTER_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def _common(breach: Breach) -> dict[str, Any]:
    return {
        "breach": breach,
        "controller": settings.PRIVACY_CONTROLLER_NAME,
        "contact": settings.PRIVACY_CONTACT_EMAIL,
        "categories": [c.name for c in breach.categories.all()],
    }


def notification_draft_html(breach: Breach, *, now: Any = None) -> str:
    """The Art. 33(3) content: (a) nature, categories and approximate numbers of people and
    records; (b) the contact point; (c) likely consequences; (d) measures taken or proposed;
    and, when late, the reasons for the delay."""
    kinds = dict(SubjectKind.choices)
    context = {
        **_common(breach),
        "reference": breach.reference,
        "deadline": notification_deadline(breach.aware_at),
        "kinds": [str(kinds.get(k, k)) for k in breach.subject_kinds],
        "follow_ups": list(breach.follow_ups.all()),
        "generated_on": format_date(legal_date(now or timezone.now()), "en"),
        "affected_count": breach.affected.count(),
    }
    return render_to_string("breaches/notification_draft.html", context)


def notification_draft_pdf(breach: Breach) -> Pdf:
    return html_to_pdf(notification_draft_html(breach))


def people_letter_html(breach: Breach, *, language: str, name: str = "") -> str:
    """The letter to a person affected, in `language` (Art. 34(2): in clear and plain
    language, the nature of the breach, the contact point, consequences and measures)."""
    with translation.override(language):
        return render_to_string(
            "letters/breach_notice.html",
            {
                **_common(breach),
                "language": language,
                "name": name,
                "reference": breach.reference,
                "date": format_date(legal_date(timezone.now()), language),
            },
        )


def people_letter_pdf(breach: Breach, *, language: str, name: str = "") -> Pdf:
    return html_to_pdf(people_letter_html(breach, language=language, name=name))


def letters_waiting(breach_id: int) -> bool:
    return bool(_waiting(breach_id).exists())


def _waiting(breach_id: int) -> Any:
    # People without an e-mail address get the PDF by post: the DPO prints it per language.
    return AffectedPerson.objects.filter(
        breach_id=breach_id, informed_at__isnull=True, subject__work_email__isnull=False
    )


def send_people_letters(breach_id: int, *, batch: int = 200) -> int:
    """E-mail the letter to each affected person not yet informed; safe to run twice."""
    breach = Breach.objects.get(pk=breach_id)
    sent = 0
    pending = _waiting(breach_id).select_related("subject").order_by("id")[:batch]
    for row in pending:
        claimed = AffectedPerson.objects.filter(pk=row.pk, informed_at__isnull=True).update(
            informed_at=timezone.now()
        )
        person = row.subject
        if not claimed or not person.work_email:
            continue
        language = person.letter_language()
        name = f"{person.first_name} {person.last_name}".strip()
        with translation.override(language):
            subject = _("A personal data breach concerning you")
        message = EmailMessage(
            subject=f"{subject} ({breach.reference})",
            body=people_letter_text(breach, language=language, name=name),
            to=[person.work_email],
        )
        message.attach(
            f"{breach.reference}-{language}.pdf",
            people_letter_pdf(breach, language=language, name=name).content,
            "application/pdf",
        )
        try:
            message.send()
        except OSError:
            AffectedPerson.objects.filter(pk=row.pk).update(informed_at=None)
            raise
        sent += 1
    if sent:
        record_event(
            action="breach.people_informed",
            actor="breach-letters",
            target=breach,
            details={"letters": sent},
        )
    return sent


def people_letter_text(breach: Breach, *, language: str, name: str) -> str:
    with translation.override(language):
        return render_to_string(
            "emails/breach_notice.txt",
            {**_common(breach), "name": name, "reference": breach.reference},
        )

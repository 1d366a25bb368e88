"""No personal data in logs: a filter on every handler (settings.LOGGING) that scrubs each
record before it is written.

Removed: e-mail addresses (also URL-encoded), the token of every signed link the portal
e-mails (whoever holds one can act for the data subject), and every query string — the
search and filter pages carry names and addresses in theirs, the public pages tokens, and no
query string is worth the risk. Personal data that code puts into a message any other way
is a defect; `tests/test_log_privacy.py` runs the seeded flows and looks for it.
"""

from __future__ import annotations

import logging
import re

# The URL prefixes of signed links (`<str:token>` in the URLconf; a test keeps this complete).
TOKEN_PREFIXES = (
    "/privacy/request/verify/",
    "/privacy/request/status/",
    "/privacy/answers/",
    "/privacy/transfer/",
    "/p/unsubscribe/",
    "/p/subscribe/confirm/",
    "/hooks/system-tasks/",
    "/p/me/link/",
)
EMAIL = re.compile(r"[\w.+'-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
TOKEN = re.compile(
    "(" + "|".join(re.escape(prefix) for prefix in TOKEN_PREFIXES) + r")[^/\s?\"'#]+"
)
QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"'#]*")


def scrub(text: str) -> str:
    text = QUERY.sub(r"\1?[query removed]", text)
    text = TOKEN.sub(r"\1[token]", text)
    return EMAIL.sub("[e-mail]", text)


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message or record.args:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            # Rendered here so the traceback's values are scrubbed too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True

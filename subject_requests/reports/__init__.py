"""The documents a request is answered with: the access report and copy
(Art. 15), the portability package (Art. 20) and the information on processors, recipients
and transfers (Art. 15(1)(c), 15(2)). Each reads only the person's own rows (`sections`)."""

from __future__ import annotations

from subject_requests.reports.documents import (
    build_access_report,
    build_information_report,
    render_access_report,
    render_information_report,
)
from subject_requests.reports.portability import build_portability_package, portability_package

__all__ = [
    "build_access_report",
    "build_information_report",
    "build_portability_package",
    "portability_package",
    "render_access_report",
    "render_information_report",
]

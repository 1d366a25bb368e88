"""HTML to PDF with WeasyPrint, the same way for every document the portal sends.

Deterministic: the same HTML gives the same bytes (no creation time is written), so building
a document twice gives the same document and its SHA-256 proves what was sent — on any day and
whichever font subsetter WeasyPrint finds (HarfBuzz's where libharfbuzz-subset is installed,
fontTools' elsewhere).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

# Templates refer to static files (the stylesheet) relative to the project's static folder.
BASE_URL = Path(settings.BASE_DIR / "static").as_uri() + "/"


@cache
def _weasyprint() -> Any:
    """WeasyPrint, imported on the first document: it weighs ~50 MB, which every process
    would carry (the purge, each worker, each web worker) if the import were at the top."""
    import weasyprint
    from fontTools.ttLib import TTFont
    from weasyprint.pdf import fonts as weasyprint_fonts

    class UndatedTTFont(TTFont):  # type: ignore[misc]  # fontTools ships no type information
        """A font fontTools saves with the date it was read with: without libharfbuzz-subset,
        WeasyPrint subsets each font with fontTools, whose `save` stamps the moment into the
        font's `head.modified` — and a document built a second later differs by those bytes."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("recalcTimestamp", False)
            super().__init__(*args, **kwargs)

    weasyprint_fonts.TTFont = UndatedTTFont
    return weasyprint


@dataclass(frozen=True)
class Pdf:
    content: bytes
    pages: int


@dataclass(frozen=True)
class EmbeddedFile:
    """A file the PDF carries inside it (a document the person sent, their evidence)."""

    name: str
    content: bytes


def html_to_pdf(
    html: str,
    *,
    on_laid_out: Callable[[int], object] | None = None,
    files: Sequence[EmbeddedFile] = (),
    dated: dt.date | None = None,
) -> Pdf:
    """Lay out and write the PDF; `on_laid_out(pages)` runs between the two (the long part
    is the layout, so a progress bar can move there)."""
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=BASE_URL).render()
    if on_laid_out is not None:
        on_laid_out(len(document.pages))
    # Embedded files carry a date; the document's own day keeps the bytes reproducible.
    moment = dt.datetime.combine(dated or dt.date(2000, 1, 1), dt.time(), tzinfo=dt.UTC)
    attachments = [
        weasyprint.Attachment(
            file_obj=io.BytesIO(f.content),
            name=f.name,
            description=f.name,
            created=moment,
            modified=moment,
        )
        for f in files
    ]
    content = document.write_pdf(attachments=attachments) if attachments else document.write_pdf()
    return Pdf(content=content, pages=len(document.pages))


def render_pdf(template: str, context: dict[str, Any]) -> Pdf:
    return html_to_pdf(render_to_string(template, context))

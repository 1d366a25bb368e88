"""The documents' PDF writer lives in `core.pdf`, shared with the record of processing."""

from __future__ import annotations

from core.pdf import BASE_URL, EmbeddedFile, Pdf, html_to_pdf, render_pdf

__all__ = ["BASE_URL", "EmbeddedFile", "Pdf", "html_to_pdf", "render_pdf"]

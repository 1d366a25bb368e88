"""What a page says to its reader, and the code's own names that leak into it.

A page speaks the domain's words: a field is "First name", not `first_name`; a model is
"Prospect", not `subjects.prospect`; details are a sentence, not a Python dict. The check
reads what a person sees — the text of the page outside `<script>` and `<style>`, and the
text a control shows in place of its own (a placeholder, an image's alt) — and reports every
snake_case identifier, app-dotted name and printed dict or list it finds, with its context.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# The portal's apps: `subjects.prospect`, `consent.emails` are the code's names.
APPS = (
    "core|retention|processing|subjects|consent|subject_requests|reports|breaches"
    "|selfservice|oversight"
)
INTERNAL_NAME = re.compile(
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"  # snake_case: first_name, accuracy_contested
    rf"|\b(?:{APPS})\.[a-z_]+\b"  # an app's model or module: subjects.prospect
    r"|\{'|\['"  # a printed dict or list
)
# An e-mail address is the person's own spelling: mari_tamm@example.com is no identifier.
COPIED = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CONTEXT = 30


class _VisibleText(HTMLParser):
    HIDDEN = frozenset({"script", "style", "template"})
    SHOWN_ATTRIBUTES = ("placeholder", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        for name, value in attrs:
            if name in self.SHOWN_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text as its reader sees it, each piece of text on its own line."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(" ".join(part.split()) for part in parser.parts if part.strip())


def internal_names(html: str) -> list[str]:
    """Each identifier, app-dotted name or printed dict the page shows, in its context."""
    found = []
    for line in visible_text(html).splitlines():
        text = COPIED.sub(" ", line)
        for match in INTERNAL_NAME.finditer(text):
            start, end = max(match.start() - CONTEXT, 0), match.end() + CONTEXT
            found.append(f"{match.group()!r} in “{text[start:end]}”")
    return found

"""Reading an uploaded CSV file: its encoding and delimiter, its columns, a first guess of
which column is which field, and its rows as the services' field names."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping

from django.utils.translation import gettext_lazy as _

from consent.imports.models import ImportKind

# 50 000 rows of a dozen columns are ~5 MB; a larger file is most likely not a contact list.
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000

# The fields a column can be mapped to, per kind of import, with their labels.
FIELDS: dict[str, dict[str, object]] = {
    ImportKind.PROSPECTS: {
        "external_id": _("External id (the platform's)"),
        "first_name": _("First name"),
        "last_name": _("Last name"),
        "work_email": _("Work e-mail"),
        "work_phone": _("Work phone"),
        "position": _("Position"),
        "country": _("Country (two letters)"),
        "kind": _("Kind"),
        "source": _("Source"),
        "date_of_birth": _("Date of birth"),
        "work_address": _("Work address"),
        "preferred_language": _("Preferred language"),
    },
    ImportKind.WITHDRAWALS: {
        "work_email": _("E-mail"),
        "occurred_at": _("When the person unsubscribed"),
    },
}
# Header words that suggest a field (folded: lower case, letters and digits only).
GUESSES: dict[str, tuple[str, ...]] = {
    "external_id": ("externalid", "id", "userid", "platformid", "customerid", "contactid"),
    "first_name": ("firstname", "givenname", "first", "forename", "eesnimi", "vards"),
    "last_name": ("lastname", "surname", "familyname", "last", "perekonnanimi", "uzvards"),
    "work_email": ("email", "emailaddress", "workemail", "mail", "epost", "epasts"),
    "work_phone": ("phone", "workphone", "telephone", "mobile", "telefon", "talrunis"),
    "position": ("position", "title", "jobtitle", "role", "amet"),
    "country": ("country", "countrycode", "riik", "valsts"),
    "kind": ("kind", "type", "subjectkind"),
    "source": ("source",),
    "date_of_birth": ("dateofbirth", "birthdate", "dob", "born"),
    "work_address": ("address", "workaddress"),
    "preferred_language": ("language", "preferredlanguage", "lang", "locale"),
    "occurred_at": ("unsubscribedat", "date", "timestamp", "time", "when", "occurredat"),
}
IGNORE = ""
# Choice fields whose values are lower-case codes: "Prospect" in a file means "prospect".
LOWER_CASE = frozenset({"kind", "source", "preferred_language"})


class UnreadableFile(ValueError):
    """A message for the person who uploaded the file."""


def decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1257", "latin-1"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(_("The file is not text."))  # latin-1 decodes anything: unreachable


def _dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_headers(content: bytes) -> list[str]:
    text = decode(content)
    reader = csv.reader(io.StringIO(text), _dialect(text))
    headers = next(reader, None)
    if not headers or not any(h.strip() for h in headers):
        raise UnreadableFile(_("The file has no header row."))
    return [h.strip() for h in headers]


def data_rows(content: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each data row; blank lines skipped."""
    text = decode(content)
    reader = csv.reader(io.StringIO(text), _dialect(text))
    next(reader, None)
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def _folded(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.casefold())


def guess_mapping(headers: list[str], kind: str) -> dict[str, str]:
    """Column -> field, from the header's words; each field taken by one column at most."""
    fields = FIELDS[kind]
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        folded = _folded(header)
        field = next(
            (f for f in fields if f not in taken and folded in GUESSES.get(f, ())),
            IGNORE,
        )
        mapping[header] = field
        if field:
            taken.add(field)
    return mapping


def mapped(cells: list[str], headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """A row as field -> value; an empty cell is "not given" (an update keeps what is stored)."""
    row: dict[str, str] = {}
    for header, cell in zip(headers, cells, strict=False):
        field = mapping.get(header, IGNORE)
        if field and cell.strip():
            row[field] = cell.strip().lower() if field in LOWER_CASE else cell.strip()
    return row

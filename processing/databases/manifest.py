"""The manifest of a platform database: what each table and column of a system's own database
holds, how a person is found there, and what erasure does to each column.

A versioned YAML document::

    manifest: 1
    tables:
      users:
        columns:
          id: not personal
          email: {category: contact, identity: email, erase: hash}
          full_name: {category: identification, erase: clear}
          account_id: {references: accounts.id}
      comments:
        erase: delete                 # the person's rows go (default: their columns change)
        columns:
          id: not personal
          author_id: {references: users.id}
          body: {category: communication, erase: {value: "[removed]"}}
      invoices:
        keep: {reason: "Accounting Act: 7 years", rule: invoice-data}
        columns: ...
      feature_flags: not personal     # the whole table

A table or column may carry a `label`, the words the person reads in their access report
(one text, or one per language: `{en: Your comments, et: Teie kommentaarid, lv: …}`); without
one the report reads its name. A table may name a `restrict` column, a flag set to true on
the person's rows while their processing is restricted (GDPR Art. 18) and back to false when
it is lifted.

A person is found by the columns marked `identity`; their rows elsewhere are those whose
`references` lead to one of theirs (a comment on someone else's project is theirs, the project
is not). Parsing checks the document alone; `processing.databases.checks` checks it against
the live schema. Pure Python: the commands, the portal and the platform's own CI share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

FORMAT = 1
NOT_PERSONAL = "not personal"
# A column the draft could not guess: the coverage gate fails until someone decides.
TO_REVIEW = "review"
IDENTITY_ROLES = ("email", "external_id", "phone")
# What erasure does to a personal column: empty it, replace it by a keyed hash (rows stay
# joinable, the value is gone), or write a fixed value.
ERASE_CLEAR, ERASE_HASH, ERASE_VALUE = "clear", "hash", "value"
TABLE_DELETE = "delete"


@dataclass(frozen=True)
class Problem:
    """One thing wrong, where: `tables.users.columns.email`, or a table's or the whole
    document's path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ManifestError(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Erase:
    how: str  # ERASE_CLEAR, ERASE_HASH or ERASE_VALUE
    value: Any = None


Label = str | dict[str, str]  # one text, or language code → text


def label_in(label: Label | None, name: str, language: str) -> str:
    """The label in `language` (its base language, then English, then any), or the name."""
    if isinstance(label, dict):
        for code in (language, language.split("-")[0], "en"):
            if label.get(code):
                return label[code]
        label = next(iter(label.values()), "")
    return label or name.replace("_", " ")


@dataclass(frozen=True)
class Column:
    name: str
    personal: bool
    reviewed: bool = True
    category: str = ""
    identity: str = ""
    references: tuple[str, str] | None = None  # (table, column)
    erase: Erase | None = None
    label: Label | None = None

    def label_in(self, language: str) -> str:
        return label_in(self.label, self.name, language)


@dataclass(frozen=True)
class Keep:
    reason: str
    rule: str = ""


@dataclass
class Table:
    name: str
    personal: bool = True
    columns: dict[str, Column] = field(default_factory=dict)
    delete_rows: bool = False
    keep: Keep | None = None
    label: Label | None = None
    restrict: str = ""  # the flag column set while the person's processing is restricted

    def label_in(self, language: str) -> str:
        return label_in(self.label, self.name, language)

    @property
    def identities(self) -> list[Column]:
        return [c for c in self.columns.values() if c.identity]

    @property
    def personal_columns(self) -> list[Column]:
        return [c for c in self.columns.values() if c.personal and c.category]


@dataclass
class Manifest:
    tables: dict[str, Table] = field(default_factory=dict)

    def references(self) -> list[tuple[str, Column]]:
        """(table, column) of every modelled reference."""
        return [
            (t.name, c) for t in self.tables.values() for c in t.columns.values() if c.references
        ]

    def reached(self) -> set[str]:
        """The tables whose rows can belong to a person: those with an identity, and those
        referencing a reached table (never the other way: a person's project is not theirs
        because their comment points at it)."""
        reached = {name for name, t in self.tables.items() if t.identities}
        grew = True
        while grew:
            grew = False
            for table, column in self.references():
                assert column.references is not None
                if table not in reached and column.references[0] in reached:
                    reached.add(table)
                    grew = True
        return reached


def parse(text: str) -> Manifest:
    """The manifest a YAML document describes; `ManifestError` lists every problem of the
    document itself (not yet of the live schema)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise ManifestError([Problem(where, f"not valid YAML ({exc})")]) from None
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise ManifestError([Problem("", "the manifest is a mapping with `manifest` and `tables`")])
    if data.get("manifest") != FORMAT:
        problems.append(Problem("manifest", f"the format version must be {FORMAT}"))
    tables = data.get("tables")
    if not isinstance(tables, Mapping) or not tables:
        problems.append(Problem("tables", "name the database's tables"))
        raise ManifestError(problems)
    manifest = Manifest()
    for name, spec in tables.items():
        manifest.tables[str(name)] = _table(str(name), spec, problems)
    if not any(t.identities for t in manifest.tables.values()):
        problems.append(Problem("tables", "no column is an identity: mark where a person is found"))
    if problems:
        raise ManifestError(problems)
    return manifest


def _table(name: str, spec: Any, problems: list[Problem]) -> Table:
    path = f"tables.{name}"
    if spec == NOT_PERSONAL:
        return Table(name=name, personal=False)
    if not isinstance(spec, Mapping):
        problems.append(Problem(path, f"a mapping with `columns`, or “{NOT_PERSONAL}”"))
        return Table(name=name)
    unknown = set(spec) - {"columns", "erase", "keep", "label", "restrict"}
    if unknown:
        problems.append(Problem(path, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}"))
    table = Table(name=name, label=_label(f"{path}.label", spec.get("label"), problems))
    restrict = spec.get("restrict")
    if restrict is not None:
        if not isinstance(restrict, str) or not restrict.strip():
            problems.append(Problem(f"{path}.restrict", "the name of a flag column"))
        else:
            table.restrict = restrict.strip()
    erase = spec.get("erase")
    if erase not in (None, TABLE_DELETE):
        problems.append(Problem(f"{path}.erase", f"only “{TABLE_DELETE}” (the person's rows go)"))
    table.delete_rows = erase == TABLE_DELETE
    keep = spec.get("keep")
    if keep is not None:
        if not isinstance(keep, Mapping) or not str(keep.get("reason", "")).strip():
            problems.append(Problem(f"{path}.keep", "say why the rows are kept (`reason`)"))
        else:
            table.keep = Keep(reason=str(keep["reason"]).strip(), rule=str(keep.get("rule", "")))
    columns = spec.get("columns")
    if not isinstance(columns, Mapping) or not columns:
        problems.append(Problem(f"{path}.columns", "annotate the table's columns"))
        return table
    for column, annotation in columns.items():
        column_path = f"{path}.columns.{column}"
        table.columns[str(column)] = _column(column_path, str(column), annotation, problems)
    if table.restrict and table.restrict not in table.columns:
        problems.append(
            Problem(f"{path}.restrict", f"“{table.restrict}” is not among the table's columns")
        )
    if not (table.delete_rows or table.keep):
        for column in table.personal_columns:
            if column.erase is None:
                problems.append(
                    Problem(
                        f"{path}.columns.{column.name}.erase",
                        "say what erasure does to it (or delete the person's rows, or keep them "
                        "with a reason)",
                    )
                )
    return table


def _column(path: str, name: str, annotation: Any, problems: list[Problem]) -> Column:
    if annotation == NOT_PERSONAL:
        return Column(name=name, personal=False)
    if annotation == TO_REVIEW or annotation is None:
        return Column(name=name, personal=True, reviewed=False)
    if not isinstance(annotation, Mapping):
        problems.append(
            Problem(path, f"“{NOT_PERSONAL}”, or a mapping (category, identity, references, erase)")
        )
        return Column(name=name, personal=True, reviewed=False)
    unknown = set(annotation) - {"category", "identity", "references", "erase", "label"}
    if unknown:
        problems.append(Problem(path, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}"))
    identity = str(annotation.get("identity") or "")
    if identity and identity not in IDENTITY_ROLES:
        problems.append(
            Problem(f"{path}.identity", f"one of {', '.join(IDENTITY_ROLES)}, not “{identity}”")
        )
    references = None
    if annotation.get("references"):
        target = str(annotation["references"])
        table, _, column = target.partition(".")
        if not table or not column:
            problems.append(Problem(f"{path}.references", f"“table.column”, not “{target}”"))
        else:
            references = (table, column)
    category = str(annotation.get("category") or "")
    if (identity or annotation.get("erase") is not None) and not category:
        problems.append(Problem(f"{path}.category", "a personal column needs its data category"))
    return Column(
        name=name,
        personal=bool(category or identity),
        category=category,
        identity=identity,
        references=references,
        erase=_erase(f"{path}.erase", annotation.get("erase"), problems) if category else None,
        label=_label(f"{path}.label", annotation.get("label"), problems),
    )


def _label(path: str, spec: Any, problems: list[Problem]) -> Label | None:
    if spec is None:
        return None
    if isinstance(spec, str) and spec.strip():
        return spec.strip()
    if (
        isinstance(spec, Mapping)
        and spec
        and all(isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in spec.items())
    ):
        return {k: v.strip() for k, v in spec.items()}
    problems.append(Problem(path, "a text, or one text per language ({en: …, et: …, lv: …})"))
    return None


def _erase(path: str, spec: Any, problems: list[Problem]) -> Erase | None:
    if spec is None:
        return None
    if spec in (ERASE_CLEAR, ERASE_HASH):
        return Erase(how=str(spec))
    if isinstance(spec, Mapping) and set(spec) == {ERASE_VALUE}:
        return Erase(how=ERASE_VALUE, value=spec[ERASE_VALUE])
    problems.append(
        Problem(path, f"“{ERASE_CLEAR}”, “{ERASE_HASH}” or {{{ERASE_VALUE}: …}}, not {spec!r}")
    )
    return None

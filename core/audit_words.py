"""The audit log in the domain's words: what an event is, what it was about, and its details.

An event stores the code's names — its action (`request.status_changed`), its target's type
(`consent.consentevent`), the values of its details (`in_progress`, `accuracy_contested`, a
list of field names, a nested record of settings). A page says them as words:

- a value of a choice is its label: the vocabulary an app registered for its events
  (`register_detail_words`), else the choices of the target's field of that name
  (`restriction_ground` for `ground`), else those of any field of that name whose labels agree;
- a list of fields is their verbose names on the target's model;
- a nested record is written out as "name: value" pairs, never as a printed dict;
- anything still spelt like an identifier is written as words (a value nobody named yet).

core imports no domain app: the models are read through Django's app registry, and each app
registers its own vocabularies (a request's statuses, consent's pages) as it registers its
audit targets.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from typing import Any, cast
from urllib.parse import parse_qsl

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from core.audit_actions import ACTION_WORDS, ADMIN_VERBS
from core.display import staff_date, staff_datetime

Vocabulary = Mapping[Any, Any] | type[models.Choices] | Callable[[], Mapping[Any, Any]]

_vocabularies: dict[tuple[str, str], Vocabulary] = {}
IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:[._][a-z0-9]+)+$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A key whose name says less than its words.
KEY_WORDS = {"subject": "person", "subjects": "people", "owner_id": "owner", "via": "through"}


def register_detail_words(actions: str, **vocabularies: Vocabulary) -> None:
    """The words of the values an app's events store under each key. `actions` is an
    action's code or the start of the codes it covers ("request." for all of a request's
    events, "" for every event); a vocabulary is a TextChoices class, a mapping of stored
    value to words, or a function that reads such a mapping (from the database)."""
    for key, vocabulary in vocabularies.items():
        _vocabularies[(actions, key)] = vocabulary


def words(name: str) -> str:
    """An identifier said as words: `due_tonight` → "due tonight"."""
    return re.sub(r"[._]+", " ", name).strip()


def model_of(target_type: str) -> type[models.Model] | None:
    app_label, _, model_name = target_type.partition(".")
    try:
        return apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return None


def model_words(target_type: str) -> str:
    model = model_of(target_type)
    if model is None:
        return words(target_type).capitalize()
    return str(model._meta.verbose_name).capitalize()


def action_words(code: str) -> str:
    if code in ACTION_WORDS:
        return ACTION_WORDS[code]
    target_type, _, verb = code.rpartition(".")
    if model_of(target_type) is not None:  # an admin edit: `<app>.<model>.<verb>`
        return f"{model_words(target_type)}: {ADMIN_VERBS.get(verb, words(verb))}"
    return words(code).replace(" ", ": ", 1).capitalize()


@cache
def _choices_by_field_name() -> dict[str, list[models.Field[Any, Any]]]:
    """Every field with choices of the project's models, by its name and by its last word
    (`restriction_ground` also under `ground`)."""
    fields: dict[str, list[models.Field[Any, Any]]] = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.Field) and field.choices:
                for name in {field.name, field.name.rpartition("_")[2]}:
                    fields.setdefault(name, []).append(field)
    return fields


def _field_label(fields: Iterable[models.Field[Any, Any]], value: str) -> str | None:
    labels = {str(label) for field in fields for code, label in field.flatchoices if code == value}
    return labels.pop() if len(labels) == 1 else None


class DetailWords:
    """The details of events as text. Vocabularies read from the database are read once per
    instance: make one for a page of events."""

    def __init__(self) -> None:
        self._read: dict[int, Mapping[str, Any]] = {}

    def vocabulary(self, action: str, key: str) -> Mapping[str, Any] | None:
        found = [
            (len(prefix), vocabulary)
            for (prefix, name), vocabulary in _vocabularies.items()
            if name == key and action.startswith(prefix)
        ]
        if not found:
            return None
        vocabulary = max(found, key=lambda item: item[0])[1]
        if isinstance(vocabulary, type) and issubclass(vocabulary, models.Choices):
            return {str(code): label for code, label in vocabulary.choices}
        if isinstance(vocabulary, Mapping):
            return {str(k): v for k, v in vocabulary.items()}
        read = cast(Callable[[], Mapping[Any, Any]], vocabulary)
        if id(read) not in self._read:
            self._read[id(read)] = {str(k): v for k, v in read().items()}
        return self._read[id(read)]

    def value(self, value: Any, *, key: str, action: str, model: type[models.Model] | None) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if value is None or value == "":
            return "—"
        if isinstance(value, Mapping):
            return f"({self.pairs(value, action=action, model=model)})"
        if isinstance(value, list | tuple):
            if key == "fields" and model is not None:
                return ", ".join(self.field_name(str(name), model) for name in value) or "none"
            said = [self.value(item, key=key, action=action, model=model) for item in value]
            return ", ".join(said) or "none"
        vocabulary = self.vocabulary(action, key)
        if vocabulary is not None and str(value) in vocabulary:
            return str(vocabulary[str(value)])
        if not isinstance(value, str):
            return str(value)
        if key == "filters" and "=" in value:  # a list page's query string
            return self.pairs(dict(parse_qsl(value)), action=action, model=model) or "none"
        label = self.choice_label(value, key=key, model=model)
        if label is not None:
            return label
        if ISO_MOMENT.match(value):
            return staff_datetime(_moment(value)) or value
        if ISO_DAY.match(value):
            return staff_date(dt.date.fromisoformat(value))
        return words(value) if IDENTIFIER.match(value) else value

    @staticmethod
    def choice_label(value: str, *, key: str, model: type[models.Model] | None) -> str | None:
        candidates = _choices_by_field_name().get(key, [])
        if model is not None:
            own = [field for field in candidates if field.model is model]
            label = _field_label(own, value)
            if label is not None:
                return label
        return _field_label(candidates, value)

    @staticmethod
    def field_name(name: str, model: type[models.Model]) -> str:
        try:
            field = model._meta.get_field(name)
        except LookupError:
            return words(name)
        return str(getattr(field, "verbose_name", words(name)))

    def pairs(
        self,
        details: Mapping[str, Any],
        *,
        action: str,
        model: type[models.Model] | None,
        separator: str = ", ",
    ) -> str:
        return separator.join(
            f"{KEY_WORDS.get(key, words(key))}: "
            + self.value(value, key=key, action=action, model=model)
            for key, value in sorted(details.items(), key=_before_after)
        )

    def __call__(self, action: str, target_type: str, details: Mapping[str, Any] | None) -> str:
        """The details as a sentence-like list; a grouped read says how many, not which."""
        details = dict(details or {})
        parts = []
        if "ids" in details:
            details.pop("ids")
            parts.append(f"{details.pop('count', '?')} records")
        if details:
            model = model_of(target_type)
            parts.append(self.pairs(details, action=action, model=model, separator="; "))
        return "; ".join(parts)


# PostgreSQL's jsonb keeps an object's keys in its own order (shorter keys first), so the
# stored order would read differently by database: details read before → after, then by name.
BEFORE_AFTER = ("old", "new", "from", "to")


def _before_after(item: tuple[str, Any]) -> tuple[int, str]:
    key = item[0]
    return (BEFORE_AFTER.index(key) if key in BEFORE_AFTER else len(BEFORE_AFTER), key)


def _moment(value: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def usernames() -> dict[int, str]:
    """Each account's username by its id: details name a user (an assignee) by id."""
    return dict(get_user_model().objects.values_list("pk", "username"))

"""Model fields that encrypt on the way into the database and decrypt on the way out.

Encryption happens in `get_db_prep_value`, which Django calls on every write path
(`save`, `objects.create`, `bulk_create`, `QuerySet.update`, the admin), so no path stores
plaintext. Ciphertext is random, so these fields support no lookup but `isnull`; exact
lookups go through a `BlindIndexField`, kept in step by `pre_save` on inserts and saves and
by `PersonalDataQuerySet.update` on set-based updates.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Expression

from core import crypto
from core.forms import DatePicker

if TYPE_CHECKING:
    # django-stubs make fields generic in their set and get types; Django's classes cannot be
    # subscripted at run time. The mixin is only ever mixed into a model field.
    _MixinBase = models.Field[Any, Any]
    _TextField = models.TextField[Any, Any]
    _BinaryField = models.BinaryField[Any, Any]
    _CharField = models.CharField[Any, Any]
else:
    _MixinBase = object
    _TextField = models.TextField
    _BinaryField = models.BinaryField
    _CharField = models.CharField


class EncryptedFieldMixin(_MixinBase):
    """Shared machinery: subclasses turn their Python value into bytes and back."""

    encrypted = True

    def to_plaintext(self, value: Any) -> bytes:
        return str(value).encode()

    def from_plaintext(self, plaintext: bytes) -> Any:
        return plaintext.decode()

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None:
            return None
        if isinstance(value, Expression):
            raise TypeError("Encrypted fields take plain values, not SQL expressions.")
        value = self.to_python(value)
        if value is None:
            return None
        return self._store(connection, crypto.encrypt(self.to_plaintext(value)))

    def _store(self, connection: Any, token: bytes) -> Any:
        return token.decode("ascii")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        token = bytes(value) if isinstance(value, memoryview | bytearray) else value
        if isinstance(token, str):
            token = token.encode("ascii")
        return self.from_plaintext(crypto.decrypt(token))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, name: str) -> Any:
        return None


class EncryptedTextField(EncryptedFieldMixin, _TextField):
    def __init__(
        self,
        *args: Any,
        max_length: int | None = None,
        personal_data: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs["max_length"] = max_length
        super().__init__(*args, **kwargs)
        # False for a credential (a webhook's signing secret): encrypted like personal data
        # and re-encrypted by `reencrypt`, but no person's data, so no retention rule governs
        # it and no access report shows it (`personal_data_fields`).
        self.personal_data = personal_data
        if max_length:
            self.validators.append(validators.MaxLengthValidator(max_length))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if not self.personal_data:
            kwargs["personal_data"] = False
        return name, path, args, kwargs


class EncryptedStringField(EncryptedTextField):
    """Encrypted text that is a string in Python, as a `CharField(blank=True)` is: a blank
    value is stored as NULL (no ciphertext of nothing; `__isnull` tells blank from set) and
    NULL reads back as "". For names, positions and free-text reasons."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> str:
        return "" if value is None else str(value)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value == "":
            return None
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return "" if value is None else super().from_db_value(value, expression, connection)


class EncryptedEmailField(EncryptedTextField):
    default_validators = [validators.validate_email]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(*args, **kwargs)

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("widget", forms.EmailInput)
        return super().formfield(form_class=form_class or forms.EmailField, **kwargs)


class EncryptedDateField(EncryptedFieldMixin, _TextField):
    """A date stored as ciphertext (a date of birth); no range queries, by design."""

    def to_python(self, value: Any) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str):
            # Django's DateField passes anything else to `date.fromisoformat`, whose TypeError
            # (a JSON object or number sent as a date) would surface as a 500.
            raise ValidationError(
                models.DateField.default_error_messages["invalid"],
                code="invalid",
                params={"value": value},
            )
        parsed: dt.date | None = models.DateField().to_python(value)
        return parsed

    def to_plaintext(self, value: dt.date) -> bytes:
        return value.isoformat().encode()

    def from_plaintext(self, plaintext: bytes) -> dt.date | None:
        return dt.date.fromisoformat(plaintext.decode()) if plaintext else None

    def formfield(
        self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any
    ) -> Any:
        kwargs.setdefault("widget", DatePicker())
        return super().formfield(form_class=form_class or forms.DateField, **kwargs)

    def value_to_string(self, obj: Any) -> str:
        value = self.value_from_object(obj)
        return value.isoformat() if value else ""


class EncryptedJSONField(EncryptedFieldMixin, _TextField):
    # Any JSON value, not TextField's `str` (django-stubs' plugin reads these two).
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def to_python(self, value: Any) -> Any:
        return value

    def to_plaintext(self, value: Any) -> bytes:
        return json.dumps(value, cls=DjangoJSONEncoder).encode()

    def from_plaintext(self, plaintext: bytes) -> Any:
        return json.loads(plaintext) if plaintext else None


class EncryptedBinaryField(EncryptedFieldMixin, _BinaryField):
    """Encrypted bytes (photos, evidence files)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, memoryview | bytearray):
            return bytes(value)
        return value

    def to_plaintext(self, value: Any) -> bytes:
        return bytes(value)

    def from_plaintext(self, plaintext: bytes) -> bytes:
        return plaintext

    def _store(self, connection: Any, token: bytes) -> Any:
        return connection.Database.Binary(token)


class BlindIndexField(_CharField):
    """Keyed hash of another field's normalised value, for exact lookups."""

    def __init__(
        self, *args: Any, source: str = "", normaliser: str = "email", **kwargs: Any
    ) -> None:
        self.source = source
        self.normaliser = normaliser
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["normaliser"] = self.normaliser
        return name, path, args, kwargs

    def index_for(self, value: Any) -> str | None:
        return crypto.blind_index(value, normaliser=self.normaliser)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = self.index_for(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def blind_index_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def encrypted_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """Every encrypted column, secrets included: what a key rotation re-encrypts."""
    return [f for f in model._meta.concrete_fields if getattr(f, "encrypted", False)]


def personal_data_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The encrypted columns that hold a person's data: what retention rules and the access
    report must account for."""
    return [f for f in encrypted_fields(model) if getattr(f, "personal_data", True)]


_M = TypeVar("_M", bound=models.Model)


class PersonalDataQuerySet(models.QuerySet[_M]):
    """Keeps blind indexes in step on set-based updates."""

    def update(self, **kwargs: Any) -> int:
        for field in blind_index_fields(self.model):
            if field.source in kwargs:
                value = kwargs[field.source]
                if isinstance(value, Expression):
                    raise TypeError(f"{field.source} has a blind index: update it with a value.")
                kwargs[field.name] = field.index_for(value)
        return super().update(**kwargs)

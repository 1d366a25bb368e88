"""What may be written of a person and of an organisation, named once.

The services take these as keyword arguments, the portal's form and the API derive their
field lists from the same keys, so a misspelt field is a mypy error at the caller and a
field added here reaches every door (a test holds the form and the serializers to it).
`total=False`: a write gives only the fields it sets; the services say what a new record
must have.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from subjects.models import Organisation


class PersonFields(TypedDict, total=False):
    kind: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    photo: bytes | None
    work_address: str | None
    work_phone: str | None
    work_email: str | None
    organisation: Organisation | None
    position: str
    country: str
    preferred_language: str
    source: str
    collected_at: dt.datetime
    informed_at: dt.datetime | None


class OrganisationFields(TypedDict, total=False):
    name: str
    registry_code: str
    country: str
    status: str
    contract_started_on: dt.date | None
    contract_ended_on: dt.date | None


# In the order declared: the API's schema lists the fields in it.
PERSON_FIELD_NAMES: tuple[str, ...] = tuple(PersonFields.__annotations__)
ORGANISATION_FIELD_NAMES: tuple[str, ...] = tuple(OrganisationFields.__annotations__)

"""People: list, read, create-or-update one, and the bulk upsert of up to 10 000.

Every write goes through `subjects.services.bulk.upsert_subjects`, which matches on the
platform's `external_id`, then the work e-mail's blind index, and applies the guards of
`create_subject` (under 18, minimisation by kind, suppression) to each row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import idempotency
from core.api.auth import api_actor, api_key
from core.api.errors import REFUSED
from core.api.filters import ApiFilterSet, IdFilter, MomentFilter
from core.api.inputs import UNKNOWN_FIELD
from core.api.models import Scope
from core.api.schema import GONE, IDEMPOTENCY_KEY, ONE_ERRORS, READ_ERRORS, WRITE_ERRORS
from core.api.views import ApiView, ApiWriteView, audit_read, json_object
from core.crypto import blind_index
from processing.models import SubjectKind
from subjects.api.erased import TARGET_TYPE
from subjects.api.person_answers import (
    PersonSerializer,
    answered_actions,
    readable_fields,
    refusals_told,
    refuse_filters_on_hidden_fields,
)
from subjects.api.person_inputs import BulkInputSerializer, PersonInputSerializer, person_rows
from subjects.models import DataSubject
from subjects.services.bulk import MAX_ROWS, BulkOutcome, upsert_subjects

# What an upsert did (people and organisations): one enum in the schema, `UpsertActionEnum`.
UPSERT_ACTIONS = ["create", "update", "unchanged"]


class UpsertResultSerializer(serializers.Serializer[Any]):
    action = serializers.ChoiceField(choices=UPSERT_ACTIONS)
    person = PersonSerializer()


class BulkResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    ids = serializers.ListField(
        child=serializers.IntegerField(), help_text="The person of each row, in order."
    )


def _upsert(request: Request, rows: list[Mapping[str, Any]]) -> BulkOutcome:
    key = api_key(request)
    outcome = upsert_subjects(
        rows=rows,
        actor=api_actor(request),
        source=f"api:{key.prefix}" if key is not None else "api:session",
    )
    if outcome.errors:
        # All or nothing: nothing was written; each refused row says why, by field.
        raise exceptions.ValidationError(
            refusals_told(outcome.errors, rows=rows, readable=readable_fields(request)),
            code=REFUSED,
        )
    return outcome


class PersonFilter(ApiFilterSet):
    kind = django_filters.ChoiceFilter(choices=SubjectKind.choices)
    external_id = django_filters.CharFilter()
    organisation = IdFilter(field_name="organisation_id")
    work_email = django_filters.CharFilter(
        method="filter_email", help_text="Exact address (matched by its blind index)."
    )
    updated_since = MomentFilter(method="filter_updated_since")

    class Meta:
        model = DataSubject
        fields = ["kind", "organisation", "external_id"]

    def filter_updated_since(
        self, queryset: QuerySet[Any], name: str, value: dt.datetime
    ) -> QuerySet[Any]:
        # In UTC: PostgreSQL refuses an offset beyond ±15:59 that ISO 8601 allows.
        return queryset.filter(updated_at__gte=value.astimezone(dt.UTC))

    def filter_email(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(work_email_index=blind_index(value) or "-")


class SubjectsApi(ApiView):
    """People and their organisations: read with `subjects:read`, written with
    `subjects:write` (a signed-in user: `subjects.list`, `subjects.edit`)."""

    permission = "subjects.list"
    permissions_by_method = {"POST": "subjects.edit"}
    scopes = {"GET": Scope.SUBJECTS_READ, "POST": Scope.SUBJECTS_WRITE}


@extend_schema(tags=["people"])
class PersonListCreate(SubjectsApi, ApiWriteView, generics.ListAPIView[Any]):
    serializer_class = PersonSerializer
    filterset_class = PersonFilter

    def get_queryset(self) -> QuerySet[DataSubject]:
        return DataSubject.objects.active()

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        return super().get_serializer(*args, visible=readable_fields(self.request), **kwargs)

    @extend_schema(
        summary="List people",
        description="People in use (not anonymised or erased), oldest first, by cursor, each "
        "with the fields the caller's role or scopes show (the field policy of the admin's "
        "guide); a filter on a field the caller may not read is refused. One audit event per "
        "page names the key and the ids read.",
        responses={200: PersonSerializer(many=True), **READ_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        refuse_filters_on_hidden_fields(request)
        response = super().get(request, *args, **kwargs)
        ids = [row["id"] for row in response.data["results"]]
        audit_read(request, action="api.subjects_read", target_type=TARGET_TYPE, ids=ids)
        return response

    @extend_schema(
        summary="Create or update a person",
        description="Matched on `external_id`, then on the work e-mail; otherwise created. "
        "Under 18, data prospects do not get (date of birth, photo, address) and a suppressed "
        "address are refused with 400 naming the field. 201 when created, 200 otherwise. "
        "The answer shows the person as the caller may read them: a key without "
        "`subjects:read` gets the id alone, and `update` where nothing changed (`unchanged` "
        "would tell it the stored values). The audit event names the key and the person.",
        request=PersonInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: UpsertResultSerializer,
            201: UpsertResultSerializer,
            **WRITE_ERRORS,
            410: GONE,
        },
        examples=[
            OpenApiExample(
                "A prospect from the platform's sign-up",
                value={
                    "external_id": "u-1842",
                    "kind": "prospect",
                    "first_name": "Mari",
                    "last_name": "Tamm",
                    "work_email": "mari.tamm@example.ee",
                    "source": "subject",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            outcome = _upsert(request, person_rows([json_object(request)], limit=1))
        except exceptions.ValidationError as refused:
            detail = refused.detail
            raise exceptions.ValidationError(
                detail.get("0", detail) if isinstance(detail, dict) else detail
            ) from None
        pk = outcome.subject_ids[0]
        assert pk is not None  # the row was not refused: it names its person
        person = DataSubject.objects.get(pk=pk)
        readable = readable_fields(request)
        (action,) = answered_actions(outcome.actions, rows=[request.data], readable=readable)
        answer = Response(
            {"action": action, "person": PersonSerializer(person, visible=readable).data},
            status=status.HTTP_201_CREATED if action == "create" else status.HTTP_200_OK,
        )
        return idempotency.shows(answer, target_type=TARGET_TYPE, target_id=person.pk)


@extend_schema(tags=["people"])
class PersonDetail(SubjectsApi, generics.RetrieveAPIView[Any]):
    serializer_class = PersonSerializer
    scopes = {"GET": Scope.SUBJECTS_READ}

    def get_queryset(self) -> QuerySet[DataSubject]:
        return DataSubject.objects.active()

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        return super().get_serializer(*args, visible=readable_fields(self.request), **kwargs)

    @extend_schema(
        summary="Read a person",
        description="One person by the portal's id, with the fields the caller's role or "
        "scopes show; the read is audited with the key.",
        responses={200: PersonSerializer, **ONE_ERRORS},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().get(request, *args, **kwargs)
        audit_read(
            request, action="api.subjects_read", target_type=TARGET_TYPE, ids=[response.data["id"]]
        )
        return response


@extend_schema(tags=["people"])
class PersonBulkUpsert(SubjectsApi, ApiWriteView):
    scopes = {"POST": Scope.SUBJECTS_WRITE}

    @extend_schema(
        summary="Create or update up to 10 000 people",
        description="All or nothing: every row is validated first; if any row is refused, "
        "nothing is written and `error.fields` maps each refused row's index to its fields' "
        "messages. One audit event names the key and every id written or matched. A key "
        "without `subjects:read` is told `update` where nothing changed, as for one person.",
        request=BulkInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: BulkResultSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Two users of a client",
                value={
                    "people": [
                        {
                            "external_id": "u-1",
                            "kind": "user",
                            "first_name": "Anna",
                            "work_email": "anna@client.example",
                            "organisation": 12,
                        },
                        {
                            "external_id": "u-2",
                            "kind": "user",
                            "last_name": "Ozols",
                            "work_email": "ozols@client.example",
                            "organisation": 12,
                        },
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Row 1 refused: nothing written",
                value={
                    "error": {
                        "code": "invalid",
                        "message": "The request is invalid; see the fields.",
                        "fields": {"1": {"date_of_birth": ["This person is under 18 …"]}},
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = json_object(request)
        if unknown := sorted(set(data) - {"people"}):
            raise exceptions.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        rows = person_rows(data.get("people"), limit=MAX_ROWS)
        outcome = _upsert(request, rows)
        actions = answered_actions(outcome.actions, rows=rows, readable=readable_fields(request))
        return Response(
            {
                "created": actions.count("create"),
                "updated": actions.count("update"),
                "unchanged": actions.count("unchanged"),
                "ids": list(outcome.subject_ids),
            }
        )

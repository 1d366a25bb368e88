"""For the marketing tool: a purpose's audience since its last sync, the suppression check,
unsubscribe links with their RFC 8058 headers, and the unsubscribes it collected."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from consent import services
from consent.api.common import BATCH_LIMIT, IN_THE_FUTURE, MarketingPurposeField, PurposeField
from consent.emails import unsubscribe_headers, unsubscribe_url
from consent.models import Channel
from consent.selectors import marketable_filter
from consent.sync import audience_page, indexes_of, suppressed_positions
from core.api.auth import api_actor
from core.api.errors import REFUSED, django_validation_fields
from core.api.fields import StrictCharField, StrictDateTimeField, id_field
from core.api.inputs import ApiInput
from core.api.models import Scope
from core.api.schema import IDEMPOTENCY_KEY, ONE_ERRORS, WRITE_ERRORS
from core.api.views import ApiView, ApiWriteView, audit_read, json_object, read_query
from core.crypto import blind_index
from processing.models import Purpose
from subjects.models import DataSubject

CURSOR_SALT = "api.audience"
AUDIENCE_PAGE = 5000
TARGET = "subjects.datasubject"


class MemberSerializer(serializers.ModelSerializer[DataSubject]):
    language = serializers.CharField(source="letter_language")

    class Meta:
        model = DataSubject
        fields = ["id", "external_id", "work_email", "first_name", "last_name", "language"]


class AudienceSerializer(serializers.Serializer[Any]):
    purpose = serializers.CharField()
    as_of = serializers.DateTimeField()
    members = MemberSerializer(many=True, help_text="In the audience now (joined or changed).")
    removed = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids to drop: changed and not in it now."
    )
    more = serializers.BooleanField(help_text="Call again with `cursor` for the next page.")
    cursor = serializers.CharField(help_text="Pass it back on the next call.")


def _read_cursor(token: str, purpose: Purpose) -> tuple[dt.datetime | None, dt.datetime, int]:
    try:
        data = signing.loads(token, salt=CURSOR_SALT)
        if data["p"] != purpose.pk:
            raise ValueError("another purpose")
        since = dt.datetime.fromisoformat(data["s"]) if data["s"] else None
        until = dt.datetime.fromisoformat(data["u"]) if data["u"] else timezone.now()
        return since, until, int(data["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise exceptions.ValidationError(
            {"cursor": ["Not a cursor this API gave."]}, code=REFUSED
        ) from None


def _cursor(
    purpose: Purpose, since: dt.datetime | None, until: dt.datetime | None, after: int
) -> str:
    return signing.dumps(
        {
            "p": purpose.pk,
            "s": since.isoformat() if since else None,
            "u": until.isoformat() if until else None,
            "a": after,
        },
        salt=CURSOR_SALT,
    )


class AudienceQuery(serializers.Serializer[Any]):
    purpose = MarketingPurposeField()
    cursor = StrictCharField(
        required=False,
        help_text="The `cursor` of the previous answer.",
        rules=["It is not a cursor this list gave for this purpose."],
    )


@extend_schema(tags=["marketing tool"])
class Audience(ApiView):
    permission = "consent.audience"
    scopes = {"GET": Scope.CONSENT_READ}

    @extend_schema(
        summary="The audience of a purpose, incrementally",
        description="Without `cursor`: everyone who may be mailed for the purpose now. Each "
        "answer carries a `cursor`; passed back, it returns only the people whose state "
        "changed since (`members` to add or refresh, `removed` ids to drop). While `more` is "
        "true, keep calling with the new cursor to page through the same moment.",
        parameters=[AudienceQuery],
        responses={200: AudienceSerializer, **ONE_ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = read_query(request, AudienceQuery)
        purpose: Purpose = query["purpose"]
        token = query.get("cursor")
        since, until, after = _read_cursor(token, purpose) if token else (None, timezone.now(), 0)
        page = audience_page(
            purpose=purpose, since=since, until=until, after=after, limit=AUDIENCE_PAGE
        )
        if page.more:
            cursor = _cursor(purpose, since, until, page.members[-1].pk)
        else:
            cursor = _cursor(purpose, until, None, 0)
        audit_read(
            request,
            action="api.audience_read",
            target_type=TARGET,
            ids=[m.pk for m in page.members],
            details={"purpose": purpose.code, "removed": len(page.removed)},
        )
        return Response(
            {
                "purpose": purpose.code,
                "as_of": until,
                "members": MemberSerializer(page.members, many=True).data,
                "removed": page.removed,
                "more": page.more,
                "cursor": cursor,
            }
        )


class SuppressionInput(ApiInput):
    emails = serializers.ListField(
        child=StrictCharField(max_length=254), min_length=1, max_length=BATCH_LIMIT
    )


class SuppressionResult(serializers.Serializer[Any]):
    suppressed = serializers.ListField(
        child=serializers.CharField(),
        help_text="Those of the addresses sent that are on the suppression list.",
    )


@extend_schema(tags=["marketing tool"])
class SuppressionCheck(ApiWriteView):
    permission = "consent.audience"
    scopes = {"POST": Scope.CONSENT_READ}

    @extend_schema(
        summary="Which of these addresses are suppressed?",
        description="Up to 1 000 addresses, matched by blind index against the suppression "
        "list (people who objected to marketing). Only addresses the caller sent come back.",
        request=SuppressionInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: SuppressionResult, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Before a mailing",
                value={"emails": ["anna@client.example", "gone@prospect.example"]},
                request_only=True,
            ),
            OpenApiExample(
                "Only addresses sent come back",
                value={"suppressed": ["gone@prospect.example"]},
                response_only=True,
                status_codes=["200"],
            ),
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = SuppressionInput(data=json_object(request))
        given.is_valid(raise_exception=True)
        emails: list[str] = given.validated_data["emails"]
        found = suppressed_positions(emails)
        audit_read(
            request,
            action="api.suppression_checked",
            target_type="consent.suppressionentry",
            ids=[],
            details={"addresses": len(emails), "suppressed": len(found)},
        )
        return Response({"suppressed": [e for i, e in enumerate(emails) if i in found]})


class LinksInput(ApiInput):
    purpose = MarketingPurposeField()
    subjects = serializers.ListField(child=id_field(), min_length=1, max_length=BATCH_LIMIT)


class LinkSerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField()
    url = serializers.URLField()
    headers = serializers.DictField(
        child=serializers.CharField(),
        help_text="`List-Unsubscribe` and `List-Unsubscribe-Post` for the e-mail (RFC 8058).",
    )


class LinksResult(serializers.Serializer[Any]):
    links = LinkSerializer(many=True)
    not_marketable = serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids that may not be mailed: no link."
    )


@extend_schema(tags=["marketing tool"])
class UnsubscribeLinks(ApiWriteView):
    permission = "consent.audience"
    scopes = {"POST": Scope.CONSENT_READ}

    @extend_schema(
        summary="Unsubscribe links and headers for a mailing",
        description="For each person who may be mailed: the signed one-click unsubscribe link "
        "(the portal's own page records the withdrawal or objection) and the RFC 8058 headers. "
        "People who may not be mailed get no link.",
        request=LinksInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: LinksResult, **WRITE_ERRORS},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = LinksInput(data=json_object(request))
        given.is_valid(raise_exception=True)
        purpose: Purpose = given.validated_data["purpose"]
        wanted: list[int] = given.validated_data["subjects"]
        people = marketable_filter(DataSubject.objects.filter(pk__in=wanted), purpose=purpose)
        links = []
        for person in people.only("pk"):
            url = unsubscribe_url(person, purpose)
            links.append({"subject": person.pk, "url": url, "headers": unsubscribe_headers(url)})
        found = {link["subject"] for link in links}
        audit_read(
            request,
            action="api.unsubscribe_links_issued",
            target_type=TARGET,
            ids=sorted(found),
            details={"purpose": purpose.code},
        )
        return Response(
            {"links": links, "not_marketable": [pk for pk in wanted if pk not in found]}
        )


class UnsubscribeRow(ApiInput):
    email = StrictCharField(max_length=254)
    occurred_at = StrictDateTimeField(
        required=False,
        help_text="When the person unsubscribed; default now.",
        rules=[
            IN_THE_FUTURE,
            "The person consented again after this time: a withdrawal dated earlier would "
            "not stop the processing.",
        ],
    )


class UnsubscribesInput(ApiInput):
    purpose = PurposeField()
    unsubscribes = serializers.ListField(
        child=UnsubscribeRow(), min_length=1, max_length=BATCH_LIMIT
    )


class UnsubscribesResult(serializers.Serializer[Any]):
    recorded = serializers.IntegerField(help_text="Withdrawals or objections appended.")
    unchanged = serializers.IntegerField(help_text="Already withdrawn or objected.")
    unknown = serializers.ListField(
        child=serializers.IntegerField(), help_text="Row indexes of addresses not known here."
    )


@extend_schema(tags=["marketing tool"])
class Unsubscribes(ApiWriteView):
    permission = "consent.log"
    scopes = {"POST": Scope.CONSENT_WRITE}

    @extend_schema(
        summary="Report unsubscribes collected by the marketing tool",
        description="Each becomes a withdrawal (consent purpose) or an objection to direct "
        "marketing (legitimate interest: the address is suppressed), through the same service "
        "as the unsubscribe link, at the time the person acted.",
        request=UnsubscribesInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: UnsubscribesResult, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "Yesterday's unsubscribes",
                value={
                    "purpose": "direct-marketing",
                    "unsubscribes": [
                        {"email": "anna@client.example", "occurred_at": "2026-11-28T18:04:00Z"}
                    ],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = UnsubscribesInput(data=json_object(request))
        given.is_valid(raise_exception=True)
        purpose: Purpose = given.validated_data["purpose"]
        rows: list[dict[str, Any]] = given.validated_data["unsubscribes"]
        positions = indexes_of(row["email"] for row in rows)
        people = {
            p.work_email_index: p
            for p in DataSubject.objects.active().filter(work_email_index__in=list(positions))
        }
        recorded = unchanged = 0
        unknown: list[int] = []
        for index, row in enumerate(rows):
            person = people.get(blind_index(row["email"]) or "")
            if person is None:
                unknown.append(index)
                continue
            try:
                outcome = services.log_withdrawal_or_objection(
                    subject=person,
                    purposes=[purpose],
                    channel=Channel.API,
                    actor=api_actor(request),
                    occurred_at=row.get("occurred_at"),
                )
            except DjangoValidationError as refused:
                # All or nothing (the rows before are rolled back): the row says why.
                raise exceptions.ValidationError(
                    {"unsubscribes": {str(index): django_validation_fields(refused)}},
                    code=REFUSED,
                ) from None
            recorded += len(outcome.events)
            unchanged += len(outcome.unchanged)
        return Response({"recorded": recorded, "unchanged": unchanged, "unknown": unknown})

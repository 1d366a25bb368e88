"""`/api/`: the schema, its docs and version 1 of every app's endpoints."""

from __future__ import annotations

from django.urls import path

from consent.api import ledger as consent_api
from consent.api import marketing as marketing_api
from consent.api import records as records_api
from core.api.docs import SchemaView, docs
from processing import api as processing_api
from retention import api as retention_api
from subject_requests import api as requests_api
from subjects.api import events as event_api
from subjects.api import organisations as organisations_api
from subjects.api import people as people_api

V1 = "v1/"

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api_schema"),
    path("docs/", docs, name="api_docs"),
    # --- people and lifecycle events ---------------------------------------------------
    path(f"{V1}subjects/", people_api.PersonListCreate.as_view(), name="api_subjects"),
    path(f"{V1}subjects/bulk/", people_api.PersonBulkUpsert.as_view(), name="api_subjects_bulk"),
    path(f"{V1}subjects/<int:pk>/", people_api.PersonDetail.as_view(), name="api_subject"),
    path(
        f"{V1}organisations/",
        organisations_api.OrganisationListCreate.as_view(),
        name="api_organisations",
    ),
    path(
        f"{V1}organisations/<int:pk>/",
        organisations_api.OrganisationDetail.as_view(),
        name="api_organisation",
    ),
    *[
        path(f"{V1}events/{slug}/", view.as_view(), name=f"api_event_{view.event}")
        for slug, view in event_api.EVENT_VIEWS.items()
    ],
    # --- consent ------------------------------------------------------------------------
    path(f"{V1}consent/grant/", consent_api.GrantConsent.as_view(), name="api_consent_grant"),
    path(
        f"{V1}consent/withdraw/", consent_api.WithdrawConsent.as_view(), name="api_consent_withdraw"
    ),
    path(
        f"{V1}consent/object/", consent_api.ObjectToProcessing.as_view(), name="api_consent_object"
    ),
    path(
        f"{V1}subjects/<int:pk>/consent/",
        consent_api.ConsentStateView.as_view(),
        name="api_consent_state",
    ),
    path(f"{V1}consent/may-mail/", consent_api.MayMail.as_view(), name="api_may_mail"),
    path(
        f"{V1}subjects/<int:pk>/consent-records/",
        records_api.PersonConsentRecords.as_view(),
        name="api_person_consent_records",
    ),
    path(
        f"{V1}consent/records/",
        records_api.ConsentRecordsExport.as_view(),
        name="api_consent_records",
    ),
    # --- the marketing tool -------------------------------------------------------------
    path(f"{V1}marketing/audience/", marketing_api.Audience.as_view(), name="api_audience"),
    path(
        f"{V1}marketing/suppression-check/",
        marketing_api.SuppressionCheck.as_view(),
        name="api_suppression_check",
    ),
    path(
        f"{V1}marketing/unsubscribe-links/",
        marketing_api.UnsubscribeLinks.as_view(),
        name="api_unsubscribe_links",
    ),
    path(
        f"{V1}marketing/unsubscribes/",
        marketing_api.Unsubscribes.as_view(),
        name="api_unsubscribes",
    ),
    # --- data-subject requests ----------------------------------------------------------
    path(f"{V1}requests/", requests_api.FileRequest.as_view(), name="api_requests"),
    path(
        f"{V1}requests/<str:reference>/",
        requests_api.RequestStatus.as_view(),
        name="api_request",
    ),
    # --- register and retention (read-only) --------------------------------------------
    path(f"{V1}register/purposes/", processing_api.PurposeList.as_view(), name="api_purposes"),
    path(
        f"{V1}register/processors/", processing_api.ProcessorList.as_view(), name="api_processors"
    ),
    path(f"{V1}register/transfers/", processing_api.TransferList.as_view(), name="api_transfers"),
    path(
        f"{V1}retention/rules/",
        retention_api.RetentionRuleList.as_view(),
        name="api_retention_rules",
    ),
    path(f"{V1}retention/purge-runs/", retention_api.PurgeRunList.as_view(), name="api_purge_runs"),
]

"""`/api/`: the schema, its docs and version 1 of every app's endpoints."""

from __future__ import annotations

from django.urls import path

from core.api.docs import DocsView, SchemaView
from processing import api as processing_api
from retention import api as retention_api
from subjects.api import events as event_api
from subjects.api import people as people_api

V1 = "v1/"

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api_schema"),
    path("docs/", DocsView.as_view(), name="api_docs"),
    # --- people and lifecycle events ---------------------------------------------------
    path(f"{V1}subjects/", people_api.PersonListCreate.as_view(), name="api_subjects"),
    path(f"{V1}subjects/bulk/", people_api.PersonBulkUpsert.as_view(), name="api_subjects_bulk"),
    path(f"{V1}subjects/<int:pk>/", people_api.PersonDetail.as_view(), name="api_subject"),
    *[
        path(f"{V1}events/{slug}/", view.as_view(), name=f"api_event_{view.event}")
        for slug, view in event_api.EVENT_VIEWS.items()
    ],
    # --- register and retention (read-only) --------------------------------------------
    path(f"{V1}register/purposes/", processing_api.PurposeList.as_view(), name="api_purposes"),
    path(
        f"{V1}register/processors/", processing_api.ProcessorList.as_view(), name="api_processors"
    ),
    path(
        f"{V1}register/transfers/", processing_api.TransferList.as_view(), name="api_transfers"
    ),
    path(
        f"{V1}retention/rules/",
        retention_api.RetentionRuleList.as_view(),
        name="api_retention_rules",
    ),
    path(
        f"{V1}retention/purge-runs/", retention_api.PurgeRunList.as_view(), name="api_purge_runs"
    ),
]

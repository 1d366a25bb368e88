"""`/api/`: the schema, its docs and version 1 of every app's endpoints."""

from __future__ import annotations

from django.urls import path

from core.api.docs import DocsView, SchemaView
from processing import api as processing_api
from retention import api as retention_api

v1 = [
    path("register/purposes/", processing_api.PurposeList.as_view(), name="api_purposes"),
    path("register/processors/", processing_api.ProcessorList.as_view(), name="api_processors"),
    path("register/transfers/", processing_api.TransferList.as_view(), name="api_transfers"),
    path("retention/rules/", retention_api.RetentionRuleList.as_view(), name="api_retention_rules"),
    path("retention/purge-runs/", retention_api.PurgeRunList.as_view(), name="api_purge_runs"),
]

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api_schema"),
    path("docs/", DocsView.as_view(), name="api_docs"),
    *[path(f"v1/{p.pattern}", p.callback, name=p.name) for p in v1],
]

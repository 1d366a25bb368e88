from __future__ import annotations

from django.urls import path

from consent import views
from consent.views import imports, records

app_name = "consent"

urlpatterns = [
    path("log/", views.find_person, name="find"),
    path("log/<int:pk>/", views.log_for_subject, name="log"),
    path("log/suppress/", views.suppress_address, name="suppress"),
    path("grant/<int:pk>/", views.grant_for_subject, name="grant"),
    path("subjects/<int:pk>/", views.subject_consent, name="subject"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger.csv", views.ledger_csv, name="ledger_csv"),
    path("ledger.jsonld", records.ledger_records, name="ledger_records"),
    path("subjects/<int:pk>/records.jsonld", records.subject_records, name="subject_records"),
    path("audience/", views.audience, name="audience"),
    path("notices/", views.notices, name="notices"),
    path("policies/new/", views.policy_new, name="policy_new"),
    path("policies/<int:pk>/", views.policy_detail, name="policy"),
    path("objections/", views.objections, name="objections"),
    path("objections/<int:pk>/", views.objection_decide, name="objection"),
    path("suppression/", views.suppression, name="suppression"),
    path("imports/", imports.import_list, name="imports"),
    path("imports/<int:pk>/", imports.import_detail, name="import"),
    path("imports/<int:pk>/progress/", imports.import_progress, name="import_progress"),
    path("imports/<int:pk>/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/<int:pk>/discard/", imports.import_discard, name="import_discard"),
    path("imports/<int:pk>/result.csv", imports.import_result_csv, name="import_result"),
]

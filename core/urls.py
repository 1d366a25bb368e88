from __future__ import annotations

from django.urls import path
from django.views.i18n import set_language

from core import views
from core.api import pages as api_pages
from core.permissions import requires

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
    path("account/2fa/", views.two_factor_setup, name="two_factor"),
    path("account/2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("settings/api-keys/", api_pages.api_keys, name="api_keys"),
    path("settings/api-keys/<int:pk>/revoke/", api_pages.api_key_revoke, name="api_key_revoke"),
    path("healthz", views.health, name="health"),
    path("i18n/setlang/", requires("public")(set_language), name="set_language"),
]

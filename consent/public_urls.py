from __future__ import annotations

from django.urls import path

from consent import public_views

app_name = "consent_public"

urlpatterns = [
    path("unsubscribe/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("subscribe/", public_views.subscribe, name="subscribe"),
    path("subscribe/sent/", public_views.subscribe_sent, name="subscribe_sent"),
    path(
        "subscribe/confirm/<str:token>/", public_views.subscribe_confirm, name="subscribe_confirm"
    ),
    path("policy/", public_views.policy, name="policy"),
]

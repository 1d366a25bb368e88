from __future__ import annotations

from django.urls import path

from processing import views

app_name = "processing"

urlpatterns = [
    path("", views.register, name="register"),
]

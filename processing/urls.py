from __future__ import annotations

from django.urls import path

from processing import views

app_name = "processing"

urlpatterns = [
    path("", views.register, name="register"),
    path("systems/", views.system_list, name="system_list"),
    path("systems/new/", views.system_create, name="system_create"),
    path("systems/<int:pk>/", views.system_detail, name="system_detail"),
    path("systems/<int:pk>/edit/", views.system_edit, name="system_edit"),
    path("systems/<int:pk>/secret/", views.system_secret, name="system_secret"),
    path("systems/<int:pk>/deactivate/", views.system_deactivate, name="system_deactivate"),
    path("systems/<int:pk>/reactivate/", views.system_reactivate, name="system_reactivate"),
]

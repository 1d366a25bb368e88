from __future__ import annotations

from django.urls import path

from breaches import views

app_name = "breaches"

urlpatterns = [
    path("", views.breach_list, name="list"),
    path("new/", views.breach_create, name="create"),
    path("<int:pk>/", views.breach_detail, name="detail"),
    path("<int:pk>/edit/", views.breach_edit, name="edit"),
    path("<int:pk>/authority/", views.breach_authority, name="authority"),
    path("<int:pk>/notify/", views.breach_notify, name="notify"),
    path("<int:pk>/follow-up/", views.breach_follow_up, name="follow_up"),
    path("<int:pk>/people/", views.breach_people, name="people"),
    path("<int:pk>/affected/", views.breach_affected, name="affected"),
    path("<int:pk>/letters/", views.breach_send_letters, name="send_letters"),
    path("<int:pk>/close/", views.breach_close, name="close"),
    path("<int:pk>/notification-draft.pdf", views.breach_draft_pdf, name="draft_pdf"),
    path("<int:pk>/letter-<str:language>.pdf", views.breach_letter_pdf, name="letter_pdf"),
]

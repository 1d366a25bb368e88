from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext_lazy as _

from core.http import hostile_query
from core.permissions import Role, user_roles

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


class PrivacyOpsAdminSite(AdminSite):
    site_header = _("PrivacyOps administration")
    site_title = _("PrivacyOps admin")

    def has_permission(self, request: Any) -> bool:
        return Role.ADMIN in user_roles(request.user)

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        guarded = super().admin_view(view, cacheable)

        @wraps(view)
        def refusing_hostile_queries(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if hostile_query(request):
                return HttpResponseBadRequest(
                    "A value in the address is too long or holds a NUL character.",
                    content_type="text/plain; charset=utf-8",
                )
            return guarded(request, *args, **kwargs)

        return cast(View, refusing_hostile_queries)

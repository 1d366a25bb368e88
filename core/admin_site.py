from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _

from core.permissions import Role, user_roles


class PrivacyOpsAdminSite(AdminSite):
    site_header = _("PrivacyOps administration")
    site_title = _("PrivacyOps admin")

    def has_permission(self, request: Any) -> bool:
        return Role.ADMIN in user_roles(request.user)

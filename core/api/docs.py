"""The schema (`/api/schema/`) and its Swagger UI (`/api/docs/`), served from the portal's own
static files (drf-spectacular-sidecar) so the strict CSP needs no exception."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import core.api.schema  # noqa: F401  (registers the authentication schemes)


class SchemaView(SpectacularAPIView):
    permission = "api.docs"
    checks_own_permission = True


class DocsView(SpectacularSwaggerView):
    permission = "api.docs"
    checks_own_permission = True
    url_name = "api_schema"

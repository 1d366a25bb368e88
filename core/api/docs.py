"""The schema (`/api/schema/`) and its Swagger UI (`/api/docs/`), served from the portal's own
static files (drf-spectacular-sidecar) so the strict CSP needs no exception."""

from __future__ import annotations

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

import core.api.schema  # noqa: F401  (registers the authentication schemes)


class SchemaView(SpectacularAPIView):
    permission = "api.docs"
    checks_own_permission = True


class DocsView(SpectacularSwaggerSplitView):
    """The page and its start-up script are two requests (`?script`), so the page needs no
    inline script; its template keeps its styles in a static file."""

    permission = "api.docs"
    checks_own_permission = True
    url_name = "api_schema"
    template_name = "core/api_docs.html"

"""/api/: the REST API and its OpenAPI schema.

Other apps add their API modules with one `path("", include(...))` line each
at the end of `urlpatterns`; keep it a plain list.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from . import docs, views

app_name = "api"

# Path converters, not regexes, and no format suffixes: every object URL takes one
# `code` argument, which the URL-walking scope test (web/tests/test_scope_pages.py) covers.
router = SimpleRouter(use_regex_path=False)
router.register("units", views.UnitViewSet, basename="unit")
router.register("citizens", views.CitizenViewSet, basename="citizen")
router.register("visits", views.VisitViewSet, basename="visit")
router.register("forms", views.AggregateFormViewSet, basename="form")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    path("", include(router.urls)),
    path("imports/", include("chiendich.imports.api_urls")),
    path("results/", include("chiendich.results.api_urls")),
    path("", include("chiendich.reporting.api_urls")),
]

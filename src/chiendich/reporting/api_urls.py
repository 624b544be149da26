"""/api/reports/ and /api/completeness/ (included from chiendich.api.urls)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ActivityViewSet, CompletenessView, ReportViewSet

router = SimpleRouter(use_regex_path=False)
router.register("reports", ReportViewSet, basename="report")
router.register("activities", ActivityViewSet, basename="activity")
urlpatterns = [
    path("completeness/", CompletenessView.as_view(), name="completeness"),
    *router.urls,
]

"""Mounted by chiendich.api.urls at /api/imports/ (namespace api:imports)."""

from django.urls import path

from . import api

app_name = "imports"
urlpatterns = [
    path("", api.ImportJobList.as_view(), name="job-list"),
    path("<str:job>/", api.ImportJobDetail.as_view(), name="job-detail"),
]

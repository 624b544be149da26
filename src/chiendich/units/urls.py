"""The split-communes pages, under /don-vi/chia-tach/ (included before the unit pages,
whose /don-vi/<code>/ would otherwise take "chia-tach" for a unit code)."""

from django.urls import path

from . import views

app_name = "units"
urlpatterns = [
    path("", views.split_list, name="split-list"),
    path("mau-gan-ap.csv", views.split_template, name="split-template"),
    path("tai-len/", views.split_upload, name="split-upload"),
    # Its assignment and placement forms post to the page itself.
    path("<str:commune>/", views.split_detail, name="split-detail"),
]

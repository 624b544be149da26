from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.report_list, name="report-list"),
    path("day-du/", views.completeness_page, name="completeness"),
    path("truyen-thong/", views.activities, name="activities"),
    path("da-gui/", views.completeness_below_page, name="completeness-below"),
    path("nguoi-ky/", views.signers, name="signers"),
    path("<str:report>/", views.report_detail, name="report-detail"),
    path("<str:report>/tai/<str:fmt>/", views.report_download, name="report-download"),
]

from django.urls import path

from . import health, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("ke-hoach/", views.plan_page, name="plan"),
    path("healthz", health.healthz, name="healthz"),
    path("mau/<str:name>", views.import_template, name="import-template"),
    path("don-vi/<str:code>/", views.UnitDetailView.as_view(), name="unit-detail"),
    path("don-vi/<str:code>/bang-chi-so.xlsx", views.UnitExportView.as_view(), name="unit-xlsx"),
    path("don-vi/<str:code>/chi-tieu/", views.UnitTargetsView.as_view(), name="unit-targets"),
]

from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.imports_home, name="home"),
    path("mau/<str:kind>.xlsx", views.template_view, name="template"),
    path("<str:job>/", views.job_view, name="job"),
    path("<str:job>/tien-do/", views.job_progress_view, name="job-progress"),
    path("<str:job>/xac-nhan/", views.job_confirm_view, name="job-confirm"),
    path("<str:job>/chay-lai/", views.job_rerun_view, name="job-rerun"),
]

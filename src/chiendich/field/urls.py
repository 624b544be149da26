from django.urls import path

from . import views

app_name = "field"
urlpatterns = [
    path("", views.field_home, name="home"),
    path("sw.js", views.service_worker, name="sw"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("dong-bo/", views.sync_view, name="sync"),
    path("ap/<str:code>/", views.hamlet_view, name="hamlet"),
    path("ap/<str:code>/du-lieu.json", views.hamlet_data_view, name="hamlet-data"),
    path("ap/<str:code>/danh-sach.xlsx", views.worklist_xlsx, name="worklist-xlsx"),
    path("ap/<str:code>/danh-sach.pdf", views.worklist_pdf, name="worklist-pdf"),
    path("don-vi/<str:code>/danh-sach/", views.lists_view, name="lists"),
    path("don-vi/<str:code>/tan-thu/", views.mopup_view, name="mopup"),
]

from django.urls import path

from . import views

app_name = "results"
urlpatterns = [
    path("", views.search, name="search"),
    path("tai-len/", views.upload, name="upload"),
    path("tra-cuu/", views.lookup, name="lookup"),
    # ?tep=1 downloads the file, ?hien=1 shows the ID number: the same page and scope.
    path("<str:result>/", views.detail, name="detail"),
]

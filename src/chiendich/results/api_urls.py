from django.urls import path

from . import api

app_name = "results"
urlpatterns = [
    path("", api.SearchView.as_view(), name="search"),
    path("once-only/", api.OnceOnlyView.as_view(), name="once-only"),
    path("reuses/", api.ReuseView.as_view(), name="reuses"),
    path("<str:result>/", api.DetailView.as_view(), name="detail"),
]

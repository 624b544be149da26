"""URL map: the web pages, sign-in, language switch, and the Django admin."""

from django.contrib import admin
from django.urls import include, path

from chiendich.accounts.views import SignOutView
from chiendich.web import views as web_views

urlpatterns = [
    path("don-vi/chia-tach/", include("chiendich.units.urls")),
    path("", include("chiendich.web.urls")),
    path("thuc-dia/", include("chiendich.field.urls")),
    path("bao-cao/", include("chiendich.reporting.urls")),
    path("ket-qua/", include("chiendich.results.urls")),
    path("nhap/", include("chiendich.imports.urls")),
    path("api/", include("chiendich.api.urls")),
    path("dang-nhap/", web_views.LoginView.as_view(), name="login"),
    path("dang-xuat/", SignOutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# A value the page cannot use (?ngay=0001-01-01) answers a 400 that says what is allowed.
handler400 = "chiendich.web.views.bad_request"

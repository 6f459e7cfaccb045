from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from core.health import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("portal/", include("incidents.portal.urls")),
    path("pages/", include("incidents.oncall.urls")),
    path("healthz", healthz, name="healthz"),
]
# No route serves MEDIA_URL, in any configuration: attachments leave only through views that check
# the incident's access rule (the portal's and the admin's download views, `incidents.uploads`).

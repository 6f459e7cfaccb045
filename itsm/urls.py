from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from comms.api.urls import routes as comms_routes
from compliance.api.metrics import SlaMetricsView
from core.api.views import ApiRootView
from core.health import healthz
from incidents.api.urls import routes as incident_routes
from intake.api.urls import routes as intake_routes
from knowledge_base.api.urls import routes as knowledge_routes
from reviews.api.urls import routes as review_routes

# The one router of /api/v1/: each app lists its (prefix, viewset, basename) in api/urls.py.
router = DefaultRouter()
router.APIRootView = ApiRootView
for prefix, viewset, basename in (*incident_routes, *knowledge_routes, *review_routes, *intake_routes, *comms_routes):
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="portal:home", permanent=False)),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("portal/", include("incidents.portal.urls")),
    path("pages/", include("incidents.oncall.urls")),
    path("status/", include("comms.status.urls")),
    path("api/v1/metrics/sla/", SlaMetricsView.as_view(), name="api-metrics-sla"),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file: the Content-Security-Policy allows no inline code.
    # (No Redoc page: its stock page loads fonts from a CDN and its styles are injected inline.)
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("healthz", healthz, name="healthz"),
]
# No route serves MEDIA_URL, in any configuration: attachments leave only through views that check
# the incident's access rule (the portal's and the admin's download views, `incidents.uploads`).

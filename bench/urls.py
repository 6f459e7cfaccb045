"""The project's URLs plus the ceilings of the portal, API and intake benchmarks, mounted only by `bench.settings`."""

from django.contrib import admin
from django.urls import path

from itsm.urls import urlpatterns as project_urlpatterns

from .api_views import bare_api_create, bare_api_list
from .intake_views import bare_alert, bare_email
from .views import bare_admin_page, bare_form, bare_list, write_one_row, write_same_rows

urlpatterns = [
    path("bench/api/incidents/", bare_api_list, name="bench_api_list"),
    path("bench/api/write-rows/", bare_api_create, name="bench_api_write_rows"),
    path("bench/intake/alerts/", bare_alert, name="bench_intake_alert"),
    path("bench/intake/email/", bare_email, name="bench_intake_email"),
    path("bench/admin-page/", admin.site.admin_view(bare_admin_page), name="bench_admin_page"),
    path("bench/form/", bare_form, name="bench_form"),
    path("bench/list/", bare_list, name="bench_list"),
    path("bench/write/", write_one_row, name="bench_write"),
    path("bench/write-rows/", write_same_rows, name="bench_write_rows"),
    *project_urlpatterns,
]

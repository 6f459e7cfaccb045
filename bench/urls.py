"""The project's URLs plus the ceiling of the portal benchmark, mounted only by `bench.settings`."""

from django.urls import path

from itsm.urls import urlpatterns as project_urlpatterns

from .views import write_one_row

urlpatterns = [
    path("bench/write/", write_one_row, name="bench_write"),
    *project_urlpatterns,
]

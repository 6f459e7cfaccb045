"""The acknowledgement link of a page (mounted at /pages/ by itsm.urls)."""

from django.urls import path

from . import paging

app_name = "paging"

urlpatterns = [
    path("ack/<str:token>/", paging.acknowledge_view, name="ack"),
]

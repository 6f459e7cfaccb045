"""The acknowledgement link of a page (mounted at /pages/ by itsm.urls)."""

from django.urls import path

from . import views

app_name = "paging"

urlpatterns = [
    path("ack/<str:token>/", views.acknowledge_view, name="ack"),
]

from django.urls import path

from . import feeds, views

app_name = "status"

urlpatterns = [
    path("", views.status_page, name="page"),
    path("feed.atom", feeds.StatusFeed(), name="feed"),
    path("summary.json", views.summary_json, name="summary"),
    path("status.json", views.status_json, name="status"),
    path("incidents/<str:reference>/follow/", views.follow, name="follow"),
    path("incidents/<str:reference>/unfollow/", views.unfollow, name="unfollow"),
]

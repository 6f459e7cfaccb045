from django.urls import path

from . import deflection, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/suggestions/", deflection.kb_suggest, name="kb_suggest"),
    path("report/solved/", deflection.deflect, name="deflect"),
    path("answers/<slug:kind>/<int:pk>/", deflection.answer, name="answer"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/<str:reference>/", views.incident_detail, name="incident_detail"),
    # Before the action pattern, which would otherwise take "comment" as an action name.
    path("incidents/<str:reference>/comment/", views.incident_comment, name="incident_comment"),
    path(
        "incidents/<str:reference>/attachments/<int:pk>/", views.attachment_download, name="attachment_download"
    ),
    path("incidents/<str:reference>/<slug:action>/", views.incident_action, name="incident_action"),
]

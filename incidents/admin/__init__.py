"""The service desk's admin: incidents (list, change page, transitions, team queue), the SLA clock
and on-call, and their configuration. Importing the package registers everything with the default
admin site."""

from django.contrib import admin

from . import config, incident, messages, oncall, sla  # noqa: F401  (registration happens on import)

admin.site.site_header = "Service Desk"
admin.site.site_title = "Service Desk"
admin.site.index_title = "Incidents and their configuration"

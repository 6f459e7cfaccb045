"""The admin's index is the staff home (`templates/dashboard/index.html`); this app registers no models."""

from django.contrib import admin

admin.site.index_template = "dashboard/index.html"

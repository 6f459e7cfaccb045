"""The status page as an Atom feed: one entry per incident on it (ongoing, then the last 90 days),
its content the updates said publicly, newest first; an entry is updated when its incident is."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.safestring import mark_safe

from . import selectors
from .selectors import PublicIncident
from .statuspage import PAGE_NAME


class StatusFeed(Feed):
    feed_type = Atom1Feed
    title = PAGE_NAME
    subtitle = "Major incidents on our services, and what we said about them."
    author_name = PAGE_NAME

    def get_object(self, request, *args, **kwargs) -> selectors.Snapshot:
        return selectors.snapshot()

    def link(self) -> str:
        return reverse("status:page")

    def feed_guid(self) -> str:
        return self.link()

    def items(self, snapshot: selectors.Snapshot) -> tuple[PublicIncident, ...]:
        return snapshot.incidents

    def item_title(self, item: PublicIncident) -> str:
        return f"{item.status_label}: {item.name}" + (f" ({item.service_name})" if item.service_name else "")

    def item_link(self, item: PublicIncident) -> str:
        return f"{reverse('status:page')}#{item.reference.lower()}"

    def item_guid(self, item: PublicIncident) -> str:
        return self.item_link(item)

    def item_pubdate(self, item: PublicIncident):
        return item.created_at

    def item_updateddate(self, item: PublicIncident):
        return item.updated_at

    def item_description(self, item: PublicIncident) -> str:
        if not item.updates:
            return format_html("<p>{} since {}.</p>", item.status_label, item.created_at.strftime("%d %b %Y %H:%M UTC"))
        return format_html_join("", "<p><strong>{}</strong> ({})</p>{}", (
            (u.status.capitalize(), u.created_at.strftime("%d %b %Y %H:%M UTC"), mark_safe(linebreaks(u.body, autoescape=True)))  # noqa: S308 (escaped)
            for u in item.updates))

"""Panels that other apps add to an incident's pages: the admin's change page ("admin"), the
portal's incident page ("portal") and the major-incident page of the response app ("major"); and
links to their pages that the incident's e-mails give (`register_link`: the SLA reminder of a
missed stakeholder update links to the update form).

The incidents app may not import the apps above it (intake, communications, reviews), yet the
desk wants the alerts behind an incident on its page, and the reporter a "follow" button. So those
apps register a panel here from their `ready()`; the page renders every registered panel, in the
order registered. A panel is a function `(request, incident) -> str`: its HTML (rendered from its
own template, escaped as any template is), or "" to show nothing. It decides itself who may see it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

SURFACES = ("admin", "portal", "major")


@dataclass(frozen=True)
class Panel:
    surface: str
    name: str
    render: Callable


PANELS: list[Panel] = []


def register(surface: str, name: str, render: Callable) -> None:
    if surface not in SURFACES:
        raise ValueError(f"A panel goes on one of {SURFACES}, not {surface!r}.")
    if not any(panel.surface == surface and panel.name == name for panel in PANELS):
        PANELS.append(Panel(surface, name, render))


def rendered(surface: str, request, incident) -> list[SafeString]:
    """The HTML of every panel of `surface` that has something to show for this incident."""
    shown = []
    for panel in PANELS:
        if panel.surface == surface:
            html = panel.render(request, incident)
            if html:
                shown.append(mark_safe(html))  # noqa: S308 - rendered by the panel's own (escaping) template
    return shown


LINKS: dict[str, Callable] = {}


def register_link(name: str, url_of: Callable) -> None:
    """`url_of(incident) -> str`: a path on this site (another app's page about the incident)."""
    LINKS[name] = url_of


def link(name: str, incident) -> str | None:
    url_of = LINKS.get(name)
    return url_of(incident) if url_of is not None else None

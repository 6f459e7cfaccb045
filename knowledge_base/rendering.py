"""Markdown to safe HTML for known errors and articles.

Two layers, so one mistake is not enough for a script to reach a page:
1. Markdown runs with its raw-HTML handling removed: `<script>` typed in a body is shown as text.
2. nh3 (an allow-list sanitizer) cleans the output: only formatting tags, only http(s)/mailto
   links, no event-handler or style attributes, and every link gets rel="noopener noreferrer nofollow".
   Images load only over https or from this site: an image from plain http is mixed content, and
   from a third party it tells that party who read which article when (a tracking pixel).
"""

from __future__ import annotations

import re
import threading

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a", "img",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Bodies are pasted from runbooks and mails; past this size they are someone's log file, not prose.
MAX_SOURCE_CHARS = 200_000

_local = threading.local()


def _converter() -> markdown.Markdown:
    # Markdown instances keep state between calls and are not thread-safe: one per thread, reset.
    md = getattr(_local, "md", None)
    if md is None:
        md = markdown.Markdown(extensions=["fenced_code", "tables", "sane_lists"], output_format="html")
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        _local.md = md
    md.reset()
    return md


def _safe_image_source(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: `<img src>` kept only for https and same-origin paths."""
    if tag == "img" and attribute == "src":
        same_origin = value.startswith("/") and not value.startswith("//")
        return value if same_origin or value.lower().startswith("https://") else None
    return value


def render_markdown(text: str | None) -> SafeString:
    """Sanitised HTML for a Markdown body; safe to put in a template as is."""
    source = (text or "")[:MAX_SOURCE_CHARS].replace("\x00", "")
    if not source.strip():
        return mark_safe("")
    html = _converter().convert(source)
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_safe_image_source,
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 output is the sanitised form


_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_LINE_MARKUP = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)", re.MULTILINE)
_INLINE_MARKUP = re.compile(r"```|`|\*\*|__|\*")
_SPACES = re.compile(r"\s+")


def plain_text(text: str | None, *, limit: int = 280) -> str:
    """The words of a Markdown body without its markup, shortened at a word boundary (excerpts).

    Plain text, not HTML: whoever shows it escapes it, as Django templates do. Stripping the
    markup is cheaper than rendering, which matters when every search result has an excerpt."""
    words = (text or "")[: limit * 4].replace("\x00", "")
    words = _IMAGE_OR_LINK.sub(r"\1", words)
    words = _LINE_MARKUP.sub("", words)
    words = _INLINE_MARKUP.sub("", words)
    words = _SPACES.sub(" ", words).strip()
    if len(words) <= limit:
        return words
    cut = words[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:") + "…"

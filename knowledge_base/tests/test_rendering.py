"""Markdown bodies are rendered sanitised: no script, event handler or dangerous link gets through."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from knowledge_base.rendering import plain_text, render_markdown

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<<script>script>alert(1)<</script>/script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click]( javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<a href=\"https://example.com\" onclick=\"alert(1)\">x</a>",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "[ref]: javascript:alert(1)\n\n[click][ref]",
    "<javascript:alert(1)>",
    "```\n</code></pre><script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "**bold**{: onmouseover=alert(1) }",
    "<form action=https://evil.example><input name=password></form>",
    "<meta http-equiv=refresh content=0;url=https://evil.example>",
    "<!-- <script>alert(1)</script> -->",
]

SAFE_TAGS = {"p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
             "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "a", "img"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")


class _Elements(HTMLParser):
    """Every element and attribute the browser would build from the output."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


@pytest.mark.parametrize("source", ATTACKS)
def test_no_raw_html_or_script_survives_rendering(source):
    parser = _Elements()
    parser.feed(str(render_markdown(source)))
    for tag, attrs in parser.elements:
        assert tag in SAFE_TAGS, (source, tag)
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (source, tag, name)
            if name in ("href", "src"):
                assert value.strip().lower().startswith(SAFE_SCHEMES), (source, value)


def test_raw_html_is_shown_as_text_not_dropped_silently():
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render_markdown("<script>alert(1)</script>")


def test_markdown_formatting_and_safe_links_still_work():
    html = render_markdown("# Steps\n\n1. Open **Settings**\n2. See [the guide](https://intranet.example.com/vpn)")
    assert "<h1>Steps</h1>" in html
    assert "<strong>Settings</strong>" in html
    assert '<a href="https://intranet.example.com/vpn" rel="noopener noreferrer nofollow">the guide</a>' in html


def test_empty_and_nul_input_render_nothing_or_text():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
    assert "\x00" not in render_markdown("a\x00b")


def test_plain_text_excerpt_drops_markup_and_cuts_at_a_word():
    text = "1. Open the **VPN** client [settings](https://x.example).\n2. Switch to `SSL`. " + "More words. " * 40
    excerpt = plain_text(text, limit=60)
    assert excerpt.startswith("Open the VPN client settings. Switch to SSL.")
    assert excerpt.endswith("…") and len(excerpt) <= 61


def test_template_filter_renders_sanitised_markdown():
    from django.template import Context, Template

    html = Template("{% load kb_markdown %}{{ body|kb_markdown }}").render(
        Context({"body": "**Restart** <img src=x onerror=alert(1)>"})
    )
    assert html == "<p><strong>Restart</strong> &lt;img src=x onerror=alert(1)&gt;</p>"


def test_images_load_only_over_https_or_from_this_site():
    html = render_markdown(
        "![diagram](https://docs.example.com/vpn.png) ![pixel](http://tracker.example.net/p.gif) "
        "![local](/static/itsm/logo.png) ![other](//cdn.example.net/x.png) ![data](data:image/png;base64,AAAA)"
    )
    assert 'src="https://docs.example.com/vpn.png"' in html
    assert 'src="/static/itsm/logo.png"' in html
    assert "tracker.example.net" not in html and "cdn.example.net" not in html and "data:" not in html

"""HTML presenter: autoescaping of user input, inline CSS and images, structure."""

from __future__ import annotations

import base64
from html.parser import HTMLParser

from abtest.report.html import environment, render_html

VOID = {"meta", "img", "br", "hr", "link", "input"}


class TagBalance(HTMLParser):
    """Collects scripts/handlers and checks every element is closed in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.scripts = 0
        self.handlers: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        self.handlers += [k for k, _ in attrs if k.startswith("on")]
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def parse(html: str) -> TagBalance:
    p = TagBalance()
    p.feed(html)
    p.close()
    assert not p.errors and not p.stack, (p.errors, p.stack)
    return p


def test_environment_autoescapes():
    assert environment().autoescape is True


def test_script_in_variant_name_and_hypothesis_is_escaped(hostile):
    html = render_html(hostile, plots=False)
    p = parse(html)
    assert p.scripts == 0 and p.handlers == []
    assert "<script>" not in html and "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html  # the variant row
    assert "Users prefer &lt;script&gt;" in html  # the hypothesis
    assert "&amp; &#34;quotes&#34;" in html
    assert "Hero &lt;img src=x onerror=alert(1)&gt;" in html


def test_escaping_holds_with_plots_and_repr_html(hostile):
    for html in (render_html(hostile, plots=True), hostile._repr_html_()):
        p = parse(html)
        assert p.scripts == 0 and p.handlers == []
        assert "<script>" not in html


def test_fragment_is_self_contained_with_inline_css_and_png(udacity):
    html = render_html(udacity)
    p = parse(html)
    assert html.lstrip().startswith('<div class="abtest-report">')
    assert "<style>" in html and ".abtest-report table" in html
    assert "<link" not in html and "http" not in html.replace("https://", "")  # no fetches
    assert len(p.images) == 1 and p.images[0].startswith("data:image/png;base64,")
    png = base64.b64decode(p.images[0].split(",", 1)[1])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_svg_images_and_standalone_page(udacity):
    html = render_html(udacity, image_format="svg", standalone=True)
    p = parse(html)
    assert html.startswith("<!doctype html>") and "<title>experiment</title>" in html
    svg = base64.b64decode(p.images[0].split(",", 1)[1]).decode()
    assert "<svg" in svg


def test_no_plots(udacity):
    html = render_html(udacity, plots=False)
    assert "<img" not in html and "data:image" not in html


def test_decision_and_table_rows(multi):
    html = render_html(multi, plots=False)
    parse(html)
    assert '<div class="decision win">' in html
    assert '<div class="verdict">Winner: c</div>' in html
    assert html.count('<tr class="better">') >= 2  # c on signup, b on click
    assert html.count('<table class="metric">') == 4
    assert '<table class="funnel">' in html and '<table class="costs">' in html


def test_more_plot_kinds_are_embedded_when_available(multi, group_sequential):
    html = render_html(multi, kinds=("lift", "funnel", "timeline"))
    assert html.count("data:image/png") == 2  # no daily data: the timeline is skipped
    html = render_html(group_sequential, kinds=("lift", "timeline"))
    assert html.count("data:image/png") == 2

"""Assertions shared by the page tests: nothing loaded from elsewhere, no personal data shown."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Attributes through which a page makes the browser fetch something by itself.
LOADING = {
    "script": ["src"], "img": ["src", "srcset"], "iframe": ["src"], "link": ["href"],
    "source": ["src", "srcset"], "video": ["src", "poster"], "audio": ["src"], "embed": ["src"],
    "object": ["data"], "form": ["action"], "input": ["src"],
}


class _Loads(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("rel") in {"canonical", "alternate"}:
            return  # metadata, not fetched
        for name in LOADING.get(tag, []):
            if attrs.get(name):
                self.urls.extend(part.strip().split(" ")[0] for part in attrs[name].split(","))
        style = attrs.get("style") or ""
        self.urls.extend(re.findall(r"url\(([^)]+)\)", style))


def third_party_loads(html, own_host="testserver"):
    """URLs in the page that the browser would fetch from another origin by itself."""
    parser = _Loads()
    parser.feed(html)
    foreign = []
    for url in parser.urls:
        parts = urlsplit(url.strip("'\""))
        if parts.scheme in {"data"}:
            continue
        if parts.netloc and parts.netloc != own_host:
            foreign.append(url)
    return foreign


def emails_in(text):
    return EMAIL.findall(text)

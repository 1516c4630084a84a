"""A plain static file server that applies a site's `_headers` file (the Netlify / Cloudflare Pages
format: a path pattern, then indented `Name: value` lines), as a static host would. It knows
nothing of facepack: whatever the page needs must be in the files `python -m web build` wrote."""

from __future__ import annotations

import fnmatch
import functools
import http.server
from pathlib import Path

from tests.support.browser import serve_in_thread


def read_headers(path: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    rules: list[tuple[str, list[tuple[str, str]]]] = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith((" ", "\t")):
            rules.append((line.strip(), []))
        else:
            name, value = line.strip().split(":", 1)
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


class Handler(http.server.SimpleHTTPRequestHandler):
    rules: list = []

    def end_headers(self) -> None:
        path = self.path.split("?", 1)[0]
        for pattern, headers in self.rules:
            if fnmatch.fnmatch(path, pattern):
                for name, value in headers:
                    if name.lower() != "content-type":
                        self.send_header(name, value)
        super().end_headers()

    def guess_type(self, path) -> str:
        for pattern, headers in self.rules:
            if fnmatch.fnmatch("/" + Path(path).name, pattern):
                for name, value in headers:
                    if name.lower() == "content-type":
                        return value
        return super().guess_type(path)

    def log_message(self, *args) -> None:
        pass


def serve_site(site: Path):
    """Serve `site` on 127.0.0.1 at a free port with its _headers: (url, stop)."""
    handler = type("SiteHandler", (Handler,), {"rules": read_headers(site / "_headers")})
    return serve_in_thread(http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                           functools.partial(handler, directory=str(site))))

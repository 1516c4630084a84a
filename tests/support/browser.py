"""The app and Debian's Chromium for the tests and `python -m bench`: the page watcher, `open_page`,
and the in-page programs (page_js/*.js). The launch flags and the server are
facepack/parity/chromium.py's, which `python -m facepack parity` runs the page with. In-page
programs are ES modules whose default export is the function `page.evaluate` runs; ESLint and
Prettier check them like the package's own files. Bytes travel to them as base64 strings, which
`fromBase64` (page_js/prelude.js, added to every page `open_page` makes) turns back into bytes.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from facepack.parity.chromium import (  # noqa: F401  (the tests import these from here)
    CHROMIUM,
    CHROMIUM_ARGS,
    WEBGPU_ARGS,
    launch_chromium,
    page_program,
    serve,
    serve_in_thread,
)


@contextmanager
def own_chromium(browser) -> Iterator:
    """A Chromium of its own, from `browser`'s Playwright: a GPU process no other page has used.
    The webgpu parity page once never got ready in the shared browser after the rest of the
    suite (it gets ready in 1.3 s in a fresh one); SwiftShader's WebGPU runs in that process."""
    own = browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    try:
        yield own
    finally:
        own.close()


PAGE_JS = Path(__file__).with_name("page_js")
PRELUDE = PAGE_JS / "prelude.js"
READY = "#status:not([data-state=loading])"


@functools.cache
def program(name: str, folder: Path = PAGE_JS) -> str:
    """The in-page program `folder/NAME.js` as the function source `page.evaluate` takes."""
    return page_program(folder / f"{name}.js")


def b64(data: bytes | np.ndarray) -> str:
    """Bytes (or an array's bytes, float32 arrays as they are) as the base64 in-page programs take."""
    raw = data.tobytes() if isinstance(data, np.ndarray) else data
    return base64.b64encode(raw).decode()


def frames_b64(frames) -> list[str]:
    """RGB uint8 frames as the base64 strings page_js/live.js takes."""
    return [b64(np.ascontiguousarray(frame)) for frame in frames]


class PageWatch:
    """Console errors, page errors and every request a page makes."""

    def __init__(self, page, origin: str):
        self.page, self.origin = page, origin
        self.errors: list[str] = []  # console errors and uncaught exceptions
        self.page_errors: list[str] = []  # uncaught exceptions only
        self.requests: list[str] = []
        self.request_objects: list = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", self._on_page_error)
        page.on("request", self._on_request)

    def _on_page_error(self, error) -> None:
        self.errors.append(str(error))
        self.page_errors.append(str(error))

    def _on_request(self, request) -> None:
        self.requests.append(request.url)
        self.request_objects.append(request)

    def foreign_requests(self) -> list[str]:
        own = (self.origin + "/", "blob:" + self.origin, "data:")
        return [u for u in self.requests if not u.startswith(own)]

    def evaluate(self, name: str, arg=None, folder: Path = PAGE_JS):
        """Run the in-page program NAME (page_js/NAME.js) with `arg`."""
        return self.page.evaluate(program(name, folder), arg)


# The page with the analysis on its own thread (?worker=0), for tests that reach into the Facepack
# object or TF.js's engine (scoreCrops, detectPixels, tf.memory): by default the page runs them in
# a Web Worker (FacepackWorker), out of the page's reach.
MAIN_THREAD = "/?backend=wasm&worker=0"


@contextmanager
def open_page(browser, url: str, path: str | None = "/?backend=wasm", timeout_ms: int = 180_000,
              init_script: str | None = None, **context_options) -> Iterator[PageWatch]:
    """A watched page in a fresh browser context, closed on the way out; `init_script` runs in
    it before the page's own scripts.

    With `path`, the page at url + path is opened and must reach `ready` (its #status leaves
    `loading` as `ready`, or the status text is the failure); with path=None it is left blank.
    """
    context = browser.new_context(**context_options)
    try:
        context.add_init_script(path=str(PRELUDE))
        if init_script:
            context.add_init_script(init_script)
        watch = PageWatch(context.new_page(), url)
        if path is not None:
            watch.page.goto(url + path)
            watch.page.wait_for_selector(READY, timeout=timeout_ms)
            state = watch.page.get_attribute("#status", "data-state")
            if state != "ready":
                raise RuntimeError(f"{url + path} did not get ready: {watch.page.text_content('#status')}")
        yield watch
    finally:
        context.close()

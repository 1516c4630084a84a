"""`python -m facepack parity`: a bundle held to its Python reference on the user's photos.

    1. inputs   the bundle's manifest, its Python side (ReferencePipeline.from_bundle), the photos
    2. python   every photo through the reference: the truth
    3. browser  the real page (web.app on loopback) in Chromium, once per backend, on every photo
    4. node     `npx facepack analyze --json` on the photos Node reads (JPEG, PNG, WebP)
    5. compare  each runtime's faces against Python's (facepack.parity.bounds), into one report

A bad input (no photo, an unreadable photo, a bundle without its Python side, no Chromium) is
refused before anything runs: ParityInputError, whose message says what to do.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from facepack import assets
from facepack.parity import bounds
from facepack.parity.chromium import NoChromiumError

BROWSER_BACKENDS = ("webgl", "wasm", "cpu", "webgpu")
# What runs when no --backends is given: every backend that runs here. WebGPU is left out: it
# runs only where Chromium has an adapter (SwiftShader's here, which is slow: name it to run it).
DEFAULT_BACKENDS = ("webgl", "wasm", "cpu", "node")
# What each side decodes: Node's @jsquash and pngjs; Chromium's image decoders (no TIFF).
NODE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
BROWSER_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")
PAGE_PROGRAM = Path(__file__).with_name("analyze_page.js")


class ParityInputError(ValueError):
    """Input the parity command cannot run on; the message names it and what to do."""


@dataclass
class PhotoRun:
    """One photo on one runtime, against Python."""

    photo: str
    backend: str
    python_faces: int
    faces: int | None = None  # None: the runtime gave no answer (error)
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    worst: dict = field(default_factory=dict)
    rows: list[dict] = field(default_factory=list)
    other: list[dict] = field(default_factory=list)  # the runtime's faces: box and landmarks

    @property
    def passed(self) -> bool:
        return self.error is None and not self.problems


@dataclass
class ParityReport:
    bundle: str
    backends: list[str]
    photos: list[str]
    python: dict[str, dict]  # photo -> {width, height, faces}
    runs: list[PhotoRun] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what did not run, and why

    @property
    def passed(self) -> bool:
        return bool(self.runs) and all(r.passed for r in self.runs)


def parse_backends(text: str) -> tuple[str, ...]:
    """'webgl,wasm,cpu,node' -> a tuple; an unknown name is refused."""
    chosen = tuple(dict.fromkeys(b.strip() for b in text.split(",") if b.strip()))
    unknown = [b for b in chosen if b not in (*BROWSER_BACKENDS, "node")]
    if unknown or not chosen:
        raise ParityInputError(f"--backends takes a comma list of {', '.join((*BROWSER_BACKENDS, 'node'))}; "
                               f"got {text!r}")
    return chosen


def _python_side(bundle: Path, photos: list[Path]):
    """(the reference, {photo: decoded image}); refuses what cannot be read."""
    from facepack.bundle import BundleError
    from facepack.images import ImageError, load_image
    from facepack.pipeline import NoReferenceError, ReferencePipeline

    images = {}
    for photo in photos:
        try:
            images[str(photo)] = load_image(photo, name=str(photo))
        except (ImageError, OSError) as err:
            raise ParityInputError(f"{photo}: {err}") from None
    try:
        reference = ReferencePipeline.from_bundle(bundle)
    except (BundleError, NoReferenceError) as err:
        raise ParityInputError(str(err)) from None
    return reference, images


def _check_runtimes(backends: Iterable[str]) -> None:
    browser = [b for b in backends if b != "node"]
    if browser:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            raise ParityInputError("the browser backends need Playwright's Python package: "
                                   "pip install 'facepack[parity]' (or name only --backends node)") from None
        from facepack.parity.chromium import CHROMIUM, INSTALL_CHROMIUM

        if not Path(CHROMIUM).exists():
            raise ParityInputError(f"Chromium not found at {CHROMIUM}: {INSTALL_CHROMIUM}")
    if "node" in backends:
        if shutil.which("node") is None:
            raise ParityInputError("the node backend needs Node.js 20 or newer on PATH (apt-get install nodejs)")
        try:
            assets.node_modules()
        except assets.MissingAssetError as err:
            raise ParityInputError(str(err)) from None


def _browser_answers(bundle: Path, photos: list[Path], backends: list[str], tick: Callable[[], None]) -> dict:
    """{backend: {photo: {faces, width, height} or {error}}} from the real page in Chromium."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from facepack.parity.chromium import launch_chromium, page_program, serve

    program = page_program(PAGE_PROGRAM)
    answers: dict[str, dict] = {}
    url, stop = serve(bundle, quiet=True)
    try:
        with sync_playwright() as playwright:
            try:
                browser = launch_chromium(playwright)
            except NoChromiumError as err:
                raise ParityInputError(str(err)) from None
            except PlaywrightError as err:
                raise ParityInputError(f"Chromium did not start: {str(err).splitlines()[0]}") from None
            for backend in backends:
                answers[backend] = got = {}
                context = browser.new_context()
                page = context.new_page()
                try:
                    try:
                        page.goto(f"{url}/?backend={backend}&worker=0")
                        page.wait_for_selector("#status:not([data-state=loading])", timeout=300_000)
                        running = page.evaluate("window.facepack ? window.facepack.backend : null")
                        error = None if running == backend else (
                            f"the page did not start {backend}: it runs {running} ({page.text_content('#status')})")
                    except PlaywrightError as err:
                        error = f"the page did not load on {backend}: {str(err).splitlines()[0]}"
                    if error is not None:
                        for photo in photos:
                            got[str(photo)] = {"error": error}
                            tick()
                        continue
                    for photo in photos:
                        arg = {"b64": base64.b64encode(photo.read_bytes()).decode(), "name": photo.name}
                        try:
                            got[str(photo)] = page.evaluate(program, arg)
                        except PlaywrightError as err:
                            got[str(photo)] = {"error": str(err).splitlines()[0]}
                        tick()
                finally:
                    context.close()
            browser.close()
    finally:
        stop()
    return answers


def _node_answers(bundle: Path, photos: list[Path]) -> dict:
    """{photo: record} from the Node CLI (wasm), on the photos Node reads."""
    cli = assets.node_modules() / ".bin" / "facepack"
    try:
        out = subprocess.run([str(cli), "analyze", *map(str, photos), "--bundle", str(bundle), "--json"],
                             capture_output=True, text=True, timeout=3600)
        if out.returncode not in (0, 1):
            raise ValueError(out.stderr.strip()[-500:])
        return {record["photo"]: record for record in json.loads(out.stdout)}
    except (subprocess.TimeoutExpired, ValueError) as err:  # JSONDecodeError is a ValueError
        return {str(p): {"error": f"the Node CLI gave no answer: {err}"} for p in photos}


def run_parity(photos: list[Path], bundle: Path, backends: tuple[str, ...] = DEFAULT_BACKENDS,
               progress: bool = True, log: Callable[[str], None] = print) -> ParityReport:
    """Hold `bundle` to its Python reference on `photos`, on each of `backends`.

    Raises:
        ParityInputError: no photo, an unreadable photo, a bundle without its Python side, or a
            runtime that is not installed; nothing has run.
    """
    bundle = Path(bundle)
    if not photos:
        raise ParityInputError("no photos to check: name photo files or folders")
    _check_runtimes(backends)
    browser = [b for b in backends if b != "node"]
    in_browser = [p for p in photos if p.suffix.lower() in BROWSER_SUFFIXES] if browser else []
    in_node = [p for p in photos if p.suffix.lower() in NODE_SUFFIXES] if "node" in backends else []
    skipped = [f"{', '.join(browser)}: {p} (Chromium reads JPEG, PNG, WebP, BMP and GIF)"
               for p in photos if browser and p not in in_browser]
    skipped += [f"node: {p} (Node reads JPEG, PNG and WebP)" for p in photos if "node" in backends and p not in in_node]
    if not in_browser and not in_node:
        raise ParityInputError(f"none of the photos is one that {', '.join(backends)} can read: " + "; ".join(skipped))
    log(f"Python reference of {bundle}")
    reference, images = _python_side(bundle, photos)
    python = {}
    for photo, image in tqdm(images.items(), desc="python", unit="photo", disable=not progress, file=sys.stderr):
        python[photo] = {"width": int(image.shape[1]), "height": int(image.shape[0]),
                         "faces": [r.as_dict() for r in reference.analyze(image)]}
    report = ParityReport(str(bundle), list(backends), [str(p) for p in photos], python)
    answers: dict[str, dict] = {}
    report.skipped = skipped
    if in_browser:
        log(f"the page in Chromium: {', '.join(browser)}")
        with tqdm(total=len(browser) * len(in_browser), desc="browser", unit="photo", disable=not progress,
                  file=sys.stderr) as bar:
            answers = _browser_answers(bundle, in_browser, browser, bar.update)
    if in_node:
        log(f"Node: {len(in_node)} photos")
        answers["node"] = _node_answers(bundle, in_node)
    for backend in backends:
        for photo, got in answers.get(backend, {}).items():
            truth = python[photo]
            run = PhotoRun(photo, backend, len(truth["faces"]))
            if "error" in got:
                run.error = got["error"]
            elif (got["width"], got["height"]) != (truth["width"], truth["height"]):
                run.faces = len(got["faces"])
                run.problems.append(f"decoded as {got['width']}x{got['height']}, Python {truth['width']}x"
                                    f"{truth['height']}")
            else:
                run.faces = len(got["faces"])
                run.problems, run.worst, run.rows = bounds.face_differences(
                    truth["faces"], got["faces"], who=backend, gate=reference.gate)
                run.other = [{"box": f["box"], "landmarks": f["landmarks"]} for f in got["faces"]]
            report.runs.append(run)
    return report

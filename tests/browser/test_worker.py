"""The Web Worker runtime: the page runs `FacepackWorker` (js/src/facepack_worker.js),
and web/static/worker.js runs `serveFacepack` with the same Facepack in a module Worker, whose
imports the app resolves (web/app.py, /worker/).

- photos analysed in the worker give Python's faces within the parity bounds (facepack/parity/bounds.py);
- while the page analyses sample1 chosen through its file input, no task on the page's thread
  takes over 50 ms (Long Tasks API); the same measure on the main-thread page sees one, so it can
  fail;
- live mode in the worker runs a keyframe cycle as Python's tracker does (tests/browser/test_live.py
  runs the same check on the main thread);
- errors cross with their name and code, and a worker script that does not load fails `load`
  with a message.
"""

from __future__ import annotations

import pytest

from facepack import assets, spec
from facepack.parity.bounds import compare_faces
from tests.support.browser import MAIN_THREAD, b64, frames_b64, open_page
from tests.support.photos import all_photos

pytestmark = pytest.mark.slow

WORKER = "/?backend=wasm"  # the page as it opens
PHOTOS = ["sample1.jpg", "many-faces.png", "exif-rotated.jpg", "one-face-small.png", "no-face-noise.png", "tiny.png"]
LONG_TASK_MS = 50


@pytest.fixture(scope="module")
def worker_page(browser, server):
    with open_page(browser, server, WORKER) as watch:
        assert watch.page.evaluate("window.facepack.constructor.name") == "FacepackWorker"
        assert watch.page.evaluate("window.facepack.backend") == "wasm"
        yield watch


@pytest.mark.parametrize("name", PHOTOS)
def test_photos_analysed_in_the_worker_give_pythons_faces(worker_page, parity_reference, name):
    data = dict(all_photos())[name]
    (got,) = worker_page.evaluate("analyze", {"b64": b64(data), "name": name})
    problems, _ = compare_faces(parity_reference[name]["faces"], got["faces"], who="the worker")
    assert not problems, f"{name} in the worker:\n  " + "\n  ".join(problems)
    assert got["timings"]["total"] > 0  # the worker's own stage times cross too
    assert not worker_page.errors, worker_page.errors


def long_tasks(watch) -> tuple[list[float], list]:
    photo = assets.sample_photos()[0]
    out = watch.evaluate("long_tasks", {"b64": b64(photo.read_bytes()), "name": photo.name, "mime": "image/jpeg"})
    return out["tasks"], out["results"]


def test_the_page_thread_never_waits_on_the_worker(worker_page, parity_reference):
    tasks, results = long_tasks(worker_page)
    assert results[0]["photo"] == "sample1.jpg" and len(results[0]["faces"]) == 3, results[0]
    problems, _ = compare_faces(parity_reference["sample1.jpg"]["faces"], results[0]["faces"], who="the worker page")
    assert not problems, problems
    assert max(tasks, default=0) <= LONG_TASK_MS, f"tasks on the page's thread: {sorted(tasks)[-5:]} ms"


def test_on_the_main_thread_the_same_measure_sees_a_long_task(browser, server):
    with open_page(browser, server, MAIN_THREAD) as watch:
        tasks, results = long_tasks(watch)
    assert len(results[0]["faces"]) == 3
    assert max(tasks, default=0) > LONG_TASK_MS, f"no task over {LONG_TASK_MS} ms: {tasks}"


def test_live_mode_in_the_worker_runs_a_keyframe_cycle_as_python_does(worker_page, clip, python_live):
    tracked, _, _ = python_live
    first = spec.LIVE.keyframe_every + 1
    got = worker_page.evaluate("live", {"frames": frames_b64(clip[:first]), "width": clip[0].shape[1],
                                        "height": clip[0].shape[0], "reset": True})
    problems = []
    for i, (js, py) in enumerate(zip(got, tracked[:first], strict=True)):
        if js["keyframe"] != py["keyframe"]:
            problems.append(f"frame {i}: keyframe {js['keyframe']} in the worker, {py['keyframe']} in Python")
        found, _ = compare_faces(py["faces"], js["faces"], who="the worker")
        problems += [f"frame {i}: {p}" for p in found]
        ids = ([f["id"] for f in js["faces"]], [f["id"] for f in py["faces"]])
        if ids[0] != ids[1]:
            problems.append(f"frame {i}: track ids {ids[0]} in the worker, {ids[1]} in Python")
    assert not problems, "\n".join(problems[:20])


def test_an_unreadable_photo_fails_in_the_worker_with_its_code(worker_page):
    error = worker_page.page.evaluate("""async () => {
        try { await window.facepack.analyze(new Blob([new Uint8Array([1, 2, 3])]), 'broken.jpg'); return null; }
        catch (err) { return { name: err.name, code: err.code, message: err.message }; }
    }""")
    assert error is not None, "a 3-byte photo was analysed"
    assert error["name"] == "ImageError" and error["code"] == "image_unreadable", error
    assert "broken.jpg" in error["message"]
    # the worker goes on working after it
    (got,) = worker_page.evaluate("analyze", {"b64": b64(dict(all_photos())["one-face-small.png"]),
                                              "name": "one-face-small.png"})
    assert len(got["faces"]) == 1


def test_a_worker_script_that_does_not_load_fails_load_with_a_message(browser, server):
    with open_page(browser, server, MAIN_THREAD) as watch:
        message = watch.page.evaluate("""async () => {
            const { FacepackWorker } = await import('facepack');
            try { await FacepackWorker.load('bundle/', { worker: 'worker/static/missing.js' }); return null; }
            catch (err) { return err.message; }
        }""")
        without = watch.page.evaluate("""async () => {
            const { FacepackWorker } = await import('facepack');
            try { await FacepackWorker.load('bundle/', {}); return null; } catch (err) { return err.message; }
        }""")
    assert message and "the facepack worker failed" in message, message
    assert without and "serveFacepack()" in without, without

"""The page people use: two languages, the score as a chart with its interval and percentile,
downloads that hold what the page shows, keyboard use, a narrow layout, and screenshots.

Screenshots in English and Chinese, wide and 390 px narrow, go to reports/page-*.png.
"""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from PIL import Image

from facepack import score as score_module
from tests.support.browser import open_page
from tests.support.reports import REPORT_DIR
from tests.support.strings import LATIN_WORD, PAGE_DATA
from tests.support.strings import NAMES as STRING_NAMES

pytestmark = pytest.mark.slow

NAMES = STRING_NAMES | PAGE_DATA

def open_in(browser, server, locale: str, width: int = 1200):
    """The page on wasm in a browser set to `locale`, `width` px wide (a context manager)."""
    return open_page(browser, server, locale=locale, viewport={"width": width, "height": 900}, accept_downloads=True)


def analyse_sample(page, n: int = 1) -> None:
    count = page.locator(".result").count()
    page.click(f"#samples button >> nth={n - 1}")
    page.wait_for_selector(f".result >> nth={count}", timeout=120_000)


@pytest.fixture(scope="module")
def english(browser, server):
    with open_in(browser, server, "en-GB") as watch:
        # Listen for file choosers from the start: Playwright turns Chromium's interception on when
        # the first listener is added, and a key pressed before that lands opens nothing it can see.
        watch.choosers = []
        watch.page.on("filechooser", lambda chooser: watch.choosers.append(chooser))
        analyse_sample(watch.page)
        yield watch


def test_the_language_follows_the_browser_and_the_switch_is_remembered(browser, server):
    with open_in(browser, server, "zh-CN") as watch:
        page = watch.page
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        assert page.text_content("#results-title") == "结果" and "浏览器" in page.text_content("header")
        page.select_option("#language", "en")
        assert page.text_content("#results-title") == "Results"
        assert page.evaluate("document.documentElement.lang") == "en"
        page.reload()
        page.wait_for_selector("#status[data-state=ready]", timeout=180_000)
        assert page.text_content("#results-title") == "Results"  # remembered over the browser's zh-CN
        assert not watch.errors, watch.errors


def test_no_english_is_left_in_the_chinese_page(browser, server):
    with open_in(browser, server, "zh-CN") as watch:
        analyse_sample(watch.page)
        watch.page.click("details summary")
        words = set()
        for text in watch.evaluate("text_nodes"):
            words |= {w.rstrip(".") for w in LATIN_WORD.findall(text)}
        assert words <= NAMES, f"English left in the Chinese page: {sorted(words - NAMES)}"
        assert not watch.errors, watch.errors


def test_each_face_has_a_chart_of_101_probabilities_with_pythons_interval_and_percentile(english):
    page = english.page
    faces = page.evaluate("window.facepackResults[0].faces")
    charts = page.locator(".result >> nth=0").locator("svg.chart")
    assert len(faces) == charts.count() == 3
    for i, face in enumerate(faces):
        bars = [float(p) for p in charts.nth(i).locator("rect.bar").evaluate_all("els => els.map((e) => e.dataset.p)")]
        assert len(bars) == 101 and sum(bars) == pytest.approx(1, abs=1e-5)
        assert bars == pytest.approx(face["score"]["probs"], abs=0)
        reference = page.evaluate("window.facepack.manifest.models.scorer.score.reference")
        assert reference is not None, "the shipped scorer carries its reference ratings"
        python = score_module.summarize(np.asarray(face["score"]["probs"], np.float32), reference["points"])
        assert face["score"]["interval"] == python["interval"]
        assert face["score"]["percentile"] == pytest.approx(python["percentile"], abs=1e-9)
        chart = charts.nth(i)
        assert [int(chart.get_attribute("data-low")), int(chart.get_attribute("data-high"))] == python["interval"]
        card = page.locator(".result >> nth=0").locator("article.face").nth(i)
        shown = float(card.locator(".percentile").get_attribute("data-percentile"))
        assert shown == pytest.approx(python["percentile"])
        assert f"{python['interval'][0]} and {python['interval'][1]}" in card.locator("p.interval").text_content()


def test_downloads_hold_what_the_page_shows(english, tmp_path):
    page = english.page
    shown = page.evaluate("window.facepackResults")
    with page.expect_download() as info:
        page.click("#download-json")
    records = json.loads(open(info.value.path()).read())
    assert records == shown[::-1]  # oldest first, as the command lines write them
    with page.expect_download() as info:
        page.click("#download-csv")
    rows = list(csv.DictReader(io.StringIO(open(info.value.path()).read())))
    faces = shown[0]["faces"]
    assert [r["photo"] for r in rows] == ["sample1.jpg"] * 3
    for row, face, text in zip(rows, faces, page.locator(".result >> nth=0").locator(".score").all_text_contents(),
                               strict=True):
        assert float(row["score"]) == pytest.approx(face["score"]["expected"], abs=5e-4)
        assert f"{float(row['score']):.1f}" in text  # the score the page shows
        assert row["emotion"] == face["emotion"]["label"]
        assert [int(row["score_low"]), int(row["score_high"])] == face["score"]["interval"]
    with page.expect_download() as info:
        page.click(".result >> nth=0 >> .save-png")
    png = np.asarray(Image.open(info.value.path()).convert("RGB"))
    data_url = page.evaluate("document.querySelector('.result canvas.photo').toDataURL('image/png')")
    import base64

    canvas = np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",")[1]))).convert("RGB"))
    assert png.shape == canvas.shape and (png == canvas).all()


@pytest.mark.parametrize("locale, words", [("en-GB", "Not scored: may not be a face"),
                                           ("zh-CN", "未评分：可能不是人脸")])
def test_a_face_below_the_gate_is_shown_apart_unscored_in_both_languages(browser, server, locale, words):
    """?min-refined-confidence=0.995 puts one of sample1's faces below the gate (refined
    confidences 0.994-0.9999, measured here): its card says so with no score, the CSV keeps its
    row with the reason and no score, and the others are scored as before."""
    with open_page(browser, server, "/?backend=wasm&min-refined-confidence=0.995", locale=locale,
                   accept_downloads=True) as watch:
        page = watch.page
        assert page.evaluate("window.facepack.gate.min_refined_confidence") == 0.995
        analyse_sample(page)
        faces = page.evaluate("window.facepackResults[0].faces")
        below = [i for i, f in enumerate(faces) if f["refined_confidence"] < 0.995]
        assert below and len(below) < len(faces), [f["refined_confidence"] for f in faces]
        cards = page.locator(".result >> nth=0").locator("article.face")
        for i, face in enumerate(faces):
            unscored = i in below
            assert (face["score"] is None) == unscored and face["unscored"] == ("low_confidence" if unscored else None)
            card = cards.nth(i)
            assert ("unscored" in card.get_attribute("class")) == unscored
            assert (words in card.text_content()) == unscored
            assert card.locator("svg.chart").count() == (0 if unscored else 1)
        with page.expect_download() as info:
            page.click("#download-csv")
        rows = list(csv.DictReader(io.StringIO(open(info.value.path()).read())))
        assert [r["unscored"] for r in rows] == [f["unscored"] or "" for f in faces]
        assert all((r["score"] == "") == bool(r["unscored"]) for r in rows)
        assert not watch.errors, watch.errors


def test_the_drop_zone_samples_and_webcam_work_from_the_keyboard(english):
    page = english.page
    opened = len(english.choosers)
    page.focus("#drop")
    page.keyboard.press("Enter")
    for _ in range(100):
        if len(english.choosers) > opened:
            break
        page.wait_for_timeout(100)
    assert len(english.choosers) == opened + 1, "Enter on the drop zone opened no file chooser"
    assert english.choosers[-1].is_multiple()
    assert page.get_attribute("#status", "aria-live") == "polite"
    for selector in ("#samples button >> nth=0", "#webcam", "#language", "#backend"):
        page.focus(selector)
        assert page.evaluate("document.activeElement !== document.body")
    alt = page.locator(".result canvas.photo >> nth=0").get_attribute("aria-label")
    assert "sample1.jpg" in alt and "3" in alt


@pytest.mark.parametrize("locale, lang", [("en-GB", "en"), ("zh-CN", "zh")])
def test_screenshots_wide_and_narrow_and_no_horizontal_scroll_at_390_px(browser, server, locale, lang):
    REPORT_DIR.mkdir(parents=True, exist_ok=True)
    for width, name in ((1200, "wide"), (390, "narrow")):
        with open_in(browser, server, locale, width) as watch:
            analyse_sample(watch.page)
            page = watch.page
            page.screenshot(path=str(REPORT_DIR / f"page-{lang}-{name}.png"), full_page=True)
            if width == 390:
                assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the narrow page scrolls sideways"
            assert not watch.errors, watch.errors

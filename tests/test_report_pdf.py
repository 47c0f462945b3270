"""The demo's PDF report, looked at as a reader sees it: WeasyPrint renders it without a
warning, the summary chart has its severity colours with no label over a bar, and claims
flow several to a page."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from scanner.detect.rules import load_pack
from scanner.report.build import build_report
from scanner.report.models import ReportData
from scanner.report.render import COLOURS, render_html, render_pdf
from scanner.store import Store
from tests.conftest import claimscan


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo")
    result = claimscan("demo", "--out", str(out), timeout=300)
    assert result.returncode == 0, result.stderr
    return out, result.stderr


def page_count(pdf: Path) -> int:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return len(document)
    finally:
        document.close()


def first_page(pdf: Path) -> Image.Image:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return document[0].render(scale=2).to_pil().convert("RGB")
    finally:
        document.close()


def test_weasyprint_renders_the_demo_report_without_a_warning(demo: tuple[Path, str]) -> None:
    _, stderr = demo
    assert "WARNING" not in stderr.upper(), stderr


def test_claims_flow_several_to_a_page(demo: tuple[Path, str], tmp_path: Path) -> None:
    """At most one page per four claims on top of the fixed pages (the same report with
    its claims taken out: cover, summary, each clinic's opening and page list, appendix)."""
    out, _ = demo
    data = build_report(Store.open(str(out / "claimscan.db")), load_pack(), datetime.now(UTC))
    without = data.model_copy(deep=True)
    for clinic in without.clinics:
        clinic.claims, clinic.open_claims = [], []
    render_pdf(render_html(without), tmp_path / "fixed.pdf")
    fixed = page_count(tmp_path / "fixed.pdf")
    claims = data.scope.claims
    assert claims >= 20, "the demo should exercise pagination"
    assert page_count(out / "report" / "report.pdf") <= fixed + math.ceil(claims / 4)


def colour(hex_value: str) -> tuple[int, int, int]:
    return tuple(int(hex_value[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def near(pixel: tuple[int, int, int], target: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, target, strict=True))


def test_the_chart_has_its_severity_colours_and_no_label_over_a_bar(
    demo: tuple[Path, str],
) -> None:
    out, _ = demo
    data = ReportData.model_validate_json((out / "report" / "report.json").read_text())
    image = first_page(out / "report" / "report.pdf")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    severities = {s for row in data.summary for s in row.by_severity}
    bar_colours = {s: colour(COLOURS[s]) for s in severities}
    found: dict[str, int] = dict.fromkeys(severities, 0)
    rows: dict[int, list[int]] = {}  # pixel row -> x of bar-coloured pixels
    for y in range(height):
        for x in range(0, width, 2):
            pixel = pixels[x, y]
            for severity, target in bar_colours.items():
                if near(pixel, target):
                    found[severity] += 1
                    rows.setdefault(y, []).append(x)
    assert all(n > 200 for n in found.values()), f"bars drawn without their colours: {found}"
    ink = colour("#1d232b")
    for y, xs in rows.items():
        if len(xs) < 20:  # a stray pixel of the colour key or a badge, not a bar
            continue
        left, right = min(xs), max(xs)
        overlapping = [x for x in range(left, right + 1) if near(pixels[x, y], ink, 40)]
        assert not overlapping, f"text drawn over a bar at y={y}"

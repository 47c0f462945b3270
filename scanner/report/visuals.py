"""Pictures for the HTML and PDF report, cut from the archived screenshots: for each claim a
crop around its sentence with the sentence outlined, and each page's whole screenshot, scaled
down, for the appendix. The crops are illustrations; the evidence is the PNG in the WARC file,
whose SHA-256 the report gives. A screenshot whose WARC file is missing is left out."""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw

from scanner.crawl.warc import read_record
from scanner.report.models import FullScreenshot, ReportData
from scanner.store import Store
from scanner.store.screenshots import Screenshot

log = logging.getLogger(__name__)

MARGIN = 90  # pixels of page above and below the sentence in a crop
CROP_WIDTH = 900  # pixels: crops are scaled down to this
FULL_WIDTH = 560  # pixels: the appendix's whole screenshots
FULL_HEIGHT = 2400  # pixels, after scaling: a taller page is cut in the appendix
OUTLINE = (200, 30, 40)


@dataclass
class Visuals:
    crops: dict[str, str] = field(default_factory=dict)  # claim number -> data: URI
    shots: list[FullScreenshot] = field(default_factory=list)


def report_visuals(store: Store, data: ReportData) -> Visuals:
    visuals = Visuals()
    claims = [c for s in data.clinics for c in s.claims + s.open_claims]
    snapshot_ids = {o.snapshot_id for c in claims for o in c.occurrences if o.screenshot}
    if not snapshot_ids:
        return visuals
    shots = store.screenshots(snapshot_ids)
    images: dict[int, Image.Image | None] = {}
    for claim in claims:
        seen = next((o for o in claim.occurrences if o.screenshot and o.screenshot.box), None)
        if seen is None or seen.screenshot is None or seen.screenshot.box is None:
            continue
        image = _image(shots[seen.snapshot_id], images, seen.snapshot_id)
        if image is not None:
            x, y, w, h = seen.screenshot.box
            visuals.crops[claim.number] = _data_uri(crop(image, (x, y, w, h)))
    for snapshot_id, shot in sorted(shots.items(), key=lambda item: item[1].url):
        image = _image(shot, images, snapshot_id)
        if image is not None:
            visuals.shots.append(
                FullScreenshot(
                    url=shot.url,
                    captured_at=shot.captured_at,
                    taken="at capture" if shot.taken == "at" else "after capture",
                    sha256=shot.sha256,
                    image=_data_uri(_whole(image)),
                )
            )
    return visuals


def crop(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    """The page's full width around the sentence, the sentence outlined, scaled down."""
    x, y, w, h = box
    top = max(0, int(y) - MARGIN)
    bottom = min(image.height, int(y + h) + MARGIN)
    part = image.crop((0, top, image.width, bottom)).convert("RGB")
    ImageDraw.Draw(part).rectangle(
        (max(0, x - 4), y - top - 3, min(image.width - 1, x + w + 4), y - top + h + 3),
        outline=OUTLINE,
        width=3,
    )
    if part.width > CROP_WIDTH:
        part = part.resize((CROP_WIDTH, round(part.height * CROP_WIDTH / part.width)))
    return part


def _whole(image: Image.Image) -> Image.Image:
    scaled = image.convert("RGB")
    if scaled.width > FULL_WIDTH:
        scaled = scaled.resize((FULL_WIDTH, round(scaled.height * FULL_WIDTH / scaled.width)))
    return scaled.crop((0, 0, scaled.width, min(scaled.height, FULL_HEIGHT)))


def _image(
    shot: Screenshot, cache: dict[int, Image.Image | None], snapshot_id: int
) -> Image.Image | None:
    if snapshot_id not in cache:
        if not Path(shot.warc_file).is_file():
            log.warning("screenshot of %s left out: %s is missing", shot.url, shot.warc_file)
            cache[snapshot_id] = None
        else:
            png = read_record(shot.warc_file, shot.warc_offset)[1]
            cache[snapshot_id] = Image.open(io.BytesIO(png))
    return cache[snapshot_id]


def _data_uri(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True)
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode()

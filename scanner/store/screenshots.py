"""The store's screenshots: full-page PNGs of pages with claims, archived in WARC resource
records, and where each claim sentence was found on them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.store.pages import WarcRef
from scanner.store.schema import ScreenshotRow


class Box(BaseModel):
    """Where a claim sentence is (screenshots taken later, for known claims), or where a
    text block of the page is (screenshots taken at capture, before any scan)."""

    sentence: str = ""
    text: str = ""
    box: tuple[float, float, float, float] | None  # x, y, width, height in PNG pixels


class Screenshot(BaseModel):
    id: int
    snapshot_id: int
    url: str
    captured_at: datetime
    taken: str  # "at" the snapshot's capture, or "after" it (live, later)
    sha256: str
    width: int
    height: int
    boxes: list[Box]
    note: str
    warc_file: str
    warc_record_id: str
    warc_offset: int
    warc_length: int

    def box_of(self, sentence: str) -> tuple[float, float, float, float] | None:
        """The sentence's box; else the smallest text block holding it (whitespace and
        case aside); else None."""
        exact = next((b.box for b in self.boxes if b.sentence == sentence and b.box), None)
        if exact is not None:
            return exact
        wanted = _squeezed(sentence)
        holding = [b.box for b in self.boxes if b.text and b.box and wanted in _squeezed(b.text)]
        return min(holding, key=lambda box: box[2] * box[3], default=None)


def _squeezed(text: str) -> str:
    return "".join(text.split()).lower()


class ScreenshotQueries:
    def session(self) -> Session:  # provided by Store
        raise NotImplementedError

    def add_screenshot(
        self,
        snapshot_id: int,
        url: str,
        captured_at: datetime,
        taken: str,
        sha256: str,
        size: tuple[int, int],
        boxes: list[dict[str, Any]],
        note: str,
        warc: WarcRef,
    ) -> int:
        """Record a screenshot archived in the WARC at `warc` (`taken`: "at" or "after" the
        snapshot's capture; `size`: width and height in pixels)."""
        row = ScreenshotRow(
            snapshot_id=snapshot_id, url=url, captured_at=captured_at, taken=taken,
            sha256=sha256, width=size[0], height=size[1], boxes=boxes, note=note,
            warc_file=warc.file, warc_record_id=warc.record_id, warc_offset=warc.offset,
            warc_length=warc.length,
        )  # fmt: skip
        with self.session() as session, session.begin():
            session.add(row)
            session.flush()
            return row.id

    def screenshots(self, snapshot_ids: Iterable[int] | None = None) -> dict[int, Screenshot]:
        """The latest screenshot of each snapshot (of these snapshots)."""
        return {shot.snapshot_id: shot for shot in self.all_screenshots(snapshot_ids)}

    def all_screenshots(self, snapshot_ids: Iterable[int] | None = None) -> list[Screenshot]:
        """Every screenshot (of these snapshots), oldest first."""
        query = select(ScreenshotRow).order_by(ScreenshotRow.id)
        if snapshot_ids is not None:
            query = query.where(ScreenshotRow.snapshot_id.in_(list(snapshot_ids)))
        with self.session() as session:
            return [
                Screenshot.model_validate(row, from_attributes=True)
                for row in session.scalars(query)
            ]

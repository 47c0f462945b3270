"""The reviewers' web app: a claims list, a page per claim, verdicts, archived evidence.

    app = create_app(store, pack, evidence_roots=[...], token=None)

Server-rendered Jinja2 (autoescaped, StrictUndefined); one small script for keyboard
shortcuts. Every verdict is written with its audit entry in one transaction.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from PIL import Image
from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from scanner.crawl.warc import read_record
from scanner.detect.rules import SEVERITY_RANK, RulePack
from scanner.errors import StoreError
from scanner.models import SOURCE_NOTES, ClaimRecord, VerdictRecord, block_source, page_blocks
from scanner.report.visuals import crop
from scanner.review.security import (
    LOOPBACK_NAMES,
    SANDBOX_POLICY,
    SecurityMiddleware,
    csrf_ok,
    local_path,
    new_secret,
)
from scanner.store import Store
from scanner.store.screenshots import Screenshot
from scanner.store.verdicts import VERDICTS

Box = tuple[float, float, float, float]

HERE = Path(__file__).parent
SORTS = {
    "severity": lambda r: (-SEVERITY_RANK.get(r.claim.severity, 0), r.claim.clinic, r.claim.id),
    "clinic": lambda r: (r.claim.clinic, -SEVERITY_RANK.get(r.claim.severity, 0), r.claim.id),
    "status": lambda r: (r.claim.status, r.claim.clinic, r.claim.id),
    "verdict": lambda r: (r.verdict_label, r.claim.clinic, r.claim.id),
    "first_seen": lambda r: (r.claim.first_seen, r.claim.id),
    "last_seen": lambda r: (r.claim.last_seen, r.claim.id),
}
FILTERS = ("clinic", "category", "severity", "status", "verdict")
KEPT = (*FILTERS, "q", "sort")  # what a view is: its filters, its search and its order
REVIEWER_COOKIE = "claimscan_reviewer"
CLAIM_ID = re.compile(r"^[0-9a-f]{16}$")
DECIDED = ("confirmed", "dismissed")


@dataclass(frozen=True)
class Row:
    claim: ClaimRecord
    verdict: VerdictRecord | None

    @property
    def verdict_label(self) -> str:
        if self.verdict is None:
            return "open"
        return "re-review" if self.verdict.needs_review else self.verdict.verdict


def listing(
    claims: list[ClaimRecord], verdicts: dict[str, VerdictRecord], query: QueryParams
) -> list[Row]:
    """Claims filtered and sorted as the query asks."""
    rows = [Row(c, verdicts.get(c.id)) for c in claims]
    if search := query.get("q", "").strip().lower():
        rows = [r for r in rows if search in f"{r.claim.sentence} {r.claim.clinic}".lower()]
    for name in FILTERS:
        wanted = query.get(name)
        if not wanted:
            continue
        if name == "verdict":
            rows = [r for r in rows if r.verdict_label == wanted]
        else:
            rows = [r for r in rows if getattr(r.claim, name) == wanted]
    return sorted(rows, key=SORTS.get(query.get("sort", "severity"), SORTS["severity"]))


def create_app(
    store: Store,
    pack: RulePack,
    evidence_roots: list[Path],
    token: str | None = None,
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    secret = new_secret()
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    templates.filters["utc"] = lambda m: m.strftime("%Y-%m-%d %H:%M UTC") if m else "—"
    templates.filters["label"] = lambda s: str(s).replace("_", " ")
    roots = [root.resolve() for root in evidence_roots]

    def render(name: str, request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        # Where an undo returns to: this page, without the "saved" message in its address.
        query = urlencode([(k, v) for k, v in request.query_params.multi_items()
                           if k not in ("done", "ids")])  # fmt: skip
        here = request.url.path + (f"?{query}" if query else "")
        html = templates.get_template(name).render(
            request=request, csrf=secret, here=here, **{"flash": None, **context}
        )
        return HTMLResponse(html, status)

    def filter_query(query: QueryParams) -> str:
        kept = {k: v for k, v in query.items() if k in KEPT and v}
        return urlencode(kept)

    def flash(request: Request) -> dict[str, Any] | None:
        """What the last action did, carried in the address it led to: shown once as
        "saved", with an undo button."""
        done = request.query_params.get("done", "")
        ids = [i for i in request.query_params.get("ids", "").split(",") if CLAIM_ID.match(i)]
        if done not in (*VERDICTS, "undone") or not ids:
            return None
        return {"done": done, "ids": ids}

    async def claims_list(request: Request) -> Response:
        everything = store.claims()
        verdicts = store.verdicts()
        rows = listing(everything, verdicts, request.query_params)
        options = {
            "clinic": sorted({c.clinic for c in everything}),
            "category": sorted({c.category for c in everything}),
            "severity": ["high", "medium", "low"],
            "status": ["new", "persisting", "changed", "removed", "not_checked"],
            "verdict": ["open", "confirmed", "dismissed", "re-review"],
        }
        everyone = listing(everything, verdicts, QueryParams())
        progress = {
            "decided": sum(r.verdict_label in DECIDED for r in rows),
            "shown": len(rows),
            "decided_all": sum(r.verdict_label in DECIDED for r in everyone),
            "all": len(everyone),
        }
        return render("list.html", request, rows=rows, options=options, query=request.query_params,
                      sorts=list(SORTS), keep=filter_query(request.query_params),
                      progress=progress, flash=flash(request),
                      reviewer=request.cookies.get(REVIEWER_COOKIE, ""))  # fmt: skip

    async def done_page(request: Request) -> Response:
        """The end of a view: every claim in it decided, or how many are still open."""
        rows = listing(store.claims(), store.verdicts(), request.query_params)
        keep = filter_query(request.query_params)
        suffix = f"?{keep}" if keep else ""
        still_open = [r for r in rows if r.verdict_label not in DECIDED]
        first_open = f"/claims/{still_open[0].claim.id}{suffix}" if still_open else None
        counts = {v: sum(r.verdict_label == v for r in rows) for v in DECIDED}
        return render(
            "done.html", request, rows=rows, still_open=still_open, counts=counts,
            first_open=first_open, list_url=f"/{suffix}", flash=flash(request),
        )  # fmt: skip

    async def claim_page(request: Request) -> Response:
        claim_id = request.path_params["claim_id"]
        everything, verdicts = store.claims(), store.verdicts()
        ids = [r.claim.id for r in listing(everything, verdicts, request.query_params)]
        claim = next((c for c in everything if c.id == claim_id), None)
        if claim is None:
            return render("missing.html", request, status=404, what=f"claim {claim_id}")
        at = ids.index(claim_id) if claim_id in ids else -1
        keep = filter_query(request.query_params)
        suffix = f"?{keep}" if keep else ""
        nxt = f"/claims/{ids[at + 1]}{suffix}" if 0 <= at < len(ids) - 1 else f"/done{suffix}"
        prev = f"/claims/{ids[at - 1]}{suffix}" if at > 0 else f"/{suffix}"
        decided = sum(verdicts[i].standing in DECIDED for i in ids if i in verdicts)
        occurrences = store.claim_occurrences(claim_id)
        shot = _crop_source(store, occurrences)
        return render(
            "claim.html", request, claim=claim, verdict=verdicts.get(claim_id),
            log=store.verdict_log(claim_id), occurrences=occurrences,
            history=store.claim_history(claim_id), rule=pack.rules.get(claim.rule_id),
            context=_context(store, occurrences[0]) if occurrences else None,
            next_url=nxt, prev_url=prev, list_url=f"/{suffix}#row-{claim_id}",
            position=at + 1, total=len(ids), decided=decided, shot=shot,
            reviewer=request.cookies.get(REVIEWER_COOKIE, ""), flash=flash(request),
        )  # fmt: skip

    async def decide(
        request: Request, claim_ids: list[str], undo: bool = False, fallback: str = "/"
    ) -> Response:
        """Record one verdict on the claims (or undo their latest), then go where the form
        says, with what was done in the address (the "saved" message and its undo)."""
        form = await request.form()
        if not csrf_ok(request, str(form.get("csrf", "")), secret):
            return PlainTextResponse("refused: the form's CSRF token is missing or wrong", 403)
        reviewer = str(form.get("reviewer", "")).strip()
        verdict = str(form.get("verdict", ""))
        try:
            if undo:
                store.undo_verdicts(claim_ids, reviewer)
            else:
                store.set_verdicts(claim_ids, verdict, str(form.get("note", "")), reviewer)
        except StoreError as exc:
            return PlainTextResponse(f"refused: {exc}", 400)
        target = local_path(str(form.get("next", "")), fallback)
        done = {"done": "undone" if undo else verdict, "ids": ",".join(claim_ids)}
        path, _, fragment = target.partition("#")
        joiner = "&" if "?" in path else "?"
        response = RedirectResponse(
            f"{path}{joiner}{urlencode(done)}" + (f"#{fragment}" if fragment else ""), 303
        )
        response.set_cookie(REVIEWER_COOKIE, reviewer, httponly=True, samesite="strict")
        return response

    async def verdict(request: Request) -> Response:
        claim_id = request.path_params["claim_id"]
        return await decide(request, [claim_id], fallback=f"/claims/{claim_id}")

    async def chosen(request: Request) -> list[str]:
        form = await request.form()
        return [str(i) for i in form.getlist("ids") if CLAIM_ID.match(str(i))]

    async def bulk(request: Request) -> Response:
        return await decide(request, await chosen(request))

    async def undo(request: Request) -> Response:
        return await decide(request, await chosen(request), undo=True)

    async def evidence(request: Request) -> Response:
        found = _evidence(store, request.path_params["snapshot_id"], roots)
        if isinstance(found, Response):
            return found
        snapshot, headers, body = found
        return render("evidence.html", request, snapshot=snapshot, headers=headers,
                      source=body.decode("utf-8", errors="replace"))  # fmt: skip

    async def claim_crop(request: Request) -> Response:
        """The claim's sentence on the screenshot of its first page, outlined (JPEG)."""
        occurrences = store.claim_occurrences(request.path_params["claim_id"])
        source = _crop_source(store, occurrences)
        if source is None:
            return PlainTextResponse("no screenshot shows this claim", 404)
        shot, box = source
        path = Path(shot.warc_file).resolve()
        if not any(path.is_relative_to(root) for root in roots) or not path.is_file():
            return PlainTextResponse("the screenshot's evidence file is not available", 404)
        image = Image.open(io.BytesIO(read_record(str(path), shot.warc_offset)[1]))
        out = io.BytesIO()
        crop(image, box).save(out, format="JPEG", quality=85)
        return Response(out.getvalue(), media_type="image/jpeg")

    async def evidence_render(request: Request) -> Response:
        found = _evidence(store, request.path_params["snapshot_id"], roots)
        if isinstance(found, Response):
            return found
        _, _, body = found
        response = Response(body, media_type="text/html")
        response.headers["content-security-policy"] = SANDBOX_POLICY
        return response

    routes = [
        Route("/", claims_list),
        Route("/claims/{claim_id:str}", claim_page),
        Route("/claims/{claim_id:str}/verdict", verdict, methods=["POST"]),
        Route("/claims/{claim_id:str}/crop.jpg", claim_crop),
        Route("/bulk", bulk, methods=["POST"]),
        Route("/undo", undo, methods=["POST"]),
        Route("/done", done_page),
        Route("/evidence/{snapshot_id:int}", evidence),
        Route("/evidence/{snapshot_id:int}/render", evidence_render),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    # Answer only to our own names: a page elsewhere that rebinds its DNS name to this
    # address still sends its own Host, and gets a 400 (Starlette's TrustedHostMiddleware).
    hosts = list(allowed_hosts) if allowed_hosts is not None else list(LOOPBACK_NAMES)
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
            Middleware(SecurityMiddleware, token=token),
        ],
    )


def _crop_source(store: Store, occurrences: list[Any]) -> tuple[Screenshot, Box] | None:
    """The first screenshot that shows the claim's sentence, and where."""
    shots = store.screenshots({o.snapshot_id for o in occurrences})
    for occurrence in occurrences:
        shot = shots.get(occurrence.snapshot_id)
        if shot is not None and (box := shot.box_of(occurrence.sentence)) is not None:
            return shot, box
    return None


def _context(store: Store, occurrence: Any) -> dict[str, str] | None:
    """The block the claim was in, split around the sentence, for showing it in context."""
    snapshot = store.snapshot(occurrence.snapshot_id)
    for block in page_blocks(snapshot.title, snapshot.description, snapshot.blocks):
        if block.locator == occurrence.block_locator and occurrence.sentence in block.text:
            before, _, after = block.text.partition(occurrence.sentence)
            source = block_source(block.tag)
            return {
                "before": before,
                "sentence": occurrence.sentence,
                "after": after,
                "heading": block.heading or "",
                "source": SOURCE_NOTES.get(source, ""),
            }
    return None


def _evidence(
    store: Store, snapshot_id: int, roots: list[Path]
) -> Response | tuple[Any, bytes, bytes]:
    """The archived response of a snapshot, read only from WARC files inside the store's
    evidence folders (a store that points elsewhere is refused)."""
    try:
        snapshot = store.snapshot(snapshot_id)
        if snapshot.revisit_of is not None:  # a 304: show the response it refers to
            snapshot = store.snapshot(snapshot.revisit_of)
    except StoreError:
        return PlainTextResponse(f"no snapshot {snapshot_id}", 404)
    path = Path(snapshot.warc_file).resolve()
    if not any(path.is_relative_to(root) for root in roots):
        return PlainTextResponse(
            "refused: that evidence file is outside the store's evidence folders", 403
        )
    if not path.is_file():
        return PlainTextResponse("the evidence file is missing", 404)
    record, body = read_record(str(path), snapshot.warc_offset)
    headers = record.http_headers.to_bytes() if record.http_headers else b""
    return snapshot, headers, body

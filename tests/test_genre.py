"""Page genre: the clinic's own marketing, or a page that writes about clinics. The pages
here are written for these tests."""

from __future__ import annotations

from functools import cache

import pytest

from scanner.detect.detector import Detector

CLINIC = [
    "Regenerative Knee Care at Lakeside Stem Cell Center",
    "Our stem cell injections rebuild worn cartilage so you can get back to hiking.",
    "Call us today at (555) 201-3344 to book your free consultation.",
    "Most patients see results within six weeks.",
]
NEWS = [
    "State sues clinic over stem cell promises",
    "The clinic told patients its injections rebuild worn cartilage, according to the lawsuit.",
    "Regulators said consumers paid thousands for treatments that are unproven.",
    "A spokesperson for the clinic declined to comment, the reporter was told.",
]
ACADEMIC = [
    "Abstract: We report a randomized controlled trial of bone marrow concentrate.",
    "Methods: Participants received one injection (Lee et al., 2020) [4].",
    "Results: Injections reduced knee pain in 40 participants at six months.",
    "Conclusions: Larger trials are needed before clinical use.",
]
PATIENT_INFO = [
    "Stem cell treatments: what to know before you pay",
    "Some clinics say their injections rebuild cartilage, but the evidence is thin.",
    "Ask your doctor whether a treatment is approved, and talk to your doctor about risks.",
    "If you are considering a clinic abroad, be wary of promises of a cure.",
]


@cache
def detector() -> Detector:
    return Detector()


@pytest.mark.parametrize(
    ("blocks", "genre"),
    [(CLINIC, "marketing"), (NEWS, "editorial"), (ACADEMIC, "editorial"),
     (PATIENT_INFO, "editorial")],
    ids=["clinic", "news", "academic", "patient-info"],
)  # fmt: skip
def test_pages_are_told_apart_by_their_genre_signals(blocks: list[str], genre: str) -> None:
    assert detector().page(blocks).genre == genre


def test_a_single_ad_line_is_read_as_the_clinics() -> None:
    result = detector().page(["Regrow cartilage with our stem cell injections."])
    assert result.genre == "marketing"
    assert result.claims


def test_the_clinics_claims_are_flagged_on_its_page() -> None:
    sentences = {f.sentence for f in detector().page(CLINIC).claims}
    assert CLINIC[1] in sentences
    assert CLINIC[3] in sentences


def test_a_page_that_writes_about_clinics_has_no_claims_of_its_own() -> None:
    for blocks in (NEWS, ACADEMIC, PATIENT_INFO):
        result = detector().page(blocks)
        assert result.claims == []
        assert {f.reason for f in result.findings} <= {
            "editorial", "attribution", "study", "reported", "negation", "research",
        }  # fmt: skip


def test_on_such_a_page_the_clinic_words_it_quotes_are_claims() -> None:
    quoted = 'A flyer handed out at the fair read "our stem cells reverse arthritis in weeks".'
    result = detector().page([*NEWS, quoted])
    assert result.genre == "editorial"
    assert [f.sentence for f in result.claims] == [quoted]


def test_a_byline_tips_an_explainer_to_editorial_but_does_not_decide_alone() -> None:
    explainer = [
        "Stem cells: what to know",
        "By Priya Raman, Health Desk",
        "You may have heard that stem cells can become bone, muscle or nerve.",
        "Ask your doctor about the evidence for an infusion.",
    ]
    assert detector().page(explainer).genre == "editorial"
    assert detector().page(explainer[:1] + explainer[2:]).genre == "marketing"
    blog = ["By Dr. Ana Ruiz, DC", "Our stem cell injections rebuild worn knees."]
    assert detector().page(blog).genre == "marketing"

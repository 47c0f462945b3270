"""Context decides: hedges keep a claim, negation and refutation remove it, disclosures are
recorded, research framing and questions are not the clinic's claims."""

from __future__ import annotations

from functools import cache

import pytest

from scanner.detect.detector import Detector, PageResult


@cache
def detector() -> Detector:
    return Detector()


def page(*blocks: str) -> PageResult:
    return detector().page(list(blocks))


def claim_sentences(*blocks: str) -> list[str]:
    return [f.sentence for f in page(*blocks).claims]


def test_a_plain_claim_is_assertive() -> None:
    [claim] = page("Our stem cells rebuild bone density.").claims
    assert (claim.strength, claim.severity) == ("assertive", "high")


@pytest.mark.parametrize(
    "text",
    [
        "Our stem cells may rebuild bone density.",
        "Stem cell therapy could potentially regrow cartilage.",
        "PRP can help relieve knee pain.",
        "Our stem cell protocol is designed to restore lost cartilage.",
        "We believe exosomes rebuild damaged discs.",
    ],
)
def test_a_hedge_keeps_the_claim_and_lowers_its_severity(text: str) -> None:
    [claim] = page(text).claims
    assert claim.strength == "hedged"
    assert claim.severity in ("medium", "low")


@pytest.mark.parametrize(
    "text",
    [
        "There is no evidence that stem cells reverse osteoporosis.",
        "PRP has not been shown to regrow cartilage.",
        "We do not claim that our treatment cures arthritis.",
        "Stem cells don’t rebuild bone in people.",
        "Claims that exosomes regenerate discs are unproven.",
        "No stem cell product is FDA approved for knee pain.",
    ],
)
def test_a_negation_or_refutation_means_no_claim(text: str) -> None:
    assert claim_sentences(text) == []
    assert [f.reason for f in page(text).findings] == ["negation"]


def test_a_pseudo_trigger_does_not_negate() -> None:
    assert claim_sentences("After our stem cell injections patients no longer need knee surgery.")


def test_a_negation_does_not_cross_but() -> None:
    text = "Drugs do not rebuild bone, but our stem cells regrow cartilage."
    assert claim_sentences(text) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Stem cell treatments are not approved by the FDA.",
        "These statements have not been evaluated by the Food and Drug Administration.",
        "Individual results may vary.",
    ],
)
def test_a_disclosure_is_recorded_not_claimed(text: str) -> None:
    result = page(text)
    assert result.claims == []
    assert [d.sentence for d in result.disclosures] == [text]


def test_claims_carry_the_disclosures_near_them() -> None:
    result = page("Stem cells rebuild bone density.", "Results vary.")
    assert result.claims[0].disclosures == ("Results vary.",)


@pytest.mark.parametrize(
    "text",
    [
        "Researchers are investigating whether stem cells rebuild bone.",
        "Exosomes relieve knee pain in clinical trials that are still ongoing.",
        "In mice, mesenchymal stem cells repaired damaged cartilage.",
        "In the laboratory, stem cells regenerate nerve tissue.",
    ],
)
def test_research_framing_is_not_the_clinics_claim(text: str) -> None:
    assert claim_sentences(text) == []
    assert {f.reason for f in page(text).findings} == {"research"}


STUDY = "In our study, mesenchymal stem cells reduced knee pain in 30 participants."


def test_a_human_study_reported_on_a_clinic_page_is_the_clinics_claim() -> None:
    clinic = page("Book a free consultation at our stem cell clinic today.", STUDY)
    assert clinic.genre == "marketing"
    assert [f.sentence for f in clinic.claims] == [STUDY]


def test_the_same_study_reported_on_an_academic_page_is_not_a_claim() -> None:
    paper = page(
        "Abstract: We report a randomized controlled trial (Smith et al., 2021).",
        STUDY,
        "Conclusions: larger trials are needed [12].",
    )
    assert paper.genre == "editorial"
    assert paper.claims == []
    assert {f.reason for f in paper.findings} == {"study"}


def test_someone_elses_claim_reported_is_not_a_claim() -> None:
    text = "Some clinics claim that stem cells cure autism."
    assert claim_sentences(text) == []
    assert [f.reason for f in page(text).findings] == ["attribution"]


def test_a_question_that_presupposes_a_benefit_is_a_claim() -> None:
    assert claim_sentences("How Stem Cells Help Treat Multiple Sclerosis")
    assert claim_sentences("How do stem cells repair cartilage?")


@pytest.mark.parametrize(
    "text",
    [
        "Can stem cells cure autism?",
        "Is stem cell therapy safe?",
        "Can Stem Cells Regrow Cartilage",
        "How effective is PRP for knee pain?",
    ],
)
def test_a_neutral_question_is_not_a_claim(text: str) -> None:
    assert claim_sentences(text) == []


def test_a_headline_counts_on_a_page_about_a_regenerative_therapy() -> None:
    assert claim_sentences("Regrow Cartilage Naturally", "Our exosome injections for knees.")


def test_a_headline_alone_on_a_page_about_nothing_regenerative_does_not() -> None:
    assert claim_sentences("Regrow Cartilage Naturally", "Our gym opens at six.") == []


def test_a_generic_treatment_counts_only_where_a_regenerative_therapy_is_named() -> None:
    text = "The treatment reverses osteoporosis."
    assert claim_sentences(text) == []
    assert claim_sentences(text, "We use mesenchymal stem cells.") == [text]


def test_case_does_not_matter() -> None:
    assert claim_sentences("STEM CELLS REVERSE OSTEOPOROSIS")


def test_headings_glued_to_the_next_sentence_are_split() -> None:
    [claim] = page("Stem Cells Reverse OsteoporosisOur clinic opened in 2010.").claims
    assert claim.text.endswith("Osteoporosis")


def test_offsets_point_into_the_block() -> None:
    text = "Welcome. Our stem cells rebuild bone density."
    [claim] = page(text).claims
    assert text[claim.start : claim.end] == claim.text
    assert claim.sentence == "Our stem cells rebuild bone density."


@pytest.mark.parametrize(
    ("text", "is_claim"),
    [
        ("Our stem cell injections are used to treat lower back pain.", False),
        ("Our stem cell injections are used to heal lower back pain.", True),
        ("Exosomes can be used to manage chronic knee pain.", False),
        ("Exosomes can be used to regenerate worn cartilage.", True),
        ("PRP has been used as an approach to treat tendon injuries.", False),
    ],
)
def test_a_purpose_is_not_a_claim_but_a_result_is(text: str, is_claim: bool) -> None:
    assert bool(claim_sentences(text)) is is_claim


def test_a_disease_named_as_who_is_treated_is_not_the_subject() -> None:
    blocks = ["Our stem cell program for stroke", "For stroke patients the results are permanent."]
    assert claim_sentences(*blocks) == [blocks[1]]


@pytest.mark.parametrize(
    "text",
    [
        "Stem cells in bone marrow are responsible for repairing injured tissue.",
        "Their role is to renew tissues such as skin and bone.",
        "Stem cells are the building blocks that grow into every organ.",
    ],
)
def test_the_bodys_own_biology_is_not_the_treatments_claim(text: str) -> None:
    assert claim_sentences("Stem cell therapy at our clinic", text) == []

"""Rule packs: loading, layering with --rules, errors that name file, rule and field, and a
rules/README.md that is never stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.detect.detector import Detector
from scanner.detect.docs import render_markdown
from scanner.detect.rules import RuleError, load_pack
from tests.conftest import REPO, claimscan

RULE = """\
category: efficacy
severity: low
message: Says it makes you taller.
rationale: >
  Height claims need evidence like any other health claim, said the regulator in a long
  and detailed guidance.
references: [https://example.org/guidance]
subject: any
patterns:
  - makes you taller
examples:
  flag: [This makes you taller., It makes you taller fast.]
  pass: [It makes you happier., Nothing makes you taller.]
"""


def write_rule(folder: Path, name: str, text: str) -> Path:
    (folder / "claims").mkdir(parents=True, exist_ok=True)
    path = folder / "claims" / f"{name}.yaml"
    path.write_text(text)
    return path


def test_the_readme_of_the_rules_is_generated_from_them() -> None:
    expected = render_markdown(load_pack())
    assert (REPO / "rules" / "README.md").read_text() == expected, (
        "rules/README.md is stale: run `make rules-doc`"
    )


def test_an_extra_pack_adds_rules(tmp_path: Path) -> None:
    write_rule(tmp_path, "height", RULE)
    pack = load_pack([tmp_path])
    assert "height" in pack.rules and "safety-no-risk" in pack.rules
    assert any(
        "height" in f.rules for f in Detector([tmp_path]).page(["This makes you taller."]).claims
    )


def test_a_rule_with_a_built_in_id_replaces_it(tmp_path: Path) -> None:
    write_rule(tmp_path, "safety-no-risk", RULE)
    assert load_pack([tmp_path]).rules["safety-no-risk"].message == "Says it makes you taller."


def test_a_pack_can_replace_the_built_in_one(tmp_path: Path) -> None:
    write_rule(tmp_path, "height", RULE)
    (tmp_path / "pack.yaml").write_text("name: tall\nversion: '2'\nreplaces_builtin: true\n")
    pack = load_pack([tmp_path])
    assert list(pack.rules) == ["height"]
    assert pack.version == "tall 2"


def test_changing_any_rule_file_changes_the_pack_fingerprint(tmp_path: Path) -> None:
    path = write_rule(tmp_path, "height", RULE)
    before = load_pack([tmp_path]).sha256
    path.write_text(RULE.replace("severity: low", "severity: medium"))
    assert load_pack([tmp_path]).sha256 != before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("severity: low", "severity: dire"),
            "field 'severity': Input should be 'high', 'medium' or 'low'",
        ),
        (("subject: any", "subject: any\ncolour: red"), "field 'colour': unknown field"),
        (("references: [https://example.org/guidance]", "references: []"), "field 'references'"),
        (
            ("references: [https://example.org/guidance]", "references: [see the guidance]"),
            "'see the guidance' is not a URL",
        ),
        (
            ("  - makes you taller", "  - - {LOWR: taller}"),
            "field 'patterns': pattern 1 is not a spaCy Matcher pattern",
        ),
        (
            ("  - makes you taller", "  - - {LOWER: {REGEX: 'tall(er'}}"),
            "field 'patterns': pattern 1, token 1, LOWER REGEX 'tall(er' does not compile",
        ),
        (
            ("  - makes you taller", "  - - {LEMMA: {IN: [grow, registered]}}"),
            "pattern 1, token 1, LEMMA 'registered' is not a lemma (a text reads it as 'register')",
        ),
        (
            ("subject: any", "subject: &s any\nseverity_copy: *s"),
            "invalid YAML: aliases (*s) are not allowed",
        ),
        (
            ("  pass: [It makes you happier., Nothing makes you taller.]", "  pass: []"),
            "field 'examples.pass'",
        ),
        (("message: Says it makes you taller.", "message: [unclosed"), "invalid YAML"),
    ],
)
def test_a_bad_rule_names_the_file_the_rule_and_the_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write_rule(tmp_path, "height", RULE.replace(*change))
    with pytest.raises(RuleError) as caught:
        load_pack([tmp_path])
    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    if "YAML" not in message:
        assert "rule height:" in str(caught.value)


def test_an_id_that_differs_from_the_file_name_is_an_error(tmp_path: Path) -> None:
    write_rule(tmp_path, "height", "id: tallness\n" + RULE)
    with pytest.raises(RuleError, match="'tallness' differs from the file name"):
        load_pack([tmp_path])


def test_a_bad_lexicon_names_its_file_and_field(tmp_path: Path) -> None:
    write_rule(tmp_path, "height", RULE)
    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "odd.yaml").write_text("label: lower_case\ndescription: x\n")
    with pytest.raises(RuleError, match=r"odd.yaml: field 'label': String should match pattern"):
        load_pack([tmp_path])


def test_a_missing_rules_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = claimscan("rules", "--rules", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr or "no such rules folder" in result.stderr


def test_a_bad_rule_file_stops_check_with_exit_code_2(tmp_path: Path) -> None:
    write_rule(tmp_path, "height", RULE.replace("severity: low", "severity: dire"))
    (tmp_path / "page.txt").write_text("Stem cells rebuild bone.\n")
    result = claimscan("check", str(tmp_path / "page.txt"), "--rules", str(tmp_path))
    assert result.returncode == 2
    assert "height.yaml: rule height: field 'severity'" in result.stderr

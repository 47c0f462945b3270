"""Reading and validating clinic lists: every problem names the file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.clinics import load_clinics, slugify
from scanner.errors import ClinicListError
from tests.conftest import claimscan


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ClinicListError) as caught:
        load_clinics(path)
    return caught.value.problems


def test_a_csv_with_name_and_url_is_enough(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\nBone Clinic,https://bone.test/\n")
    [clinic] = load_clinics(path).clinics
    assert clinic.id == "bone-clinic"
    assert clinic.urls == ("https://bone.test/",)


def test_optional_columns_are_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.csv",
        "id,name,url,country,region,tags,notes\n"
        "b1,Bone Clinic,https://bone.test/,US,TX,stem cells; bone,Seen in an ad\n",
    )
    [clinic] = load_clinics(path).clinics
    assert (clinic.id, clinic.country, clinic.region) == ("b1", "US", "TX")
    assert clinic.tags == ("stem cells", "bone")
    assert clinic.notes == "Seen in an ad"


def test_a_cell_may_hold_several_start_urls(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.csv", 'name,url\nBone,"https://bone.test/ ; https://bone.test/osteo"\n'
    )
    [clinic] = load_clinics(path).clinics
    assert clinic.urls == ("https://bone.test/", "https://bone.test/osteo")


def test_headers_are_case_insensitive_and_website_means_url(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "Name,Website,State\nBone,https://bone.test/,TX\n")
    [clinic] = load_clinics(path).clinics
    assert clinic.urls == ("https://bone.test/",)
    assert clinic.region == "TX"


def test_an_excel_bom_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"\xef\xbb\xbfname,url\nBone,https://bone.test/\n")
    assert load_clinics(path).clinics[0].name == "Bone"


def test_blank_rows_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\n\nA,https://a.test/\n,\nB,https://b.test/\n")
    assert [c.name for c in load_clinics(path).clinics] == ["A", "B"]


def test_unknown_columns_are_reported_as_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url,phone\nA,https://a.test/,555\n")
    clinic_list = load_clinics(path)
    assert clinic_list.warnings == [f"{path}:1: ignoring unknown column(s): phone"]


def test_a_missing_required_column_names_the_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,homepage_url\nA,https://a.test/\n")
    assert problems(path) == [
        f"{path}:1: header: missing required column 'url' (found 'name', 'homepage_url')"
    ]


def test_a_bad_url_names_the_line_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\nA,https://a.test/\nB,htp:/b.test\n")
    assert problems(path) == [f"{path}:3: url: 'htp:/b.test' is not an absolute http(s) URL"]


def test_a_missing_url_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\nA,\n")
    assert problems(path) == [f"{path}:2: url: at least one start URL is required"]


def test_a_missing_name_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\n,https://a.test/\n")
    assert problems(path) == [f"{path}:2: name: required"]


def test_a_duplicate_clinic_id_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "id,name,url\nx,A,https://a.test/\nx,B,https://b.test/\n")
    assert problems(path) == [f"{path}:3: id: duplicate clinic 'x' (first on line 2)"]


def test_the_same_site_listed_twice_is_a_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\nA,https://a.test/\nB,https://www.a.test\n")
    assert problems(path) == [
        f"{path}:3: url: duplicate start URL 'https://www.a.test' (first on line 2)"
    ]


def test_a_bad_id_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "id,name,url\nNot Valid!,A,https://a.test/\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:2: id: must be lowercase letters")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\nA,nope\nB,also-nope\nC,https://c.test/\n")
    assert [p.split(": ")[0] for p in problems(path)] == [f"{path}:2", f"{path}:3"]


def test_line_numbers_count_multi_line_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", 'name,url,notes\nA,https://a.test/,"two\nlines"\nB,bad\n')
    assert problems(path)[0].startswith(f"{path}:4: url:")


def test_a_row_with_too_many_cells_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\nA,https://a.test/,extra\n")
    assert problems(path) == [f"{path}:2: row has 3 cells but the header has 2"]


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "")
    assert problems(path) == [f"{path}:1: the file is empty; expected a header row"]


def test_a_header_without_rows_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\n")
    assert problems(path) == [f"{path}: no clinics in the list"]


def test_a_file_that_is_not_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes("name,url\nCafé,https://a.test/\n".encode("utf-16"))
    assert "not UTF-8" in problems(path)[0]


def test_a_json_list_is_read_with_url_lists(tmp_path: Path) -> None:
    data = [
        {"name": "A", "url": ["https://a.test/", "https://a.test/b"], "tags": ["x"]},
        {"name": "B", "urls": ["https://b.test/"], "country": "UK"},
    ]
    path = write(tmp_path, "c.json", json.dumps(data, indent=2))
    clinics = load_clinics(path).clinics
    assert clinics[0].urls == ("https://a.test/", "https://a.test/b")
    assert clinics[1].country == "UK"


def test_a_json_error_names_the_line_of_the_bad_item(tmp_path: Path) -> None:
    data = [{"name": "A", "url": "https://a.test/"}, {"name": "B", "url": "ftp://b.test/"}]
    path = write(tmp_path, "c.json", json.dumps(data, indent=2))
    assert problems(path) == [f"{path}:6: url: 'ftp://b.test/' is not an absolute http(s) URL"]


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "c.json", '[\n  {"name": "A",\n  "url": }\n]')
    assert problems(path)[0].startswith(f"{path}:3: invalid JSON")


def test_a_yaml_list_under_clinics_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "c.yaml",
        "clinics:\n  - name: A\n    url: https://a.test/\n  - name: B\n    url: https://b.test/\n",
    )
    assert [c.id for c in load_clinics(path).clinics] == ["a", "b"]


def test_a_yaml_error_names_the_line_of_the_item(tmp_path: Path) -> None:
    path = write(
        tmp_path, "c.yml", "- name: A\n  url: https://a.test/\n- name: B\n  colour: blue\n"
    )
    assert problems(path) == [f"{path}:3: url: at least one start URL is required"]


def test_a_yaml_item_that_is_not_an_object_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", "- just a string\n")
    assert problems(path) == [f"{path}:1: expected a clinic object, got 'just a string'"]


def test_the_fingerprint_follows_the_content_not_the_file(tmp_path: Path) -> None:
    a = write(tmp_path, "a.csv", "name,url\nA,https://a.test/\n")
    b = write(tmp_path, "b.json", '[{"name": "A", "url": "https://a.test/"}]')
    c = write(tmp_path, "c.csv", "name,url\nA,https://a.test/other\n")
    assert load_clinics(a).sha256 == load_clinics(b).sha256 != load_clinics(c).sha256


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Renew Bone Clinic (Austin)", "renew-bone-clinic-austin"),
        ("Clínica Médica", "clinica-medica"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_the_crawl_command_stops_with_exit_code_2_before_fetching(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "name,url\nA,https://a.test/\nB,not-a-url\n")
    result = claimscan("crawl", str(path), "--db", str(tmp_path / "s.db"))
    assert result.returncode == 2
    assert f"{path}:3: url: 'not-a-url' is not an absolute http(s) URL" in result.stderr
    assert not (tmp_path / "s.db").exists()


def test_yaml_aliases_are_refused_before_they_expand(tmp_path: Path) -> None:
    """Nine levels of nine aliases are 9**9 nodes: a few hundred bytes, gigabytes parsed."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += ["clinics:", "  - {id: c1, name: C, url: 'https://c.test/', notes: *a9}"]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ClinicListError, match=r"bomb.yaml:2: .*aliases \(\*a0\) are not allowed"):
        load_clinics(path)


def test_a_json_list_nested_too_deeply_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ClinicListError, match=r"deep\.json:1: nested too deeply"):
        load_clinics(path)

"""Rule packs as data: pydantic models for lexicons, context triggers and claim rules, and
loading them from folders of YAML files.

A pack folder holds `pack.yaml` (name, version), `lexicons/*.yaml` (labelled terms),
`context/*.yaml` (ConText-style triggers), `genre/*.yaml` (page-level signals of
marketing or editorial text) and `claims/*.yaml` (one claim rule per file, its id the file
stem). Packs layer: a later pack adds rules and lexicon terms and replaces rules
with the same id. Every problem names the file, the rule and the field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scanner.errors import InputError
from scanner.resources import data_dir
from scanner.yaml_input import NoAliasLoader

Category = Literal[
    "efficacy", "regeneration", "cure", "safety", "approval", "success_rate", "testimonial",
    "comparative",
]  # fmt: skip
Severity = Literal["high", "medium", "low"]
CATEGORIES: tuple[str, ...] = get_args(Category)
SEVERITIES: tuple[str, ...] = get_args(Severity)  # worst first
SEVERITY_RANK = {"high": 3, "medium": 2, "low": 1}
ContextCategory = Literal[
    "negation", "attribution", "research", "regulatory", "description", "hedge", "disclosure",
    "pseudo", "terminate", "study", "reported", "deficit",
]  # fmt: skip
# Context that suppresses a claim only on a page that is not the clinic's own marketing: on
# a clinic page, "studies showed improvement" and a patient who "said" so are still claims.
EDITORIAL_ONLY: tuple[str, ...] = ("study", "reported")
Genre = Literal["marketing", "editorial"]
Direction = Literal["forward", "backward", "bidirectional"]
LABEL = r"^[A-Z][A-Z_]*$"
M = TypeVar("M", bound=BaseModel)


class RuleError(InputError):
    """A rule file that cannot be used."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackInfo(Strict):
    name: str
    version: str
    description: str = ""
    replaces_builtin: bool = False


class Lexicon(Strict):
    """Terms that the lexicon ruler tags with `label` (or one label per group)."""

    label: Annotated[str, Field(pattern=LABEL)]
    description: str
    match: Literal["lower", "lemma"] = "lower"
    terms: list[Annotated[str, Field(min_length=1)]] = []
    groups: dict[Annotated[str, Field(pattern=LABEL)], list[str]] = {}
    # Words that end a proper name: "Renew Bone & Joint Regenerative Center" is one name.
    name_suffixes: list[Annotated[str, Field(min_length=1)]] = []

    def labelled_terms(self) -> Iterable[tuple[str, str]]:
        for term in self.terms:
            yield self.label, term
        for group, terms in self.groups.items():
            for term in terms:
                yield f"{self.label}_{group}", term


class Trigger(Strict):
    phrase: Annotated[str, Field(min_length=1)]
    direction: Direction = "forward"
    max_scope: Annotated[int, Field(ge=1, le=100)] = 12


class TriggerDefaults(Strict):
    direction: Direction = "forward"
    max_scope: Annotated[int, Field(ge=1, le=100)] = 12


class ContextRules(Strict):
    """ConText-style modifier triggers of one category."""

    category: ContextCategory
    description: str
    defaults: TriggerDefaults = TriggerDefaults()
    terms: list[str | Trigger]
    # When set, these triggers reach only a claim whose first word has one of these lemmas:
    # "is used to [treat] knee pain" states a purpose, "is used to [heal] it" a result.
    only_before: list[Annotated[str, Field(min_length=1)]] = []

    def triggers(self) -> list[Trigger]:
        return [
            t if isinstance(t, Trigger) else Trigger(phrase=t, **self.defaults.model_dump())
            for t in self.terms
        ]


class GenreSignals(Strict):
    """Page-level signals of a genre: phrases (and token patterns) whose weighted count says
    whether a page is the clinic's own marketing or someone writing about it."""

    genre: Genre
    description: str
    weight: Annotated[float, Field(gt=0, le=10)] = 1.0
    terms: list[Annotated[str, Field(min_length=1)]] = []
    patterns: list[list[dict[str, Any]]] = []

    @field_validator("patterns")
    @classmethod
    def _token_patterns_are_valid(cls, patterns: list[list[dict[str, Any]]]) -> list[Any]:
        return _valid_token_patterns(patterns)


class Examples(Strict):
    flag: Annotated[list[str], Field(min_length=1)]
    # `pass` is a Python keyword: the field is `passes`, written `pass:` in the file.
    passes: Annotated[list[str], Field(min_length=1, alias="pass")]
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ClaimRule(Strict):
    id: str
    category: Category
    severity: Severity
    message: Annotated[str, Field(min_length=1)]
    rationale: Annotated[str, Field(min_length=1)]
    references: Annotated[list[str], Field(min_length=1)]
    # therapy: the sentence names the therapy or clinic (or, on a page naming a therapy,
    # refers back to it or is a headline); page: the page names a therapy; any: no subject.
    subject: Literal["therapy", "page", "any"] = "therapy"
    # marketing: the rule counts only on pages judged to be marketing (see rules/genre/).
    pages: Literal["any", "marketing"] = "any"
    patterns: Annotated[list[str | list[dict[str, Any]]], Field(min_length=1)]
    examples: Examples

    @field_validator("references")
    @classmethod
    def _urls(cls, references: list[str]) -> list[str]:
        for url in references:
            if not url.startswith(("https://", "http://")):
                raise ValueError(f"{url!r} is not a URL")
        return references

    @field_validator("patterns")
    @classmethod
    def _token_patterns_are_valid(
        cls, patterns: list[str | list[dict[str, Any]]]
    ) -> list[str | list[dict[str, Any]]]:
        return _valid_token_patterns(patterns)


def _valid_token_patterns(patterns: list[Any]) -> list[Any]:
    from spacy.matcher import Matcher  # validating patterns needs spaCy; reading rules not
    from spacy.vocab import Vocab

    matcher = Matcher(Vocab(), validate=True)
    for number, pattern in enumerate(patterns, 1):
        if isinstance(pattern, list):
            _regexes_compile(number, pattern)
            _lemmas_are_lemmas(number, pattern)
            try:
                matcher.add(f"pattern {number}", [pattern])
            except (ValueError, KeyError) as exc:
                message = str(exc).strip().splitlines()
                raise ValueError(f"pattern {number} is not a spaCy Matcher pattern: "
                                 + " ".join(m.strip() for m in message)) from None  # fmt: skip
    return patterns


def _lemmas_are_lemmas(number: int, pattern: list[dict[str, Any]]) -> None:
    """A LEMMA value no word is read as never matches ("healing" is read as "heal"): name
    the value and the lemma it should be."""
    from scanner.detect.lemmatizer import lemma_table, lemmas

    table, known = lemma_table(), lemmas()
    for position, element in enumerate(pattern, 1):
        value = element.get("LEMMA")
        values = value.get("IN", []) if isinstance(value, dict) else [value]
        for word in values:
            if not isinstance(word, str) or word in known:
                continue
            lemma = table.get(word.lower(), word.lower())
            if lemma != word:
                raise ValueError(
                    f"pattern {number}, token {position}, LEMMA {word!r} is not a lemma (a "
                    f"text reads it as {lemma!r}): write {lemma!r}, or match it with LOWER"
                )


def _regexes_compile(number: int, pattern: list[dict[str, Any]]) -> None:
    """spaCy compiles a REGEX only when it first matches: a bad one would stop a scan
    halfway. Compile each here, at load."""
    for position, element in enumerate(pattern, 1):
        for attr, value in element.items():
            if isinstance(value, dict) and "REGEX" in value:
                try:
                    re.compile(str(value["REGEX"]))
                except re.error as exc:
                    raise ValueError(
                        f"pattern {number}, token {position}, {attr} REGEX "
                        f"{value['REGEX']!r} does not compile: {exc}"
                    ) from None


class RulePack(BaseModel):
    """The rules in force: pack info, lexicons, context triggers and claim rules."""

    model_config = ConfigDict(frozen=True)

    info: list[PackInfo]
    lexicons: list[Lexicon]
    context: list[ContextRules]
    genre: list[GenreSignals] = []
    rules: dict[str, ClaimRule]
    files: dict[str, str]  # relative path -> sha256, for the pack's fingerprint

    @cached_property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        for path, file_hash in sorted(self.files.items()):
            digest.update(f"{path}\0{file_hash}\n".encode())
        return digest.hexdigest()

    @property
    def version(self) -> str:
        return " + ".join(f"{i.name} {i.version}" for i in self.info)


def builtin_rules_dir() -> Path:
    return data_dir("rules")


def load_pack(extra_dirs: Iterable[Path] = (), builtin: bool = True) -> RulePack:
    """The built-in pack (unless replaced), with each folder of `extra_dirs` layered on top."""
    folders = [Path(d) for d in extra_dirs]
    for folder in folders:
        if not folder.is_dir():
            raise RuleError(f"{folder}: no such rules folder")
    if builtin and not any(
        _info(f).replaces_builtin for f in folders if (f / "pack.yaml").exists()
    ):
        folders.insert(0, builtin_rules_dir())
    if not folders:
        raise RuleError("no rule pack: give --rules DIR or keep the built-in rules")
    info, lexicons, context, genre, rules, files = [], [], [], [], {}, {}
    for folder in folders:
        if (folder / "pack.yaml").exists():
            info.append(_info(folder))
        for path in sorted(folder.glob("lexicons/*.y*ml")):
            lexicons.append(_load(path, Lexicon))
        for path in sorted(folder.glob("context/*.y*ml")):
            context.append(_load(path, ContextRules))
        for path in sorted(folder.glob("genre/*.y*ml")):
            genre.append(_load(path, GenreSignals))
        for path in sorted(folder.glob("claims/*.y*ml")):
            rules[path.stem] = _load_rule(path)
        for path in sorted(folder.rglob("*.y*ml")):
            files[f"{folder.name}/{path.relative_to(folder)}"] = hashlib.sha256(
                path.read_bytes()
            ).hexdigest()
    if not rules:
        raise RuleError(
            f"no claim rules in {', '.join(map(str, folders))} (expected claims/*.yaml)"
        )
    return RulePack(
        info=info, lexicons=lexicons, context=context, genre=genre, rules=rules, files=files
    )


def _info(folder: Path) -> PackInfo:
    return _load(folder / "pack.yaml", PackInfo)


class _RuleLoader(NoAliasLoader):
    """YAML with YAML 1.2 booleans: only true/false. In YAML 1.1 `no`, `off`, `yes` and `on`
    are booleans, and rule files are full of such words ("no side effects", "stop ... off")."""


_RuleLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RuleLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_RuleLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise RuleError(f"{path}{where}: invalid YAML: {exc}") from None


def _load(path: Path, model: type[M]) -> M:
    data = _read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RuleError(_describe(path, None, exc)) from None


def _load_rule(path: Path) -> ClaimRule:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise RuleError(f"{path}: rule {path.stem}: expected a mapping of fields")
    if "id" in data and data["id"] != path.stem:
        raise RuleError(
            f"{path}: rule {path.stem}: field 'id': {data['id']!r} differs from the file name"
        )
    try:
        return ClaimRule.model_validate({**data, "id": path.stem})
    except ValidationError as exc:
        raise RuleError(_describe(path, path.stem, exc)) from None


def _describe(path: Path, rule_id: str | None, exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "-"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        where = f"rule {rule_id}: " if rule_id else ""
        lines.append(f"{path}: {where}field {field!r}: {message}")
    return "\n".join(lines)

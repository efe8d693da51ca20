"""The records that flow through the pipeline and into the cache, as plain JSON-able dicts."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .escape import inert_tex, one_line, split_math
from .ids import ArxivId

STRUCTURED_FIELDS = ("background", "prior_work", "method", "results", "conclusion")
"""The parts of a structured summary, in the order they are shown."""

ANNOUNCEMENT = "announcement"
"""The `origin` of a paper made from the text of arXiv's announcement feed."""

SCHEMA = 1
"""Bumped when a record's fields change meaning; older cached records are then ignored."""

_T = TypeVar("_T", "Paper", "Summary")

MAX_TEXT = 20_000
"""The most characters kept of one text field from outside (a title, an
abstract, an author's name, a comment), as received: ten times arXiv's own
limit on an abstract (1,920), so only a broken or hostile source reaches it."""


_ACCENTS = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
}  # fmt: skip
_LETTERS = {"ss": "ß", "o": "ø", "O": "Ø", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "l": "ł", "L": "Ł", "i": "ı"}
_ACCENT = re.compile(r"""\{?\\(['`^"~=.]|[uvHck](?=[{\s]))\s*(?:\{\s*(\\?[A-Za-z])\s*\}|(\\?[A-Za-z]))\}?""")
_LETTER = re.compile(r"\{?\\(ss|aa|AA|ae|AE|[oOlLi])(?![A-Za-z])\}?")


def clean(text: str | None) -> str:
    """Collapse the hard line breaks and runs of spaces that arXiv keeps in its
    text, and write TeX accents outside math as the letters they stand for
    (`Bal\\'azs` is Balázs)."""
    text = one_line(text or "")
    if "\\" not in text:
        return text
    parts = split_math(text)
    return "".join(part if index % 2 else _untex(part) for index, part in enumerate(parts))


class Texts:
    """Cleans the text fields of one record from outside (see `clean`), each
    cut to its first `MAX_TEXT` characters, marked with an ellipsis, before
    any work is done on it; `cut` names the fields that were, with their length."""

    def __init__(self) -> None:
        self.cut: list[str] = []

    def __call__(self, text: str | None, what: str, length: int | None = None, as_is: bool = False) -> str:
        """`text` cleaned (`as_is`: only cut); `length`: how long it was as
        received, when only its start was kept."""
        text = text or ""
        length = len(text) if length is None else length
        if length > MAX_TEXT:
            self.cut.append(f"{what} of {length:,} characters")
            text = text[:MAX_TEXT].rstrip() + "…"
        return text if as_is else clean(text)

    def note(self, record: str, into: list[str]) -> None:
        """Add to `into` what was cut from `record`, if anything."""
        if self.cut:
            more = f" and {len(self.cut) - 3:,} more" if len(self.cut) > 3 else ""
            into.append(f"{record} ({', '.join(self.cut[:3])}{more})")


def license_from(text: Any) -> str:
    """A licence named by a URL or a line of text (a snapshot's `license`, a
    feed's `dc:rights`) as a `Paper.license` code; empty when not known."""
    if not isinstance(text, str) or not text.strip():
        return ""
    from .fulltext.links import license_code  # only for a source that names licences

    code = license_code(text[:500])
    return "" if code == "unknown" else code


def cut_warning(cut: list[str]) -> str:
    """What to say of the records of one source whose text was cut (see `Texts`)."""
    shown = "; ".join(cut[:3]) + (f"; and {len(cut) - 3:,} more" if len(cut) > 3 else "")
    return f"text longer than {MAX_TEXT:,} characters was cut to its first {MAX_TEXT:,}, in {shown}"


def _untex(text: str) -> str:
    def accent(match: re.Match[str]) -> str:
        letter = (match.group(2) or match.group(3)).lstrip("\\")  # `\'{\i}`: an accent on a dotless i
        return unicodedata.normalize("NFC", letter + _ACCENTS[match.group(1)])

    text = _ACCENT.sub(accent, text)
    return _LETTER.sub(lambda m: _LETTERS[m.group(1)], text)


def _make_inert(record: Paper | Summary, names: tuple[str, ...]) -> None:
    """Outside text with no TeX command that builds markup (`inert_tex`), in
    every text field: what templates, the JSON, the feed and the cache get."""
    for name in names:
        value = getattr(record, name)
        if isinstance(value, str):
            inert: Any = inert_tex(value)
        elif isinstance(value, tuple):
            inert = tuple(inert_tex(v) if isinstance(v, str) else v for v in value)
        elif isinstance(value, dict):
            inert = {k: inert_tex(v) if isinstance(v, str) else v for k, v in value.items()}
        else:
            continue
        if inert != value:
            object.__setattr__(record, name, inert)


@dataclass(frozen=True)
class Paper:
    """One version of one paper, as arXiv describes it. Its text holds no TeX
    command that builds markup (`inert_tex`), wherever it came from."""

    id: str
    """The identifier without version: `2403.10045`, `astro-ph/0601001`."""
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    comment: str = ""
    primary_category: str = ""
    categories: tuple[str, ...] = ()
    published: str = ""
    """Date of v1, `YYYY-MM-DD`."""
    updated: str = ""
    """Date of this version, `YYYY-MM-DD`."""
    doi: str = ""
    journal_ref: str = ""
    origin: str = ""
    """Empty for a record of arXiv's API (or a snapshot of it); `announcement`
    for one made from the announcement feed's text alone (no comment, DOI or
    dates), shown when the API cannot be asked and replaced when it answers."""
    license: str = ""
    """The licence it was read with, as a code of `fulltext.LICENSES`
    (`cc-by`, `arxiv-nonexclusive`...): from a snapshot's `license` field;
    empty when unknown (arXiv's API does not give it; the paper's HTML does)."""

    def __post_init__(self) -> None:
        _make_inert(self, _PAPER_TEXT)

    @property
    def arxiv_id(self) -> ArxivId:
        return ArxivId(self.id, self.version)

    @property
    def versioned_id(self) -> str:
        return f"{self.id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.versioned_id}"

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    def fingerprint(self) -> str:
        """A short hash of all the paper's metadata: it changes when any of it
        does (a DOI added to the same version), so a page's finished digest
        can be keyed by its papers without reading them."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Paper | None:
        return _from_dict(cls, data)


@dataclass(frozen=True)
class Summary:
    """What a summarizer says of one paper. Field names are the contract for
    the cache, front-matter overrides and templates. Its text holds no TeX
    command that builds markup (`inert_tex`): a model's answer is outside text."""

    tldr: str = ""
    """One sentence, in the page's language."""
    tldr_en: str = ""
    """One sentence, in English."""
    title: str = ""
    """The translated title; empty when the page's language is the paper's."""
    abstract: str = ""
    """The complete translated abstract; empty when not translated."""
    takeaways: tuple[str, ...] = ()
    structured: dict[str, str] = field(default_factory=dict)
    keywords: tuple[str, ...] = ()
    backend: str = ""
    """Which summarizer wrote it, e.g. `extractive` or a model name."""
    created: str = ""
    """When it was written (UTC, ISO 8601)."""
    prompt_version: int = 0
    """The version of the prompt a model was given; 0 for summaries made without one."""
    fulltext_version: int = 0
    """The version of the paper whose full text it was written from; 0 when
    it was written from the abstract (and the title, authors and comment)."""

    def __post_init__(self) -> None:
        _make_inert(self, _SUMMARY_TEXT)

    def to_dict(self) -> dict[str, Any]:
        return _to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary | None:
        return _from_dict(cls, data)

    def with_overrides(self, overrides: dict[str, Any]) -> Summary:
        """The same summary with the fields a writer set by hand in front matter."""
        known = {f.name for f in dataclasses.fields(self)} - {
            "backend",
            "created",
            "prompt_version",
            "fulltext_version",
        }
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in known or value is None:
                continue
            if key in ("takeaways", "keywords"):
                value = tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)
            elif key == "structured":
                value = {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}
            else:
                value = str(value)
            changes[key] = value
        return dataclasses.replace(self, **changes) if changes else self


_PAPER_TEXT = ("title", "abstract", "authors", "comment", "primary_category", "categories", "doi", "journal_ref")
_SUMMARY_TEXT = ("tldr", "tldr_en", "title", "abstract", "takeaways", "structured", "keywords", "backend")


def _to_dict(record: Paper | Summary) -> dict[str, Any]:
    data = dataclasses.asdict(record)
    if isinstance(record, Paper) and not record.origin:
        del data["origin"]  # the API's records keep the keys, and fingerprints, they always had
    if isinstance(record, Paper) and not record.license:
        # A record cached before papers had a licence reads as one without; one
        # without keeps the fingerprint it had (its page's digest is not made again).
        del data["license"]
    data["schema"] = SCHEMA
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def _from_dict(cls: type[_T], data: dict[str, Any]) -> _T | None:
    """Rebuild a record from the cache; `None` for one written by another schema
    or one whose values are not of their fields' kinds (a damaged or planted entry)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return None
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if isinstance(default, tuple) or f.name in ("authors", "categories"):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return None
            value = tuple(value)
        elif isinstance(default, dict):
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                return None
        elif f.name == "version" or isinstance(default, int):
            if type(value) is not int:
                return None
        elif not isinstance(value, str):
            return None
        values[f.name] = value
    try:
        record = cls(**values)
    except TypeError:
        return None
    if isinstance(record, Paper) and not _valid_id(record):
        return None
    return record


def _valid_id(paper: Paper) -> bool:
    from .ids import parse_id

    try:
        return parse_id(paper.id).base == paper.id and paper.version >= 1
    except ValueError:
        return False

"""Reading lists kept outside the site: a BibTeX file (as Zotero, Better
BibTeX or JabRef export it) or a CSL-JSON file (Zotero's "CSL JSON" export),
read into the papers `rank: library` ranks against.

An entry counts when it names an arXiv paper (its metadata is then read as
an `ids` page's are) or when it has a title and an abstract (used as they
are, with the entry's date for the recency weight); other entries are
skipped. Nothing here knows MkDocs: it takes a path and returns records."""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .ids import ArxivId, parse_id

EXTENSIONS = {".bib": "BibTeX", ".json": "CSL-JSON"}
"""A `library:` value ending in one of these names a file; any other, pages of the site."""


class LibraryError(ValueError):
    """The file cannot be read as a whole; the message says why."""


@dataclass(frozen=True)
class FilePaper:
    """One usable entry of a library file."""

    id: ArxivId | None
    """Versionless, when the entry names an arXiv paper."""
    title: str
    abstract: str
    published: str
    """`YYYY-MM-DD` from the entry's date (January 1st for a year alone), or empty."""


@dataclass(frozen=True)
class FileLibrary:
    papers: tuple[FilePaper, ...]
    skipped: int
    """Entries with neither an arXiv ID nor a title and an abstract."""
    problems: tuple[str, ...]
    """Parts of the file that could not be read (the rest was)."""


def is_file(value: str) -> bool:
    """Whether a `library:` value names a file rather than pages."""
    return Path(value).suffix.lower() in EXTENSIONS


def kind(path: Path) -> str:
    """`BibTeX` or `CSL-JSON`, by the file's extension."""
    return EXTENSIONS.get(path.suffix.lower(), "BibTeX")


def read(path: Path) -> FileLibrary:
    """The usable entries of a `.bib` or CSL-JSON file; `LibraryError` when
    it cannot be read or holds no entry at all."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LibraryError("the file does not exist") from None
    except UnicodeDecodeError as error:
        raise LibraryError(f"the file is not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise LibraryError(f"the file cannot be read ({error.strerror or error})") from None
    return _parsed(text, kind(path))


@functools.lru_cache(maxsize=4)
def _parsed(text: str, kind: str) -> FileLibrary:
    """A file's entries, parsed once per content: `mkdocs serve` rebuilds
    with an unchanged 2,000-entry export do not parse it again (about a
    second each), and any change to the file is a new content."""
    return read_bibtex(text) if kind == "BibTeX" else read_csl(text)


# --- BibTeX -----------------------------------------------------------------


def read_bibtex(text: str) -> FileLibrary:
    from bibtexparser.entrypoint import parse_string

    # The parser logs each broken entry through the root logger; they are said once, below.
    quiet = logging.getLogger("bibtexparser")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL + 1)
    try:
        library = parse_string(text)
    finally:
        quiet.setLevel(level)
    problems: list[str] = []
    entries: list[dict[str, str]] = []
    for entry in library.entries:
        entries.append({field.key.lower(): str(field.value) for field in entry.fields})
    for block in library.failed_blocks:
        kept = getattr(block, "ignore_error_block", None)
        if kept is not None and hasattr(kept, "fields"):  # a duplicate key: the entry itself is whole
            entries.append({field.key.lower(): str(field.value) for field in kept.fields})
        else:
            problems.append(f"the entry at line {(block.start_line or 0) + 1} is not valid BibTeX")
    if not entries and (problems or text.strip()):
        raise LibraryError("no BibTeX entry could be read in it" + (f" ({problems[0]})" if problems else ""))
    papers, skipped = _usable(_bibtex_paper(fields) for fields in entries)
    return FileLibrary(papers, skipped, tuple(problems))


_MONTHS = {
    name: n
    for n, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}


def _bibtex_paper(fields: Mapping[str, str]) -> FilePaper:
    arxiv_id = None
    prefix = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip("{} ").lower()
    if prefix == "arxiv" and fields.get("eprint"):
        arxiv_id = _checked(fields["eprint"])
    arxiv_id = arxiv_id or _found_id(
        fields.get(name, "") for name in ("doi", "url", "journal", "number", "note", "howpublished", "eprint")
    )
    published = _date(fields.get("date", "")) or _year_month(fields.get("year", ""), fields.get("month", ""))
    return FilePaper(arxiv_id, tex_text(fields.get("title", "")), tex_text(fields.get("abstract", "")), published)


def _year_month(year: str, month: str) -> str:
    found = re.search(r"\d{4}", year)
    if not found:
        return ""
    name = month.strip("{} ").lower()
    number = int(name) if name.isdecimal() else _MONTHS.get(name[:3], 1)
    return f"{found.group()}-{number if 1 <= number <= 12 else 1:02d}-01"


def _date(value: str) -> str:
    """A biblatex `date` (`2024-03-15`, `2024-03`, `2024`) as `YYYY-MM-DD`."""
    match = re.match(r"\s*(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", value)
    if not match:
        return ""
    year, month, day = match.group(1), int(match.group(2) or 1), int(match.group(3) or 1)
    return f"{year}-{month if 1 <= month <= 12 else 1:02d}-{day if 1 <= day <= 31 else 1:02d}"


# TeX in a BibTeX title or abstract, as text: accents and special letters as
# the characters, protective braces and font commands dropped; math spans
# (`$…$`) are kept as written, as arXiv's titles keep them.
_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
_LETTERS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "textendash": "–",
    "textemdash": "—",
    "textquoteright": "’",
    "textquoteleft": "‘",
    "ldots": "…",
    "dots": "…",
    # Zotero writes the characters BibTeX would read otherwise so.
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textunderscore": "_",
    "textless": "<",
    "textgreater": ">",
    "textbraceleft": "{",
    "textbraceright": "}",
}
_FONT = {
    *("emph", "textit", "textbf", "textsc", "textrm", "textsf", "texttt", "textup", "mkbibemph", "url"),
    *("it", "bf", "em", "sc", "rm", "sf", "tt", "relax", "protect", "noopsort"),
}
_ACCENT = re.compile(
    r"\\(?P<accent>[\"'`^~=.])\s*(?:\{\s*(?P<b1>\\?[A-Za-z])\s*\}|(?P<b2>\\?[A-Za-z]))"
    r"|\\(?P<word>[uvHckrdb])(?:\s*\{\s*(?P<w1>\\?[A-Za-z])\s*\}|\s+(?P<w2>[A-Za-z]))"
)
_MATH = re.compile(r"((?<!\\)\$\$.+?(?<!\\)\$\$|(?<!\\)\$.+?(?<!\\)\$)", re.S)


def tex_text(value: str) -> str:
    """A BibTeX field's TeX as the text it reads as, on one line."""
    parts = _MATH.split(value) if "$" in value else [value]
    return " ".join("".join(part if n % 2 else _tex_outside_math(part) for n, part in enumerate(parts)).split())


def _tex_outside_math(text: str) -> str:
    def accent(match: re.Match[str]) -> str:
        mark = _ACCENTS[match["accent"] or match["word"]]
        base = match["b1"] or match["b2"] or match["w1"] or match["w2"]
        base = {"\\i": "i", "\\j": "j"}.get(base, base)
        return unicodedata.normalize("NFC", base + mark) if not base.startswith("\\") else match.group()

    # Escaped characters, and those Zotero spells out, are kept aside while braces are dropped.
    text = re.sub(r"\\([&%$#_{}])", lambda m: _kept(m[1]), text)
    text = _ACCENT.sub(accent, text)
    text = re.sub(
        r"\\([A-Za-z]+)\b\s*(?:\{\})?",
        lambda m: _kept(_LETTERS[m[1]]) if m[1] in _LETTERS else "" if m[1] in _FONT else m.group(),
        text,
    )
    text = text.replace("{", "").replace("}", "").replace("---", "—").replace("--", "–")
    text = re.sub(r"(?<!\\)~", " ", text)
    return re.sub("[\ue000-\ue0ff]", lambda m: chr(ord(m.group()) - 0xE000), text)


def _kept(characters: str) -> str:
    """ASCII characters moved to the Private Use Area, out of the way of the rules that follow."""
    return "".join(chr(0xE000 + ord(c)) if ord(c) < 0x100 else c for c in characters)


# --- CSL-JSON ---------------------------------------------------------------


def read_csl(text: str) -> FileLibrary:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LibraryError(f"it is not JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    if isinstance(data, dict) and "items" in data:  # a CSL-JSON object with its items (Better CSL JSON's too)
        data = data["items"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LibraryError('it is not CSL-JSON: expected a list of items (Zotero\'s "CSL JSON" export)')
    papers, skipped = _usable(_csl_paper(item) for item in data)
    return FileLibrary(papers, skipped, ())


def _csl_paper(item: Mapping[str, Any]) -> FilePaper:
    def text(name: str) -> str:
        value = item.get(name)
        return value if isinstance(value, str) else str(value) if isinstance(value, int) else ""

    arxiv_id = _found_id(text(name) for name in ("DOI", "URL", "number", "archive_location", "container-title", "note"))
    if arxiv_id is None and text("publisher").lower() == "arxiv":
        arxiv_id = _checked(text("number"))
    return FilePaper(arxiv_id, _rich_text(text("title")), _rich_text(text("abstract")), _issued(item))


_RICH = re.compile(r"</?(?:i|b|sup|sub|sc|span(?: [^<>]*)?)>")
"""The markup Zotero keeps in a CSL title (`<i>E. coli</i>`, `<span class="nocase">`)."""


def _rich_text(value: str) -> str:
    return " ".join(_RICH.sub("", value).split())


def _issued(item: Mapping[str, Any]) -> str:
    issued = item.get("issued")
    if not isinstance(issued, dict):
        return ""
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        numbers = []
        for part in parts[0][:3]:
            try:
                numbers.append(int(part))
            except (TypeError, ValueError):
                break
        if numbers and 1000 <= numbers[0] <= 9999:
            year, month, day = (*numbers, 1, 1)[:3]
            return f"{year}-{month if 1 <= month <= 12 else 1:02d}-{day if 1 <= day <= 31 else 1:02d}"
    for name in ("raw", "literal"):
        if isinstance(issued.get(name), str):
            return _date(issued[name])
    return ""


# --- arXiv IDs in an entry -----------------------------------------------------

_IN_TEXT = re.compile(
    r"(?:10\.48550/arxiv\.|arxiv\.org/(?:abs|pdf|html)/|\barxiv:\s*)"
    r"(?P<id>\d{4}\.\d{4,5}(?:v\d+)?|[a-z][a-z-]*(?:\.[a-z]{2})?/\d{7}(?:v\d+)?)",
    re.IGNORECASE,
)


def _found_id(values: Iterable[str]) -> ArxivId | None:
    """The first arXiv ID the values name: an arXiv DOI (`10.48550/arXiv.…`),
    an arxiv.org URL, or `arXiv:…` (`arXiv preprint arXiv:1706.03762`)."""
    for value in values:
        for match in _IN_TEXT.finditer(value):
            if found := _checked(match["id"]):
                return found
    return None


def _checked(value: str) -> ArxivId | None:
    """A versionless ID, if `value` is one arXiv gives (old-style archives in lower case)."""
    value = value.strip("{} ")
    value = re.sub(r"^[a-z-]+(?=(?:\.[A-Za-z]{2})?/)", lambda m: m.group().lower(), value, flags=re.IGNORECASE)
    try:
        return ArxivId(parse_id(value).base)
    except ValueError:
        return None


def _usable(papers: Iterable[FilePaper]) -> tuple[tuple[FilePaper, ...], int]:
    kept: list[FilePaper] = []
    skipped = 0
    for paper in papers:
        if paper.id is not None or (paper.title and paper.abstract):
            kept.append(paper)
        else:
            skipped += 1
    return tuple(kept), skipped

"""BibTeX entries for papers, in the form arXiv itself suggests (`@misc` with `eprint`)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from .records import Paper

_SPECIAL = re.compile(r"(?<!\\)([&%#_])")


def cite_key(paper: Paper) -> str:
    """`lastnameYYYYfirstword`, in ASCII: `gould2006frequency`."""
    last = paper.authors[0].split()[-1] if paper.authors else "anon"
    words = [w for w in re.findall(r"[A-Za-z]+", _ascii(paper.title)) if len(w) > 3] or ["paper"]
    year = paper.published[:4] or "0000"
    return str(re.sub(r"[^a-z0-9]", "", _ascii(last).lower()) + year + words[0].lower())


def cite_keys(papers: Iterable[Paper]) -> dict[str, str]:
    """Each paper's key by versioned ID; a repeated key gets a letter from the
    second paper on: `smith2020`, `smith2020a`, `smith2020b`."""
    keys: dict[str, str] = {}
    used: dict[str, int] = {}
    for paper in papers:
        key = cite_key(paper)
        count = used.get(key, 0)
        used[key] = count + 1
        keys.setdefault(paper.versioned_id, key if count == 0 else key + chr(ord("a") + (count - 1) % 26))
    return keys


def entry(paper: Paper, key: str | None = None) -> str:
    """One `@misc` entry. Outside text cannot end a field early: braces are
    balanced or escaped, and TeX's special characters are escaped."""
    fields = [
        ("title", paper.title),
        ("author", " and ".join(paper.authors)),
        ("year", paper.published[:4]),
        ("eprint", paper.id),
        ("archivePrefix", "arXiv"),
        ("primaryClass", paper.primary_category),
        ("url", f"https://arxiv.org/abs/{paper.versioned_id}"),
        ("doi", paper.doi),
        ("note", paper.journal_ref),
    ]
    lines = [f"  {name} = {{{_value(value)}}}," for name, value in fields if value]
    return "@misc{" + (key or cite_key(paper)) + ",\n" + "\n".join(lines) + "\n}"


def bibliography(papers: Iterable[Paper]) -> str:
    """A `.bib` file's text, with the keys the page shows."""
    unique = list({paper.versioned_id: paper for paper in papers}.values())
    keys = cite_keys(unique)
    return "\n\n".join(entry(paper, keys[paper.versioned_id]) for paper in unique) + "\n"


def _value(text: str) -> str:
    text = " ".join(text.split())
    math = text.count("$") % 2 == 0
    if not math:
        text = text.replace("$", r"\$")
    # Outside math, `_` `&` `%` `#` are TeX commands; inside `$…$` they are left alone.
    parts = re.split(r"(\$[^$]*\$)", text) if math else [text]
    text = "".join(part if part.startswith("$") else _SPECIAL.sub(r"\\\1", part) for part in parts)
    if not _balanced(text):
        text = re.sub(r"(?<!\\)([{}])", r"\\\1", text)
    # `{{` would be template syntax to the macros plugin; TeX reads `{ {` alike.
    return re.sub(r"\{(?=[{%#])", "{ ", text)


def _balanced(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"(?<!\\)[{}]", text):
        depth += 1 if match.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()

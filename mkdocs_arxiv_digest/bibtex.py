"""BibTeX entries for papers, in the form arXiv itself suggests (`@misc` with `eprint`)."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from .escape import one_line, split_math
from .records import Paper

_SPECIAL = re.compile(r"(?<!\\)([&%#_])")


def cite_key(paper: Paper) -> str:
    """`lastnameYYYYfirstword`, in ASCII: `gould2006frequency`."""
    names = paper.authors[0].split() if paper.authors else []
    last = names[-1] if names else "anon"
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


@functools.lru_cache(maxsize=4096)
def entry(paper: Paper, key: str | None = None) -> str:
    """One `@misc` entry. Outside text cannot end a field early: braces are
    balanced or escaped, and TeX's special characters are escaped. Made once
    per paper and key: the page's BibTeX block and its `.bib` file share it."""
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
    """A field's value, between the braces BibTeX puts around it. TeX from arXiv
    is kept where it is valid; what would end the field early or make the file
    unreadable is written another way."""
    text = one_line(text)
    math = text.count("$") % 2 == 0
    if not math:
        text = text.replace("$", r"\$")
    # Outside math, `_` `&` `%` `#` are TeX commands; inside `$…$` they are left alone.
    parts = split_math(text) if math else [text]
    text = "".join(part if index % 2 else _SPECIAL.sub(r"\\\1", part) for index, part in enumerate(parts))
    if text.endswith("\\") and not text.endswith("\\\\"):
        text = text[:-1] + r"\textbackslash{}"
    return _balance(text)


def _balance(text: str) -> str:
    """Every brace matched, as BibTeX counts them: it counts `\\{` and `\\}` too,
    so a title with one escaped brace would swallow the rest of the file. A
    brace without its partner is written as `\\textbraceleft{}` or
    `\\textbraceright{}`, which draw it."""
    opened: list[int] = []
    lonely: set[int] = set()
    for index, char in enumerate(text):
        if char == "{":
            opened.append(index)
        elif char == "}":
            if opened:
                opened.pop()
            else:
                lonely.add(index)
    lonely.update(opened)
    if not lonely:
        return text
    out: list[str] = []
    for index, char in enumerate(text):
        if index in lonely:
            if out and out[-1] == "\\":
                out.pop()  # `\\{` without its partner: the command draws the brace
            out.append(r"\textbraceleft{}" if char == "{" else r"\textbraceright{}")
        else:
            out.append(char)
    return "".join(out)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()

"""The folder of pages the `daily` command keeps: its day pages, read in any
shape MkDocs reads them (a BOM, `...` closing the front matter, spaces after
`---`), written again without losing a writer's word, and the index it owns.

The command owns, in a day's page, `date:` and `ids:`, `updated:` and
`source:` under `arxiv:`; everything else (the title, tags, a paper's
`tldr:` override, the text below the front matter) is the writer's."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .frontmatter import parse_spec, read_front_matter
from .ids import parse_id

INDEX = "index.md"
MARKER = "<!-- written by mkdocs-arxiv-digest daily; edits to this page are overwritten -->"
"""What marks an index the command wrote, and so may write again."""
MORE = "<!-- more -->"
"""Material's blog cuts a post's excerpt here."""
_BOM = "\ufeff"
_FRONT = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?\r?\n)??(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


class ArchiveError(Exception):
    """A page of the folder the command cannot read or write without losing something."""


class _Number(str):
    """A number as the writer wrote it (`2401.12010`, `1.50`), written back the same."""


class _Loader(yaml.SafeLoader):
    """Numbers kept as written, to be written back as they were."""


class _Dumper(yaml.SafeDumper):
    pass


_NUMBER = "tag:arxiv-digest:number"
_Loader.yaml_implicit_resolvers = {
    first: [
        (_NUMBER if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float") else tag, regexp)
        for tag, regexp in resolvers
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor(_NUMBER, lambda loader, node: _Number(node.value))


def _represent_number(dumper: _Dumper, value: _Number) -> yaml.ScalarNode:
    tag = dumper.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    return dumper.represent_scalar(tag, value)


_Dumper.add_representer(_Number, _represent_number)


def dump(front: dict[str, Any]) -> str:
    return yaml.dump(front, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)


@dataclass(frozen=True)
class Page:
    """A Markdown page of the folder as it is on disk."""

    path: Path
    text: str
    """All of it, as read."""
    front: dict[str, Any] | None = None
    """Its front matter, numbers as written; `None` if it has none."""
    body: str = ""
    """What follows the front matter."""
    bom: str = ""
    spec: dict[str, Any] = field(default_factory=dict)
    """Its front matter as the plugin reads it."""

    @property
    def day(self) -> str | None:
        """The `YYYY-MM-DD` of a day's page (`date:`, or a blog post's `date: {created: …}`)."""
        day = (self.front or {}).get("date")
        if isinstance(day, dict):
            day = day.get("created")
        return str(day)[:10] if isinstance(day, (dt.date, str)) else None

    @property
    def arxiv(self) -> dict[str, Any] | None:
        value = self.spec.get("arxiv")
        return value if isinstance(value, dict) else None

    def shown(self) -> dict[str, int]:
        """The versionless IDs of its papers, each with the newest version it shows (0: none given)."""
        found: dict[str, int] = {}
        if self.arxiv is not None:
            spec = parse_spec(self.arxiv)
            for entry in [*spec.entries, *spec.updated]:
                found[entry.id.base] = max(found.get(entry.id.base, 0), entry.id.version or 0)
        return found


def read_page(path: Path) -> Page:
    """The page at `path`. Raises `ArchiveError` when it cannot be read, or its
    front matter is not YAML: its papers would be repeated, its text lost."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ArchiveError(
            f"the page {path} could not be read ({error}); fix it or move it away and run again"
        ) from None
    bom = _BOM if text.startswith(_BOM) else ""
    match = _FRONT.match(text[len(bom) :])
    if match is None:
        return Page(path, text, None, text[len(bom) :], bom)
    source = match.group("yaml") or ""
    try:
        front = yaml.load(source, Loader=_Loader)  # a SafeLoader
        spec = read_front_matter(f"---\n{source}---\n") if source else {}
    except yaml.YAMLError as error:
        problem = " ".join(str(error).split())
        raise ArchiveError(
            f"the front matter of {path} is not valid YAML ({problem}); fix it and run again (nothing was written)"
        ) from None
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise ArchiveError(f"the front matter of {path} is not a mapping of keys to values; fix it and run again")
    return Page(path, text, front, text[len(bom) + match.end() :], bom, spec)


def day_pages(folder: Path) -> list[Page]:
    """The pages of days in the folder: each `*.md` but the index with a
    `date:` and an `arxiv:` mapping, oldest first."""
    pages = [read_page(path) for path in sorted(folder.glob("*.md")) if path.name != INDEX] if folder.is_dir() else []
    found = [page for page in pages if page.day is not None and page.arxiv is not None]
    return sorted(found, key=lambda page: page.day or "")


def shown_elsewhere(pages: Sequence[Page], path: Path) -> dict[str, int]:
    """The papers on the folder's pages other than `path`, as `Page.shown`."""
    found: dict[str, int] = {}
    for page in pages:
        if page.path != path:
            for base, version in page.shown().items():
                found[base] = max(found.get(base, 0), version)
    return found


def _base(entry: Any) -> str | None:
    raw = entry.get("id") if isinstance(entry, dict) else entry
    try:
        return parse_id(str(raw)).base
    except ValueError:
        return None


def _union(kept: Any, fresh: list[str], leave_out: set[str | None]) -> list[Any]:
    """The entries a writer's page has (with their overrides), then the fresh IDs it lacks."""
    entries = [entry for entry in (kept if isinstance(kept, list) else []) if _base(entry) not in leave_out]
    have = {_base(entry) for entry in entries} | leave_out
    return entries + [arxiv_id for arxiv_id in fresh if _base(arxiv_id) not in have]


def day_text(page: Page | None, fresh: dict[str, Any], body: str = "") -> str:
    """The text of a day's page. New: `fresh` (the command's front matter),
    then `body`. Already there: the writer's page with what the command owns
    brought up to date; no ID is dropped, the writer's entries (with their
    overrides) come first, and a page whose owned values are already so is
    returned exactly as it was."""
    if page is None:
        return f"---\n{dump(fresh)}---\n{body}"
    if page.front is None:
        return f"{page.bom}---\n{dump(fresh)}---\n{page.body}"
    front = dict(page.front)
    arxiv = dict(front["arxiv"]) if isinstance(front.get("arxiv"), dict) else {}
    ids = _union(arxiv.get("ids"), fresh["arxiv"]["ids"], set())
    updated = _union(arxiv.get("updated"), fresh["arxiv"].get("updated", []), {_base(entry) for entry in ids})
    changed = False
    for key, value in (("ids", ids), ("updated", updated), ("source", fresh["arxiv"]["source"])):
        if (value or key in arxiv) and arxiv.get(key) != value:
            arxiv[key], changed = value, True
    if not isinstance(front.get("date"), dict) and front.get("date") != fresh["date"]:
        front["date"], changed = fresh["date"], True
    if not changed and isinstance(front.get("arxiv"), dict):
        return page.text
    front["arxiv"] = arxiv
    return f"{page.bom}---\n{dump(front)}---\n{page.body}"


def index_text(title: str, intro: str, pages: Sequence[Page]) -> str:
    """The folder's index: one line per day, newest first, under `MARKER`."""
    lines = ["---", dump({"title": title}).strip(), "---", "", MARKER, "", intro, ""]
    for page in sorted(pages, key=lambda page: page.day or "", reverse=True):
        count = len(page.shown())
        lines.append(f"- [{page.day}]({page.path.name}): {count} paper{'s' if count != 1 else ''}")
    return "\n".join(lines) + "\n"


def owns_index(path: Path) -> bool:
    """Whether the command may write `path`: it is not there, or the command wrote it."""
    try:
        return MARKER in path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError):
        return False

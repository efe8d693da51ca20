"""Turn papers and summaries into Markdown through Jinja2 templates, escaping all outside text."""

from __future__ import annotations

import hashlib
import re
import string
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import bibtex as bib
from .ids import Entry
from .records import Paper, Summary

TEMPLATES = Path(__file__).parent / "templates"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "summary": "Summary",
        "details": "Details",
        "ref": "Ref",
        "title": "Title",
        "summary_column": "Summary",
        "colon": ": ",
        "tldr": "TL;DR",
        "abstract": "Abstract",
        "original_abstract": "Original abstract",
        "translation": "Translation",
        "original": "Original",
        "authors": "Authors",
        "more_authors": "and {n} more",
        "comment": "Comment",
        "category": "Category",
        "version": "Version",
        "published": "Published",
        "updated": "updated",
        "pdf": "PDF",
        "missing": "Not available: {reason}",
        "model_note": "The summaries on this page were written by a language model ({model}) and may contain mistakes.",
        "paper_summary": "Summary",
        "takeaways": "Key takeaways",
        "structured": "Structured summary",
        "background": "Background",
        "prior_work": "Prior work",
        "method": "Method",
        "results": "Results",
        "conclusion": "Conclusion",
        "keywords": "Keywords",
        "bibtex": "BibTeX",
        "bib_file": "BibTeX of all papers on this page",
    },
    "zh": {
        "summary": "摘要",
        "details": "详细",
        "ref": "Ref",
        "title": "Title",
        "summary_column": "Summary",
        "colon": "：",
        "tldr": "一句话总结",
        "abstract": "摘要",
        "original_abstract": "原文摘要",
        "translation": "译文",
        "original": "原文",
        "authors": "作者",
        "more_authors": "等 {n} 人",
        "comment": "备注",
        "category": "分类",
        "version": "版本",
        "published": "发布",
        "updated": "更新",
        "pdf": "PDF",
        "missing": "暂无：{reason}",
        "model_note": "本页的摘要由语言模型（{model}）生成，可能有误，请以原文为准。",
        "paper_summary": "总结",
        "takeaways": "要点",
        "structured": "结构化总结",
        "background": "研究背景",
        "prior_work": "已有工作",
        "method": "方法",
        "results": "结果",
        "conclusion": "结论",
        "keywords": "关键词",
        "bibtex": "BibTeX",
        "bib_file": "本页全部论文的 BibTeX",
    },
}

LAYOUTS = ("digest", "chatpaper")
PLACEHOLDERS = {"more_authors": {"n"}, "missing": {"reason"}, "model_note": {"model"}}
"""The `{…}` each label may hold; the others are plain text."""


def merge_labels(extra: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The built-in labels with a site's `labels:` over them; a new language
    starts from the English labels. Raises `ValueError` for an unknown label."""
    merged = {language: dict(texts) for language, texts in LABELS.items()}
    for language, texts in extra.items():
        if not isinstance(texts, dict):
            raise ValueError(f"labels for {language!r} must be a mapping of label names to text")
        unknown = sorted(set(map(str, texts)) - set(LABELS["en"]))
        if unknown:
            raise ValueError(f"unknown label(s) {', '.join(unknown)}; known: {', '.join(sorted(LABELS['en']))}")
        for name, value in texts.items():
            fields = {field for _, field, _, _ in string.Formatter().parse(str(value)) if field is not None}
            allowed = PLACEHOLDERS.get(str(name), set())
            if fields - allowed:
                takes = f"takes only {{{', '.join(sorted(allowed))}}}" if allowed else "takes no {placeholder}"
                raise ValueError(f"label {name!r} of {language!r}: {value!r} {takes}")
        merged.setdefault(str(language), dict(LABELS["en"])).update({str(k): str(v) for k, v in texts.items()})
    return merged


# `$…$` the way pymdownx.arithmatex finds it (no space just inside the dollars),
# and the `\(…\)` and `\[…\]` forms, which are shown inline as `$…$`.
_MATH = re.compile(
    r"(?<!\\)\$(?!\s)((?:\\.|[^\\$])+?)(?<!\s)(?<!\\)\$"
    r"|\\\((?P<paren>[^$]+?)\\\)"
    r"|\\\[(?P<bracket>[^$]+?)\\\]"
)
# Characters that mean something to Markdown, its extensions, HTML or template
# plugins (`{{ }}`): outside math they become numeric character references.
_SPECIAL = re.compile(r"[&<>\\`*_\[\]{}|#~^$=+\-\"]")
_KEEP_IN_WORDS = re.compile(r"(?<=\w)-(?=\w)")
_LEADING = re.compile(r"^(\d+[.)]|:)")
_MATH_SWAPS = {"<": r"\lt{}", ">": r"\gt{}", "&": r"\&", "|": r"\vert{}", r"\|": r"\Vert{}"}


def escape_text(text: str, math: bool = False) -> str:
    """Make outside text inert Markdown on one line: it shows as written and
    never becomes a link, HTML, a footnote or a table cell border. With `math`,
    `$…$` spans are kept for arithmatex, their HTML-special characters swapped
    for the TeX commands that draw the same."""
    text = " ".join(text.split())
    if not math or ("$" not in text and "\\" not in text):
        return _escape_plain(text)
    out: list[str] = []
    last = 0
    for match in _MATH.finditer(text):
        out.append(_escape_plain(text[last : match.start()]))
        body = (match.group(1) or match["paren"] or match["bracket"]).strip()
        body = re.sub(r"\\\||\\&|[<>&|]", lambda m: _MATH_SWAPS.get(m.group(), m.group()), body)
        # `{{`, `{%` and `{#` would be template syntax to the macros plugin; TeX reads `{ {` alike.
        body = re.sub(r"\{(?=[{%#])", "{ ", body)
        body = re.sub(r"\}(?=\})", "} ", body)
        out.append(f"${body}$")
        last = match.end()
    out.append(_escape_plain(text[last:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    if not _SPECIAL.search(text) and not _LEADING.match(text):
        return text  # most names, dates and categories
    # Hyphens inside words are left readable; they start nothing there.
    kept = {m.start() for m in _KEEP_IN_WORDS.finditer(text)}
    escaped = _SPECIAL.sub(lambda m: m.group() if m.start() in kept else f"&#{ord(m.group())};", text)
    # A leading "1." would start an ordered list, a leading ": " a definition.
    return _LEADING.sub(lambda m: m.group()[:-1] + f"&#{ord(m.group()[-1])};", escaped)


@dataclass(frozen=True)
class Item:
    """One paper as a template sees it."""

    number: int
    entry: Entry
    paper: Paper | None
    summary: Summary | None
    missing: str = ""
    """Why the paper could not be shown, when `paper` is None."""

    @property
    def anchor(self) -> Markup:
        return Markup(self.entry.id.anchor)

    @property
    def id(self) -> Markup:
        return Markup(self.entry.id)  # validated: digits, letters, '.', '-', '/'.


class Renderer:
    """Renders a page's digest. Every `{{ … }}` is escaped unless marked `| safe`."""

    def __init__(self, math: bool = False, custom_dir: str | None = None, compiled_dir: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(TEMPLATES)]
        if custom_dir:
            loaders.insert(0, jinja2.FileSystemLoader(custom_dir))
        compiled = None
        if compiled_dir is not None:
            # Compiled templates kept on disk spare each new build the compiling.
            compiled_dir.mkdir(parents=True, exist_ok=True)
            compiled = jinja2.FileSystemBytecodeCache(str(compiled_dir))
        self.settings = (math, custom_dir)
        self.refresh()
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            bytecode_cache=compiled,
            autoescape=False,
            finalize=self._finalize,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.math = math
        self.env.filters["md"] = lambda value: Markup(self._finalize(value))
        # For a link's title (a tooltip): no math there, and no quote or parenthesis
        # that could end the title or the link early.
        self.env.filters["plain"] = lambda value: Markup(
            escape_text(str(value)).translate({ord("("): "&#40;", ord(")"): "&#41;", ord("'"): "&#39;"})
        )
        self.env.filters["url"] = _url
        # BibTeX goes into indented code blocks, where Markdown shows it as written.
        self.env.filters["bibtex"] = lambda paper, key=None: Markup(bib.entry(paper, key))

    def refresh(self) -> None:
        """Take note of what the Markdown depends on besides the data: this
        code, the templates (the site's own may have changed) and `math`."""
        sources = hashlib.sha256(Path(__file__).read_bytes() + repr(self.settings).encode())
        custom_dir = self.settings[1]
        for folder in (TEMPLATES, *([Path(custom_dir)] if custom_dir else [])):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    sources.update(str(path.relative_to(folder)).encode() + path.read_bytes())
        self.fingerprint = sources.hexdigest()

    def _finalize(self, value: Any) -> Any:
        if isinstance(value, Markup) or value is None:
            return "" if value is None else value
        return escape_text(str(value), math=self.math)

    def render(
        self,
        items: Sequence[Item],
        language: str,
        heading_level: int = 2,
        max_authors: int = 0,
        layout: str = "digest",
        model_note: bool = True,
        labels: dict[str, str] | None = None,
        features: dict[str, bool] | None = None,
        bibtex: bool = False,
        bib_file: str = "",
    ) -> str:
        """A page's digest. `features` says which Markdown extensions the site
        has (`details`, `tabbed`, `admonition`); `bib_file` is the name of the
        page's `.bib` file, to link to."""
        # Labels are the project's own text (or the site's config): used as written.
        labels = {key: Markup(value) for key, value in (labels or LABELS[language]).items()}
        models = sorted({i.summary.backend for i in items if i.summary and i.summary.backend not in ("", "extractive")})
        note = Markup(labels["model_note"]).format(model=Markup(escape_text(", ".join(models)))) if models else ""
        template = self.env.get_template(f"{layout}.md.j2")
        return template.render(
            items=items,
            labels=labels,
            language=language,
            h=Markup("#" * heading_level),
            max_authors=max_authors,
            has_summaries=any(item.summary and item.summary.tldr for item in items),
            model_note=note if model_note else "",
            features={"details": False, "tabbed": False, "admonition": False, **(features or {})},
            bibtex=bibtex,
            bib_file=Markup(urllib.parse.quote(bib_file)) if bib_file else "",
            cite_keys=bib.cite_keys([item.paper for item in items if item.paper]),
        )


def _url(value: str) -> Markup:
    """A URL for a Markdown link target; only http(s) URLs pass."""
    if not re.match(r"https?://[^\s()<>]+\Z", value):
        return Markup("#")
    return Markup(value)

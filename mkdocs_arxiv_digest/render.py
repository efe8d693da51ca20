"""Turn papers and summaries into Markdown through Jinja2 templates, escaping all outside text."""

from __future__ import annotations

import hashlib
import html
import re
import string
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import jinja2
from markupsafe import Markup

from . import bibtex as bib
from .escape import TEMPLATE_OPENERS, Math, break_openers, escape_plain, escape_text, plain_text
from .ids import Entry
from .records import STRUCTURED_FIELDS, Paper, Summary
from .stages.figures import ASSETS

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
        "affiliations": "Affiliations",
        "code": "Code",
        "outline": "Outline",
        "no_html": "Abstract only: no usable HTML of this version was found.",
        "html_failed": "Abstract only: the paper's HTML could not be read when this page was built.",
        "figure": "Figure",
        "figure_credit": "Figure {number} of {paper}, {license}",
        "figure_link": "Figure {number} in the paper's HTML",
        "more_figures": "More figures",
        "comment": "Comment",
        "category": "Category",
        "version": "Version",
        "published": "Published",
        "updated": "updated",
        "pdf": "PDF",
        "missing": "Not available: {reason}",
        "missing_unknown": "arXiv has no paper with this ID",
        "missing_unavailable": "its details could not be retrieved when this page was built",
        "model_note": "The summaries on this page were written by a language model ({model}) and may contain mistakes.",
        "pending": "The model's summary is being written; this page reloads when it is ready.",
        "paper_summary": "Summary",
        "takeaways": "Key takeaways",
        "structured": "Structured summary",
        "from_fulltext": "(from the full text, v{version})",
        "from_abstract": "(from the abstract)",
        "background": "Background",
        "prior_work": "Prior work",
        "method": "Method",
        "results": "Results",
        "conclusion": "Conclusion",
        "keywords": "Keywords",
        "bibtex": "BibTeX",
        "bib_file": "BibTeX of all papers on this page",
        "updated_part": "Updated",
        "announced": "The papers announced on arXiv in {source} on {date}.",
        "no_announcement": "arXiv made no announcement in {source} on {day}; these are the papers of its last one, on {date}.",
        "no_announcement_yet": "arXiv made no announcement in {source} on {day}, and none before it has been read yet.",
        "not_resolved": "The papers of {source} could not be read from arXiv when this page was built.",
        "searched": "The newest papers of the arXiv search {source}, up to {date}.",
        "searched_none": "The arXiv search {source} found no papers.",
        "liked": "Like",
        "score": "score",
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
        "affiliations": "单位",
        "code": "代码",
        "outline": "章节",
        "no_html": "仅据摘要：未找到该版本可用的 HTML 全文。",
        "html_failed": "仅据摘要：生成本页时未能读取论文的 HTML 全文。",
        "figure": "图",
        "figure_credit": "{paper} 的图 {number}，{license}",
        "figure_link": "论文 HTML 中的图 {number}",
        "more_figures": "更多图片",
        "comment": "备注",
        "category": "分类",
        "version": "版本",
        "published": "发布",
        "updated": "更新",
        "pdf": "PDF",
        "missing": "暂无：{reason}",
        "missing_unknown": "arXiv 上没有这个编号的论文",
        "missing_unavailable": "生成本页时未能获取该论文的信息",
        "model_note": "本页的摘要由语言模型（{model}）生成，可能有误，请以原文为准。",
        "pending": "模型正在撰写摘要，写好后本页会自动刷新。",
        "paper_summary": "总结",
        "takeaways": "要点",
        "structured": "结构化总结",
        "from_fulltext": "（据全文，v{version}）",
        "from_abstract": "（据摘要）",
        "background": "研究背景",
        "prior_work": "已有工作",
        "method": "方法",
        "results": "结果",
        "conclusion": "结论",
        "keywords": "关键词",
        "bibtex": "BibTeX",
        "bib_file": "本页全部论文的 BibTeX",
        "updated_part": "更新",
        "announced": "arXiv 于 {date} 在 {source} 公布的论文。",
        "no_announcement": "arXiv 在 {day} 没有在 {source} 公布新论文；以下是上一次（{date}）公布的论文。",
        "no_announcement_yet": "arXiv 在 {day} 没有在 {source} 公布新论文，之前的公布也尚未读取。",
        "not_resolved": "生成本页时未能从 arXiv 读取 {source} 的论文。",
        "searched": "arXiv 检索 {source} 的最新论文，截至 {date}。",
        "searched_none": "arXiv 检索 {source} 没有找到论文。",
        "liked": "相似于",
        "score": "相似度",
    },
}

LAYOUTS = ("digest", "chatpaper")
PLACEHOLDERS = {
    "more_authors": {"n"},
    "missing": {"reason"},
    "figure_credit": {"number", "paper", "license"},
    "figure_link": {"number"},
    "model_note": {"model"},
    "from_fulltext": {"version"},
    "announced": {"source", "date"},
    "no_announcement": {"source", "day", "date"},
    "no_announcement_yet": {"source", "day"},
    "not_resolved": {"source"},
    "searched": {"source", "date"},
    "searched_none": {"source"},
}
"""The `{…}` each label may hold; the others are plain text."""


def check_labels(extra: dict[Any, Any]) -> None:
    """Raise `ValueError` saying what is wrong with a site's `labels:`: a
    language that is not a mapping, a label name that does not exist, a label
    that is not text or holds a `{placeholder}` it cannot take."""
    for language, texts in extra.items():
        if not isinstance(language, str):
            # YAML 1.1 reads `no:` (Norwegian), `on:`, `yes:` as booleans.
            raise ValueError(
                f"the language key {language!r} is not text: YAML reads no, yes, on, off as true/false; "
                "quote it, for example 'no':"
            )
        if not isinstance(texts, dict):
            raise ValueError(f"labels for {language!r} must be a mapping of label names to text")
        unknown = sorted(set(map(str, texts)) - set(LABELS["en"]))
        if unknown:
            raise ValueError(f"unknown label(s) {', '.join(unknown)}; known: {', '.join(sorted(LABELS['en']))}")
        for name, value in texts.items():
            if not isinstance(value, str):
                raise ValueError(f"label {name!r} of {language!r} must be text, got {value!r} (quote it in YAML)")
            try:
                fields = {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
            except ValueError as error:  # a lone brace
                raise ValueError(f"label {name!r} of {language!r}: {value!r}: {error}") from None
            allowed = PLACEHOLDERS.get(str(name), set())
            if fields - allowed:
                takes = f"takes only {{{', '.join(sorted(allowed))}}}" if allowed else "takes no {placeholder}"
                raise ValueError(f"label {name!r} of {language!r}: {value!r} {takes}")


def merge_labels(extra: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The built-in labels with a site's `labels:` (checked by `check_labels`)
    over them; a new language starts from the English labels."""
    merged = {language: dict(texts) for language, texts in LABELS.items()}
    for language, texts in extra.items():
        merged.setdefault(language, dict(LABELS["en"])).update(texts)
    return merged


class Item(NamedTuple):
    """One paper as a template sees it."""

    number: int
    entry: Entry
    paper: Paper | None
    summary: Summary | None
    missing: str = ""
    """Why the paper could not be shown, when `paper` is None, for readers: the
    `missing_unknown` or `missing_unavailable` label. The build log has the
    builder's reason."""
    pending: bool = False
    """The model's summary is still being written (under `mkdocs serve`):
    `summary` is the extractive one for now."""
    outputs: Mapping[str, Any] = MappingProxyType({})
    """Every shown stage's record for the paper, by the stage's name
    (`summaries`, and those a site registers); `None` for one it has not."""
    failed: frozenset[str] = frozenset()
    """The shown stages that failed for the paper in this build (`fulltext`):
    `outputs` holds their stand-ins, and the next build asks again."""

    @property
    def anchor(self) -> Markup:
        return Markup(self.entry.id.anchor)

    @property
    def id(self) -> Markup:
        return Markup(self.entry.id)  # validated: digits, letters, '.', '-', '/'.


class Renderer:
    """Renders a page's digest. Every `{{ … }}` is escaped unless marked `| safe`.

    `math` is how the site's arithmatex reads inline math (`None`: it has
    none); `avoid` holds the delimiters of template passes that read the
    page's Markdown later, besides Jinja's own. Compiled templates are kept in
    memory only: a compiled template on disk is code, and the cache holds data.
    """

    def __init__(
        self, math: Math | None = None, custom_dir: str | None = None, avoid: Iterable[str] = TEMPLATE_OPENERS
    ) -> None:
        loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(TEMPLATES)]
        if custom_dir:
            loaders.insert(0, jinja2.FileSystemLoader(custom_dir))
        self.avoid = tuple(dict.fromkeys([*TEMPLATE_OPENERS, *avoid]))
        self.settings = (math.key if math else None, custom_dir, self.avoid)
        self.refresh()
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            autoescape=False,
            finalize=self._finalize,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
        )
        self.math = math
        self.env.filters["md"] = lambda value: Markup(self._finalize(value))
        # For a link's title (a tooltip): text only, math reduced to text.
        self.env.filters["plain"] = lambda value: Markup(escape_plain(plain_text(str(value))))
        self.env.filters["url"] = _url
        self.env.filters["fragment"] = _fragment
        # A copied figure's image, as HTML (the only place the templates write a tag).
        self.env.filters["figure_image"] = _image
        # BibTeX goes into indented code blocks, where Markdown shows it as written.
        self.env.filters["bibtex"] = lambda paper, key=None: Markup(break_openers(bib.entry(paper, key), self.avoid))

    def refresh(self) -> None:
        """Take note of what the Markdown depends on besides the data: this
        code, the templates (the site's own may have changed) and the math and
        template syntax of the site."""
        sources = hashlib.sha256(Path(__file__).read_bytes() + repr(self.settings).encode())
        sources.update((Path(__file__).parent / "escape.py").read_bytes())
        sources.update((Path(__file__).parent / "bibtex.py").read_bytes())
        custom_dir = self.settings[1]
        for folder in (TEMPLATES, *([Path(custom_dir)] if custom_dir else [])):
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    sources.update(str(path.relative_to(folder)).encode() + path.read_bytes())
        self.fingerprint = sources.hexdigest()

    def _finalize(self, value: Any) -> Any:
        if isinstance(value, Markup) or value is None:
            return "" if value is None else value
        return escape_text(str(value), self.math)

    @staticmethod
    def notice(label: str, values: dict[str, str]) -> str:
        """A line above a digest: the label as written, the values (a query,
        dates) as inert text."""
        return str(Markup(label).format(**{key: Markup(escape_plain(value)) for key, value in values.items()}))

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
        html_url: str = "",
        figures: int = 0,
        assets: str = "",
    ) -> str:
        """A page's digest. `features` says which Markdown extensions the site
        has (`details`, `tabbed`, `admonition`); `bib_file` is the name of the
        page's `.bib` file, to link to; `html_url` where readers find the
        papers' HTML (`{html_url}{id}v{n}`), an http(s) URL ending in `/`;
        `figures`: how many figures per paper the page shows; `assets`: the
        site's root relative to the page."""
        # Labels are the project's own text (or the site's config): used as written.
        labels = {key: Markup(value) for key, value in (labels or LABELS[language]).items()}
        models = sorted({i.summary.backend for i in items if i.summary and i.summary.backend not in ("", "extractive")})
        note = Markup(labels["model_note"]).format(model=Markup(escape_plain(", ".join(models)))) if models else ""
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
            structured_fields=STRUCTURED_FIELDS,
            html_url=Markup(html_url) if _url(html_url) == html_url else "",
            figures=figures,
            assets=Markup(html.escape(assets + ASSETS + "/")) if re.fullmatch(r"(\.\./)*", assets) else "",
        )


_FRAGMENT = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}(?:\.[A-Za-z][A-Za-z0-9]{0,15}){0,5}\Z")
"""An element id LaTeXML gives a section (`S3`, `A1`, `S2.SS1`, `Sx1`): the
only ids from a paper's page that become a link's fragment."""


def _fragment(value: str) -> Markup:
    """`#` and the id, for a link into a paper's HTML; `""` for an id that is not one LaTeXML gives."""
    return Markup("#" + value) if isinstance(value, str) and _FRAGMENT.match(value) else Markup("")


def _image(image: Any, folder: str, label: str, number: Any = "") -> Markup:
    """A copied image's `<img>` (a figure's, or one of its `images`): its name
    was checked when it was stored (`stages.figures`); every value is escaped
    for an HTML attribute anyway. `label` and `number` make its `alt`."""
    if not folder or not re.fullmatch(r"[A-Za-z0-9._-]+", str(image.file)):
        return Markup("")
    number = str(getattr(image, "number", number))
    alt = f"{label} {number}" if re.fullmatch(r"[A-Za-z0-9.]{1,17}", number) else str(label)
    return Markup(
        f'<img src="{html.escape(folder + image.file)}" alt="{html.escape(alt)}" '
        f'width="{int(image.width)}" height="{int(image.height)}" loading="lazy">'
    )


def _url(value: str) -> Markup:
    """A URL for a Markdown link target; only http(s) URLs pass."""
    if not re.match(r"https?://[^\s()<>]+\Z", value):
        return Markup("#")
    return Markup(value)

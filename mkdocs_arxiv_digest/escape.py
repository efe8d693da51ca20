"""Outside text made inert for the place it lands.

Titles, abstracts, names, comments and model answers are written by strangers.
What of them reaches Markdown is one of two things, by construction:

- **Text**, with every ASCII punctuation mark written as a numeric character
  reference (`&#60;`). Letters, digits, spaces and references are all that is
  left, and no Markdown extension, HTML parser or template engine (the
  mkdocs-macros plugin) finds syntax in those; the browser shows the text as
  written.
- **Math** that the site's own `pymdownx.arithmatex` is certain to take: the
  span is found with arithmatex's own pattern (read from a Markdown instance
  built with the site's `markdown_extensions`), written in a syntax that
  pattern accepts, checked again once written, and given up (shown as text)
  if any inline pattern that runs before arithmatex could match in it.
  Inside the span, `<`, `>`, `&` and `|` become the TeX commands that draw the
  same, and a `{` is never followed by template or critic syntax.

Code blocks (BibTeX) show their text as written; there only template syntax
needs breaking, which `break_openers` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import markdown

_ENTITIES = {code: f"&#{code};" for code in range(0x21, 0x7F) if not chr(code).isalnum()}
# C0 and C1 controls but tab and line breaks; Python-Markdown marks its own placeholders with STX/ETX.
# And lone UTF-16 halves, which JSON can write (`\ud800`) and no UTF-8 file or cache can hold;
# and U+FEFF, invisible, and a space to JavaScript (and so to MathJax) but not to Python.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff]")
_DISPLAY = re.compile(r"\$\$([^$]+?)\$\$|\\\[(.+?)\\\]")
_TEX_SWAPS = {"<": r"\lt{}", ">": r"\gt{}", "&": r"\&", "|": r"\vert{}", r"\|": r"\Vert{}"}
_HTML_IN_TEX = re.compile(r"\\\||\\&|[<>&|]")
# `{{`, `{%`, `{#` open templates (mkdocs-macros); `{++`, `{--`, `{~~`, `{==`, `{>>` are CriticMarkup.
_OPENER = re.compile(r"\{(?=[^\w\s\\{}]|\{)")
TEMPLATE_OPENERS = ("{{", "{%", "{#")
"""Jinja's default delimiters, which mkdocs-macros uses unless told otherwise."""


def one_line(text: str) -> str:
    """The text on one line: controls dropped, runs of whitespace (line and
    paragraph separators too) made one space."""
    return " ".join(_CONTROL.sub("", text).split())


_DOLLARS = re.compile(r"(\$[^$]*\$)")


def split_math(text: str) -> list[str]:
    """The text in pieces: the odd ones are `$…$` spans (as TeX, not as a
    site's math extension, sees them), the even ones the text between."""
    return _DOLLARS.split(text)


# What a TeX command that builds markup does with its arguments: `s` a `*`
# dropped, `o` an optional `[…]` dropped, `d` an argument dropped; what
# follows is kept and read as ordinary TeX. The command itself is dropped.
# MathJax 3/4 (html, bbox, unicode, require, color, base's \mmlToken) and
# KaTeX (the commands its `trust` option lets through) make links, classes,
# ids, styles, images or load code with these; `\label`, `\tag` and `\ref`
# make ids and links; `\fcolorbox` writes its frame colour into a style as
# it is.
# And the commands that would make the engines read what follows otherwise
# than as TeX's usual tokens, which is how this module reads them: `\verb`
# (whose delimiter may be a backslash), the macro definitions (whose
# parameters may end at any character, or alias a command dropped here) and
# mhchem's `\ce` and `\pu` (whose TeX, spliced back into the input, can end
# on a command name that joins the letters after it).
_MARKUP_COMMANDS = {
    **dict.fromkeys(["href", "class", "cssId", "style", "data"], "d"),
    **dict.fromkeys(["url", "ref", "eqref", "csname", "verb", "ce", "pu"], ""),
    **dict.fromkeys(["def", "gdef", "edef", "xdef", "let", "futurelet"], ""),
    **dict.fromkeys(["newcommand", "renewcommand", "providecommand", "newenvironment", "renewenvironment"], ""),
    "includegraphics": "od",
    "require": "d",
    "mmlToken": "do",
    "bbox": "o",
    "label": "d",
    "tag": "sd",
    "fcolorbox": "odod",
    "definecolor": "ddd",
}
_MARKUP_NAMES = (
    r"(?:href|url|class|cssId|style|data|html|includegraphics|require|unicode|mmlToken|bbox|label|ref|eqref|"
    r"csname|verb|[gex]?def|let|futurelet|newcommand|renewcommand|providecommand|newenvironment|renewenvironment|"
    r"tag|fcolorbox|definecolor|ce|pu)"
)
_MARKUP_HINT = re.compile(r"\\" + _MARKUP_NAMES)
_PAIRS_BEFORE_NAME = re.compile(r"(?<!\\)((?:\\\\)+)(?=" + _MARKUP_NAMES + ")")
"""Line breaks (`\\\\`) right before a name dropped above: MathJax's `\\matrix`
takes one character as its argument and gives the other back, which would
make `\\href` of `\\\\href`."""
_CONTROL_SEQUENCE = re.compile(r"\\([A-Za-z]+|.)", re.S)
_ENDS_IN_WORD = re.compile(r"(?<!\\)(?:\\\\)*\\[A-Za-z]+\Z")


def _skip_space(text: str, at: int) -> int:
    """Past the spaces MathJax skips before an argument: JavaScript's `\\s`."""
    while at < len(text) and (text[at].isspace() or text[at] == "\ufeff"):
        at += 1
    return at


def _skip_group(text: str, at: int, opener: str, closer: str) -> int:
    """Past the group that opens at `at` and its matching closer (or to the end)."""
    depth = 0
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
            continue
        if char == "{" or char == opener:
            depth += 1
        elif char == "}" or char == closer:
            depth -= 1
            if depth == 0:
                return at + 1
        at += 1
    return len(text)


def _skip_argument(text: str, at: int) -> int:
    """Past one argument as TeX reads it: a braced group, a control sequence or one character."""
    at = _skip_space(text, at)
    if at >= len(text):
        return at
    if text[at] == "{":
        return _skip_group(text, at, "{", "}")
    if text[at] == "\\":
        found = _CONTROL_SEQUENCE.match(text, at)
        return found.end() if found else len(text)
    return at + 1


def _skip_options(text: str, at: int) -> int:
    """Past any optional `[…]` arguments (none: `at` itself)."""
    while (start := _skip_space(text, at)) < len(text) and text[start] == "[":
        at = _skip_group(text, start, "[", "]")
    return at


def inert_tex(text: str) -> str:
    """Text with every TeX command that builds markup made to do nothing.

    MathJax and KaTeX read TeX wherever a page puts math delimiters, and some
    of their commands make live links (`\\href{javascript:…}`), give elements
    the site's classes and ids, set styles that load URLs, show images or load
    extensions. Each such command is dropped with the arguments that carry
    the URL, class, id, style or path; the text it would have shown stays.
    `\\unicode` keeps its character and loses its font. `\\verb` and macro
    definitions go too, as they would make the engines read what follows
    otherwise than this function does. Everything else (`\\sum`,
    `\\mathcal`, `\\text`, colours) is left as written."""
    if "\\" not in text or not _MARKUP_HINT.search(text):
        return text
    out: list[str] = []
    at = 0
    while (found := _CONTROL_SEQUENCE.search(text, at)) is not None:
        name = found.group(1)
        spec = "d" if name.startswith("html") else _MARKUP_COMMANDS.get(name)
        if spec is None:
            if name == "unicode":  # its character stays; its font and size go
                out.append(text[at : found.end()])
                at = _skip_options(text, found.end())
            else:
                out.append(text[at : found.end()])
                at = found.end()
            continue
        out.append(text[at : found.start()])
        at = found.end()
        for kind in spec:
            if kind == "s":
                star = _skip_space(text, at)
                at = star + 1 if text[star : star + 1] == "*" else at
            elif kind == "o":
                at = _skip_options(text, at)
            elif kind == "d":
                at = _skip_argument(text, at)
        if at < len(text) and text[at].isalpha() and _ENDS_IN_WORD.search("".join(out)):
            out.append(" ")  # `\\h` and `ref` must not meet as `\\href`
    out.append(text[at:])
    # `\\` and the letters after it are kept apart by an empty group, which TeX reads as nothing.
    return _PAIRS_BEFORE_NAME.sub(r"\1{}", "".join(out))


def escape_plain(text: str) -> str:
    """Outside text as inert Markdown on one line: every ASCII punctuation mark
    becomes a character reference, so nothing in it is syntax to anything,
    and no TeX command in it builds markup where a page's math reads it."""
    return inert_tex(one_line(text)).translate(_ENTITIES)


_TITLE_SWAPS = str.maketrans({"<": "\u2039", ">": "\u203a", "&": "\uff06", "'": "\u2019", '"': "\u201d"})
_QUOTED = re.compile(r'"([^"]*)"')


def title_text(text: str, avoid: Iterable[str] = ()) -> str:
    """Outside text for a page's `title:` front matter, which MkDocs takes as
    it is: themes put it into the nav, the `<title>` and headings as HTML
    (unescaped in MkDocs' themes and Material, escaped once with `| e`,
    unescaped again with `| striptags`, in attributes too), and
    mkdocs-macros renders it as a template. Plain text that reads the same in
    every one of those places: on one line, `<`, `>`, `&` and quotes swapped
    for the typographic characters that look like them (`‹`, `›`, `＆`,
    `“…”`, `’`), and template openers broken as `break_openers` does."""
    text = _QUOTED.sub("\u201c\\1\u201d", one_line(text)).translate(_TITLE_SWAPS)
    return break_openers(text, avoid)


def break_openers(text: str, avoid: Iterable[str] = ()) -> str:
    """Text for a code block that no template pass or preprocessor reads as
    syntax: a space after a `{` that would open one (TeX reads `{ {` as `{{`),
    and a space inside any other delimiter in `avoid`."""
    text = _OPENER.sub("{ ", text)
    for opener in avoid:
        if len(opener) > 1 and opener in text:
            text = text.replace(opener, opener[0] + " " + opener[1:])
    return text


@dataclass(frozen=True)
class Math:
    """How the site's arithmatex reads inline math."""

    inline: re.Pattern[str]
    """arithmatex's inline pattern, as the site configured it."""
    rivals: tuple[re.Pattern[str], ...]
    """The patterns of the inline processors that run before arithmatex's."""
    delimiters: tuple[str, str]
    """How a span is written: `$…$`, or `\\(…\\)` when `dollar` is not in `inline_syntax`."""
    avoid: tuple[str, ...] = TEMPLATE_OPENERS
    """Strings no span may hold: the delimiters of template passes that read the Markdown later."""

    @classmethod
    def of_site(
        cls, extensions: Sequence[Any], configs: dict[str, Any], avoid: Iterable[str] = TEMPLATE_OPENERS
    ) -> Math | None:
        """The site's inline math, from a Markdown instance built the way MkDocs
        builds one for a page; `None` when the site has no inline math."""
        md = markdown.Markdown(extensions=list(extensions), extension_configs=dict(configs))
        patterns = md.inlinePatterns
        if "arithmatex-inline" not in patterns:
            return None
        index = patterns.get_index_for_name("arithmatex-inline")
        inline = patterns["arithmatex-inline"].compiled_re
        rivals = tuple(processor.compiled_re for processor in list(patterns)[:index])
        for delimiters in (("$", "$"), ("\\(", "\\)")):
            sample = delimiters[0] + "x" + delimiters[1]
            found = inline.search(sample)
            if found is not None and found.span() == (0, len(sample)):
                return cls(inline, rivals, delimiters, tuple(dict.fromkeys([*TEMPLATE_OPENERS, *avoid])))
        return None

    @property
    def key(self) -> str:
        """What the Markdown written for this math depends on."""
        return repr((self.inline.pattern, [r.pattern for r in self.rivals], self.delimiters, self.avoid))

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """Where arithmatex finds math in `text`: start, end and body of each span."""
        found = []
        for match in self.inline.finditer(text):
            groups = match.groups()
            body = groups[2] or (groups[5] if len(groups) > 5 else None)
            if body:  # not a run of escaped backslashes
                found.append((match.start(), match.end(), body))
        return found

    def write(self, body: str) -> str | None:
        """A span for arithmatex with `body` as its TeX, or `None` if the body
        cannot be written so that it is safe should arithmatex not take it."""
        # Spaces just inside the delimiters mean nothing to TeX, and `$ x $` is not math to smart dollars.
        body = _HTML_IN_TEX.sub(lambda m: _TEX_SWAPS.get(m.group(), m.group()), body.strip())
        body = break_openers(body)
        if "`" in body or any(opener in body for opener in self.avoid):
            return None
        return self.delimiters[0] + body + self.delimiters[1]

    def certain(self, written: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The spans of `written` that arithmatex is certain to take as they
        are: found by its pattern exactly there, and untouched by any pattern
        that runs before it."""
        if any(rival.search(written) for rival in self.rivals):
            return []
        taken = {(start, end) for start, end, _ in self.spans(written)}
        return [span for span in spans if span in taken]


def escape_text(text: str, math: Math | None = None) -> str:
    """Outside text as inert Markdown on one line, its math kept for the site's
    arithmatex where `math` says it will certainly be taken. No TeX command in
    it builds markup, in math or out: MathJax and KaTeX may read any of it."""
    text = inert_tex(one_line(text))
    if math is None or ("$" not in text and "\\" not in text):
        return text.translate(_ENTITIES)
    opened, closed = math.delimiters
    text = _DISPLAY.sub(lambda m: opened + (m.group(1) or m.group(2)) + closed, text)
    # Each piece is (source, written as math or None). Spans that turn out not
    # to be certain are given back as text, until every span left is.
    pieces: list[tuple[str, str | None]] = []
    last = 0
    for start, end, body in math.spans(text):
        pieces.append((text[last:start], None))
        pieces.append((text[start:end], math.write(body)))
        last = end
    pieces.append((text[last:], None))
    while True:
        out: list[str] = []
        placed: list[tuple[int, int]] = []
        at = 0
        for source, written in pieces:
            chunk = source.translate(_ENTITIES) if written is None else written
            if written is not None:
                placed.append((at, at + len(chunk)))
            out.append(chunk)
            at += len(chunk)
        result = "".join(out)
        sure = set(math.certain(result, placed))
        if len(sure) == len(placed):
            return result
        # Give up the spans arithmatex would not certainly take, and check again.
        index = 0
        kept: list[tuple[str, str | None]] = []
        for source, written in pieces:
            if written is not None:
                if placed[index] not in sure:
                    written = None
                index += 1
            kept.append((source, written))
        pieces = kept


# TeX commands read aloud as the character they draw; any other command is dropped.
_TEX_SYMBOLS = {
    **{
        name: chr(code)
        for code, name in enumerate(
            [
                "alpha",
                "beta",
                "gamma",
                "delta",
                "epsilon",
                "zeta",
                "eta",
                "theta",
                "iota",
                "kappa",
                "lambda",
                "mu",
                "nu",
                "xi",
                "omicron",
                "pi",
                "rho",
                "varsigma",
                "sigma",
                "tau",
                "upsilon",
                "phi",
                "chi",
                "psi",
                "omega",
            ],
            start=0x3B1,
        )
    },
    **{
        name: chr(0x391 + index)
        for index, name in enumerate(
            [
                "Alpha",
                "Beta",
                "Gamma",
                "Delta",
                "Epsilon",
                "Zeta",
                "Eta",
                "Theta",
                "Iota",
                "Kappa",
                "Lambda",
                "Mu",
                "Nu",
                "Xi",
                "Omicron",
                "Pi",
                "Rho",
                "_",
                "Sigma",
                "Tau",
                "Upsilon",
                "Phi",
                "Chi",
                "Psi",
                "Omega",
            ]
        )
        if name != "_"
    },
    "varepsilon": "ε",
    "vartheta": "ϑ",
    "varphi": "φ",
    "varpi": "ϖ",
    "varrho": "ϱ",
    "ell": "ℓ",
    "hbar": "ℏ",
    "partial": "∂",
    "nabla": "∇",
    "infty": "∞",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "lt": "<",
    "gt": ">",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "propto": "∝",
    "ll": "≪",
    "gg": "≫",
    "pm": "±",
    "mp": "∓",
    "times": "×",
    "cdot": "·",
    "cdots": "⋯",
    "ldots": "…",
    "dots": "…",
    "div": "÷",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "mapsto": "↦",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "emptyset": "∅",
    "forall": "∀",
    "exists": "∃",
    "neg": "¬",
    "wedge": "∧",
    "vee": "∨",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "sqrt": "√",
    "circ": "∘",
    "deg": "°",
    "prime": "′",
    "vert": "|",
    "Vert": "‖",
    "mid": "|",
    "log": "log",
    "ln": "ln",
    "exp": "exp",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "max": "max",
    "min": "min",
    "lim": "lim",
    "det": "det",
    ",": " ",
    ";": " ",
    " ": " ",
    "quad": " ",
    "qquad": " ",
    "{": "{",
    "}": "}",
    "%": "%",
    "&": "&",
    "$": "$",
    "#": "#",
    "_": "_",
}
_TEX_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_TEX_SPAN = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)


def tex_to_text(tex: str) -> str:
    """TeX as readable plain text: the commonest commands as the characters
    they draw (`\\le` as ≤, `\\omega` as ω), other commands, braces, `^` and
    `_` dropped. Not a TeX renderer: a label for where math is not drawn."""
    text = _TEX_COMMAND.sub(lambda m: _TEX_SYMBOLS.get(m.group(1), ""), tex)
    text = re.sub(r"[{}^]", "", text)
    text = re.sub(r"(?<=\S)_(?=\S)", "", text)
    return " ".join(text.split())


def plain_text(text: str) -> str:
    """Outside text for where math is not drawn (a tooltip, the table of
    contents, the search index): each `$…$`, `\\(…\\)` span reduced by
    `tex_to_text`, on one line. Still to be escaped for where it lands."""

    def reduce(match: re.Match[str]) -> str:
        return tex_to_text(next(group for group in match.groups() if group is not None))

    return one_line(_TEX_SPAN.sub(reduce, inert_tex(one_line(text))))

"""Hostile text, in one place: the strings every test of untrusted text feeds
the plugin (as arXiv metadata, a snapshot, a model's answer, a BibTeX title),
and the checks that find what of them came out live (as markup, in a page,
or run in a browser)."""

from __future__ import annotations

import random
import re
from html.parser import HTMLParser

# Payloads that leave a mark when they run (the site and browser tests)


def js(kind: str) -> str:
    """Code that leaves a mark on the page if it ever runs: `<body data-pwned-KIND="1">`.
    It has none of the characters the plugin escapes (`=`, `|`, `+`, `_`…): were
    the text let through as HTML, it would run as written."""
    return f"document.body.setAttribute('data-pwned-{kind}','1')"


# Each is shown as text wherever it lands; none may become an element, an attribute or a link.
TEXT_PAYLOADS = [
    f"<script>{js('script')}</script>",
    f'<img src=x onerror="{js("img")}">',
    f'<iframe srcdoc="<script>parent.{js("iframe")}</script>"></iframe>',
    f'<svg onload="{js("svg")}"></svg>',
    f'<details open ontoggle="{js("details")}">x</details>',
    f'<a href="javascript:{js("a")}">raw link</a>',
    f"[click me](javascript:{js('link')})",
    "![pixel](https://evil.example/pixel.png)",
    "<https://evil.example/autolink>",
    "<style>body{display:none}</style>",
    "a | b | c",
    "[^1]: a footnote definition",
    "{{ config.site_name }} and {% if true %}jinja{% endif %}",
    f'{{: onclick="{js("attr")}" }}',
    '<div markdown="1">*md in html*</div>',
    "&lt;script&gt; stays &amp;lt;",
    "<!-- an unterminated comment",
    "`inline code` and ``more``",
]
# Math reaches arithmatex as math (its `<` turned into `\lt{}`), so it is not shown verbatim.
MATH_PAYLOAD = f'$x<y$ and $<img src=x onerror="{js("math")}">$'
ALL = " ".join([*TEXT_PAYLOADS, MATH_PAYLOAD])


# Inline syntaxes a site's extensions read: math, links, templates, attributes

JS = js("x")
CORPUS = [
    # Spans arithmatex does not take: their inside must not become Markdown.
    r"\(a ![](x){: onerror=" + JS + r"} \\)",
    f"$`$ ![p](x){{: onerror={JS}}} $`$",
    f"$a`b$ [x](javascript:{JS}) $c`d$",
    f"$![](https://evil.example/math.png){{: onerror={JS}}}$",
    f"$$<img src=x onerror={JS}>$$",
    rf"\[[m](javascript:{JS})\]",
    "$a $b$ c$ nested, $x\\$ lone \\(y and \\) end \\",
    # Markdown links, images and HTML.
    f"[ref][r1] and [r1]: javascript:{JS}",
    "<https://evil.example/autolink> https://evil.example/bare www.evil.example evil@evil.example",
    "![img](https://evil.example/pixel.png)",
    f"<img src=x onerror={JS}> <script>{JS}</script>",
    f'<div markdown="1">[md](javascript:{JS})</div>',
    f'{{: onclick="{JS}"}} {{ onclick="{JS}" }} {{#id .cls onclick={JS}}}',
    # Template and preprocessor syntax.
    "{{ pwned_var }} {% if true %}PWNED-BLOCK{% endif %} {# a comment #} {%- raw -%}",
    "{ 7*777 }",
    f"{{++<img src=x onerror={JS}>++}} {{~~a~>b~~}} {{>>note<<}}",
    '--8<-- "mkdocs.yml"',
    # Typographic extensions and emoji.
    ":fire: (c) 1/4 --> +/- ==mark== ^^ins^^ ~~del~~ ++ctrl+alt++",
    # Python-Markdown's own placeholders.
    "\x02wzxhzdk:0\x03 \x02klzzwxh:0\x03",
    # Last, so that a title ends with it: the id the plugin gives the next paper's heading.
    "{ #arxiv-2501-00002 }",
]
TITLE_HEAD = "{ 7*777 } A study of $x<y$ with "
CONTROL_MATH = r"\(x^2 + y_1\) and $x^2 + y_2$"
"""Math in each inline syntax: the check that math still renders where the site reads it."""


# TeX that MathJax or KaTeX would make a link, class, id, style, image or code of

TRACKER = "http://tracker.example/pixel.png"
"""Any request to it is seen by the browser's router and refused."""
TEX_JS = js("tex")

# Every command MathJax 3/4 or KaTeX turns into a link, class, id, style, image or code loaded.
TEX_PAYLOADS = [
    rf"$\href{{javascript:{TEX_JS}}}{{href-text}}$",
    r"$\class{md-header}{class-text}$ $\class{pwned-class}{x}$",
    r"$\cssId{pwned-id}{id-text}$ $\cssId{__search}{y}$",
    rf"$\style{{background:url({TRACKER})}}{{style-text}}$",
    rf"$\htmlClass{{md-header}}{{a}}$ $\htmlId{{pwned-id2}}{{b}}$ $\htmlStyle{{background-image:url({TRACKER})}}{{c}}$ $\htmlData{{pwned=1}}{{d}}$",
    rf"$\includegraphics{{{TRACKER}}}$ $\url{{javascript:{TEX_JS}}}$",
    rf"$\unicode[serif; background:url({TRACKER})]{{x41}}$",
    rf'$\mmlToken{{mi}}[href="javascript:{TEX_JS}" class="md-header" style="background:url({TRACKER})"]{{t}}$',
    rf"$\bbox[style=background:url({TRACKER})]{{bbox-text}}$",
    rf"$\require{{html}}\href{{javascript:{TEX_JS}}}{{required}}$",
    rf"$\h\class{{x}}ref{{javascript:{TEX_JS}}}{{joined}}$",
    rf"$\def\x#1{{\hr#1}}\x{{ef}}{{javascript:{TEX_JS}}}{{macro}}$",
    rf"$\color{{red;background:url({TRACKER})}}{{c}}$ $\colorbox{{url({TRACKER})}}{{c}}$",
    r"$\data{pwned=1}{data-text}$ $\label{pwned-label}x\eqref{pwned-label}$",
    rf"\href{{javascript:{TEX_JS}}}{{bare}} \(\href{{javascript:{TEX_JS}}}{{round}}\) \[\style{{background:url({TRACKER})}}{{display}}\]",
    r"$$\cssId{pwned-display}{dd}$$",
    # Commands that make the engines read what follows otherwise than as TeX's usual tokens.
    rf"$\verb\x\\href{{javascript:{TEX_JS}}}{{verb-link}}$ $\verb\x\\cssId{{pwned-verb}}{{a}}$",
    rf"$\def\a#1\{{#1}}\a x\\href{{javascript:{TEX_JS}}}{{def-link}}$",
    rf"$\let\u\unicode\u[serif;background-image:url({TRACKER})]{{x42}}$",
    f"$\\unicode\ufeff[serif;background-image:url({TRACKER})]{{x43}}$",
    # Colours written into a style as they are, and equation ids.
    rf"$\fcolorbox{{red;background-image:url({TRACKER})}}{{yellow}}{{fc}}$",
    rf"$\definecolor{{e}}{{named}}{{red;background-image:url({TRACKER})}}\fcolorbox{{e}}{{yellow}}{{x}}$",
    r"$\begin{align}x\tag{pwned-tag}\end{align}$ $\begin{align}y\tag*{pwned-tag2}\end{align}$",
    # Input MathJax rewrites before reading it: `\matrix` takes one backslash of `\\`, mhchem splices its TeX back.
    rf'$\matrix\\mmlToken{{mi}}[href="javascript:{TEX_JS}" class="md-header" id="pwned-tok"]{{TOK}}}}$',
    rf"$\matrix\\href{{javascript:{TEX_JS}}}{{matrix-link}}}}$ $\pmatrix\\cssId{{pwned-mx}}{{y}}}}$",
    rf"$\ce{{A\\\h}}ref{{javascript:{TEX_JS}}}{{ce-link}}$ $\ce{{\\\c}}ssId{{pwned-ce}}{{y}}$",
]
TEX_ALL = " ".join(TEX_PAYLOADS)
MARKUP_COMMAND = re.compile(
    r"\\(href|url|class|cssId|style|data|html\w*|includegraphics|require|mmlToken|bbox|label|eqref"
    r"|verb|def|let|fcolorbox|definecolor|tag|ce)\b"
)
"""The commands the payloads use: none may be left, not even after `\\\\` (a line break
to TeX, but MathJax's `\\matrix` can take one of its backslashes)."""
ORDINARY_MATH = r"$\sum_{i=1}^{n} \mathcal{L}_i$ and $\text{loss} = \operatorname{softmax}(x)$"


# The fuzzer's pieces

PIECES = [
    "$", "$$", "\\(", "\\)", "\\[", "\\]", "\\", "\\\\", "`", "``", "![", "[", "]", "(", ")", "](", "]:",
    f"javascript:{JS}", "https://evil.example/x.png", "<", ">", f"<img src=x onerror={JS}>", "<script>", "</script>",
    "{:", "{", "}", "{{", "}}", "{%", "%}", "{#", "#}", f" onerror={JS}", "&", "&#60;", "&lt;", "|", "*", "_",
    "~", "^", "=", "==", "++", ":fire:", "(c)", "\n", "\n\n", "\x02", "\x03", "x", "a b", "1.", "#", "-", "!",
    '"', "'", "www.evil.example", "@", "--8<--", "{++", "++}", "?", "???", "!!!", "    ", "\t", "x_1", "\\alpha",
]  # fmt: skip


def fuzz_strings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(PIECES) for _ in range(rng.randint(2, 24))) for _ in range(count)]


# Short payloads, one trick each (the renderer's unit tests)

SHORT_PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    "<iframe src='https://evil.example'></iframe>",
    "[click](javascript:alert(3))",
    "![pic](https://evil.example/x.png)",
    "a | b | c",
    "[^1]: a footnote definition",
    "*stars* and _underscores_ and **bold**",
    "{{ config.site_name }} and {% include 'x' %}",
    "# not a heading",
    "1. not a list",
    "<https://evil.example>",
    "C# and F#",
    "back\\slash and `code`",
    "~~strike~~ ==mark== ^^ins^^",
    "&amp; stays &amp;",
]
"""One trick each, for the renderer's own tests, which read the HTML rather than run it."""


# BibTeX titles, and what each is written as

BIB_TITLES = {
    r"{\it Ab initio} calculations of $\mathrm{H_2O}$": r"{\it Ab initio} calculations of $\mathrm{H_2O}$",
    r"$\{x : x > 0\}$ as a set": r"$\{x : x > 0\}$ as a set",
    r"Nested {{deep {er}}} braces": r"Nested {{deep {er}}} braces",
    r"An unbalanced \{ brace": r"An unbalanced \textbraceleft{} brace",
    r"Closing \} first, then { open": r"Closing \textbraceright{} first, then \textbraceleft{} open",
    "} a closer first": r"\textbraceright{} a closer first",
    "Ends in a backslash \\": r"Ends in a backslash \textbackslash{}",
    "{{ 7*777 }} and {% raw %}": "{{ 7*777 }} and {\\% raw \\%}",
    "Rates of 50% & #1 in a_b": r"Rates of 50\% \& \#1 in a\_b",
    "One $ dollar": r"One \$ dollar",
    "@misc{inner, title={x}}": "@misc{inner, title={x}}",
    '"Quoted" title, with = signs': '"Quoted" title, with = signs',
}


# What came out live


class _Elements(HTMLParser):
    """Every element with its attributes, and the text of scripts and of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str]]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, [(name, value or "") for name, value in attrs]))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def parse(markup: str) -> _Elements:
    parser = _Elements()
    parser.feed(markup)
    parser.close()
    return parser


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href", "background"}


def live_payloads(markup: str) -> list[str]:
    """What a payload turned into markup: elements, event handlers, script URLs, script text."""
    found = []
    page = parse(markup)
    for tag, attrs in page.elements:
        if tag == "iframe" or (tag == "img" and ("src", "x") in attrs):
            found.append(f"<{tag}>")
        for name, value in attrs:
            squashed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
            if name.startswith("on") or name == "srcdoc":
                found.append(f"<{tag} {name}=...>")
            elif name in URL_ATTRIBUTES and (
                squashed.startswith(("javascript:", "vbscript:")) or "evil.example" in squashed
            ):
                found.append(f"<{tag} {name}={value[:60]!r}>")
            elif "pwned" in value and name not in ("id", "title") and not (name == "href" and value.startswith("#")):
                # A heading's id, its link, and a tooltip's text are harmless.
                found.append(f"<{tag} {name}={value[:60]!r}>")
    found += [f"<script>{text[:60]}" for text in page.scripts if "pwned" in text]
    return found


def visible_text(markup: str) -> str:
    return " ".join(" ".join(parse(markup).text).split())


def body_marks(dom: str) -> list[str]:
    """The payloads that ran, by the marks they left on `<body>`."""
    body = re.search(r"<body\b[^>]*>", dom)
    return re.findall(r"\bdata-pwned-([a-z-]+)=", body.group()) if body else ["<no body>"]

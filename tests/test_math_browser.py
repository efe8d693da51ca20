"""Math from outside does nothing in the reader's browser.

MathJax and KaTeX build HTML from TeX: `\\href` makes a link, `\\class` and
`\\cssId` give an element the site's classes and ids, `\\style` sets a style
that can load a URL. Hostile TeX reaches a digest from arXiv (title,
abstract, authors, comment) and from a model (TL;DR, translation, takeaways,
structured summary), and each page is typeset in headless Chromium under the
configurations sites use: MathJax 3 with Material's documented config, with
and without Material's `document$` handler, on the mkdocs theme and on
Material; and KaTeX under Material's documented recipe with `trust: true`,
which reads `$…$` anywhere on the page, with and without arithmatex. The DOM
is then read: no `javascript:` link, no link or id made by math, no class of
the page's own on math, no style with a URL, no image, no request to any other
host, and ordinary math typeset.

The same checks run on math the site's author wrote: there they must find
the live link, the page's class, the id, the style and the request, which
shows they can fail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import browser
from conftest import Site
from fake_openai import FakeOpenAI, paper_of
from hostile import ORDINARY_MATH, TEX_ALL, TEX_JS, TEX_PAYLOADS, TRACKER

HOSTILE_ID, PLAIN_ID = "2501.00001", "2501.00002"
SNAPSHOT = [
    {
        "id": HOSTILE_ID,
        "title": "Robust models " + TEX_PAYLOADS[0] + " " + TEX_PAYLOADS[3],
        "abstract": "We study attacks. " + TEX_ALL + " It works.",
        "authors_parsed": [[TEX_PAYLOADS[1], "Eve", ""], ["Mallory", TEX_PAYLOADS[14], ""]],
        "comments": TEX_ALL,
        "categories": "cs.CR",
        "journal-ref": TEX_PAYLOADS[4],
        "versions": [{"version": "v1", "created": "Wed, 1 Jan 2025 00:00:00 GMT"}],
    },
    {
        "id": PLAIN_ID,
        "title": "Ordinary math " + ORDINARY_MATH,
        "abstract": "We show that " + ORDINARY_MATH + " holds. The proof is short.",
        "authors_parsed": [["Doe", "Jane", ""]],
        "categories": "cs.DL",
        "versions": [{"version": "v1", "created": "Thu, 2 Jan 2025 00:00:00 GMT"}],
    },
]


def tex_answer(request: dict[str, Any]) -> str:
    """A model's answer with hostile TeX in every field."""
    paper = paper_of(request)
    return json.dumps(
        {
            "id": paper["id"],
            "title": paper["title"] + " " + TEX_PAYLOADS[2],
            "tldr": "TLDR " + TEX_ALL,
            "tldr_en": "TLDR " + TEX_ALL,
            "abstract": "Translated. " + TEX_ALL,
            "takeaways": TEX_PAYLOADS[:6],
            "structured": dict(
                zip(["background", "prior_work", "method", "results", "conclusion"], TEX_PAYLOADS[-5:], strict=True)
            ),
            "keywords": [TEX_PAYLOADS[0], "robustness"],
        }
    )


@pytest.fixture(scope="module")
def tex_model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(responder=tex_answer) as server:
        yield server


# The site's math, as each set of docs says to configure it.
MATHJAX_CONFIG = """window.MathJax = {
  tex: {inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]], processEscapes: true, processEnvironments: true},
  options: {ignoreHtmlClass: ".*|", processHtmlClass: "arithmatex"}
};
"""
DOCUMENT_HANDLER = """document$.subscribe(() => {
  MathJax.startup.output.clearCache();
  MathJax.typesetClear();
  MathJax.texReset();
  MathJax.typesetPromise();
});
"""
KATEX_RECIPE = """document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      {left: "$$", right: "$$", display: true},
      {left: "$", right: "$", display: false},
      {left: "\\\\(", right: "\\\\)", display: false},
      {left: "\\\\[", right: "\\\\]", display: true}
    ],
    trust: true
  });
});
"""
ARITHMATEX = {"pymdownx.arithmatex": {"generic": True}}
BASE = ["attr_list", "md_in_html", "tables", "admonition", "pymdownx.details", "pymdownx.superfences"]
TABBED = {"pymdownx.tabbed": {"alternate_style": True}}
CONFIGS: dict[str, dict[str, Any]] = {
    # name: theme, scripts written into docs/, scripts served from the engines' files, extensions
    "mathjax-mkdocs-theme": {"theme": "mkdocs", "config": MATHJAX_CONFIG, "engine": "mathjax", "math": True},
    "mathjax-material": {"theme": "material", "config": MATHJAX_CONFIG, "engine": "mathjax", "math": True},
    "mathjax-material-document": {
        "theme": "material",
        "config": MATHJAX_CONFIG + DOCUMENT_HANDLER,
        "engine": "mathjax",
        "math": True,
    },
    "katex-trusted": {"theme": "material", "config": KATEX_RECIPE, "engine": "katex", "math": True},
    "katex-trusted-no-arithmatex": {"theme": "material", "config": KATEX_RECIPE, "engine": "katex", "math": False},
}
ENGINE_SCRIPTS = {
    "mathjax": ["engine/tex-mml-chtml.js"],
    "katex": ["engine/katex.min.js", "engine/contrib/auto-render.js"],
}


def engine_files(engine: str) -> Path:
    """Where the engine's files are: MathJax from the `mathjax` package, KaTeX from Debian's `libjs-katex`."""
    if engine == "mathjax":
        try:
            import mathjax  # the django-static-mathjax package
        except ImportError:
            browser.need("the MathJax files are not installed (pip install -e '.[test]')")
        return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    folder = Path("/usr/share/javascript/katex")
    if not (folder / "katex.min.js").is_file():
        browser.need("KaTeX is not installed at /usr/share/javascript/katex (apt-get install -y libjs-katex)")
    return folder


def math_site(root: Path, name: str, layout: str, body: str = "", model: FakeOpenAI | None = None) -> Site:
    """A site configured as `CONFIGS[name]`, its digest pages `en` and `zh` made from the hostile snapshot."""
    setup = CONFIGS[name]
    site = Site(root, "http://127.0.0.1:9/never")  # offline: no request is made
    (root / "snap.jsonl").write_text("".join(json.dumps(record) + "\n" for record in SNAPSHOT), encoding="utf-8")
    site.page("index.md", None, "# Home\n\n" + body)
    site.page("en.md", {"ids": [HOSTILE_ID, PLAIN_ID]}, "English digest.\n")
    site.page("zh.md", {"ids": [HOSTILE_ID, PLAIN_ID], "language": "zh"}, "Chinese digest.\n")
    (site.docs / "math.js").write_text(setup["config"], encoding="utf-8")
    llm = {"base_url": model.url, "model": "fake-model", "api_key_env": "", "timeout": 5, "retries": 0} if model else {}
    site.configure(
        offline=True, snapshot="snap.jsonl", layout=layout, **({"summarizer": "openai", "llm": llm} if model else {})
    )
    # Neither theme may ask another host for anything: highlight.js and fonts come from CDNs.
    theme: dict[str, Any] = {
        "name": setup["theme"],
        **({"font": False} if setup["theme"] == "material" else {"highlightjs": False}),
    }
    site.extra = {
        "theme": theme,
        "markdown_extensions": [
            *BASE,
            *([TABBED] if setup["theme"] == "material" else []),
            *([ARITHMATEX] if setup["math"] else []),
        ],
        "extra_javascript": ["math.js", *ENGINE_SCRIPTS[setup["engine"]]],
        "extra_css": ["engine/katex.min.css"] if setup["engine"] == "katex" else [],
    }
    return site


READ_DOM = """() => {
  const MATH = 'mjx-container, .katex';
  const math = [...document.querySelectorAll(MATH)];
  const inMath = math.flatMap(m => [m, ...m.querySelectorAll('*')]);
  const pageClasses = new Set();
  for (const element of document.querySelectorAll('*')) {
    if (!element.closest(MATH)) element.classList.forEach(name => pageClasses.add(name));
  }
  const body = document.body;
  return {
    math: math.length,
    mathErrors: document.querySelectorAll('mjx-merror, .katex-error').length,
    scriptLinks: [...document.querySelectorAll('[href], [src], [action], [formaction]')]
      .flatMap(e => ['href', 'src', 'action', 'formaction'].map(a => e.getAttribute(a)))
      .filter(v => v && /^\\s*(javascript|vbscript|data):/i.test(v)),
    mathLinks: inMath.filter(e => e.matches('a') || e.hasAttribute('href')).map(e => e.outerHTML.slice(0, 160)),
    mathIds: inMath.filter(e => e.id).map(e => e.id),
    mathClasses: inMath.flatMap(e => [...e.classList].filter(c => pageClasses.has(c) || c.includes('pwned'))),
    mathData: inMath.flatMap(e => e.getAttributeNames().filter(a => a.includes('pwned'))),
    urlStyles: [...document.querySelectorAll('[style]')].map(e => e.getAttribute('style')).filter(s => /url\\s*\\(/i.test(s)),
    mathBackgrounds: inMath.map(e => getComputedStyle(e).backgroundImage).filter(b => b && b !== 'none'),
    images: inMath.filter(e => e.matches('img, image')).length
      + [...document.querySelectorAll('img')].filter(i => !i.src.startsWith(location.origin)).length,
    marks: body.getAttributeNames().filter(a => a.startsWith('data-pwned')),
  };
}"""


def typeset(page: Any, url: str, engine: str) -> dict[str, Any]:
    """The page's DOM once its math is typeset."""
    page.goto(url, wait_until="networkidle")
    selector = "mjx-container" if engine == "mathjax" else ".katex"
    page.wait_for_selector(selector, state="attached", timeout=20000)
    if engine == "mathjax":
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("() => MathJax.startup.promise")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    result: dict[str, Any] = page.evaluate(READ_DOM)
    return result


@pytest.fixture(scope="module")
def chromium_instance() -> Iterator[Any]:
    with browser.playwright_chromium() as instance:
        yield instance


def open_page(chromium_instance: Any, base: str, engine: str) -> tuple[Any, Any, list[str]]:
    """A tab that serves the engine's files from this machine and refuses (and
    lists) every request for any other host."""
    files = engine_files(engine)
    context = chromium_instance.new_context(viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(base):
            path = url[len(base) :].split("?")[0]
            if found := re.match(r"(?:[\w.-]+/)*engine/(.+)", path):
                request_route.fulfill(path=str(files / found.group(1)))
            else:
                request_route.continue_()
        else:
            elsewhere.append(url)
            request_route.abort()

    context.route("**/*", route)
    return context, context.new_page(), elsewhere


@pytest.mark.parametrize("layout", ["digest", "chatpaper"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_hostile_math_does_nothing_in_the_browser(
    tmp_path: Path, chromium_instance: Any, tex_model: FakeOpenAI, name: str, layout: str
) -> None:
    engine = CONFIGS[name]["engine"]
    site = math_site(tmp_path, name, layout, model=tex_model)
    built = site.build(strict=True)
    assert built.error is None, built.warnings
    with browser.serve(site.root / "site") as base:
        context, page, elsewhere = open_page(chromium_instance, base, engine)
        try:
            for path in ("en/", "zh/"):
                dom = typeset(page, base + path, engine)
                where = f"{name}, {layout}, {path}"
                assert dom["scriptLinks"] == [], where
                assert dom["mathLinks"] == [], where
                assert dom["mathIds"] == [], where
                assert dom["mathClasses"] == [], where
                assert dom["mathData"] == [], where
                assert dom["urlStyles"] == [], where
                assert dom["mathBackgrounds"] == [], where
                assert dom["images"] == 0, where
                assert dom["marks"] == [], where
                assert elsewhere == [], where
                # The ordinary paper's math is typeset, and the hostile text is still there to read.
                assert dom["math"] >= 4, where
                built = (site.root / "site" / path / "index.html").read_text(encoding="utf-8")
                assert "href-text" in built and "style-text" in built, where
        finally:
            context.close()


AUTHOR_MATH = (
    "Written by the site's author:\n\n"
    rf"$\href{{javascript:{TEX_JS}}}{{live}}$ $\class{{md-header}}{{x}}$ $\cssId{{pwned-id}}{{y}}$ "
    rf"$\style{{background:url({TRACKER})}}{{z}}$ "
    rf"$\htmlClass{{md-header}}{{x}}$ $\htmlId{{pwned-id}}{{y}}$ $\htmlStyle{{background:url({TRACKER})}}{{z}}$"
)
"""The same commands, written into the page by its author: MathJax (`\\class`…) and KaTeX
(`\\htmlClass`…, trusted) act on them."""


@pytest.mark.parametrize("name", ["mathjax-material", "katex-trusted"])
def test_the_checks_see_math_that_acts(tmp_path: Path, chromium_instance: Any, name: str) -> None:
    engine = CONFIGS[name]["engine"]
    site = math_site(tmp_path, name, "digest", body=AUTHOR_MATH + "\n")
    assert site.build(strict=True).error is None
    with browser.serve(site.root / "site") as base:
        context, page, elsewhere = open_page(chromium_instance, base, engine)
        try:
            dom = typeset(page, base, engine)
        finally:
            context.close()
    assert any(link.startswith("javascript:") for link in dom["scriptLinks"]), dom
    assert "md-header" in dom["mathClasses"], dom
    assert "pwned-id" in dom["mathIds"], dom
    assert dom["urlStyles"] and any(TRACKER in url for url in elsewhere), (dom, elsewhere)

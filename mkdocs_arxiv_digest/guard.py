"""A Markdown extension that stops a build whose host skipped this plugin.

Hosts that read `mkdocs.yml` without running MkDocs plugins (Zensical, for
one) drop `arxiv-digest` from `plugins:` without a word, and every page's
`arxiv:` list silently goes missing. They do run Markdown extensions, so a
site that lists this one as well gets a clear error there instead:

    markdown_extensions:
      - mkdocs_arxiv_digest.guard

Under MkDocs (or ProperDocs) the plugin marks itself active before any page is
rendered, and the extension does nothing.
"""

from __future__ import annotations

from typing import Any

from markdown import Markdown
from markdown.extensions import Extension
from markdown.preprocessors import Preprocessor

_active = False


def plugin_ran() -> None:
    """Called by the plugin's `on_config`: pages are built with it."""
    global _active
    _active = True


class PluginSkipped(RuntimeError):
    pass


class _Check(Preprocessor):  # type: ignore[misc]
    def run(self, lines: list[str]) -> list[str]:
        if not _active:
            raise PluginSkipped(
                "mkdocs-arxiv-digest: the 'arxiv-digest' plugin did not run, so the papers listed in pages' "
                "'arxiv:' front matter would be left out. The program building this site skips MkDocs plugins "
                "(Zensical does); build it with `mkdocs build` (or ProperDocs) instead."
            )
        return lines


class GuardExtension(Extension):  # type: ignore[misc]
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_Check(md), "arxiv-digest-guard", 1000)


def makeExtension(**kwargs: Any) -> GuardExtension:
    return GuardExtension(**kwargs)

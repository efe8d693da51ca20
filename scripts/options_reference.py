"""The options reference of docs/configuration.md, generated from the plugin's
config: an MkDocs hook, listed under `hooks:` in the repository's mkdocs.yml.

The options of `ArxivDigestConfig` (and of its sub-configs: `LlmConfig` under
`llm.`, `RankModelConfig` under `rank_model.`) are the single source: their order and sections (`config.SECTIONS`), their types and
defaults (read from the option objects) and their attribute docstrings (the
prose) become the "Options at a glance" table and a `### option` section each,
in place of the `MARKER` line of configuration.md. The docstrings are Markdown
whose links are relative to docs/configuration.md.

Print the reference with `python scripts/options_reference.py`.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError

from mkdocs_arxiv_digest import config

MARKER = "<!-- options-reference: generated from mkdocs_arxiv_digest/config.py -->"
PAGE = "configuration.md"


def docstrings(cls: type) -> dict[str, str]:
    """The attribute docstrings of a class: the string right after each assignment."""
    (tree,) = ast.parse(inspect.getsource(cls)).body
    assert isinstance(tree, ast.ClassDef)
    found: dict[str, str] = {}
    for statement, following in pairwise(tree.body):
        target = statement.targets[0] if isinstance(statement, ast.Assign) else getattr(statement, "target", None)
        if (
            isinstance(target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[target.id] = inspect.cleandoc(following.value.value)
    return found


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _either(words: list[str], last: str = "or") -> str:
    quoted = [f"`{word}`" for word in words]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} {last} {quoted[-1]}"


def kind(option: base.BaseConfigOption[Any]) -> str:
    """What an option takes, in words, from its type and bounds."""
    if isinstance(option, c.Optional):
        return f"{kind(option.option)}, optional"
    if isinstance(option, config.Number):
        name = "integer" if option.kind is int else "number"
        low, high = option.minimum, option.maximum
        if low is not None and high is not None:
            return f"{name} from {_number(low)} to {_number(high)}"
        if low is not None:
            return f"{name}, at least {_number(low)}"
        if high is not None:
            return f"{name}, at most {_number(high)}"
        return name
    if isinstance(option, config.Language):
        return (
            ", ".join(f"`{language}`" for language in sorted(config.LABELS)) + " or a language in [`labels`](#labels)"
        )
    if isinstance(option, config.Labels):
        return "mapping of languages to mappings of label names to text"
    if isinstance(option, config.SitePath):
        return f"path in the site, ending in {_either(list(option.extensions))}"
    if isinstance(option, config.HttpUrl):
        return "`http://` or `https://` URL"
    if isinstance(option, c.URL):
        return "URL"
    if isinstance(option, c.FilesystemObject):
        what = "folder" if isinstance(option, c.Dir) else "file"
        return f"path to an existing {what}" if option.exists else f"path to a {what}"
    if isinstance(option, c.Choice):
        return _either(list(option.choices))
    if isinstance(option, c.ListOfItems):
        inner = option.option_type
        if isinstance(inner, c.Choice):
            return f"list of {_either(list(inner.choices), 'and')}"
        return f"list, each a {kind(inner)}"
    if isinstance(option, c.SubConfig):
        return "mapping of the options below"
    if type(option) is c.Type:
        names = {bool: "boolean", str: "text", int: "integer", dict: "mapping", list: "list"}
        if option._type in names:
            return names[option._type]
    raise TypeError(f"no words for an option of type {type(option).__name__}: add them to {__file__}")


def default(option: base.BaseConfigOption[Any]) -> str:
    """An option's default, as it would be written in mkdocs.yml."""
    if isinstance(option, c.SubConfig):
        return "each option below at its default"
    value = option.default
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float | int):
        return f"`{value!r}`"
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    if value in ([], {}):
        return f"`{value!r}`"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return f"`[{', '.join(value)}]`"  # as YAML's flow style writes it
    raise TypeError(f"no way to show the default {value!r}: add one to {__file__}")


def options() -> Iterator[tuple[str, base.BaseConfigOption[Any], str]]:
    """Every option with its dotted name and docstring, in the reference's order."""
    texts = docstrings(config.ArxivDigestConfig)
    for name, option in config.ArxivDigestConfig._schema:
        yield name, option, texts.get(name, "")
        if isinstance(option, c.SubConfig):
            inner = docstrings(option.config_class)
            for sub, sub_option in option.config_class._schema:
                yield f"{name}.{sub}", sub_option, inner.get(sub, "")


def anchor(name: str) -> str:
    """The id MkDocs' `toc` gives the heading `` ### `name` ``."""
    return name.replace(".", "")


def reference() -> str:
    """The options reference in Markdown: the table, then a section per option."""
    table = ["## Options at a glance", "", "| Option | Type | Default |", "| --- | --- | --- |"]
    sections: list[str] = []
    for name, option, text in options():
        if not text:
            raise ValueError(f"the option {name!r} has no docstring in {config.__file__}")
        table.append(f"| [`{name}`](#{anchor(name)}) | {kind(option)} | {default(option)} |")
        if name in config.SECTIONS:
            title, opening = config.SECTIONS[name]
            sections += [f"## {title}", ""] + ([opening, ""] if opening else [])
        sections += [f"### `{name}`", "", f"**Type:** {kind(option)} · **Default:** {default(option)}", "", text, ""]
    return "\n".join([*table, "", *sections]).rstrip() + "\n"


def on_page_markdown(markdown: str, /, *, page: Any, **kwargs: Any) -> str:
    """Put the reference in place of the marker in configuration.md."""
    if page.file.src_uri != PAGE:
        return markdown
    if markdown.count(MARKER) != 1:
        raise PluginError(f"{PAGE} must hold the line {MARKER!r} once, where the options reference goes")
    return markdown.replace(MARKER, reference())


if __name__ == "__main__":
    print(reference(), end="")

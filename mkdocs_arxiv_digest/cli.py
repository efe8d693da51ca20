"""`mkdocs-arxiv-digest daily`: freeze the latest announcement of a listing
(or the newest results of a query) into a dated page, so the archive of past
days never changes behind the reader's back.

The command reads the plugin's options from `mkdocs.yml` (`listing_url`,
`api_url`, `cache_dir`…), asks arXiv once, applies the filters, leaves out
papers already on earlier pages of the folder, and writes `<date>.md` with
the IDs (versioned, as announced) in its front matter, then the folder's
index. Run again on the same day it writes the same page."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .escape import escape_plain, title_text
from .ids import Source, parse_spec, read_front_matter

if TYPE_CHECKING:
    from .fetch import ArxivApi
    from .settings import Settings

INDEX = "index.md"
_FRONT = re.compile(r"\A---\r?\n.*?\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
"""The front matter this command writes, to keep what follows it."""


class CommandError(Exception):
    """A problem the user can fix, said on one line."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mkdocs-arxiv-digest", description="Tools of the arxiv-digest MkDocs plugin.")
    commands = parser.add_subparsers(dest="command", required=True)
    daily = commands.add_parser(
        "daily",
        help="write the latest announcement of a listing (or the newest papers of a query) as a dated page",
        description="Write arXiv's latest announcement of a listing, or the newest results of a search, "
        "as a page dated by its day, with the papers' IDs frozen in its front matter.",
    )
    daily.add_argument("-f", "--config-file", default="mkdocs.yml", help="the site's mkdocs.yml (default: %(default)s)")
    source = daily.add_mutually_exclusive_group(required=True)
    source.add_argument("--listing", help="categories to read the announcement of, e.g. cs.CV or cs.CV+eess.IV")
    source.add_argument("--query", help="an arXiv API search, e.g. 'cat:cs.CV AND abs:diffusion'")
    source.add_argument("--page", help="a page whose `arxiv:` front matter has a listing: or query: (and its filters)")
    daily.add_argument("--keyword", action="append", default=None, help="keep papers whose title or abstract has it")
    daily.add_argument(
        "--exclude", action="append", default=None, help="leave out papers whose title or abstract has it"
    )
    daily.add_argument("--no-cross-lists", action="store_true", help="leave out papers listed from other categories")
    daily.add_argument("--max", type=int, default=None, help="at most this many papers (a query's default: 25)")
    where = daily.add_mutually_exclusive_group()
    where.add_argument("--dir", help="the folder of the daily pages (default: daily/ in docs_dir)")
    where.add_argument("--blog", action="store_true", help="write a post of Material's blog plugin instead")
    args = parser.parse_args(argv)
    try:
        return _daily(args)
    except CommandError as error:
        print(f"mkdocs-arxiv-digest: {error}", file=sys.stderr)
        return 1


def _daily(args: argparse.Namespace) -> int:
    from mkdocs.config import load_config
    from mkdocs.exceptions import ConfigurationError, PluginError

    try:
        config = load_config(args.config_file)
    except (ConfigurationError, OSError) as error:
        raise CommandError(f"{args.config_file}: {error}") from None
    plugin = config.plugins.get("arxiv-digest")
    if plugin is None:
        raise CommandError(f"{args.config_file} does not use the plugin: add `- arxiv-digest` under `plugins:`")
    source = _source(args)
    folder = _folder(args, config)

    from .cache import Cache
    from .settings import Settings
    from .sources import Sources, select

    try:
        settings = Settings.load(plugin.config, config)
    except PluginError as error:
        raise CommandError(str(error).removeprefix("arxiv-digest: ")) from None
    cache = Cache(settings.cache_dir)
    clients: list[ArxivApi] = []
    try:
        listing = settings.listing._replace(refresh_seconds=0)
        sources = Sources(cache, lambda: _api(settings, clients), listing, log=lambda line: None)
        resolved = sources.resolve(source, force=True)
    finally:
        for client in clients:
            client.close()
        cache.close()
    for warning in resolved.warnings:
        print(f"mkdocs-arxiv-digest: warning: {warning}", file=sys.stderr)
    latest = resolved.latest
    if resolved.problem or latest is None:
        raise CommandError(f"{source.describe()} could not be read: {resolved.problem}")
    name = ", ".join(source.listing) or source.query
    if not latest.papers or latest.date is None:
        if source.query:
            print(f"The search {name} found no papers: nothing written.")
        else:
            print(f"No announcement in {name} on {latest.date or 'the day the feed gave'}: nothing written.")
        return 0
    day = latest.date
    earlier = _earlier_ids(folder, day)
    new, updated = select(latest.papers, source, earlier)
    if not new and not updated:
        print(
            f"{name}, {day}: none of the {len(latest.papers)} paper(s) is kept by the filters "
            "and not on an earlier page: nothing written."
        )
        return 0
    path = folder / f"{day}.md"
    folder.mkdir(parents=True, exist_ok=True)
    page = _page(source, day, [str(p.id) for p in new], [str(p.id) for p in updated], settings.avoid)
    path.write_text(page + _body(path), encoding="utf-8")
    if not args.blog:
        _write_index(folder, source, settings.avoid)
    print(f"{name}, {day}: {len(new)} new and {len(updated)} updated paper(s) written to {path}")
    return 0


def _api(settings: Settings, made: list[ArxivApi]) -> ArxivApi:
    """The arXiv client, kept in `made` to be closed."""
    from .fetch import ArxivApi

    api = settings.api
    made.append(ArxivApi(api.url, api.delay_seconds, api.timeout, api.retries))
    return made[-1]


def _source(args: argparse.Namespace) -> Source:
    if args.page:
        path = Path(args.page)
        try:
            meta = read_front_matter(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise CommandError(f"the page {args.page} could not be read: {error}") from None
        value = meta.get("arxiv")
        if not isinstance(value, dict) or not ("listing" in value or "query" in value):
            raise CommandError(f"the page {args.page} has no `listing:` or `query:` under `arxiv:`")
    else:
        value = {"listing": args.listing} if args.listing else {"query": args.query}
    value = dict(value)
    for key, given in (("keywords", args.keyword), ("exclude", args.exclude), ("max", args.max)):
        if given is not None:
            value[key] = given
    if args.no_cross_lists:
        value["cross_lists"] = False
    spec = parse_spec({key: value[key] for key in value if key not in ("language", "layout")})
    if spec.problems or spec.source is None:
        raise CommandError("; ".join(spec.problems) or "no listing or query given")
    return spec.source


def _folder(args: argparse.Namespace, config: Any) -> Path:
    docs = Path(config.docs_dir)
    if args.dir:
        return Path(args.dir)
    if not args.blog:
        return docs / "daily"
    for name, plugin in config.plugins.items():
        if name == "material/blog" or name.endswith("/blog") or name == "blog":
            blog = plugin.config
            return docs / str(blog.get("post_dir", "{blog}/posts")).format(blog=blog.get("blog_dir", "blog"))
    raise CommandError("--blog needs Material's blog plugin in mkdocs.yml (`- blog` under `plugins:`)")


def _pages(folder: Path) -> list[tuple[str, Path, dict[str, Any]]]:
    """The dated pages in the folder with papers, as (date, path, front matter)."""
    found = []
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        if path.name == INDEX:
            continue
        try:
            meta = read_front_matter(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        day = meta.get("date")
        if isinstance(day, dict):  # Material's blog: `date: {created: …}`
            day = day.get("created")
        if isinstance(day, (dt.date, str)) and isinstance(meta.get("arxiv"), dict):
            found.append((str(day)[:10], path, meta))
    return found


def _earlier_ids(folder: Path, day: str) -> set[str]:
    """The versionless IDs on the folder's pages of days before `day`."""
    seen: set[str] = set()
    for date, _, meta in _pages(folder):
        if date < day:
            spec = parse_spec(meta["arxiv"])
            seen.update(entry.id.base for entry in [*spec.entries, *spec.updated])
    return seen


def _page(source: Source, day: str, new: list[str], updated: list[str], avoid: Sequence[str] = ()) -> str:
    """The page's front matter. Its `title:` is plain text (`title_text`): themes
    write a page's title into every page's nav as HTML."""
    origin: dict[str, Any] = {"listing": "+".join(source.listing)} if source.listing else {"query": source.query}
    for key in ("keywords", "exclude"):
        if getattr(source, key):
            origin[key] = list(getattr(source, key))
    if not source.cross_lists:
        origin["cross_lists"] = False
    origin["announced"] = day
    name = ", ".join(source.listing) or source.query
    front: dict[str, Any] = {
        "title": title_text(f"{name}: {day}", avoid),
        "date": dt.date.fromisoformat(day),
        "arxiv": {"ids": new, **({"updated": updated} if updated else {}), "source": origin},
    }
    text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"---\n{text}---\n"


def _body(path: Path) -> str:
    """What follows the front matter of the page already there, kept when it is written again."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    front = _FRONT.match(text)
    return text[front.end() :] if front else ""


def _write_index(folder: Path, source: Source, avoid: Sequence[str] = ()) -> None:
    """The folder's index: one line per day, newest first. Its title is plain
    text and the query in its text inert Markdown."""
    name = ", ".join(source.listing) or source.query
    lines = [
        "---",
        yaml.safe_dump({"title": title_text(f"Daily digest: {name}", avoid)}, allow_unicode=True).strip(),
        "---",
        "",
        f"The papers of {name if source.listing else escape_plain(name)} that arXiv announced, "
        "one page per day, newest first.",
        "This page is written by `mkdocs-arxiv-digest daily`; edits to it are overwritten.",
        "",
    ]
    for day, path, meta in sorted(_pages(folder), key=lambda found: found[0], reverse=True):
        spec = parse_spec(meta["arxiv"])
        count = len(spec.entries) + len(spec.updated)
        lines.append(f"- [{day}]({path.name}): {count} paper{'s' if count != 1 else ''}")
    (folder / INDEX).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

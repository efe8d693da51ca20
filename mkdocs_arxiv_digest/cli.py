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
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml

from .daily import INDEX, MORE, ArchiveError, day_pages, day_text, index_text, owns_index, read_page, shown_elsewhere
from .escape import title_text
from .frontmatter import parse_spec, read_front_matter
from .sources import SOURCES

if TYPE_CHECKING:
    from .ids import ArxivId, Liked
    from .services import Services
    from .settings import Settings
    from .sources import LibraryPaper, Source


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
    for kind in SOURCES.values():
        source.add_argument(f"--{kind.kind}", help=kind.option_help)
    source.add_argument("--page", help="a page whose `arxiv:` front matter has a listing: or query: (and its filters)")
    daily.add_argument("--keyword", action="append", default=None, help="keep papers whose title or abstract has it")
    daily.add_argument(
        "--exclude", action="append", default=None, help="leave out papers whose title or abstract has it"
    )
    daily.add_argument("--no-cross-lists", action="store_true", help="leave out papers listed from other categories")
    daily.add_argument("--max", type=int, default=None, help="at most this many papers (a query's default: 25)")
    daily.add_argument(
        "--rank",
        choices=["library"],
        default=None,
        help="order the papers by their likeness to the site's reading lists (its `ids` pages); --max keeps the top",
    )
    daily.add_argument(
        "--candidates", type=int, default=None, help="with --rank, how many results a query asks for (default: 200)"
    )
    daily.add_argument(
        "--min-score", type=float, default=None, help="with --rank, leave out papers scoring less (0 to 1)"
    )
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
    if not plugin.config.enabled:
        raise CommandError(
            f"{args.config_file} switches the plugin off (`enabled` is false), so nothing was read or written; "
            "switch it on to run this command (where `enabled:` reads a variable with !ENV, set it to true)"
        )
    source, options = _source(args)
    folder = _folder(args, config)
    pages = _read(day_pages, folder)  # a page that cannot be read stops the command before anything is asked

    from .services import Services
    from .settings import Settings
    from .sources import CROSS, select

    try:
        settings = Settings.load(plugin.config, config)
    except PluginError as error:
        raise CommandError(str(error).removeprefix("arxiv-digest: ")) from None
    warn = lambda line: _say(f"warning: {line}", err=True)  # noqa: E731
    with Services.for_command(settings, say_retry=lambda line: _say(line, err=True), warn=warn) as services:
        resolved = services.sources(ask=True).resolve(source, force=True)
        for warning in resolved.warnings:  # what was left out of the feed: the page is written without it
            _say(f"warning: {warning}", err=True)
        latest = resolved.latest
        if resolved.problem or latest is None:
            raise CommandError(f"{source.describe()} could not be read: {resolved.problem}")
        name = source.name()
        if not latest.papers or latest.date is None:
            print(source.nothing(latest))
            return 0
        day = latest.date
        tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
        if day > tomorrow.isoformat():
            raise CommandError(
                f"{source.where(settings.listing)} gave the date {day}, later than tomorrow ({tomorrow}, UTC): "
                "check the feed (`listing_url`) or the clock; nothing written"
            )
        path = folder / f"{day}.md"
        library = _library(services, config) if source.rank is not None else None
        ranker = services.ranker() if library else None  # `rank_model`'s embeddings, else None: words
        new, updated, liked = select(latest.papers, source, shown_elsewhere(pages, path), library, ranker)
        if not new and not updated:
            ranked = " and the ranking" if library else ""
            print(
                f"{name}, {day}: none of the {len(latest.papers)} paper(s) is kept by the filters{ranked} "
                "and not on another page: nothing written."
            )
            return 0
        source.keep(services.cache, [*new, *updated])
    ids = [_frozen(p.id, liked) for p in new]
    cross = [str(p.id) for p in new if p.kind in CROSS]
    front = _front(source, day, ids, [_frozen(p.id, liked) for p in updated], settings.avoid, options, cross)
    existing = _read(read_page, path) if path.exists() else None
    body = _excerpt(source, day, len(new), len(updated)) if args.blog else ""
    text = day_text(existing, front, body)
    folder.mkdir(parents=True, exist_ok=True)
    if existing is None or text != existing.text:
        path.write_text(text, encoding="utf-8")
    if not args.blog:
        _write_index(folder, source, settings.avoid)
    against = f", ranked against {len(library)} reading-list paper(s)," if library else ""
    print(f"{name}, {day}: {len(new)} new and {len(updated)} updated paper(s){against} written to {path}")
    layout = options.get("layout", settings.layout)
    if settings.wants_fulltext(options.get("fulltext"), layout):
        figures = settings.fulltext.figures if layout == "chatpaper" else 0  # the figures its page shows
        read = [str(p.id) for p in [*new, *updated]]
        _read_fulltext(settings, read, options.get("language", settings.language), figures)
    return 0


def _library(services: Services, config: Any) -> list[LibraryPaper]:
    """The site's reading lists, as a build of the site ranks against them:
    the papers of its `ids` pages (not the pages this command writes)."""
    from mkdocs.structure.files import get_files

    from .build import built_pages, reading_lists

    read = services.reader.read_all(built_pages(get_files(config), config), services.cache)
    library = reading_lists(
        services, read, lambda line: _say(line, err=True), lambda line: _say(f"warning: {line}", err=True)
    )
    if not library:
        offline = " (`offline` is on: only the cache and the `snapshot` are read)" if services.settings.offline else ""
        raise CommandError(
            f"--rank library: the site's reading lists (its pages with `ids:`, not the pages this command "
            f"writes, or what its `library` option names) give no paper to rank against{offline}; "
            "add one, or leave out --rank. Nothing written"
        )
    return library


def _frozen(arxiv_id: ArxivId, liked: dict[str, Liked]) -> str | dict[str, Any]:
    """A paper of the day's page: its ID, and on a ranked day the library
    paper it is most like (`like:`, as its reading list names it, or
    `like_title:` for a library file's paper without an arXiv ID) and its `score:`."""
    like = liked.get(arxiv_id.base)
    if like is None:
        return str(arxiv_id)
    if like.id is None:
        return {"id": str(arxiv_id), "like_title": like.title, "score": like.score}
    return {"id": str(arxiv_id), "like": str(like.id), "score": like.score}


def _read_fulltext(settings: Settings, ids: Sequence[str], language: str, figures: int = 0) -> None:
    """Read the full text of the day's papers, and the images of the `figures`
    its page shows, as a build of its page would (within
    `fulltext_budget_seconds`), so that the build finds them in the cache."""
    import dataclasses

    from .ids import parse_id
    from .services import Services

    papers = [parse_id(arxiv_id) for arxiv_id in ids]
    # The images go to the cache only: the site is the build's to write.
    settings = dataclasses.replace(settings, site_dir="")
    with Services.for_command(
        settings, say_retry=lambda line: _say(line, err=True), info=lambda line: _say(line, err=True)
    ) as services:
        pipeline = services.pipeline(
            {"fulltext": frozenset(p.base for p in papers)},
            only=("fulltext", "figures"),
            figures={p.base: (figures, ()) for p in papers} if figures else None,
        )
        pipeline.plan({paper: {language} for paper in papers})
        pipeline.start()
        stats = pipeline.finish()
    for problem in stats.problems:
        _say(f"warning: {problem}", err=True)
    print(f"Full text: {stats.report()}")


_T = TypeVar("_T")


def _read(reader: Callable[[Path], _T], path: Path) -> _T:
    try:
        return reader(path)
    except ArchiveError as error:
        raise CommandError(str(error)) from None


def _say(line: str, err: bool = False) -> None:
    print(f"mkdocs-arxiv-digest: {line}" if err else line, file=sys.stderr if err else sys.stdout, flush=True)


def _source(args: argparse.Namespace) -> tuple[Source, dict[str, Any]]:
    """The source asked for, and the page options (`language:`, `layout:`, `fulltext:`) its day's page keeps."""
    if args.page:
        path = Path(args.page)
        try:
            meta = read_front_matter(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise CommandError(f"the page {args.page} could not be read: {error}") from None
        value = meta.get("arxiv")
        if not isinstance(value, dict) or not any(key in value for key in SOURCES):
            raise CommandError(f"the page {args.page} has no {_either()} under `arxiv:`")
    else:
        kind = next(kind for key, kind in SOURCES.items() if getattr(args, key) is not None)
        if not getattr(args, kind.kind).strip():
            raise CommandError(f"--{kind.kind} needs {kind.needs}")
        value = {kind.kind: getattr(args, kind.kind)}
    value = dict(value)
    given_options = (
        ("keywords", args.keyword),
        ("exclude", args.exclude),
        ("max", args.max),
        ("rank", args.rank),
        ("candidates", args.candidates),
        ("min_score", args.min_score),
    )
    for key, given in given_options:
        if given is not None:
            value[key] = given
    if args.no_cross_lists:
        value["cross_lists"] = False
    if args.max is not None and not 1 <= args.max <= 2000:
        raise CommandError(f"--max {args.max} is not a whole number from 1 to 2000 (leave it out for no limit)")
    if args.candidates is not None and not 1 <= args.candidates <= 2000:
        raise CommandError(f"--candidates {args.candidates} is not a whole number from 1 to 2000")
    if args.min_score is not None and not 0 <= args.min_score <= 1:
        raise CommandError(f"--min-score {args.min_score:g} is not a number from 0 to 1")
    options = {key: value.pop(key) for key in ("language", "layout", "fulltext") if key in value}
    spec = parse_spec(value)
    if spec.problems or spec.source is None:
        raise CommandError("; ".join(spec.problems) or f"no {' or '.join(SOURCES)} given")
    return spec.source, options


def _either() -> str:
    return " or ".join(f"`{key}:`" for key in SOURCES)


def _folder(args: argparse.Namespace, config: Any) -> Path:
    """The folder of the pages: `--dir` read against `docs_dir`, and never outside it."""
    docs = Path(config.docs_dir).resolve()
    if args.dir is not None:
        folder = (docs / str(args.dir)).resolve()  # an absolute --dir stays as it is
        if folder != docs and docs not in folder.parents:
            raise CommandError(
                f"--dir {args.dir} is outside docs_dir ({docs}): MkDocs would not build pages there. "
                "Give a folder inside docs_dir, relative to it (e.g. --dir daily/cs.CV); nothing written"
            )
        return folder
    if not args.blog:
        return docs / "daily"
    for name, plugin in config.plugins.items():
        if name == "material/blog" or name.endswith("/blog") or name == "blog":
            blog = plugin.config
            return docs / Path(str(blog.get("post_dir", "{blog}/posts")).format(blog=blog.get("blog_dir", "blog")))
    raise CommandError("--blog needs Material's blog plugin in mkdocs.yml (`- blog` under `plugins:`)")


def _front(
    source: Source,
    day: str,
    new: Sequence[str | dict[str, Any]],
    updated: Sequence[str | dict[str, Any]],
    avoid: Sequence[str] = (),
    options: dict[str, Any] | None = None,
    cross: Sequence[str] = (),
) -> dict[str, Any]:
    """The front matter of a new day's page; `cross` are the IDs of `new`
    that are cross-lists. Its `title:` is plain text (`title_text`): themes
    write a page's title into every page's nav as HTML."""
    origin: dict[str, Any] = {source.kind: source.request}
    for key in ("keywords", "exclude"):
        if getattr(source, key):
            origin[key] = list(getattr(source, key))
    if not source.cross_lists:
        origin["cross_lists"] = False
    if source.rank is not None:
        origin["rank"] = source.rank
        if source.min_score:
            origin["min_score"] = source.min_score
    origin["announced"] = day
    if cross:
        origin["cross_listed"] = list(cross)
    name = source.name()
    arxiv = {"ids": list(new), **({"updated": list(updated)} if updated else {}), "source": origin, **(options or {})}
    return {"title": title_text(f"{name}: {day}", avoid), "date": dt.date.fromisoformat(day), "arxiv": arxiv}


def _excerpt(source: Source, day: str, new: int, updated: int) -> str:
    """A blog post's text above Material's excerpt break: what the day brought, in one line."""
    counts = f"{new} new paper{'s' if new != 1 else ''}" + (f" and {updated} updated" if updated else "")
    return f"\n{counts} {source.excerpt()} on {day}.\n\n{MORE}\n"


def _write_index(folder: Path, source: Source, avoid: Sequence[str] = ()) -> None:
    """The folder's index, if it is the command's to write: one line per day,
    newest first. Its title is plain text and the query in its text inert Markdown."""
    path = folder / INDEX
    if not owns_index(path):
        print(
            f"{path} was not written by this command, so it is left as it is. To have the command "
            f"list the days there, move it away (the command then writes it on each run), or link "
            f"the days yourself (see 'Navigating the days' in the daily digests' documentation)."
        )
        return
    title = title_text(f"Daily digest: {source.name()}", avoid)
    path.write_text(index_text(title, source.intro(), _read(day_pages, folder)), "utf-8")


if __name__ == "__main__":
    sys.exit(main())

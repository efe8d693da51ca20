"""Each paper's figures, for the pages that show its full text: chosen from the
full-text record (the main figure first, up to `figures:` per page, and any
an entry names with `figure:`), and, for a paper under one of
`figure_licenses`, their images fetched from the paper's own folder at
`html_url` with the same client as the pages (one request at a time,
`html_delay_seconds` apart), checked (`fulltext.image_info`), bounded, and kept
in the cache as raw bytes. At the end of each build the images of the papers
shown are copied into the site, under `assets/arxiv-digest/figures/`, named
from the paper's validated ID and the figure's number only, so an offline
build from an empty `site/` has them too.

A paper under another licence, or one not known, gets no copy and no image
request: its figures are links into its HTML.

Its cache keys are spelled here and nowhere else: the record's
`figures:{versioned ID}:{version}::{SCHEMA}`, each image's
`figure-image:{its file name without suffix}`."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..ids import ArxivId
from ..records import Paper
from . import Budget, Stage, StageFailed, Unit, Words, listed, register

if TYPE_CHECKING:
    from ..cache import Cache
    from ..fetch import HtmlClient
    from ..fulltext import FullText
    from ..services import Services

FIGURES_SCHEMA = 1
ASSETS = "assets/arxiv-digest/figures"
"""Where the images go, from the site's root."""
MAX_PAPER_BYTES = 12_000_000
"""All of one paper's images together; an image past it is linked, not copied."""
ARXIV_HTML = "https://arxiv.org/html/"
"""Where links to figures point when `html_url` is a local folder."""

LICENSE_NAMES = {
    "cc-by": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-sa": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "cc-by-nd": ("CC BY-ND 4.0", "https://creativecommons.org/licenses/by-nd/4.0/"),
    "cc-by-nc": ("CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
    "cc-by-nc-sa": ("CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    "cc-by-nc-nd": ("CC BY-NC-ND 4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    "cc0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "arxiv-nonexclusive": (
        "arXiv non-exclusive licence",
        "https://arxiv.org/licenses/nonexclusive-distrib/1.0/license.html",
    ),
}
"""Each licence code's name and the page of its text."""

_NUMBER = re.compile(r"[A-Za-z0-9]{1,8}(?:\.[A-Za-z0-9]{1,8})?")
_FRAGMENT = re.compile(r"[A-Za-z0-9._-]{1,80}")
_SUFFIXES = {"png": "png", "jpeg": "jpg", "gif": "gif", "webp": "webp"}

REFUSED = {
    "not-image": "were not the PNG, JPEG, GIF or WebP image their bytes should be (SVG is refused)",
    "too-large": "were larger than 5 MB or 40 megapixels, or damaged",
    "missing": "were not found at the host",
    "paper-bytes": f"did not fit the {MAX_PAPER_BYTES // 1_000_000} MB kept per paper",
}


@dataclass(frozen=True)
class CopiedImage:
    """One image of a figure, copied into the site."""

    file: str
    """Its name under `ASSETS`."""
    width: int
    height: int


@dataclass(frozen=True)
class ShownFigure:
    """One figure as a page shows it: its images copied (`images`), or linked (`link`)."""

    number: str
    caption: str
    link: str
    """The figure in the paper's HTML."""
    images: tuple[CopiedImage, ...] = ()
    """Its copied images (a figure with subfigures has several); empty when none was copied."""

    def __post_init__(self) -> None:
        from ..escape import inert_tex

        caption = inert_tex(self.caption)  # a cached row is outside text too
        if caption != self.caption:
            object.__setattr__(self, "caption", caption)

    @property
    def file(self) -> str:
        """The first image's name; empty when not copied."""
        return self.images[0].file if self.images else ""

    @property
    def width(self) -> int:
        return self.images[0].width if self.images else 0

    @property
    def height(self) -> int:
        return self.images[0].height if self.images else 0


@dataclass(frozen=True)
class Figures:
    """A paper's figures, main first, as many as its pages ask for."""

    paper: str
    """The versioned ID."""
    license: str = ""
    """A licence code (`cc-by`...), or `unknown`."""
    figures: tuple[ShownFigure, ...] = ()
    count: int = 0
    """How many were asked for (the most any page showing the paper wants)."""
    numbers: tuple[str, ...] = ()
    """The figures entries named (`figure:`)."""
    waiting: bool = False
    """Made without the full text (not read yet): asked again next build."""
    no_html: bool = False
    """The paper has no usable HTML: kept while the full-text stage believes so."""

    @property
    def license_name(self) -> str:
        return LICENSE_NAMES.get(self.license, ("", ""))[0]

    @property
    def license_url(self) -> str:
        return LICENSE_NAMES.get(self.license, ("", ""))[1]

    @property
    def copied(self) -> bool:
        return any(figure.file for figure in self.figures)

    def shown(self, count: int, number: Any = None) -> list[ShownFigure]:
        """The figures a page shows: up to `count`, the one numbered `number`
        (an entry's `figure:`) first when the paper has it, else the main one."""
        figures = list(self.figures[: self.count])
        if number is not None:
            named = next((f for f in self.figures if f.number == str(number)), None)
            if named is not None:
                figures = [named, *(f for f in figures if f is not named)]
        return figures[: max(count, 0)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": FIGURES_SCHEMA,
            "paper": self.paper,
            "license": self.license,
            "count": self.count,
            "numbers": list(self.numbers),
            "waiting": self.waiting,
            "no_html": self.no_html,
            "figures": [
                {"number": f.number, "caption": f.caption, "link": f.link,
                 "images": [[i.file, i.width, i.height] for i in f.images]}
                for f in self.figures
            ],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: Any) -> Figures | None:
        if not isinstance(data, dict) or data.get("schema") != FIGURES_SCHEMA:
            return None
        try:
            figures = tuple(
                ShownFigure(
                    _text(f["number"]),
                    _text(f["caption"]),
                    _text(f["link"]),
                    tuple(CopiedImage(_file(name), _int(width), _int(height)) for name, width, height in f["images"]),
                )
                for f in data["figures"]
            )
            numbers = data["numbers"]
            if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
                raise TypeError("numbers")
            return cls(
                _text(data["paper"]),
                _text(data["license"]),
                figures,
                _int(data["count"]),
                tuple(numbers),
                data["waiting"] is True,
                data.get("no_html") is True,
            )
        except (KeyError, TypeError, ValueError):
            return None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not text")
    return value


def _int(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= 100_000:
        raise ValueError("not a size")
    return value


def _file(value: Any) -> str:
    """A cached name, checked again: a planted row must not name a path."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,120}\.(?:png|jpg|gif|webp)", value):
        raise ValueError("not a figure's name")
    if ".." in value:
        raise ValueError("not a figure's name")
    return value


def image_stem(paper: ArxivId, number: str, index: int) -> str:
    """The image's file name without its suffix: from the paper's validated ID
    and the figure's number (its place in the paper when the number is not plain)."""
    label = number if _NUMBER.fullmatch(number) else f"n{index}"
    return f"{str(paper).replace('/', '_')}-{label}"


class FiguresStage(Stage[Figures]):
    name = "figures"
    needs = ("fulltext",)
    mode = "pool"
    background = True
    concurrency = 1
    words = Words("figures", "Figures", "Fetching", "fetched", "")

    def __init__(
        self,
        cache: Cache,
        url: str,
        client: Any,
        budget: Budget,
        wants: Mapping[str, tuple[int, tuple[str, ...]]],
        licenses: tuple[str, ...],
        site_dir: str,
        announced: Mapping[str, str] | None = None,
        pool: Any = None,
        log: Callable[[str], None] = print,
        warn: Callable[[str], None] = print,
    ) -> None:
        """`wants`: per bare ID, the most figures a page shows and the numbers
        its entries name; `client` makes the `HtmlClient` (`None`: offline)."""
        self.cache, self.url, self._make_client = cache, url, client
        self.budget, self.pool = budget, pool
        self.wants = dict(wants)
        self.only = frozenset(self.wants)
        self.licenses = licenses
        self.announced = dict(announced or {})
        """The licences announcement feeds named, by bare ID: used when neither
        the paper's HTML nor its record names one."""
        self.site_dir = site_dir
        self.local = not url.startswith(("http://", "https://"))
        self.maker = self.who = f"{'the folder ' if self.local else ''}{url}"
        self.version = f"img-{FIGURES_SCHEMA}-" + hashlib.sha256(",".join(licenses).encode()).hexdigest()[:8]
        self.log, self.warn = log, warn
        self._lock = threading.Lock()
        self._files: dict[str, str] = {}
        """The images to copy into the site this build: name → cache key."""
        self._refused: dict[str, list[str]] = {}

    def key(self, unit: Unit) -> str:
        return f"figures:{unit.paper}:{self.version}::{FIGURES_SCHEMA}"

    @staticmethod
    def image_key(stem: str) -> str:
        """The cache key of an image's bytes, by its file name without suffix (see `image_stem`)."""
        return f"figure-image:{stem}"

    def load(self, data: Any) -> Figures | None:
        record = Figures.from_dict(data)
        if record is None or record.waiting:
            return None
        if record.no_html:
            from ..ids import parse_id
            from .fulltext import FullTextStage

            try:
                paper = parse_id(record.paper)
            except ValueError:
                return None
            # Kept while the HTML is believed missing; made again when it is asked for again.
            return record if FullTextStage.no_html(self.cache, paper) else None
        count, numbers = self._want(record.paper)
        if count > record.count or not set(numbers) <= set(record.numbers):
            return None  # a page asks for more than it holds: made again, from the images kept
        from ..ids import parse_id

        # Links are made again, from this build's `html_url`: a cached one may be stale, or planted.
        paper = parse_id(record.paper)
        figures = tuple(dataclasses.replace(f, link=self.link(paper, f.link.partition("#")[2])) for f in record.figures)
        record = dataclasses.replace(record, figures=figures)
        self._note(record)
        return record

    def dump(self, record: Figures) -> Any:
        return record.to_dict()

    def lasting(self, record: Figures) -> bool:
        return not (record.waiting or record.no_html)

    def _want(self, versioned: str) -> tuple[int, tuple[str, ...]]:
        try:
            from ..ids import parse_id

            base = parse_id(versioned).base
        except ValueError:
            return 0, ()
        return self.wants.get(base, (0, ()))

    def _note(self, record: Figures) -> None:
        with self._lock:
            for figure in record.figures:
                for image in figure.images:
                    self._files[image.file] = self.image_key(image.file.rsplit(".", 1)[0])

    def link(self, paper: ArxivId, figure_id: str) -> str:
        base = ARXIV_HTML if self.local else self.url
        fragment = f"#{figure_id}" if _FRAGMENT.fullmatch(figure_id) else ""
        return f"{base}{urllib.parse.quote(str(paper))}{fragment}"

    def make(self, unit: Unit, paper: Paper, inputs: Mapping[str, Any]) -> Figures:
        from ..fulltext import FullText

        text = inputs.get("fulltext")
        count, numbers = self._want(str(unit.paper))
        if not isinstance(text, FullText):
            from .fulltext import FullTextStage

            none = FullTextStage.no_html(self.cache, unit.paper)  # else not read yet: asked again next build
            return Figures(str(unit.paper), "unknown", count=count, numbers=numbers, waiting=not none, no_html=none)
        named = (text.license, paper.license, self.announced.get(paper.id, ""))
        license = next((code for code in named if code and code != "unknown"), "unknown")
        chosen = self._choose(text, count, numbers)
        copy = license in self.licenses
        figures = []
        total = 0
        shared = [f.number for f in text.figures]
        for figure in chosen:
            images: list[CopiedImage] = []
            index = text.figures.index(figure) + 1
            # A number two figures share (a supplement counting from 1 again) does not name an image.
            label = figure.number if shared.count(figure.number) == 1 else ""
            for part, url in enumerate(figure.images if copy else (), start=1):  # its subfigures, bounded by the parser
                stem = image_stem(unit.paper, label, index) + (f"-{part}" if part > 1 else "")
                got = self._image(unit.paper, figure.number, stem, url, MAX_PAPER_BYTES - total)
                if got is not None:
                    total += got[1]
                    images.append(got[0])
            figures.append(ShownFigure(figure.number, figure.caption, self.link(unit.paper, figure.id), tuple(images)))
        record = Figures(str(unit.paper), license, tuple(figures), count, numbers)
        self._note(record)
        return record

    def _choose(self, text: FullText, count: int, numbers: tuple[str, ...]) -> list[Any]:
        from ..fulltext import figures_in_order

        chosen = list(figures_in_order(text, count))
        for number in numbers:
            named = text.figure(number)
            if named is not None and named not in chosen:
                chosen.append(named)
        return chosen

    def _image(self, paper: ArxivId, number: str, stem: str, url: str, room: int) -> tuple[CopiedImage, int] | None:
        """The image, named `stem` and its kind's suffix, and its size in
        bytes: fetched (or from the cache) and checked; `None` when refused
        (said once per cause at the end)."""
        from ..fulltext import image_info
        from ..fulltext.images import MAX_IMAGE_BYTES

        key = self.image_key(stem)
        data = self.cache.get_bytes(key)
        if data is None:
            data = self._fetch(paper, url, MAX_IMAGE_BYTES + 1)
            cause = ""
            if data is None:
                cause = "missing"
            elif image_info(data) is None:
                cause = "too-large" if _looks_large(data) else "not-image"
            elif len(data) > room:
                cause = "paper-bytes"
            if data is None or cause:
                self._refuse(cause, paper, number)
                return None
            self.cache.set_bytes(key, data)
        info = image_info(data)
        if info is None or len(data) > room:
            return None
        return CopiedImage(f"{stem}.{_SUFFIXES[info.kind]}", info.width, info.height), len(data)

    def _refuse(self, cause: str, paper: ArxivId, number: str) -> None:
        with self._lock:
            self._refused.setdefault(cause, []).append(f"{paper} figure {number}")

    def _fetch(self, paper: ArxivId, url: str, most: int) -> bytes | None:
        if self.local:
            folder = (Path(self.url) / str(paper)).resolve()
            try:
                path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path)).resolve()
            except (OSError, ValueError):
                return None
            if folder not in path.parents or not path.is_file():
                return None
            with path.open("rb") as file:
                return file.read(most)
        if self._make_client is None:
            raise StageFailed("offline: figures' images are not fetched")
        from ..fetch import FetchError

        with self._lock:
            client: HtmlClient = self._make_client()
        try:
            return client.get(url, most=most)
        except FetchError as error:
            raise StageFailed(f"an image could not be fetched ({error})") from None

    def finish(self, cache: Cache) -> None:
        """Copy the images of the papers shown into the site, and say once per
        cause which were refused."""
        with self._lock:
            files, self._files = self._files, {}
            refused, self._refused = self._refused, {}
        for cause, figures in sorted(refused.items()):
            self.log(
                f"Figures: {len(figures)} image(s) {REFUSED[cause]}; they are linked in the paper's HTML "
                f"instead. Figures: {listed(figures)}."
            )
        if not files or not self.site_dir:
            return
        site = Path(self.site_dir).resolve()
        folder = site / ASSETS
        failed: list[str] = []
        for name, key in sorted(files.items()):
            data = cache.get_bytes(key)
            target = (folder / name).resolve()
            if data is None or target.parent != folder or site not in target.parents:
                continue
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if not target.is_file() or target.stat().st_size != len(data):
                    target.write_bytes(data)
            except OSError as error:  # a full disk, a file where the folder goes: the site is built all the same
                failed.append(f"{name} ({error.strerror or error})")
        if failed:
            self.warn(
                f"Figures: {len(failed)} image(s) could not be copied into {folder}, so their pages show them "
                f"missing: {listed(failed)}."
            )


def _looks_large(data: bytes) -> bool:
    from ..fulltext.images import MAX_IMAGE_BYTES

    return len(data) > MAX_IMAGE_BYTES or data[:8] == b"\x89PNG\r\n\x1a\n" or data[:3] == b"\xff\xd8\xff"


@register("figures")
def _figures(services: Services) -> FiguresStage | None:
    settings = services.settings
    wants = services.figures_wanted
    if not any(count or numbers for count, numbers in wants.values()):
        return None
    options = settings.fulltext
    offline = settings.offline and not options.local
    return FiguresStage(
        services.cache,
        options.url,
        None if offline or options.local else services.html,
        Budget(0 if offline else None, options.budget_seconds, ("offline", "fulltext_budget_seconds")),
        {base: want for base, want in wants.items() if want[0] or want[1]},
        options.figure_licenses,
        settings.site_dir,
        services.announced_licenses,
        services.pool("figures", 1),
        services.info,
        services.warn,
    )

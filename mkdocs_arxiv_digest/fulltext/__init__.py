"""A paper's full text from arXiv's HTML: the parser, its record, and the choices made on it.

How a stage uses it, per paper version:

- `parse(page_bytes, page_url)` gives a `FullText` or a `NoHtml` (with a
  `reason`: `stub`, `fatal`, `little-text`, `not-latexml`, `too-large`,
  `empty`); `page_url` is the URL (or `file://` path) the page was read
  from, which its images' URLs are resolved and checked against.
- `record.to_dict()` is what the cache keeps; `from_dict(data)` gives either
  record back, or `None` for one of another schema.
- `figures_in_order(record, count, number)` names the figures to copy, the
  main one first (`main_figure`); each `Figure.images` URL is on the page's
  host under its folder, and `image_info(data)` checks the bytes fetched
  from it (PNG, JPEG, GIF or WebP, sizes bounded) before they are kept.
- `record.license` (`LICENSES` or `unknown`) decides between copying a
  figure and linking to `{page_url}#{figure.id}`; `license_code` reads the
  same codes from the feed's `dc:rights` or the snapshot's licence URL.
- `excerpt(record, tokens)` is the text a model reads.

Nothing here is imported at build time unless full text is on; lxml is
imported by `parse` when it first runs."""

from .excerpt import estimate_tokens, excerpt, figures_in_order, main_figure
from .images import ImageInfo, image_info
from .links import code_link, license_code
from .parse import parse
from .record import LICENSES, Author, CodeLink, Figure, FullText, NoHtml, Section, Table, from_dict

__all__ = [
    "LICENSES",
    "Author",
    "CodeLink",
    "Figure",
    "FullText",
    "ImageInfo",
    "NoHtml",
    "Section",
    "Table",
    "code_link",
    "estimate_tokens",
    "excerpt",
    "figures_in_order",
    "from_dict",
    "image_info",
    "license_code",
    "main_figure",
    "parse",
]

"""A paper's full text from arXiv's HTML: the parser, its record, and the choices made on it.

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

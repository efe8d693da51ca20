"""An MkDocs plugin that turns arXiv IDs in front matter into paper digests."""

__version__ = "0.2.0"
"""Part of the key of everything the cache keeps that the plugin's code made
(finished digests, parsed front matter): an upgrade shows at once."""

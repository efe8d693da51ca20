"""An MkDocs plugin that turns arXiv IDs in front matter into paper digests."""

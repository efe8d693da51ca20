"""The labelled ranking set keeps the promises its README makes."""

from __future__ import annotations

import ranking_set


def test_each_library_has_a_day_of_at_least_100_readable_candidates() -> None:
    libraries = ranking_set.load()
    assert {lib.split for lib in libraries} == {"dev", "heldout"}
    assert len({lib.name for lib in libraries if lib.split == "dev"}) >= 2
    for lib in libraries:
        assert len(lib.candidates) >= 100, lib.name
        assert all(c.abstract for c in lib.candidates + lib.papers), lib.name
        assert len({c.ref for c in lib.candidates}) == len(lib.candidates), lib.name
        # A library paper is never among its own day's candidates, under its own ref or as
        # a copy of its text elsewhere (CSAbstruct repeats some abstracts across its files).
        assert not {p.ref for p in lib.papers} & {c.ref for c in lib.candidates}, lib.name
        assert not {p.abstract for p in lib.papers} & {c.abstract for c in lib.candidates}, lib.name
        # Nor is a day's paper announced twice.
        assert len({c.abstract for c in lib.candidates}) == len(lib.candidates), lib.name
        # Some, not most, of a day is relevant: a ranking has something to find and a
        # random pick does not find it by itself.
        assert 5 <= len(lib.relevant) <= len(lib.candidates) // 4, lib.name


def test_the_keyword_filter_is_fooled_on_each_day() -> None:
    """The topics share words with the rest of their day: each library's own keywords
    keep papers its labeller marked irrelevant."""
    for lib in ranking_set.load():
        kept = [
            c for c in lib.candidates if any(word in f"{c.title}\n{c.abstract}".casefold() for word in lib.keywords)
        ]
        wrong = [c for c in kept if c.ref not in lib.relevant]
        assert len(wrong) >= 3, lib.name

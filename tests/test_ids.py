"""Identifiers as people write them."""

from __future__ import annotations

import pytest

from mkdocs_arxiv_digest.frontmatter import parse_spec, read_front_matter
from mkdocs_arxiv_digest.ids import ArxivId, parse_id


@pytest.mark.parametrize(
    ("written", "base", "version"),
    [
        ("2403.10045", "2403.10045", None),
        ("0704.0001", "0704.0001", None),
        ("2403.10045v2", "2403.10045", 2),
        ("hep-th/9901001", "hep-th/9901001", None),
        ("math.GT/0309136", "math/0309136", None),
        ("quant-ph/0201082v1", "quant-ph/0201082", 1),
        ("arXiv:2302.14368v2", "2302.14368", 2),
        ("ARXIV: 2302.14368", "2302.14368", None),
        ("https://arxiv.org/abs/astro-ph/0601001", "astro-ph/0601001", None),
        ("https://arxiv.org/pdf/2403.10045v2.pdf", "2403.10045", 2),
        ("https://arxiv.org/pdf/2403.10045", "2403.10045", None),
        ("http://export.arxiv.org/abs/2403.10045v1/", "2403.10045", 1),
        ("https://www.arxiv.org/html/2403.10045v3#S2", "2403.10045", 3),
        ("  2403.10045 ", "2403.10045", None),
    ],
)
def test_accepted_forms(written: str, base: str, version: int | None) -> None:
    assert parse_id(written) == ArxivId(base, version)


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("abc", "not an arXiv identifier"),
        ("12345", "not an arXiv identifier"),
        ("2403.1004", "five digits"),
        ("0704.00001", "four digits"),
        ("2413.10045", "month 13"),
        ("", "empty"),
        ("2403. 10045", "not an arXiv identifier"),
        ("foo/9901001", "'foo' is not an arXiv archive"),
        ("https://example.org/abs/2403.10045", "not an arXiv URL"),
        ("2403.10045v0", "v1"),
    ],
)
def test_rejected_forms_say_why(written: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_id(written)


def test_front_matter_keeps_numbers_as_written() -> None:
    meta = read_front_matter("---\narxiv: [2310.10040, 0704.0001, 1e5]\nn: 3\n---\nbody\n")
    assert meta["arxiv"] == ["2310.10040", "0704.0001", "1e5"]


def test_spec_collapses_duplicates_keeps_order_and_collects_problems() -> None:
    spec = parse_spec(
        ["2403.10045", "arXiv:2403.10045", "hep-th/9901001", "abc", None, {"id": "2403.10045v2", "tldr": "x"}, [1]]
    )
    assert [str(i) for i in spec.ids] == ["2403.10045", "hep-th/9901001", "2403.10045v2"]
    assert spec.entries[2].overrides == {"tldr": "x"}
    assert len(spec.problems) == 3
    assert "'abc'" in spec.problems[0] and "empty" in spec.problems[1] and "nested" in spec.problems[2]


def test_spec_mapping_form_and_single_string() -> None:
    spec = parse_spec({"ids": ["2403.10045"], "language": "zh", "colour": "red"})
    assert spec.ids == [ArxivId("2403.10045")] and spec.options == {"language": "zh"}
    assert "colour" in spec.problems[0]
    assert parse_spec("2403.10045, hep-th/9901001").ids == [ArxivId("2403.10045"), ArxivId("hep-th/9901001")]
    assert parse_spec({"language": "zh"}).problems == [
        "the mapping form needs an `ids:` list (or `listing:` or `query:`)"
    ]


def test_a_frozen_pages_source_gives_where_its_papers_came_from_and_its_cross_lists() -> None:
    spec = parse_spec(
        {
            "ids": ["2401.13001v1", "2401.13002v1"],
            "source": {"listing": "cs.CV", "announced": "2024-01-25", "cross_listed": ["2401.13002v1", "nonsense", 7]},
        }
    )
    assert spec.provenance is not None
    assert (spec.provenance.kind, spec.provenance.request, spec.provenance.announced) == (
        "listing",
        "cs.CV",
        "2024-01-25",
    )
    assert spec.provenance.cross_lists == {ArxivId("2401.13002", 1)}
    assert [p.split(":")[:3] for p in spec.problems] == [
        ["source", " cross_listed", " 'nonsense'"],
        ["source", " cross_listed", " 7"],
    ]
    assert parse_spec({"ids": ["2401.13001v1"]}).provenance is None


@pytest.mark.parametrize(("written", "fallback"), [({"listing": "cs.CV"}, "no limit"), ({"query": "abs:x"}, "25")])
def test_a_count_in_digits_int_cannot_read_is_a_warning_not_a_crash(written: dict[str, str], fallback: str) -> None:
    # "²" is a digit to str.isdigit(), but not a number int() reads.
    spec = parse_spec({**written, "max": "²", "keywords": "diffusion"})
    assert spec.problems == [f"max '²' is not a whole number from 1 to 2000; using {fallback}"]
    assert spec.source is not None and spec.source.keywords == ("diffusion",)
    assert parse_spec({**written, "max": "٣"}).source.max == 3, "digits int() reads are a number"  # type: ignore[union-attr]

"""The offline summarizer picks the sentences that state the contribution."""

from __future__ import annotations

from mkdocs_arxiv_digest.records import Paper
from mkdocs_arxiv_digest.summarize.extractive import ExtractiveSummarizer, sentences

ABSTRACT = (
    "Dataset distillation has recently attracted attention, e.g. for saving compute. "
    "However, robustness of distilled data remains unexplored. "
    "In this paper, we propose a curvature regularization method that embeds adversarial robustness into distilled datasets. "
    "Experiments show that our method outperforms standard adversarial training by 3.5% at a fraction of the cost. "
    "Code is available at https://github.com/example/repo."
)


def test_sentences_keep_abbreviations_and_decimals_whole() -> None:
    found = sentences(ABSTRACT)
    assert len(found) == 5
    assert found[0].endswith("e.g. for saving compute.")
    assert "3.5%" in found[3]


def test_tldr_is_the_contribution_and_takeaways_are_in_order() -> None:
    paper = Paper(id="2403.10045", version=1, title="T", abstract=ABSTRACT)
    summary = ExtractiveSummarizer().summarize(paper, "en")
    assert summary.tldr.startswith("In this paper, we propose")
    assert 3 <= len(summary.takeaways) <= 5
    assert all(t in ABSTRACT for t in summary.takeaways)
    positions = [ABSTRACT.index(t) for t in summary.takeaways]
    assert positions == sorted(positions)
    assert not any("github" in t for t in summary.takeaways)


def test_short_and_empty_abstracts() -> None:
    short = ExtractiveSummarizer().summarize(
        Paper(id="1", version=1, title="", abstract="We show a thing works well here."), "en"
    )
    assert short.tldr == "We show a thing works well here." and short.takeaways == (short.tldr,)
    assert ExtractiveSummarizer().summarize(Paper(id="1", version=1, title="", abstract=""), "en").tldr == ""

"""Reading what models answer: fences, prose, TeX backslashes, missing fields."""

from __future__ import annotations

import json

import pytest

from mkdocs_arxiv_digest.records import Paper
from mkdocs_arxiv_digest.summarize.llm import build_messages, parse_answer, summary_from_answer

PAPER = Paper(
    id="2403.10045",
    version=2,
    title="Towards Robust Distillation",
    abstract="We propose X. It improves Y by 3%.",
    authors=("A. One", "B. Two"),
    comment="24 pages, 8 figures",
    primary_category="cs.LG",
)
ANSWER = {
    "title": "迈向鲁棒蒸馏",
    "tldr": "提出X。",
    "tldr_en": "Proposes X.",
    "abstract": "我们提出X。",
    "takeaways": ["a", "b", "c"],
}


@pytest.mark.parametrize(
    "content",
    [
        json.dumps(ANSWER, ensure_ascii=False),
        "```json\n" + json.dumps(ANSWER, ensure_ascii=False) + "\n```",
        "Here is the summary you asked for:\n\n" + json.dumps(ANSWER, ensure_ascii=False) + "\n\nLet me know!",
        "```\n" + json.dumps(ANSWER, ensure_ascii=False, indent=2) + "\n```",
    ],
)
def test_json_is_found_bare_fenced_or_in_prose(content: str) -> None:
    assert parse_answer(content) == ANSWER


def test_newlines_before_words_stay_newlines() -> None:
    assert parse_answer(r'{"tldr": "one\nthe other\tthen\rrest"}')["tldr"] == "one\nthe other\tthen\rrest"


def test_tex_backslashes_survive() -> None:
    content = r'{"tldr": "Bounds $\alpha$, $\frac{1}{2}$, $\beta$, $\nabla f$, $\theta$ and $\\gamma$.\nNext \u00e9"}'
    assert (
        parse_answer(content)["tldr"]
        == "Bounds $\\alpha$, $\\frac{1}{2}$, $\\beta$, $\\nabla f$, $\\theta$ and $\\gamma$.\nNext é"
    )


@pytest.mark.parametrize("content", ["no json here", '{"tldr": "cut off in the mid', "[1, 2]", ""])
def test_unusable_answers_raise(content: str) -> None:
    with pytest.raises(ValueError):
        parse_answer(content)


def test_fields_are_checked_and_english_keeps_the_originals() -> None:
    zh = summary_from_answer({**ANSWER, "takeaways": [f"t{i}" for i in range(10)], "keywords": "one"}, PAPER, "zh", "m")
    assert zh.title == "迈向鲁棒蒸馏" and zh.abstract == "我们提出X。" and zh.tldr_en == "Proposes X."
    assert len(zh.takeaways) == 7 and zh.keywords == ("one",)
    assert zh.backend == "m" and zh.prompt_version >= 1 and zh.created
    en = summary_from_answer(
        {"tldr": "Proposes X.", "title": "Towards robust distillation!", "abstract": "Shortened."}, PAPER, "en", "m"
    )
    assert en.title == "" and en.abstract == "" and en.tldr_en == "Proposes X."
    with pytest.raises(ValueError, match="tldr"):
        summary_from_answer({"title": "x", "tldr": 3}, PAPER, "zh", "m")


def test_the_prompt_gives_the_model_the_whole_paper() -> None:
    system, user = build_messages(PAPER, "zh")
    assert "Never invent numbers" in system["content"]
    for text in (
        "arXiv ID: 2403.10045v2",
        "Title: Towards Robust Distillation",
        "A. One, B. Two",
        "24 pages",
        PAPER.abstract,
    ):
        assert text in user["content"]
    assert "Simplified Chinese" in user["content"]


@pytest.mark.parametrize(
    ("answer", "language"),
    [
        ({"id": "2403.10046", "tldr": "About another paper."}, "zh"),
        ({"id": "hep-th/9901001", "tldr": "About another paper."}, "en"),
        ({"tldr": "Same id, other title.", "title": "Quantum gravity in six dimensions"}, "en"),
    ],
)
def test_answers_about_another_paper_are_refused(answer: dict[str, str], language: str) -> None:
    with pytest.raises(ValueError, match=r"another paper|not this paper"):
        summary_from_answer(answer, PAPER, language, "m")


def test_the_id_may_come_back_with_prefix_or_version() -> None:
    for answered in ("2403.10045", "arXiv:2403.10045v2", "2403.10045v1", "arXiv-2403.10045v2", "arxiv 2403.10045"):
        assert summary_from_answer({"id": answered, "tldr": "Fine."}, PAPER, "zh", "m").tldr == "Fine."

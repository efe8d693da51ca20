"""`mkdocs-arxiv-digest daily --rank library`: the day's papers ranked against
the site's reading lists, the ranked list frozen with each paper's score and
the reading-list paper it is like, and later builds showing it as frozen."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from conftest import Site, announced
from fake_arxiv import FakeArxiv
from fake_feed import FakeFeed, FeedItem
from fake_openai import FakeOpenAI
from mkdocs_arxiv_digest.cli import main

DAY = dt.date(2024, 1, 25)
TESTING, GRAPHS = "2611.00101", "2611.00102"
"""The site's reading list: sequential testing with e-values, and graph neural networks for molecules."""
READING = {
    TESTING: (
        "Sequential hypothesis testing with e-values",
        "We study anytime-valid sequential hypothesis tests built from e-values and test martingales. "
        "Betting on the data gives e-processes whose type-I error is controlled at every stopping time.",
    ),
    GRAPHS: (
        "Message passing graph neural networks for molecules",
        "Graph neural networks pass messages along the bonds of a molecular graph. We predict molecular "
        "properties with equivariant message passing and compare graph neural network architectures.",
    ),
}
ITEMS = [
    FeedItem("2401.13001v1", "new", "Sorting networks revisited", "We build faster sorting networks for GPUs."),
    FeedItem(
        "2401.13002v1",
        "new",
        "Anytime-valid sequential tests by betting",
        "Sequential hypothesis tests from test martingales and e-values, valid at any stopping time, by betting.",
    ),
    FeedItem("2401.13003v1", "new", "A survey of image diffusion", "Diffusion models for images, surveyed."),
    FeedItem(
        "2401.13004v1",
        "new",
        "Equivariant graph neural networks for molecular dynamics",
        "Message passing graph neural networks that are equivariant predict molecular forces and properties.",
    ),
    FeedItem("2401.13005v1", "new", "Quantum error correction codes", "Surface codes correct qubit errors."),
    FeedItem(
        "2401.13006v1",
        "new",
        "E-values for multiple hypothesis testing",
        "Multiple hypothesis testing with e-values controls the false discovery rate of sequential tests.",
    ),
]
TOPIC = {"2401.13002v1": TESTING, "2401.13006v1": TESTING, "2401.13004v1": GRAPHS}
"""The papers of the day on a reading list's subject, and the reading-list paper each is like."""


@pytest.fixture(scope="module")
def _own_api() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        yield server


@pytest.fixture
def arxiv_api(_own_api: FakeArxiv) -> FakeArxiv:
    """A fake arXiv of this module's own: the papers it adds (on testing) would
    be found by the other modules' searches for "testing" in the shared one."""
    _own_api.reset()
    return _own_api


@pytest.fixture
def site(tmp_path: Path, arxiv_api: FakeArxiv) -> Site:
    return Site(tmp_path, arxiv_api.url)


@pytest.fixture
def ranked_site(site: Site, feed: FakeFeed, arxiv_api: FakeArxiv) -> Site:
    for arxiv_id, (title, abstract) in READING.items():
        arxiv_api.add_paper(arxiv_id, title=title, summary=abstract)
    site.page("reading.md", list(READING))
    feed.today = DAY
    return announced(site, feed, arxiv_api, {DAY: ITEMS})


def run(site: Site, *args: str) -> int:
    return main(["daily", "-f", str(site.root / "mkdocs.yml"), *args])


def front(site: Site) -> dict[str, object]:
    text = (site.docs / "daily" / f"{DAY}.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def shown(html: str) -> list[str]:
    """The IDs of a page's table, in its order."""
    return [anchor.removeprefix("arxiv-") for anchor in re.findall(r'<td><a href="#([^"]+)"', html)]


LIKE = re.compile(r'<strong>Like</strong>: <a href="([^"]+)">([^<]+)</a> · score (\d\.\d\d)')


def test_a_ranked_day_freezes_its_order_scores_and_likes_and_later_builds_keep_them(
    ranked_site: Site, arxiv_api: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    site = ranked_site
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--max", "3") == 0
    said = capsys.readouterr().out
    assert "cs.CV, 2024-01-25: 3 new and 0 updated paper(s), ranked against 2 reading-list paper(s), written" in said

    # The three papers on the reading list's subjects, most like it first, each with its like and score.
    arxiv = front(site)["arxiv"]
    ids = arxiv["ids"]  # type: ignore[index]
    assert {entry["id"] for entry in ids} == set(TOPIC)
    assert {entry["id"]: entry["like"] for entry in ids} == TOPIC
    scores = [entry["score"] for entry in ids]
    assert scores == sorted(scores, reverse=True) and all(0 < score <= 1 for score in scores)
    assert arxiv["source"] == {"listing": "cs.CV", "rank": "library", "announced": "2024-01-25"}  # type: ignore[index]
    page = site.docs / "daily" / f"{DAY}.md"
    written = page.read_bytes()
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--max", "3") == 0
    assert page.read_bytes() == written, "a rerun on the same day writes the same page"

    site.configure(**site.options, json=True, feed=True)
    site.extra = {"site_url": "https://example.org/"}
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    html = site.content(f"daily/{DAY}.md")
    order = [entry["id"] for entry in ids]
    assert shown(html) == [arxiv_id.replace(".", "-") for arxiv_id in order]
    likes = LIKE.findall(html)
    assert [(link, title, float(score)) for link, title, score in likes] == [
        (f"../../reading/#arxiv-{TOPIC[arxiv_id].replace('.', '-')}", READING[TOPIC[arxiv_id]][0], score)
        for arxiv_id, score in zip(order, scores, strict=True)
    ]

    # The reading lists change: the testing paper moves to another page, the graphs paper leaves the
    # site. The day keeps its order and scores; its likes lead to where the papers stand now.
    site.page("reading.md", None, "# Reading\n\nNothing yet.\n")
    site.page("lists/testing.md", [TESTING])
    before = len(arxiv_api.requests)
    site.configure(**site.options, offline=True)
    again = site.build(strict=True)
    assert again.error is None, again.warnings
    assert len(arxiv_api.requests) == before, "from the cache"
    html = site.content(f"daily/{DAY}.md")
    assert shown(html) == [arxiv_id.replace(".", "-") for arxiv_id in order]
    where = {
        TESTING: "../../lists/testing/#arxiv-2611-00101",
        GRAPHS: f"https://arxiv.org/abs/{GRAPHS}",  # on no reading list: its abstract on arXiv
    }
    assert [(link, title, float(score)) for link, title, score in LIKE.findall(html)] == [
        (where[TOPIC[arxiv_id]], READING[TOPIC[arxiv_id]][0], score)
        for arxiv_id, score in zip(order, scores, strict=True)
    ]
    # The JSON file and the feed say the same.
    papers = json.loads((site.root / "site" / "daily" / f"{DAY}.json").read_text(encoding="utf-8"))["papers"]
    assert [paper["like"] for paper in papers] == [
        {
            "id": TOPIC[arxiv_id],
            "title": READING[TOPIC[arxiv_id]][0],
            "page": "lists/testing.md" if TOPIC[arxiv_id] == TESTING else None,
            "anchor": "arxiv-2611-00101" if TOPIC[arxiv_id] == TESTING else None,
            "score": score,
        }
        for arxiv_id, score in zip(order, scores, strict=True)
    ]
    tree = etree.fromstring((site.root / "site" / "feed.xml").read_bytes())
    atom, digest = "{http://www.w3.org/2005/Atom}", "{urn:mkdocs-arxiv-digest:feed}"
    found = {}
    for entry in tree.iter(f"{atom}entry"):
        arxiv_id = entry.findtext(f"{atom}id").rsplit("/", 1)[1]  # type: ignore[union-attr]
        found[arxiv_id] = [(like.attrib, like.text) for like in entry.iter(f"{digest}like")]
    links = {TESTING: "https://example.org/lists/testing/#arxiv-2611-00101", GRAPHS: where[GRAPHS]}
    assert {arxiv_id: likes for arxiv_id, likes in found.items() if arxiv_id in TOPIC} == {
        arxiv_id: [
            (
                {"arxiv": TOPIC[arxiv_id], "score": f"{score:.2f}", "href": links[TOPIC[arxiv_id]]},
                READING[TOPIC[arxiv_id]][0],
            )
        ]
        for arxiv_id, score in zip(order, scores, strict=True)
    }
    assert found[f"{TESTING}v1"] == [], "the papers of a reading list are not ranked"


def test_a_query_ranks_its_candidates_and_min_score_leaves_out_weak_matches(
    ranked_site: Site, arxiv_api: FakeArxiv
) -> None:
    site = ranked_site
    assert run(site, "--query", "all:testing", "--rank", "library", "--candidates", "60", "--min-score", "0.05") == 0
    searches = [r.params for r in arxiv_api.requests if r.params.get("search_query")]
    assert [params["max_results"] for params in searches] == ["60"]
    (page,) = [path for path in (site.docs / "daily").iterdir() if path.name != "index.md"]
    arxiv = yaml.safe_load(page.read_text(encoding="utf-8").split("---\n")[1])["arxiv"]
    assert arxiv["source"]["rank"] == "library" and arxiv["source"]["min_score"] == 0.05
    scores = [entry["score"] for entry in arxiv["ids"]]
    assert 0 < len(scores) < 60 and min(scores) >= 0.05
    assert scores == sorted(scores, reverse=True)


def test_ranking_without_reading_lists_writes_nothing_and_says_why(
    site: Site, feed: FakeFeed, arxiv_api: FakeArxiv, capsys: pytest.CaptureFixture[str]
) -> None:
    feed.today = DAY
    announced(site, feed, arxiv_api, {DAY: ITEMS})
    # A page `daily` wrote is not a reading list.
    site.page("daily/2024-01-24.md", {"ids": ["2401.12001v1"], "source": {"listing": "cs.CV"}}, date="2024-01-24")
    assert run(site, "--listing", "cs.CV", "--rank", "library") == 1
    assert "--rank library: the site's reading lists (its pages with `ids:`" in capsys.readouterr().err
    assert not (site.docs / "daily" / f"{DAY}.md").exists()
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--min-score", "2") == 1
    assert "--min-score 2 is not a number from 0 to 1" in capsys.readouterr().err


def test_a_hand_edited_like_that_is_not_one_is_a_warning_and_the_paper_is_still_shown(
    ranked_site: Site,
) -> None:
    site = ranked_site
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--max", "2") == 0
    page = site.docs / "daily" / f"{DAY}.md"
    text = page.read_text(encoding="utf-8")
    first = re.search(r"like: '?([0-9.]+)'?", text)
    assert first is not None
    page.write_text(text.replace(first.group(0), "like: not an id", 1), encoding="utf-8")
    result = site.build()
    assert result.error is None
    assert any("like 'not an id' and score" in warning for warning in result.warnings), result.warnings
    html = site.content(f"daily/{DAY}.md")
    assert len(shown(html)) == 2 and len(LIKE.findall(html)) == 1


BIB = """\
@misc{sequential,
  title = {Sequential hypothesis testing with e-values},
  abstract = {We study anytime-valid sequential hypothesis tests built from e-values and test martingales.
    Betting on the data gives e-processes whose type-I error is controlled at every stopping time.},
  year = {2024},
}

@misc{graphs,
  title = {Message passing graph neural networks for molecules},
  url = {http://arxiv.org/abs/2611.00102},
  publisher = {arXiv},
  abstract = {Graph neural networks pass messages along the bonds of a molecular graph.},
  year = {2024},
}
"""


def test_a_day_ranked_against_a_library_file_freezes_a_paper_without_an_id_by_its_title(
    ranked_site: Site,
) -> None:
    site = ranked_site
    (site.root / "refs.bib").write_text(BIB, encoding="utf-8")
    site.configure(**site.options, library=["refs.bib"], feed=True)
    site.extra = {"site_url": "https://example.org/"}
    site.write_config()
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--max", "3") == 0
    ids = front(site)["arxiv"]["ids"]  # type: ignore[index]
    testing = READING[TESTING][0]
    assert {entry["id"]: entry.get("like") or entry.get("like_title") for entry in ids} == {
        arxiv_id: testing if like == TESTING else like for arxiv_id, like in TOPIC.items()
    }

    result = site.build(strict=True)
    assert result.error is None, result.warnings
    html = site.content(f"daily/{DAY}.md")
    assert html.count(f"<strong>Like</strong>: {testing} · score ") == 2  # no page, no arXiv ID: no link
    assert html.count(f'<strong>Like</strong>: <a href="https://arxiv.org/abs/{GRAPHS}">') == 1
    tree = etree.fromstring((site.root / "site" / "feed.xml").read_bytes())
    likes = {like.text: like.attrib for like in tree.iter("{urn:mkdocs-arxiv-digest:feed}like")}
    assert set(likes[testing]) == {"score"}
    assert likes[READING[GRAPHS][0]]["href"] == f"https://arxiv.org/abs/{GRAPHS}"


def test_a_day_is_ranked_by_rank_models_embeddings_and_by_words_when_the_server_fails(
    ranked_site: Site, model: FakeOpenAI, capsys: pytest.CaptureFixture[str]
) -> None:
    """With `rank_model`, `daily --rank library` ranks as a build does: by the
    model's vectors (here an order the words would not give: sorting networks and
    quantum codes beside the reading list on testing), each text embedded once;
    a server that fails leaves the day ranked by its words, with one warning on
    the error output."""
    near = {"Sorting networks revisited", "Quantum error correction codes", READING[TESTING][0]}
    model.embedder = lambda text: [1.0, 0.1, 0.0] if text.split("\n\n", 1)[0] in near else [0.0, 0.2, 1.0]
    site = ranked_site
    rank_model = {"base_url": model.url, "model": "fake-embed", "api_key_env": "ARXIV_DIGEST_TEST_KEY", "retries": 0}
    site.configure(**site.options, rank_model=rank_model)
    site.write_config()
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--max", "2") == 0
    assert "warning" not in capsys.readouterr().err
    ids = front(site)["arxiv"]["ids"]  # type: ignore[index]
    assert {entry["id"] for entry in ids} == {"2401.13001v1", "2401.13005v1"}
    assert all(entry["like"] == TESTING and entry["score"] > 0.5 for entry in ids), ids
    assert sorted(model.embedded) == sorted(set(model.embedded)) and len(model.embedded) == len(ITEMS) + 2

    (site.docs / "daily" / f"{DAY}.md").unlink()
    site.configure(**{**site.options, "rank_model": {**rank_model, "model": "another"}})
    site.write_config()
    model.fail(status=500)
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--max", "3") == 0
    (warning,) = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert "warning: the embedding model 'another'" in warning and "HTTP 500" in warning, warning
    assert {entry["id"] for entry in front(site)["arxiv"]["ids"]} == set(TOPIC)  # type: ignore[index]


def test_a_rerun_of_the_same_day_keeps_the_frozen_likes_and_adds_the_rest_ranked(ranked_site: Site) -> None:
    site = ranked_site
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--max", "2") == 0
    first = front(site)["arxiv"]["ids"]  # type: ignore[index]
    page = site.docs / "daily" / f"{DAY}.md"
    page.write_text(page.read_text(encoding="utf-8").replace("score:", "tldr: Mine.\n    score:", 1), "utf-8")
    assert run(site, "--listing", "cs.CV", "--rank", "library", "--max", "3") == 0
    ids = front(site)["arxiv"]["ids"]  # type: ignore[index]
    assert ids[:2] == [{**first[0], "tldr": "Mine."}, first[1]] and len(ids) == 3
    assert {entry["id"] for entry in ids} == set(TOPIC) and ids[2]["like"] == TOPIC[ids[2]["id"]]
    result = site.build(strict=True)
    assert result.error is None, result.warnings
    assert len(LIKE.findall(site.content(f"daily/{DAY}.md"))) == 3


def test_a_day_the_keywords_cut_to_a_few_papers_on_the_subject_is_still_ranked(
    ranked_site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--keyword e-values` keeps two papers, both on the reading list's subject:
    with the two reading-list papers, the subject's words are in most of the
    four, and they must still count (they weighed nothing: nothing was written)."""
    site = ranked_site
    assert run(site, "--listing", "cs.CV", "--keyword", "e-values", "--rank", "library") == 0
    assert "2 new and 0 updated paper(s), ranked against 2 reading-list paper(s)" in capsys.readouterr().out
    ids = front(site)["arxiv"]["ids"]  # type: ignore[index]
    assert {entry["id"] for entry in ids} == {"2401.13002v1", "2401.13006v1"}
    assert all(entry["like"] == TESTING and 0 < entry["score"] <= 1 for entry in ids), ids

"""Bad front matter and bad configuration: the site builds, the warning names the
page and the value, `--strict` fails; a bad option stops the build and says which."""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort

from conftest import ORDINARY_RECORD, Site, ids_requested
from fake_arxiv import FakeArxiv

GOOD = ["1605.08386", "1707.08567"]  # papers the fake arXiv knows


def rendered(content: str) -> set[str]:
    """The papers a page shows (without version), by the arXiv abstract links in its digest."""
    return {re.sub(r"v\d+$", "", i) for i in re.findall(r'href="https://arxiv\.org/abs/([^"#?]+)"', content)}


def page_warnings(result_warnings: list[str], page: str) -> list[str]:
    return [w for w in result_warnings if f"'{page}'" in w]


# (front matter of bad.md, what the warning must quote, papers bad.md still shows)
FRONT_MATTER = {
    "a number, not a list": ("arxiv: 12345\n", "12345", set()),
    "a boolean, not a list": ("arxiv: true\n", "true", set()),
    "a mapping without ids": ("arxiv: {language: zh}\n", "`ids:`", set()),
    "a mapping with an unknown key and no ids": ("arxiv: {title: My reading list}\n", "title", set()),
    "null": ("arxiv: null\n", "null", set()),
    "an empty key": ("arxiv:\n", "null", set()),
    "a nested list": ('arxiv: [["1605.08386"], "1707.08567"]\n', "['1605.08386']", {"1707.08567"}),
    "a deeply nested list": ('arxiv: ["1605.08386", [["1707.08567"]]]\n', "[['1707.08567']]", {"1605.08386"}),
    "a number in a list": ("arxiv: [12345, 1605.08386, 1707.08567]\n", "12345", set(GOOD)),
    "a short decimal in a list": ("arxiv: [1605.08386, 2403.1, 1707.08567]\n", "2403.1", set(GOOD)),
    "null in a list": ("arxiv: [1605.08386, null, 1707.08567]\n", "null", set(GOOD)),
    "a mapping without an id": (
        'arxiv: [{tldr: "Hand-written"}, "1605.08386", "1707.08567"]\n',
        "{'tldr': 'Hand-written'}",
        set(GOOD),
    ),
    "a mapping whose id is a list": ('arxiv: [{id: ["1605.08386"]}, "1707.08567"]\n', "['1605.08386']", {"1707.08567"}),
    "CJK text": ('arxiv: ["論文", "1605.08386", "1707.08567"]\n', "論文", set(GOOD)),
    "another site's URL": (
        'arxiv: ["https://example.com/abs/1605.08386", "1707.08567"]\n',
        "https://example.com/abs/1605.08386",
        {"1707.08567"},
    ),
    "a look-alike of arxiv.org": (
        'arxiv: ["https://arxiv.org.evil.example/abs/1605.08386", "1707.08567"]\n',
        "https://arxiv.org.evil.example/abs/1605.08386",
        {"1707.08567"},
    ),
    "a javascript: URL": ('arxiv: ["javascript:alert(1)", "1707.08567"]\n', "javascript:alert(1)", {"1707.08567"}),
    "an ID with a space before its version": (
        'arxiv: ["1605.08386 v1", "1707.08567"]\n',
        "1605.08386 v1",
        {"1707.08567"},
    ),
    "an ID with a space after its dot": ('arxiv: ["1605. 08386", "1707.08567"]\n', "1605. 08386", {"1707.08567"}),
    # Where the YAML breaks is the value to name.
    "an unterminated quote": ('arxiv: [1605.08386, "1707.08567\n', ("not valid YAML", "line 1, column 21"), set()),
    "a broken indentation": ("arxiv:\n  - 1605.08386\n - 1707.08567\n", ("not valid YAML", "line 3"), set()),
}


@pytest.mark.parametrize("front", FRONT_MATTER.values(), ids=FRONT_MATTER.keys())
def test_bad_front_matter_warns_naming_page_and_value_and_the_rest_builds(
    site: Site, front: tuple[str, str | tuple[str, ...], set[str]]
) -> None:
    text, value, shown = front
    quoted = (value,) if isinstance(value, str) else value
    site.page("bad.md", text, "Body text of the bad page.\n")
    site.page("good.md", GOOD)

    result = site.build()

    assert result.error is None, result.warnings
    named = [w for w in page_warnings(result.warnings, "bad.md") if all(q.lower() in w.lower() for q in quoted)]
    assert named, f"no warning names bad.md and {quoted}: {result.warnings}"
    assert not page_warnings(result.warnings, "good.md"), result.warnings
    assert rendered(site.content("bad.md")) == shown
    assert "Body text of the bad page." in site.content("bad.md")
    assert rendered(site.content("good.md")) == set(GOOD)
    assert site.build(strict=True).error is not None, "--strict must fail on the warning"


def test_full_width_digits_are_never_sent_to_arxiv_as_an_id(site: Site, arxiv_api: FakeArxiv) -> None:
    # An input method left in full-width mode writes ２４０３.１００４５ for 2403.10045: either it is
    # read as that paper, or the warning says it is not an identifier. arXiv is never asked for it.
    site.page("index.md", ["２４０３.１００４５", "1605.08386"])
    result = site.build()
    assert result.error is None
    asked = [arxiv_id for ids in ids_requested(arxiv_api) for arxiv_id in ids]
    assert all(arxiv_id.isascii() for arxiv_id in asked), asked
    assert "2403.10045" in asked, "full-width digits read as the ID they spell"
    warned = [w for w in result.warnings if "２４０３.１００４５" in w]
    assert not any("arXiv has no paper" in w for w in warned), warned


def test_a_thousand_ids_on_one_page_take_one_request_per_hundred_and_all_render(
    site: Site, arxiv_api: FakeArxiv
) -> None:
    ids = [f"2312.{90000 + n}" for n in range(1, 1001)]
    arxiv_api.add_synthetic(ids)
    site.page("index.md", ids)  # batch_size: 100 by default

    result = site.build(strict=True)

    assert result.error is None, result.warnings[:5]
    asked = ids_requested(arxiv_api)
    assert [len(batch) for batch in asked] == [100] * 10
    assert sorted(arxiv_id for batch in asked for arxiv_id in batch) == ids
    content = site.content()
    assert rendered(content) == set(ids)
    assert content.count('<td><a href="#arxiv-2312-9') == 1000  # one table row each
    assert 'id="arxiv-2312-91000"' in content  # the last entry is there too


# Configuration


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"batch_size": "ten"}, "'batch_size'"),
        ({"delay_seconds": "soon"}, "'delay_seconds'"),
        ({"timeout": [1]}, "'timeout'"),
        ({"retries": True}, "'retries'"),
        ({"retries": 2.5}, "'retries'"),
        ({"offline": "yes"}, "'offline'"),
        ({"language": 5}, "'language'"),
        ({"summarizer": "gpt"}, "'summarizer'"),
        ({"cache_dir": 5}, "'cache_dir'"),
        ({"snapshot": ["a.jsonl"]}, "'snapshot'"),
        ({"api_url": 8080}, "'api_url'"),
        ({"llm": "gpt-4o-mini"}, "'llm'"),
        ({"llm": {"concurrency": "many"}}, "'concurrency'"),
        ({"heading_level": 2.5}, "'heading_level'"),
        ({"batch_size": -1}, "'batch_size'"),
        ({"batch_size": 0}, "'batch_size'"),
        ({"delay_seconds": -1}, "'delay_seconds'"),
        ({"timeout": -1}, "'timeout'"),
        ({"retries": -1}, "'retries'"),
        ({"refresh_days": -1}, "'refresh_days'"),
        ({"max_authors": -1}, "'max_authors'"),
        ({"heading_level": 0}, "'heading_level'"),
        ({"llm": {"concurrency": -1}}, "'concurrency'"),
        ({"llm": {"max_summaries": -1}}, "'max_summaries'"),
        ({"llm": {"timeout": -5}}, "'timeout'"),
        pytest.param(
            {"timeout": float("inf")},
            "'timeout'",
            id="timeout-inf",
        ),
        pytest.param(
            {"delay_seconds": float("nan")},
            "'delay_seconds'",
            id="delay_seconds-nan",
        ),
        ({"snapshot": "missing.jsonl"}, ("'snapshot'", "missing.jsonl", "relative to mkdocs.yml")),
        ({"custom_templates": "no-such-folder"}, "'custom_templates'"),
        ({"labels": {"en": {"tl_dr": "In short"}}}, ("'labels'", "tl_dr", "known: ", "tldr")),
        ({"labels": {"en": {"more_authors": "and {count} more"}}}, ("'labels'", "more_authors", "{n}")),
        ({"labels": {"en": {"tldr": True}}}, ("'labels'", "tldr", "quote it")),
        ({"labels": {False: {"tldr": "Kort"}}}, ("'labels'", "False", "quote it, for example 'no'")),
        ({"labels": "zh"}, "'labels'"),
        ({"labels": {"fr": "Résumé"}}, ("'labels'", "'fr'", "mapping")),
        ({"language": "fr"}, ("'language'", "'fr'", "en, zh")),
        ({"language": "fr", "labels": {"de": {"tldr": "Kurz"}}}, ("'language'", "de, en, zh")),
        ({"api_url": "ftp://x"}, ("'api_url'", "ftp://x", "http")),
        ({"api_url": "export.arxiv.org/api/query"}, "'api_url'"),
        ({"api_url": ""}, "'api_url'"),
        ({"llm": {"base_url": "localhost:11434/v1"}}, "'base_url'"),
    ],
)
def test_a_bad_option_stops_the_build_and_names_the_option(
    site: Site, caplog: pytest.LogCaptureFixture, options: dict[str, object], said: str | tuple[str, ...]
) -> None:
    site.page("index.md", GOOD)
    site.configure(**options)
    with caplog.at_level(logging.WARNING, logger="mkdocs"), pytest.raises(Abort):
        site.load()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    parts = (said,) if isinstance(said, str) else said
    assert any(all(part in message for part in parts) for message in errors), errors


@pytest.mark.parametrize(
    ("options", "said"), [({"no_such_option": 1}, "no_such_option"), ({"llm": {"modle": "x"}}, "modle")]
)
def test_an_unknown_option_is_named_and_strict_stops(
    site: Site, caplog: pytest.LogCaptureFixture, options: dict[str, object], said: str
) -> None:
    site.page("index.md", GOOD)
    site.configure(**options)
    with caplog.at_level(logging.WARNING, logger="mkdocs"):
        site.load()
        assert any(said in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING), caplog.text
        caplog.clear()
        with pytest.raises(Abort):
            site.load(strict=True)
    assert said in caplog.text


@pytest.mark.parametrize(
    ("options", "said"),
    [
        # What only the build can see: the site's docs_dir and site_dir, the environment.
        ({"cache_dir": "docs/.cache"}, "'cache_dir'"),
        ({"cache_dir": "site"}, "'cache_dir'"),
        ({"summarizer": "openai", "llm": {"api_key_env": "ARXIV_DIGEST_SURELY_UNSET_VAR"}}, "'llm.api_key_env'"),
    ],
)
def test_an_option_refused_by_the_plugin_stops_the_build_naming_it(
    site: Site, monkeypatch: pytest.MonkeyPatch, options: dict[str, object], said: str
) -> None:
    monkeypatch.delenv("ARXIV_DIGEST_SURELY_UNSET_VAR", raising=False)
    site.page("index.md", GOOD)
    site.configure(**options)
    result = site.build()
    assert result.error is not None
    errors = result.messages(logging.ERROR)
    assert any(said in message for message in errors), errors
    if "api_key_env" in said:
        assert any("ARXIV_DIGEST_SURELY_UNSET_VAR" in message for message in errors), errors
    assert not (site.root / "site" / "index.html").exists()


# arXiv out of reach


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


@pytest.mark.parametrize("server", ["closed_port", "silent_port"])
def test_an_unreachable_api_ends_the_build_in_bounded_time_warning_once(
    tmp_path: Path, request: pytest.FixtureRequest, server: str
) -> None:
    port = request.getfixturevalue(server)
    site = Site(tmp_path, f"http://127.0.0.1:{port}/api/query")
    site.page("index.md", GOOD)
    site.page("more/other.md", ["astro-ph/0601001", "1707.08567"])
    site.configure(timeout=1, retries=0, batch_size=2)  # 2 batches

    started = time.monotonic()
    result = site.build()
    elapsed = time.monotonic() - started

    assert result.error is None
    assert (site.root / "site" / "index.html").is_file()
    assert elapsed < 2 * 1 + 8, f"took {elapsed:.1f} s"  # two 1-second tries, plus the build itself
    # One warning for the build, naming every paper, not one per paper on each page.
    said = [w for w in result.warnings if "could not be reached" in w]
    assert len(said) == 1, result.warnings
    assert said[0].startswith("arxiv-digest: 3 paper(s) not shown (their pages say they are unavailable)")
    assert all(arxiv_id in said[0] for arxiv_id in [*GOOD, "astro-ph/0601001", "1707.08567"])
    assert not page_warnings(result.warnings, "index.md") and not page_warnings(result.warnings, "more/other.md")
    if server == "closed_port":  # (the silent one would take its seconds again)
        assert site.build(strict=True).error is not None


def test_arxiv_down_is_given_up_after_one_batch_not_retried_per_batch(site: Site, arxiv_api: FakeArxiv) -> None:
    site.page(
        "index.md", [*GOOD, "astro-ph/0601001", "cs/0503050", "2409.05654", "2206.10210", "2501.05022", "1912.05434"]
    )
    site.configure(batch_size=2, retries=1, timeout=1)  # 4 batches of 2 tries each
    arxiv_api.fail(close=True, times=100)  # every connection dropped: arXiv is down
    result = site.build()
    assert result.error is None
    assert len(arxiv_api.requests) <= 2 * (1 + 1), "a dead arXiv should not be retried batch after batch"


def test_lone_surrogates_in_a_snapshot_are_dropped_not_a_crash(site: Site) -> None:
    # JSON can write half of a UTF-16 pair (`\ud800`); no UTF-8 file or cache can hold it.
    record = {
        **ORDINARY_RECORD,
        "title": "Broken \ud800text",
        "abstract": "We show \udfffthat halves are dropped. The proof is short.",
        "authors_parsed": [["Doe\ud83d", "Jane", ""]],
        "categories": "cs.DL\udc00 cs.IR",
        "comments": "3 pages\ud800",
    }
    (site.root / "snap.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    site.configure(offline=True, snapshot="snap.jsonl", json=True)
    site.page("index.md", [record["id"]])
    assert site.build(strict=True).error is None
    text = site.content()
    assert "Broken text" in text and "Jane Doe" in text and "3 pages" in text
    assert json.loads((site.root / "site" / "index.json").read_text(encoding="utf-8"))

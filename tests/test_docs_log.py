"""The build log the documentation quotes is the one a build prints.

Convention: every line of `docs/*.md` that starts (after indentation) with a
level, ` -  ` and `arxiv-digest:` is a quoted log line. Each must have the
shape of a line that one of the builds below prints: the same words, with
numbers and quoted names free (a page called 'reading.md' in the docs is
'index.md' here), except that a 0 stays 0: "0 new" is a claim."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from conftest import Build, Site
from fake_openai import FakeOpenAI

DOCS = Path(__file__).parent.parent / "docs"
QUOTED = re.compile(r"^\s*((?:INFO|WARNING|ERROR)\s+-\s+arxiv-digest: .*)$", re.M)
PAPERS = ["0804.0970", "0807.2873", "1005.5383", "1009.3186", "1106.3680", "1201.4869"]
MORE_PAPERS = [*PAPERS, "1202.4527", "1205.1866", "1303.6954", "1306.4664", "1309.0683", "1312.6177"]


def shape(line: str) -> str:
    line = re.sub(r"'[^']*'", "'…'", line)
    line = re.sub(r"\d+(?:\.\d+)*", lambda number: "0" if number.group() == "0" else "N", line)
    return " ".join(line.split())


def printed(result: Build) -> list[str]:
    lines = [f"{logging.getLevelName(r.levelno)} - {r.getMessage()}" for r in result.logs]
    if result.error is not None:
        lines.append(f"ERROR - {result.error}")
    return lines


def quoted_lines() -> dict[str, str]:
    """Each quoted line, by its shape, with where it is quoted."""
    found = {}
    for path in sorted(DOCS.glob("*.md")):
        for match in QUOTED.finditer(path.read_text(encoding="utf-8")):
            found[shape(match.group(1))] = f"{path.name}: {match.group(1)}"
    return found


def test_the_docs_quote_log_lines() -> None:
    quoted = quoted_lines()
    assert len(quoted) >= 15, "the convention still finds the quoted lines"
    assert not [line for line in quoted.values() if "mkdocs_arxiv_digest:" in line]


def test_every_quoted_log_line_is_one_a_build_prints(
    site: Site, model: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines: list[str] = []
    # A first build and the next one; front matter with mistakes.
    site.page("index.md", PAPERS[:3])
    site.page("bad.md", ["1613.00001", "hep-xx/0101001", {"title": "x"}, PAPERS[3]])
    site.page("week.md", {"language": "fr", "ids": PAPERS[4:5]})
    for _ in range(2):
        lines += printed(site.build())
    # Offline, with a snapshot that lacks a paper.
    snapshot = {"id": "2501.00001", "title": "T", "abstract": "A.", "authors_parsed": [["Doe", "J", ""]]}
    snapshot["versions"] = [{"version": "v1", "created": "Wed, 1 Jan 2025 00:00:00 GMT"}]
    (site.root / "snap.jsonl").write_text(json.dumps(snapshot) + "\n")
    site.page("index.md", ["2501.00001", "2310.10040"])
    site.configure(offline=True, snapshot="snap.jsonl")
    lines += printed(site.build())
    # A model with a cap on summaries, from a cold cache until everything is summarized and kept.
    for page in ("bad.md", "week.md"):
        (site.docs / page).unlink()
    site.page("index.md", PAPERS[:3])
    site.page("zh.md", {"language": "zh", "ids": PAPERS[2:5]})
    llm = {"base_url": model.url, "model": "deepseek-chat", "api_key_env": "ARXIV_DIGEST_TEST_KEY"}
    site.configure(summarizer="openai", llm={**llm, "max_summaries": 2, "concurrency": 8}, cache_dir="cold")
    for _ in range(5):
        lines += printed(site.build())
    # Unusable answers.
    site.configure(summarizer="openai", llm={**llm, "concurrency": 1}, cache_dir="cold")
    site.page("index.md", PAPERS[5:], body="Other text.\n")
    (site.docs / "zh.md").unlink()
    model.fail(content="not JSON, sorry", times=3)
    lines += printed(site.build())
    # Under `mkdocs serve`, with a slow model: the build ends while it writes.
    model.latency = 5
    site.configure(summarizer="openai", llm=llm, cache_dir="serve")
    config = site.load()
    config.plugins.on_startup(command="serve", dirty=False)
    lines += printed(site.build(config=config, startup=None))
    config.plugins.on_shutdown()
    model.latency = 0
    # A template that fails, and a key that is not set.
    templates = site.root / "templates"
    templates.mkdir()
    (templates / "digest.md.j2").write_text("{% for item in items %}{{ item.paper.titel }}{% endfor %}\n")
    site.configure(custom_templates="templates")
    lines += printed(site.build())
    # A local model server that is not running.
    site.configure(
        summarizer="openai",
        llm={"base_url": "http://127.0.0.1:9/v1", "model": "qwen2.5:7b", "api_key_env": "", "retries": 0},
        cache_dir="unreachable",
    )
    (templates / "digest.md.j2").unlink()
    site.page("index.md", MORE_PAPERS)
    lines += printed(site.build())
    site.configure(custom_templates="templates")
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    site.configure(summarizer="openai", llm={**llm, "api_key_env": "DEEPSEEK_API_KEY"})
    lines += printed(site.build())
    # A page whose JSON file would be the search index.
    site.page("search/search_index.md", PAPERS[:1])
    site.configure(json=True)
    lines += printed(site.build())

    shapes = {shape(line) for line in lines}
    untrue = [where for line_shape, where in quoted_lines().items() if line_shape not in shapes]
    assert not untrue, "\n".join(["quoted but never printed:", *untrue, "", "printed:", *sorted(shapes)])

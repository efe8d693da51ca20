"""Rank with a model's embeddings (`rank_model`) instead of words.

Each paper's title and abstract are embedded once, through the official `openai`
SDK, by a server that speaks the OpenAI embeddings API; the vector is cached
under the paper's version and the model, so a day costs one embedding per new
paper. Scores have the lexical ranking's shape (see `rank.py`): half the cosine
likeness to the library's recency-weighted mean vector, half the mean of the
likeness to the nearest library papers, each times its paper's recency weight.

Imported only by builds that set `rank_model`; the SDK only when a paper's
embedding is not cached.
"""

from __future__ import annotations

import base64
import importlib.util
import math
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from . import rank
from .settings import RankModelSettings
from .summarize.llm import _deadline_client, _first_line, checked_api_key

MAX_ANSWER_BYTES = 512 * 1024 * 1024
"""The most bytes of one embeddings answer read: a server that answers a chat
model's embeddings one vector per token sends tens of MB for a batch; past this,
the answer is a failure, not read further."""

SCHEMA = 1
"""Bumped when what is embedded (the text) or how a vector is stored changes."""

Vector: TypeAlias = "array[float]"
"""A unit vector of float32 numbers."""


class EmbeddingError(Exception):
    """The server could not give the embeddings; the message says why, on one line."""


def text_of(doc: rank.Document) -> str:
    """What is embedded for a paper: its title, a blank line, its abstract."""
    return f"{doc.title}\n\n{doc.abstract}"


def _unit(values: Sequence[float]) -> Vector | None:
    """The vector scaled to length 1, in float32; `None` for a zero vector."""
    norm = math.sqrt(math.fsum(v * v for v in values))
    return array("f", (v / norm for v in values)) if norm > 0 else None


class Embedder:
    """The `rank_model` server, and the cache of what it embedded."""

    def __init__(self, settings: RankModelSettings) -> None:
        """Raises `ValueError` naming `rank_model.api_key_env` when the key it
        names is missing, `ImportError` without the `openai` or `numpy` package."""
        api_key = checked_api_key("rank_model", settings.api_key_env, settings.api_key)
        for package in ("openai", "numpy"):  # the SDK asks, numpy scores
            try:
                found = importlib.util.find_spec(package) is not None
            except ValueError:  # a module left in sys.modules as None
                found = False
            if not found:
                raise ImportError(f"'rank_model' needs the `{package}` package: pip install 'mkdocs-arxiv-digest[llm]'")
        self.settings = settings
        self.url = settings.base_url.rstrip("/")
        self.key = f"{settings.model}@{self.url}"
        """What the cache keys of this model's embeddings hold."""
        self._api_key = api_key or "no-key"
        self._client: Any = None

    def cache_key(self, versioned_id: str) -> str:
        return f"embedding:{versioned_id}:{self.key}:e{SCHEMA}"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _connect(self) -> Any:
        if self._client is None:
            import openai

            settings = self.settings
            # The summaries' client: `timeout` bounds each request with its whole
            # answer (a server trickling bytes does not hold the build), and an
            # answer is read up to MAX_ANSWER_BYTES only.
            http_client = _deadline_client(
                openai, settings.base_url, settings.timeout, max_bytes=MAX_ANSWER_BYTES, answers="batch of embeddings"
            )
            self._client = openai.OpenAI(
                base_url=settings.base_url,
                api_key=self._api_key,
                timeout=settings.timeout,
                max_retries=settings.retries,
                http_client=http_client,
            )
        return self._client

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One request's embeddings, in the order of `texts`. Raises
        `EmbeddingError` when the server fails or its answer is malformed."""
        client = self._connect()
        openai = sys.modules["openai"]
        try:
            response = client.embeddings.create(model=self.settings.model, input=list(texts), encoding_format="float")
        except openai.APIStatusError as error:
            body = getattr(error, "body", None) or getattr(error, "message", "")
            raise EmbeddingError(f"HTTP {error.status_code}: {_first_line(body)}") from None
        except openai.APITimeoutError:
            raise EmbeddingError(f"no answer within {self.settings.timeout:g} s") from None
        except openai.APIConnectionError as error:
            cause = error.__cause__ or error.__context__
            said = _first_line(cause) if cause is not None else ""
            raise EmbeddingError(f"could not connect{': ' + said if said else ''}") from None
        except (openai.OpenAIError, ValueError, TypeError, AttributeError) as error:
            raise EmbeddingError(f"the answer could not be read ({type(error).__name__})") from None
        return answer_vectors(response, len(texts))

    def vectors(
        self, papers: Sequence[tuple[str, rank.Document]], cache: Any, ask: bool
    ) -> tuple[dict[str, Vector], str]:
        """The unit vectors of `papers` (versioned ID, document), by versioned
        ID: from the cache, the others asked of the server (when `ask`) in
        batches and cached. Also what went wrong (empty when nothing did);
        what was embedded before a failure is kept."""
        found: dict[str, Vector] = {}
        wanted = list(dict.fromkeys(versioned for versioned, _ in papers))
        texts = {versioned: text_of(doc) for versioned, doc in papers}
        with cache.reading_ahead(self.cache_key(versioned) for versioned in wanted):
            for versioned in wanted:
                vector = _stored(cache.get_json(self.cache_key(versioned)))
                if vector is not None:
                    found[versioned] = vector
        if len(lengths := Counter(map(len, found.values()))) > 1:
            # Cached by another model under this name (or written by hand): only the most
            # common length is kept, the others are missing, asked again when `ask`.
            most = lengths.most_common(1)[0][0]
            found = {versioned: vector for versioned, vector in found.items() if len(vector) == most}
        missing = [versioned for versioned in wanted if versioned not in found]
        if not ask:
            return found, ""
        size, start, redone = self.settings.batch_size, 0, False
        while start < len(missing):
            batch = missing[start : start + size]
            start += len(batch)
            try:
                answer = self.embed([texts[versioned] for versioned in batch])
            except EmbeddingError as error:
                return found, str(error)
            stale = [versioned for versioned, vector in found.items() if len(vector) != len(answer[0])]
            if stale and redone:
                return found, f"the server's vectors have {len(answer[0])} numbers, then {len(found[stale[0]])}"
            if stale:
                # The model changed behind its name: what it embedded before is embedded again, once.
                redone = True
                missing += stale
                for versioned in stale:
                    del found[versioned]
            stored = {}
            for versioned, values in zip(batch, answer, strict=True):
                vector = _unit(values)
                if vector is None:
                    return found, "the server answered a vector of zeros"
                found[versioned] = vector
                stored[self.cache_key(versioned)] = {"f32": base64.b64encode(vector.tobytes()).decode("ascii")}
            cache.set_many(stored)
        return found, ""


def answer_vectors(response: Any, count: int) -> list[list[float]]:
    """The vectors of an embeddings answer, in the order of the inputs.
    Raises `EmbeddingError` unless it holds `count` vectors of one length,
    each of finite numbers, their `index`es 0 to `count` - 1. An embedding
    given as one vector per token is their mean (see `_mean`)."""
    data = getattr(response, "data", None)
    if not isinstance(data, list):
        raise EmbeddingError("the answer holds no list of embeddings (`data`)")
    if len(data) != count:
        raise EmbeddingError(f"the answer holds {len(data)} embeddings for {count} texts")
    by_index: dict[int, list[float]] = {}
    for item in data:
        index, values = getattr(item, "index", None), getattr(item, "embedding", None)
        if type(index) is not int or not 0 <= index < count or index in by_index:
            raise EmbeddingError(f"an embedding's index is {index!r}, not one of 0 to {count - 1} once each")
        if not isinstance(values, list) or not values:
            raise EmbeddingError(f"embedding {index} is not a list of numbers")
        if all(isinstance(token, list) for token in values):
            values = _mean(values, index)
        if not all(type(v) in (float, int) and math.isfinite(v) for v in values):
            raise EmbeddingError(f"embedding {index} holds something other than finite numbers")
        by_index[index] = values
    dimensions = {len(values) for values in by_index.values()}
    if len(dimensions) != 1:
        raise EmbeddingError(f"the embeddings are of different lengths ({', '.join(map(str, sorted(dimensions)))})")
    return [by_index[n] for n in range(count)]


def _mean(tokens: list[list[Any]], index: int) -> list[float]:
    """The mean of one vector per token: llama-cpp-python's answer for a model
    whose file names no pooling (a chat model such as SmolLM2)."""
    if len({len(token) for token in tokens}) != 1 or not tokens[0]:
        raise EmbeddingError(f"embedding {index} is a list of vectors of different lengths")
    if not all(type(v) in (float, int) and math.isfinite(v) for token in tokens for v in token):
        raise EmbeddingError(f"embedding {index} holds something other than finite numbers")
    return [math.fsum(column) / len(tokens) for column in zip(*tokens, strict=True)]


def _stored(value: Any) -> Vector | None:
    """A cached vector, or `None` when the row is missing or not one."""
    if not isinstance(value, dict) or not isinstance(value.get("f32"), str):
        return None
    try:
        raw = base64.b64decode(value["f32"], validate=True)
    except ValueError:
        return None
    if not raw or len(raw) % 4:
        return None
    vector = array("f", raw)
    return vector if all(math.isfinite(v) for v in vector) else None


def rank_vectors(
    candidates: Sequence[tuple[str, Vector]], library: Sequence[tuple[rank.Document, Vector]]
) -> list[rank.Ranked]:
    """The candidates (key, unit vector), most like the library (document, unit
    vector) first, scored as `rank.rank` scores words: `PROFILE_SHARE` of the
    cosine to the library's recency-weighted mean vector, the rest the mean of
    the `NEIGHBOURS` best cosines to library papers, each times its paper's
    recency weight; below 0 counts as 0. `nearest`: the library paper of the
    highest cosine, `None` when none is above 0.

    One matrix product with numpy: 300 candidates against 2,000 library papers
    are a few hundred thousand cosines, seconds in plain Python."""
    import numpy as np

    if not candidates:
        return []
    if not library:
        return [rank.Ranked(key, 0.0, None) for key, _ in candidates]
    recency = np.array(rank._recency([doc for doc, _ in library]))
    shelf = np.array([vector for _, vector in library], dtype=np.float64)
    wanted = np.array([vector for _, vector in candidates], dtype=np.float64)
    alike = wanted @ shelf.T
    profile = recency @ shelf
    norm = float(np.linalg.norm(profile))
    central = np.maximum(wanted @ (profile / norm), 0.0) if norm > 0 else np.zeros(len(candidates))
    slots = max(1, min(rank.NEIGHBOURS, len(library)))
    weighted = np.maximum(alike, 0.0) * recency
    best = -np.partition(-weighted, slots - 1, axis=1)[:, :slots]
    scores = rank.PROFILE_SHARE * central + (1 - rank.PROFILE_SHARE) * best.sum(axis=1) / slots
    closest = alike.argmax(axis=1)
    ranked = [
        rank.Ranked(
            key,
            min(1.0, float(score)),
            library[int(near)][0].key if alike[row, near] > 0 else None,
        )
        for row, ((key, _), score, near) in enumerate(zip(candidates, scores, closest, strict=True))
    ]
    order = sorted(range(len(ranked)), key=lambda n: -ranked[n].score)
    return [ranked[n] for n in order]


class EmbeddingRanker:
    """One build's ranking through `rank_model`: pages ranked by words when the
    server fails (said once a build, through `warn`) or, offline, when a paper
    has no cached embedding."""

    def __init__(self, embedder: Embedder, cache: Any, ask: bool, warn: Callable[[str], None]) -> None:
        self.embedder, self.cache, self.ask, self._warn = embedder, cache, ask, warn
        self.failed = ""
        self._lacking_said = False

    def __call__(
        self, candidates: Sequence[tuple[str, rank.Document]], library: Sequence[tuple[str, rank.Document]]
    ) -> list[rank.Ranked]:
        """Rank like `rank.rank`; each paper with its versioned ID first (its embedding's key)."""
        if not candidates:  # the filters kept nothing: no library paper is embedded for it
            return []
        words = [doc for _, doc in candidates], [doc for _, doc in library]
        if self.failed:
            return rank.rank(*words)
        vectors, problem = self.embedder.vectors([*candidates, *library], self.cache, self.ask)
        if problem:
            self.failed = problem
            self._warn(
                f"the embedding model {self.embedder.settings.model!r} at {self.embedder.url} failed: "
                f"{problem}; the pages with `rank: library` are ranked by words in this build"
            )
            return rank.rank(*words)
        lacking = sum(versioned not in vectors for versioned, _ in [*candidates, *library])
        if lacking:
            if not self._lacking_said:
                self._lacking_said = True
                self._warn(
                    f"{lacking} papers have no embedding from {self.embedder.settings.model!r} in the "
                    "cache, and `offline` is on; the pages with `rank: library` are ranked by words in this build "
                    "(a build with `offline` off embeds them)"
                )
            return rank.rank(*words)
        return rank_vectors(
            [(doc.key, vectors[versioned]) for versioned, doc in candidates],
            [(doc, vectors[versioned]) for versioned, doc in library],
        )

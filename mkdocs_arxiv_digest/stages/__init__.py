"""The per-paper stages of a build, behind one small interface, `Stage`.

A stage says what it needs (`needs`: other stages' records), what it stores
under which versioned key (`key`, `load`, `dump`), whether it may run in the
background (`mode`, `background`), and how the build speaks of it (`words`,
`who`); it makes one unit's record (`make`) and says what a page shows while
there is none (`stand_in`). The pipeline does the rest for every stage alike:
planning, budgets (`Budget`), the thread pool, `mkdocs serve`'s background
work, progress lines, and one warning per cause of failure.

The metadata stage (`stages.metadata`) comes first and feeds every other.
Other stages are registered (`register`) with a function that makes them
from the build's services; a new stage is one module and its registration.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, NamedTuple, TypeVar

from mkdocs.exceptions import PluginError

from ..ids import ArxivId
from ..records import SCHEMA, Paper

if TYPE_CHECKING:
    from ..cache import Cache
    from ..services import Services

R = TypeVar("R")

Mode = Literal["worker", "pool", "on demand"]


class StageFailed(Exception):
    """One unit could not be made; the message says why. Failures are grouped
    by their cause: the message without its details in parentheses."""


@dataclass(frozen=True)
class Unit:
    """One piece of a stage's work: a paper at its version, and a language for
    stages that keep one record per language (`Stage.per_language`)."""

    paper: ArxivId
    language: str = ""


@dataclass(frozen=True)
class Budget:
    """How much of a stage's work one build may send (pool stages); the rest is
    left for a later build, and the build's closing line says by which option."""

    most: int | None = None
    """Units sent per build."""
    seconds: float | None = None
    """Seconds from the start of the build after which no unit is sent."""
    options: tuple[str, str] = ("", "")
    """The names of the options that set `most` and `seconds`, as the log says them."""


@dataclass(frozen=True)
class Words:
    """How the build log and its warnings speak of a stage's records."""

    records: str
    """`summaries`: what it makes, in the plural."""
    title: str
    """`Summaries`: the same, starting a line."""
    making: str
    """`Writing`: the planned line's verb."""
    made: str
    """`written`: the progress line's."""
    stand_in: str = ""
    """`the extractive summary`: what pages show in a record's place ('' for nothing)."""


class Outcome(NamedTuple):
    """A unit's record, and why it is not the stage's own when it is not."""

    record: Any
    deferred: bool = False
    """Not made this build: left for a later build by the stage's budget, or
    failed (the pipeline then warns once per cause, at the end). The stand-in
    is shown, and the next build asks again."""
    pending: bool = False
    """Still being made in the background (under `mkdocs serve`): the page
    shows the stand-in, marked, and reloads when it lands."""
    failed: bool = False
    """The stage was asked and failed."""


class Stage(Generic[R]):
    """One kind of record a build makes for each paper (and language)."""

    name: ClassVar[str]
    """`summaries`: the build report's name for it."""
    needs: ClassVar[tuple[str, ...]] = ()
    """The stages whose records `make` reads besides the paper's metadata: a
    unit is made once theirs are; the pipeline orders the stages by it. A
    needed record is waited for while its stage works within its budget, but
    never for a background stage's work under `mkdocs serve`: the unit is
    then made without it (`None`), and `key_for` says whether the record made
    with it, once it lands, is another."""
    per_language: ClassVar[bool] = False
    """One record per language its pages want, rather than one per paper."""
    mode: Mode = "on demand"
    """`worker`: a thread of its own, all units at once (the metadata's batches);
    `pool`: each unit in a thread pool as soon as its paper arrives (a model);
    `on demand`: made on the render thread when a page asks (cheap)."""
    background: bool = False
    """Under `mkdocs serve`, a pool stage's work may outlive the build (when it
    has a `pool` of its own): pages show the stand-in, marked pending, and
    reload when the record lands."""
    pool: Executor | None = None
    """The threads a pool stage works in, kept across `serve`'s rebuilds
    (`Services.pool`); without, the pipeline makes some for the build and waits for them."""
    concurrency: int = 1
    """How many units it works on at once (pool stages)."""
    only: frozenset[str] | None = None
    """The bare IDs of the papers it is made for (those whose pages want it);
    `None`: every paper. Pages ask it for no other paper."""
    budget: Budget = Budget()
    shown: bool = True
    """What it makes is on the pages (templates read it as `item.outputs[name]`):
    its version is part of every page digest's key. A stage whose records only
    feed others is not shown."""
    words: Words
    version: str = ""
    """Everything that changes what it makes (backend, model, prompt, schema)."""
    maker: str = ""
    """What makes the records, for the planned line: `gpt-4o-mini`."""
    who: str = ""
    """What makes the records and where, for warnings: `gpt-4o-mini at http://…`."""

    def key(self, unit: Unit) -> str:
        """The cache key of one unit's record: spelled here, and only here."""
        return f"{self.name}:{unit.paper}:{self.version}:{unit.language}:{SCHEMA}"

    def key_for(self, unit: Unit, inputs: Mapping[str, Any]) -> str:
        """The key of the unit's record made from `inputs` (the records of
        `needs`, `None` for one not had): `key`, unless what a record is made
        from makes it another record, as a summary of a paper's full text is
        not its summary of the abstract. The cache is asked for a unit of a
        stage with `needs` once its inputs are known."""
        return self.key(unit)

    def load(self, data: Any) -> R | None:
        """The record from its JSON; `None` for what this stage does not write."""
        raise NotImplementedError

    def dump(self, record: R) -> Any:
        """The record as JSON."""
        raise NotImplementedError

    def fresh(self, data: Any) -> bool:
        """Whether a stored record is one `load` reads (a pool stage's
        planning asks it of every paper's record on each build): a stage
        whose records are large says so without building them."""
        return self.load(data) is not None

    def make(self, unit: Unit, paper: Paper, inputs: Mapping[str, Any]) -> R:
        """One unit's record; `inputs` holds the records of `needs` (`None`
        for one that could not be had). Raises `StageFailed` saying why not."""
        raise NotImplementedError

    def lasting(self, record: R) -> bool:
        """Whether the record stays (`False`: it is asked for again on a later
        build, as "no HTML" is): a page showing one is made again each build."""
        return True

    def lasts(self, unit: Unit, record: R) -> bool:
        """`lasting`, for the unit the record is of: a record may do for now
        for one unit and not for another."""
        return self.lasting(record)

    def stand_in(self, unit: Unit, paper: Paper) -> R | None:
        """What pages show while the record is pending, deferred or failed (not kept)."""
        return None

    def slot(self) -> AbstractContextManager[Any]:
        """Held while one unit is sent; the budget is checked once it is held."""
        return contextlib.nullcontext()

    def start(self, cache: Cache) -> None:
        """Recall what it learned in an earlier build."""

    def warm_up(self) -> None:
        """Start slow preparations, when papers are being fetched for it."""

    def finish(self, cache: Cache) -> None:
        """Keep what it learned in this build."""


@dataclass
class StageCounts:
    """What one stage did in a build: the build report's `stages[name]`."""

    cached: int = 0
    made: int = 0
    failed: int = 0
    deferred: int = 0
    """Left for a later build by the budget's `most`."""
    over_budget: int = 0
    """Left for a later build by the budget's `seconds`."""
    pending: int = 0
    """Still being made in the background under `mkdocs serve` when the build ended."""
    stage: Stage[Any] | None = field(default=None, repr=False, compare=False)

    def parts(self) -> list[str]:
        """The stage's part of the build's closing line."""
        stage = self.stage
        if stage is None:
            return []
        words, options = stage.words, stage.budget.options
        shown = f"shown with {words.stand_in}" if words.stand_in else "not shown"
        parts = []
        if self.made or self.cached or self.failed:
            failed = f", {self.failed} failed" if self.failed else ""
            parts.append(f"{words.records}: {self.cached} cached, {self.made} new{failed}")
        for left, option in ((self.deferred, options[0]), (self.over_budget, options[1])):
            if left:
                named = "" if parts else f"{words.records}: "  # else it reads as the stage before's
                parts.append(f"{named}{left} left for a later build by '{option}' ({shown})")
        if self.pending:
            parts.append(
                f"{self.pending} {words.records} still being {words.made} in the background "
                f"({shown} until they land; the pages then reload)"
            )
        return parts


def planned(stage: Stage[Any], expected: int) -> str:
    """The log line when a pool stage starts."""
    cap = f", at most {stage.budget.most} this build" if stage.budget.most is not None else ""
    return (
        f"{stage.words.making} up to {expected} {stage.words.records} with {stage.maker}, "
        f"up to {stage.concurrency} at a time{cap}"
    )


def progress(stage: Stage[Any], counts: StageCounts, done: int, total: int) -> str:
    words = stage.words
    return f"{words.title}: {counts.made} {words.made}, {counts.failed} failed, {done} of {total} done"


def failure(stage: Stage[Any], cause: str, papers: list[tuple[str, str]]) -> str:
    """One warning for the units of a stage that failed for one cause:
    `papers` holds (the problem in full, the paper and language) of each."""
    example = papers[0][0]
    detail = f" ({example})" if example != cause else ""
    shown = f"show {stage.words.stand_in}" if stage.words.stand_in else "show nothing instead"
    who = f" from {stage.who}" if stage.who else ""
    return (
        f"{stage.words.title}{who} failed for {len(papers)} paper(s): {cause}{detail}. "
        f"Papers: {listed(paper for _, paper in papers)}. They {shown} and are asked for again on the next build."
    )


def listed(names: Iterable[str]) -> str:
    """Papers named in a warning: the first 8, and how many more."""
    names = sorted(set(names))
    return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def ordered(stages: list[Stage[Any]]) -> list[Stage[Any]]:
    """The stages in an order that makes each after those it needs (and are on)."""
    names = {stage.name for stage in stages}
    done: list[Stage[Any]] = []
    left = list(stages)
    while left:
        ready = [s for s in left if all(n in {d.name for d in done} or n not in names for n in s.needs)]
        if not ready:
            needs = "; ".join(f"{s.name!r} needs {', '.join(map(repr, s.needs))}" for s in left)
            raise PluginError(
                f"arxiv-digest: the registered stages need each other in a circle ({needs}), so none of "
                "them can start. Each stage's `needs` may name only stages that do not need it back: "
                "change the `needs` of the stage that was registered last."
            )
        done += ready
        left = [s for s in left if s not in ready]
    return done


Make = Callable[["Services"], "Stage[Any] | None"]

_REGISTERED: dict[str, Make] = {}


def register(name: str) -> Callable[[Make], Make]:
    """Register a function that makes a stage from the build's services
    (`None` when the site has it off); it runs after the metadata, in the
    order registered. A name registered again replaces the first."""

    def add(make: Make) -> Make:
        _REGISTERED[name] = make
        return make

    return add


def unregister(name: str) -> None:
    _REGISTERED.pop(name, None)


def registered(only: Collection[str] | None = None) -> list[Make]:
    """The makers registered, or those of the names in `only`."""
    return [make for name, make in _REGISTERED.items() if only is None or name in only]


# The stages that come with the plugin register themselves first.
from . import figures, fulltext, summaries  # noqa: E402, F401

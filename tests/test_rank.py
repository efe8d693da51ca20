"""The offline ranker orders a day's papers by their likeness to a library."""

from __future__ import annotations

from datetime import date

from mkdocs_arxiv_digest.rank import Document, rank, stem, terms

GROUP = Document(
    "lib-group",
    "Group testing with pooled samples",
    "Pooled samples find the few infected people in a population with fewer tests; "
    "adaptive group testing designs and their error rates.",
    date(2024, 1, 1),
)
FUZZ = Document(
    "lib-fuzz",
    "Coverage-guided fuzzing of compilers",
    "A fuzzer mutates programs to reach new compiler code; coverage guides the mutations "
    "and finds crashes in optimisation passes.",
    date(2016, 1, 1),
)
FILLER = [
    Document(f"day-{n}", title, abstract)
    for n, (title, abstract) in enumerate(
        [
            ("Stellar winds of hot stars", "Spectra of massive stars measure the winds they lose."),
            ("Graph colouring bounds", "Every planar graph without short cycles has a small colouring."),
            ("Protein folding kinetics", "Folding speeds of small proteins follow their contact order."),
            ("Ocean heat uptake", "Argo floats record how the ocean stores heat in deep layers."),
        ]
    )
]


def test_a_paper_on_a_library_topic_comes_first_and_names_its_nearest_paper() -> None:
    pooled = Document(
        "day-pooled",
        "Optimal pool sizes for group testing of infections",
        "We choose pooled samples so that group testing finds infected people with few tests.",
    )
    fuzz = Document(
        "day-fuzz", "Fuzzing compilers with mutated programs", "Mutations of programs reach compiler crashes."
    )
    ranked = rank([*FILLER, fuzz, pooled], [GROUP, FUZZ])
    assert [r.key for r in ranked[:2]] == ["day-pooled", "day-fuzz"]
    assert ranked[0].nearest == "lib-group" and ranked[1].nearest == "lib-fuzz"
    assert all(0.0 <= r.score <= 1.0 for r in ranked)
    assert ranked[0].score > ranked[2].score
    # Papers that share no word with the library keep the day's order behind the others.
    assert [r.key for r in ranked[2:]] == [d.key for d in FILLER]
    assert all(r.score == 0.0 and r.nearest is None for r in ranked[2:])


def test_a_paper_identical_to_the_only_library_paper_scores_one() -> None:
    (ranked, *_) = rank([Document("copy", GROUP.title, GROUP.abstract), *FILLER], [GROUP])
    assert ranked.key == "copy" and abs(ranked.score - 1.0) < 1e-9


LENSING = ("Gravitational lensing of quasars", "Lensed quasars measure the mass of galaxies.")
NEUTRINO = ("Neutrino oscillations in reactors", "Reactor neutrinos measure oscillation angles.")


def test_of_two_equally_alike_papers_the_one_like_a_recent_library_paper_comes_first() -> None:
    candidates = [Document("like-lensing", *LENSING), Document("like-neutrino", *NEUTRINO), *FILLER]
    for newer in ("lensing", "neutrino"):
        library = [
            Document("lensing", *LENSING, date(2024 if newer == "lensing" else 2010, 1, 1)),
            Document("neutrino", *NEUTRINO, date(2024 if newer == "neutrino" else 2010, 1, 1)),
        ]
        first, second, *_ = rank(candidates, library)
        assert first.key == f"like-{newer}", newer
        assert first.score > second.score + 0.05, newer


def test_a_topic_the_library_holds_several_papers_on_counts_more_than_a_single_paper() -> None:
    candidates = [Document("like-lensing", *LENSING), Document("like-neutrino", *NEUTRINO), *FILLER]
    for repeated, text, single in (("lensing", LENSING, NEUTRINO), ("neutrino", NEUTRINO, LENSING)):
        library = [Document(f"{repeated}-{n}", *text) for n in range(3)] + [Document("single", *single)]
        first, second, *_ = rank(candidates, library)
        assert first.key == f"like-{repeated}", repeated
        assert first.score > second.score + 0.05, repeated


def test_an_empty_library_leaves_the_day_in_its_order() -> None:
    ranked = rank(FILLER, [])
    assert [(r.key, r.score, r.nearest) for r in ranked] == [(d.key, 0.0, None) for d in FILLER]


def test_words_meet_across_their_endings_and_tex_is_left_out() -> None:
    assert stem("testing") == stem("tests") == stem("tested") == "test"
    assert stem("criticality") == stem("critical")
    assert stem("DNN".casefold()) == "dnn"
    assert terms(r"Testing $\mathbb{R}^n$ with \emph{sparse} queries") == [
        "test",
        "sparse",
        "quer",
        "test sparse",
        "sparse quer",
    ]

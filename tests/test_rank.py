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


def test_words_the_days_best_matches_share_lift_a_paper_but_never_one_unlike_the_library() -> None:
    """Two papers share as much with the library ("adaptive designs") and are alike in
    every other way but that one speaks of prevalence surveys, the other of drug trials,
    each in as many papers of the day. The day's best matches speak of prevalence
    surveys, so that paper comes first. A paper that shares those words and none of the
    library's still scores 0."""
    diseases = ["influenza", "measles", "dengue"]
    best = [
        Document(
            f"day-pooled-{n}",
            f"Pooled testing in prevalence surveys of {d}",
            f"Pooled samples find {d} with few tests.",
        )
        for n, d in enumerate(diseases)
    ]
    mirror = [
        Document(
            f"day-blind-{n}", f"Placebo arms in drug trials of {d}", f"Placebo cohorts find {d} with few patients."
        )
        for n, d in enumerate(diseases)
    ]
    trials = Document("day-trials", "Adaptive designs of drug trials", "Adaptive designs let drug trials stop early.")
    surveys = Document(
        "day-surveys", "Adaptive designs of prevalence surveys", "Adaptive designs let prevalence surveys stop early."
    )
    unlike = [
        Document("day-viral-surveys", "Prevalence surveys", "Prevalence surveys of viruses."),
        Document("day-viral-trials", "Drug trials", "Drug trials of viruses."),
    ]
    ranked = rank([*best, *mirror, trials, surveys, *unlike, *FILLER], [GROUP])
    assert [r.key for r in ranked[:5]] == [*(d.key for d in best), "day-surveys", "day-trials"]
    assert ranked[3].score > ranked[4].score + 0.02
    assert all(r.nearest == "lib-group" for r in ranked[:5])
    left = {r.key for r in ranked if r.score == 0.0 and r.nearest is None}
    assert {d.key for d in unlike} <= left


def test_the_days_best_matches_do_not_lift_themselves_with_their_own_words() -> None:
    """Each paper is measured against the library and the day's best papers other than
    itself: four papers alike but for the disease they name (a word no other paper
    uses) score the same whether or not they are among the five best, and a paper of
    the first five that is unlike the others keeps no place by its own words."""
    pooled = [
        Document(
            f"day-pooled-{n}",
            f"Pooled testing in prevalence surveys of {d}",
            f"Pooled samples find {d} with few tests.",
        )
        for n, d in enumerate(["influenza", "measles", "dengue", "mumps"])
    ]
    unlike = Document(
        "day-errors", "Error rates of adaptive designs", "Error rates of adaptive designs for lattice models."
    )
    surveys = Document(
        "day-surveys", "Group testing in prevalence surveys", "Group testing in prevalence surveys of farms."
    )
    ranked = rank([*pooled, unlike, surveys, *FILLER], [GROUP])
    assert [r.key for r in ranked[:6]] == ["day-surveys", *(d.key for d in pooled), "day-errors"]
    assert len({round(r.score, 12) for r in ranked[1:5]}) == 1
    assert ranked[4].score > ranked[5].score + 0.01


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

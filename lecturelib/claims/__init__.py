"""Claims as rules: one function per claim, from measured results to a ``Verdict``.

Every claim of the course's register that the book answers with an experiment has
one rule. The chapter runs its experiment at the active preset, calls the rule and
displays the ``Verdict`` it returns; the claim test (``tests/claims/``) runs the same
experiment at ``ci`` and asserts the outcome the same rule returns. So the verdict a
student reads and the verdict the tests check cannot drift apart, and no verdict is
ever typed into the page.

A rule lives in the chapter's module of this package (``lecturelib.claims.batch_size``
and so on) and is registered with ``@rule``::

    @rule("BS1", chapter="batch_size", paraphrase="...", test="test_claim_bs1_...",
          measure=measure_grid, margin="acc(64) - acc(1024)", threshold=0.05)
    def bs1(runs) -> Verdict: ...

``measure(seed)`` runs the rule's experiment at ``ci`` for one seed; the seed sweep
(``python -m lecturelib.claims --seeds 0-9``) calls it for many seeds and reports, per
claim, how often each outcome came out and the range of the rule's margin, so that
thresholds are chosen from a measured spread, not from the seed the book uses.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from typing import Callable

from .._checks import check_choice, check_type

HOLDS = "holds"
CAVEAT = "holds with a caveat"
FAILS = "does not hold"
INCONCLUSIVE = "inconclusive at this preset"
OUTCOMES = (HOLDS, CAVEAT, FAILS, INCONCLUSIVE)

# The chapters whose modules register rules, in the book's order.
CHAPTERS = ("batch_size", "batch_dynamics", "lr_scaling", "sharpness", "conv_padding", "batchnorm",
            "autoencoders", "vae", "tuning")
SEED_ENV = "LECTURELIB_CLAIM_SEED"


@dataclass(frozen=True)
class Verdict:
    """What one rule concluded from one set of measurements.

    claim: the register's id (``"BS1"``); outcome: one of ``OUTCOMES``;
    sentence: what the page prints after the outcome, built from ``numbers``;
    numbers: the measured values the rule used, by name;
    margin: the one number the outcome turns on, signed so that larger means
    "farther on the side of the threshold that the expected outcome rests on"
    (``None`` for a rule with no single margin).
    """
    claim: str
    outcome: str
    sentence: str
    numbers: dict = field(default_factory=dict)
    margin: float | None = None

    def __post_init__(self):
        check_type("claim", self.claim, str, "a claim id such as 'BS1'")
        check_choice("outcome", self.outcome, OUTCOMES)
        check_type("sentence", self.sentence, str, "a sentence (str)")
        check_type("numbers", self.numbers, dict, "a dict of the numbers the rule used")

    @property
    def text(self) -> str:
        return f"{self.claim}: {self.outcome}. {self.sentence}"

    def _repr_markdown_(self) -> str:
        return f"**{self.claim}: {self.outcome}.** {self.sentence}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Rule:
    """A registered claim: its rule and what the claims page and the seed sweep need to know."""
    claim: str
    chapter: str
    paraphrase: str
    test: str
    function: Callable
    measure: Callable | None
    margin: str
    threshold: float | None
    expected_ci: str

    def __call__(self, *args, **kwargs) -> Verdict:
        return self.function(*args, **kwargs)


REGISTRY: dict[str, Rule] = {}


def rule(claim: str, *, chapter: str, paraphrase: str, test: str, measure: Callable | None = None,
         margin: str = "", threshold: float | None = None, expected_ci: str = HOLDS):
    """Register the decorated function as the rule of ``claim``.

    chapter: the notebook's stem (``book/<chapter>.ipynb``); paraphrase: one line
    saying what the source notes claim; test: the claim test's name; measure:
    ``measure(seed)`` runs the rule's experiment at ``ci`` and returns what the rule
    takes (``None`` when the rule needs no training, e.g. an exact identity);
    margin: what ``Verdict.margin`` measures, in words; threshold: the margin the
    rule asks for; expected_ci: the outcome the claim test expects at ``ci``.
    """
    check_type("claim", claim, str, "a claim id such as 'BS1'")
    check_choice("chapter", chapter, CHAPTERS)
    check_choice("expected_ci", expected_ci, OUTCOMES)

    def register(function):
        if claim in REGISTRY and REGISTRY[claim].function.__qualname__ != function.__qualname__:
            raise ValueError(f"claim {claim} already has a rule: {REGISTRY[claim].function.__qualname__}")
        REGISTRY[claim] = Rule(claim, chapter, paraphrase, test, function, measure, margin, threshold, expected_ci)
        return function

    return register


def load_all() -> dict[str, Rule]:
    """Import every chapter's rule module, so ``REGISTRY`` holds every claim; return it."""
    for chapter in CHAPTERS:
        try:
            importlib.import_module(f"{__name__}.{chapter}")
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{chapter}":
                raise
    return REGISTRY


def get(claim: str) -> Rule:
    """The registered rule of ``claim`` (its id, e.g. ``"BS1"``)."""
    rules = load_all()
    return rules[check_choice("claim", claim, sorted(rules))]


def claim_seed() -> int:
    """The seed the claim tests run with: ``$LECTURELIB_CLAIM_SEED``, else 0 (the book's seed)."""
    raw = os.environ.get(SEED_ENV, "0").strip() or "0"
    if not raw.isdigit():
        raise ValueError(f"{SEED_ENV} must be a non-negative integer, got {raw!r}")
    return int(raw)


def publish(verdict: Verdict, key: str | None = None) -> Verdict:
    """Glue the verdict's outcome and text into the notebook (for the claims page and the
    prose) under ``verdict-<claim>`` and ``verdict-<claim>-text``, and return it for display."""
    from ..report import glue

    check_type("verdict", verdict, Verdict, "a lecturelib.claims.Verdict")
    key = key or f"verdict-{verdict.claim.lower()}"
    glue(key, verdict.outcome)
    glue(f"{key}-text", verdict.text)
    return verdict


# Claims the book answers in text, not with a measurement (a definition, a piece of history,
# advice): listed on the claims page with their section, without a verdict or a test.
TEXT_ONLY: dict[str, tuple[str, str]] = {}


def text_claim(claim: str, *, chapter: str, paraphrase: str) -> None:
    """Record a claim the chapter discusses in text only (no experiment, so no rule and no test)."""
    check_type("claim", claim, str, "a claim id such as 'HP1'")
    check_choice("chapter", chapter, CHAPTERS)
    TEXT_ONLY[claim] = (chapter, paraphrase)


def _order(claim: str):
    prefix = claim.rstrip("0123456789")
    return (prefix, int(claim[len(prefix):] or 0))


def glance_markdown() -> str:
    """The "Claims at a glance" table as MyST Markdown, for a page in ``book/``.

    The verdict column pastes the outcome each chapter glued when it ran
    (``{glue:text}`<chapter>.ipynb::verdict-<id>:s```), so it is this build's verdict; a
    chapter that did not publish it makes the strict build fail.
    """
    rules = load_all()
    lines = ["| claim | the notes say | this build | test |", "|---|---|---|---|"]
    for claim in sorted({*rules, *TEXT_ONLY}, key=_order):
        if claim in rules:
            r = rules[claim]
            chapter, paraphrase = r.chapter, r.paraphrase
            verdict = f"{{glue:text}}`{chapter}.ipynb::verdict-{claim.lower()}:s`"   # ":s" lets the role see "::"
            test = f"`{r.test}`"
        else:
            chapter, paraphrase = TEXT_ONLY[claim]
            verdict, test = "discussed in the text", "—"
        lines.append(f"| {{ref}}`{claim} <claim-{claim.lower()}>` | {paraphrase} | {verdict} | {test} |")
    return "\n".join(lines)

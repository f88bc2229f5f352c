"""How sure the built-in agent is that an article answers a question, and what it does about it.

Being about the same topic is not answering the question: an unanswerable question often lands
close to some article (measured on the project's own data, similarities of unanswerable
questions reached 0.48 while right answers went as low as 0.19). So the confidence combines
signals that each catch a different way of being wrong:

- coverage: the share of the question's key words (stem for stem) that the chosen passage or
  its title contains: an answer uses the question's words, or their stems. A misspelt word
  counts when the text has the word it misses by a letter ("pakage", "subscribtion"): one
  edit (a letter added, dropped, changed or two swapped) for words of 5 letters or more, two
  from 8; never for shorter words, and never for a word the embedding model knows whole,
  which is spelt right ("charge" is not a typo of "change"). Single-word vectors were tried
  for synonyms and left out: at a similarity safe enough to trust (0.75) they only matched
  forms the stems already match, and real synonyms score far lower ("parcel" and "package"
  0.32, "delivery" and "shipping" 0.55);
- similarity: the meaning of the question against the article's best passage, or against the
  example questions customers asked about it, whichever is closer;
- margin: how far the article stands ahead of the next one in meaning; two articles about
  equally close means the agent is guessing between them (the fused-rank margin is shown too,
  but not weighted: with reciprocal-rank fusion it hardly differs between a clear lead and a tie);
- found by words: an article the full-text search did not find at all is a paraphrase at best;
- intent: a statement that asks nothing ("my parcel is late") is a weaker case for an answer
  than a question.

The weights and the thresholds were fitted on ``bench/agent_cases.py`` (CASES and UNSEEN_CASES):
every labelled answer scores 0.6 or more and replies; no unanswerable question scores above 0.4,
so each falls below the draft threshold or between the two (a draft for a teammate and a
handoff: the customer never gets the guess).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

from webapp.agent import signals
from webapp.knowledge import embeddings, spelling
from webapp.language import base_language, sentences, topical

# The weights of each signal in the confidence; they add up to 1.
WEIGHTS = {"coverage": 0.30, "similarity": 0.30, "margin": 0.25, "found_by_words": 0.15}
# A similarity below the floor says nothing; at the ceiling it is as good as it gets with this model.
SIMILARITY_FLOOR, SIMILARITY_CEILING = 0.25, 0.70
# A lead of this much similarity over the next article is a clear one.
CLEAR_MARGIN = 0.25
# A reply needs the chosen passage to hold at least this share of the question's key words, or
# a meaning at least this close: an article about the question's subject that uses few of its
# words ("can I collect my order from your shop?" beside an article on shipping times) is about
# the same thing, not an answer.
GROUNDED_COVERAGE, GROUNDED_SIMILARITY = 0.5, 0.5
# Or, for a question the full-text search found the article for, a clear lead in meaning over
# every other candidate, at a meaning not far below the bar: a paraphrase shares few words with
# its article ("If I stop the monthly plan today, do I lose access straight away?": 2 of 8, 0.43,
# 0.22 ahead of the next article). What such a lead cannot tell, a subject the article does not
# cover ("collect", "shop"), is the check of unmentioned words' (webapp.agent.mentions).
LEAD_MARGIN, LEAD_SIMILARITY = 0.2, 0.4
# The embedding model learnt its meanings mostly from English: in another language, two articles
# of that language sit close together whatever their subjects (the French refund and delivery
# articles), so a question about one of them leads the other by little in meaning (0.00 to 0.10
# on the bench's French questions). There, an article the question's words found, when the
# article next closest in meaning was not found by them, counts as this much more margin.
WORDS_LEAD, MODEL_LANGUAGES = 0.2, frozenset({"en"})
# A message that asks nothing counts for this share of its confidence.
STATEMENT_FACTOR = 0.85
# A word this long (in letters) may be a typo one edit away from the text's word; from the
# second length, two edits away.
TYPO_LENGTHS = (5, 8)
WORD = re.compile(r"[^\W\d_]+")

QUESTION = re.compile(
    r"\?|^\s*(how|what|when|where|which|who|why|can|could|do|does|did|is|are|will|would|should|may|"
    r"comment|quand|où|quel|quelle|combien|pourquoi|est-ce|puis-je|"
    r"wie|was|wann|wo|welche|warum|kann|können|"
    r"cómo|como|qué|que|cuándo|dónde|cuál|puedo|por qué)\b|"
    r"\b(i (need|want|would like|'d like)|please|help|je (veux|voudrais)|ich (möchte|brauche)|quiero|necesito)\b",
    re.I,
)


class PolicyError(ValueError):
    """An answer policy that cannot be used; the message says what to change."""


@dataclass(frozen=True)
class AnswerPolicy:
    """When the built-in agent replies, drafts for a teammate, or hands off, by confidence.

    Defaults favour safety: a reply needs a clear case, and between the two thresholds the
    answer is only drafted for a teammate, who decides."""

    reply_at: float = 0.55
    draft_at: float = 0.35
    drafts: bool = True

    def __post_init__(self):
        for name in ("reply_at", "draft_at"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise PolicyError(f"{name.replace('_', ' ')} is a confidence from 0 to 1, not {value!r}")
        if self.draft_at > self.reply_at:
            raise PolicyError("the draft threshold must not be above the reply threshold")
        if not isinstance(self.drafts, bool):
            raise PolicyError("drafts is on or off")

    @classmethod
    def from_settings(cls, stored: dict | None) -> AnswerPolicy:
        """The saved policy; the defaults for anything missing or unusable (a stored value is
        never a reason not to answer at all)."""
        known = {k: v for k, v in (stored or {}).items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except (PolicyError, TypeError):
            return cls()

    def as_dict(self) -> dict:
        return asdict(self)

    def outcome(self, confidence: float) -> str:
        """'reply', 'draft' or 'handoff'."""
        if confidence >= self.reply_at:
            return "reply"
        if self.drafts and confidence >= self.draft_at:
            return "draft"
        return "handoff"


@dataclass(frozen=True)
class Assessment:
    """The signals for the best candidate, and the confidence they add up to."""

    covered: int
    terms: int
    similarity: float
    example_similarity: float
    similarity_margin: float
    fused_margin: float
    found_by_words: bool
    asks: bool
    confidence: float
    rivals: int = 0  # the other candidates the margin is measured against
    # outside the model's own languages: found by the question's words where the article next
    # closest in meaning was not (WORDS_LEAD)
    words_lead: bool = False

    @property
    def coverage(self) -> float:
        return self.covered / self.terms if self.terms else 0.0

    @property
    def lead(self) -> float:
        """The margin over the next article that counts: in meaning, plus the words' lead."""
        return _lead(self.similarity_margin, self.words_lead)

    @property
    def grounded(self) -> bool:
        """Whether the passage shares enough of the question's words, or its meaning, to be sent."""
        meaning = max(self.similarity, self.example_similarity)
        if self.coverage >= GROUNDED_COVERAGE or meaning >= GROUNDED_SIMILARITY:
            return True
        # A question whose article was found by its words and leads every other in meaning.
        return (
            self.asks
            and self.found_by_words
            and self.rivals > 0
            and self.lead >= LEAD_MARGIN
            and meaning >= LEAD_SIMILARITY
        )

    def scores(self) -> dict:
        """The figures shown on the timeline, rounded for people."""
        return {
            "confidence": round(self.confidence, 2),
            "coverage": f"{self.covered}/{self.terms}",
            "similarity": round(self.similarity, 2),
            "example_similarity": round(self.example_similarity, 2),
            "margin": round(self.similarity_margin, 2),
            "fused_margin": round(self.fused_margin, 2),
            "found_by_words": self.found_by_words,
            "words_lead": self.words_lead,
        }


def _lead(similarity_margin: float, words_lead: bool) -> float:
    return similarity_margin + WORDS_LEAD * words_lead


def _scale(value: float, low: float, high: float) -> float:
    return min(1.0, max(0.0, (value - low) / (high - low)))


def _edits(a: str, b: str, limit: int) -> int:
    """The Damerau-Levenshtein distance (optimal string alignment) between two words, or
    ``limit + 1`` as soon as it is sure to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2, previous = [], list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed_edits(a: str, b: str) -> int:
    shorter = min(len(a), len(b))
    return 2 if shorter >= TYPO_LENGTHS[1] else 1 if shorter >= TYPO_LENGTHS[0] else 0


@lru_cache(maxsize=4096)
def _may_be_misspelt(word: str) -> bool:
    """Whether a word may be a typo: alphabetic, long enough, and not one the embedding model's
    vocabulary holds whole (those are real words, spelt as meant)."""
    if len(word) < TYPO_LENGTHS[0] or not word.isalpha():
        return False
    return not embeddings.known_word(word)


@lru_cache(maxsize=4096)
def _text_words(text: str, lang: str | None) -> tuple[frozenset[str], frozenset[str]]:
    """(the stems of a text, its alphabetic words and their stems long enough to be typo targets)."""
    words = set(WORD.findall(text.lower()))
    stemmed = signals.stems(text, lang)
    targets = {w for w in words | signals.stems(" ".join(words), lang) if len(w) >= TYPO_LENGTHS[0]}
    return frozenset(stemmed), frozenset(targets)


@lru_cache(maxsize=16384)
def _near(form: str, target: str) -> bool:
    allowed = _allowed_edits(form, target)
    return allowed > 0 and _edits(form, target, allowed) <= allowed


def covered_terms(
    question_terms: list[str], text: str, locale: str | None, unreadable: frozenset[str] = frozenset()
) -> tuple[int, int]:
    """(how many of the question's key words the text contains, how many there are), stem for
    stem in the text's language ('shipping' meets 'ships'), or as a likely typo of one of the
    text's words ('pakage' meets 'package')."""
    lang = base_language(locale)
    present, targets = _text_words(text, lang)
    by_stem: dict[str, list[str]] = {}
    for term in question_terms:
        for stem in signals.stems(term, lang):
            by_stem.setdefault(stem, []).append(term)
    covered, left_out = 0, 0
    for stem, words in by_stem.items():
        if stem in present:
            covered += 1
        elif all(word in unreadable for word in words):
            left_out += 1
        elif any(
            _may_be_misspelt(word) and any(_near(form, target) for form in {word, stem} for target in targets)
            for word in words
        ):
            covered += 1
    return covered, len(by_stem) - left_out


def assess(question: str, question_terms: list[str], candidates: list) -> Assessment | None:
    """The confidence that ``candidates[0]`` (best first, as ``retrieval.retrieve`` gives them)
    answers the question; None when there is no candidate."""
    if not candidates:
        return None
    best, others = candidates[0], candidates[1:]
    asks = bool(QUESTION.search(question))
    if asks and len(sentences(question)) == 1:
        # A question of one sentence asks the same with or without its everyday words ("can I
        # return something after 2 weeks?"): they count neither for nor against, as in the
        # search's on-topic bar. In a longer message they may carry what it reports ("the
        # reset link never reaches me"): measured, counting them out there let a wrong answer by.
        question_terms = topical(question_terms)
    covered, terms = covered_terms(
        question_terms, f"{best.title} {best.passage}", best.locale, spelling.unreadable(question)
    )
    meaning = max(best.similarity, best.example_similarity)
    rival = max(others, key=lambda c: max(c.similarity, c.example_similarity), default=None)
    runner_up = max(rival.similarity, rival.example_similarity) if rival else 0.0
    similarity_margin = max(0.0, meaning - runner_up)
    words_lead = (
        base_language(best.locale) not in MODEL_LANGUAGES
        and best.fts_rank is not None
        and rival is not None
        and rival.fts_rank is None
    )
    next_fused = others[0].fused if others else 0.0
    fused_margin = (best.fused - next_fused) / best.fused if best.fused > 0 else 0.0
    confidence = (
        WEIGHTS["coverage"] * (covered / terms if terms else 0.0)
        + WEIGHTS["similarity"] * _scale(meaning, SIMILARITY_FLOOR, SIMILARITY_CEILING)
        + WEIGHTS["margin"] * min(1.0, _lead(similarity_margin, words_lead) / CLEAR_MARGIN)
        + WEIGHTS["found_by_words"] * (best.fts_rank is not None)
    )
    if not asks:
        confidence *= STATEMENT_FACTOR
    return Assessment(
        covered=covered,
        terms=terms,
        similarity=best.similarity,
        example_similarity=best.example_similarity,
        similarity_margin=similarity_margin,
        fused_margin=fused_margin,
        found_by_words=best.fts_rank is not None,
        asks=asks,
        confidence=round(confidence, 4),
        rivals=len(others),
        words_lead=words_lead,
    )

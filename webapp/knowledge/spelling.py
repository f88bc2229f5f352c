"""Misspelt words in a question, put right against the words of the organization's own knowledge.

"how do i cancle my subscripton" finds nothing by its words and little by its meaning (the
embedding model cuts an unknown word into pieces). Each word of the question that the model
does not know whole, and that the knowledge does not use either, is replaced by the word of the
knowledge one edit away from it (a letter added, dropped, changed, or two neighbours swapped),
the one the knowledge uses most when several are. A word the model knows whole is spelt as
meant and is never changed ("charge" stays "charge" though the knowledge says "change"), and
a word with no single nearest form stays as written.

The same words say what the knowledge mentions at all (``mentions``): a word in any form an
article uses, whatever its length, which the agent asks of a question before it sends an
answer (``webapp.agent.mentions``).

The lookup is a symmetric-delete index (as in SymSpell): every knowledge word is filed under
itself and each form with one letter dropped, so a typo's candidates are the words filed under
its own one-letter-dropped forms, checked by an exact edit distance. A question costs a few
dictionary look-ups; the index is built once per version of the organization's passages.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select

from webapp.db import db
from webapp.knowledge import embeddings
from webapp.knowledge.per_version import PerVersion
from webapp.language import snowball_algorithm, stemmer
from webapp.models import KnowledgeArticle, KnowledgePassage

# A word shorter than this is never corrected: too many words of three letters are one edit
# apart from each other.
MIN_LENGTH = 4
WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, eq=False)  # one per version, known by identity
class Vocabulary:
    version: tuple
    counts: Counter  # knowledge word → how many times the knowledge uses it
    by_delete: dict[str, tuple[str, ...]]  # a word, or it with one letter dropped → knowledge words
    stemmers: dict[str, frozenset[str]]  # knowledge word → the Snowball stemmers of its articles' languages
    # Snowball stemmer → the sorted stems of every word, short ones too, of the articles in its
    # languages ("" holds the words of articles in a language without a stemmer, unstemmed).
    stems: dict[str, tuple[str, ...]]


_vocabularies: PerVersion[Vocabulary] = PerVersion()


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def build(texts, version: tuple = ()) -> Vocabulary:
    """The vocabulary of (text, locale) pairs; a plain text is English."""
    counts: Counter = Counter()
    stemmers: dict[str, set[str]] = {}
    by_algorithm: dict[str, set[str]] = {}
    for item in texts:
        text, locale = (item, "en") if isinstance(item, str) else item
        algorithm = snowball_algorithm(locale)
        words = WORD.findall(text.lower())
        by_algorithm.setdefault(algorithm or "", set()).update(words)
        for word in words:
            if len(word) >= MIN_LENGTH:
                counts[word] += 1
                if algorithm:
                    stemmers.setdefault(word, set()).add(algorithm)
    filed: dict[str, set[str]] = {}
    for word in counts:
        for key in _deletes(word) | {word}:
            filed.setdefault(key, set()).add(word)
    return Vocabulary(
        version,
        counts,
        {k: tuple(sorted(v)) for k, v in filed.items()},
        {w: frozenset(a) for w, a in stemmers.items()},
        {
            algorithm: tuple(sorted(set(stemmer(algorithm).stemWords(list(words)) if algorithm else words)))
            for algorithm, words in by_algorithm.items()
        },
    )


# A stem this long that begins a knowledge word's stem counts as that word: "pay" is in
# "payment", "deliver" in "delivery", which Snowball leaves apart.
MIN_PREFIX = 3


def mentions(vocab: Vocabulary, word: str) -> bool:
    """Whether the knowledge uses the word in some form: its stem in the language of an article
    that has it, or a longer word beginning with that stem."""
    for algorithm, stems in vocab.stems.items():
        stem = stemmer(algorithm).stemWord(word) if algorithm else word
        at = bisect.bisect_left(stems, stem)
        if at < len(stems) and (stems[at] == stem or (len(stem) >= MIN_PREFIX and stems[at].startswith(stem))):
            return True
    return False


def vocabulary(organization_id: int, version: tuple) -> Vocabulary:
    """The organization's knowledge words, rebuilt when ``version`` (the passage index's) moved."""

    def read() -> Vocabulary:
        texts = db.session.execute(
            select(KnowledgePassage.text, KnowledgeArticle.locale)
            .join(KnowledgeArticle, KnowledgeArticle.id == KnowledgePassage.article_id)
            .where(KnowledgePassage.organization_id == organization_id)
        ).all()
        return build(texts, version)

    return _vocabularies.get(organization_id, version, read)


def forget(organization_id: int) -> None:
    _vocabularies.forget(organization_id)


def _one_edit(a: str, b: str) -> bool:
    """Whether two different words are one edit apart (insert, delete, substitute, or swap
    two neighbours)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diffs) == 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


LETTERS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüñß"


def one_edit_away(word: str) -> set[str]:
    """Every string one edit from ``word`` (a letter deleted, swapped with its neighbour,
    replaced or inserted), over the letters of the supported languages."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deleted = {a + b[1:] for a, b in splits if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaced = {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    inserted = {a + c + b for a, b in splits for c in LETTERS}
    return (deleted | swapped | replaced | inserted) - {word}


@lru_cache(maxsize=1024)  # asked of the same question by the search and by the confidence
def unreadable(text: str) -> frozenset[str]:
    """The words of a text, in lower case, too short to be put right and that the embedding
    model does not know either ("whn", "bak", "pls"): what they stand for cannot be told, so a
    check of how many of a question's words an article shares counts them neither for nor
    against. Not one written in capitals: "VAT" is an abbreviation, and says what is asked."""
    return frozenset(
        word.lower()
        for word in WORD.findall(text)
        if len(word) < MIN_LENGTH and not word.isupper() and not embeddings.known_word(word.lower())
    )


def near_words(word: str, vocab: Vocabulary) -> set[str]:
    """The knowledge's words one edit away from ``word`` (a lower-case word)."""
    return {c for key in _deletes(word) | {word} for c in vocab.by_delete.get(key, ()) if _one_edit(word, c)}


def suggestion(word: str, vocab: Vocabulary) -> str | None:
    """The knowledge's word for a misspelt one, or None to leave it as written."""
    if len(word) < MIN_LENGTH or word in vocab.counts or embeddings.known_word(word):
        return None
    # Another form of a word the model knows whole is spelt as meant too: "taxes" is not
    # "takes", though the model cuts "taxes" into pieces.
    stem = stemmer("english").stemWord(word)
    if stem != word and len(stem) >= MIN_LENGTH - 1 and embeddings.known_word(stem):
        return None
    candidates = near_words(word, vocab)
    if not candidates or _inflection_of(word, candidates, vocab):
        return None
    ranked = sorted(candidates, key=lambda c: -vocab.counts[c])
    if len(ranked) > 1 and vocab.counts[ranked[0]] == vocab.counts[ranked[1]]:
        return None  # two forms as likely: guessing could change the question
    return ranked[0]


def _inflection_of(word: str, candidates: set[str], vocab: Vocabulary) -> bool:
    """Whether the word is another form of one of the knowledge's words ("commande" beside
    "commandes"): the same stem in the language of an article that uses it. Such a word is
    spelt as meant, whether or not the embedding model knows it whole."""
    for candidate in candidates:
        for algorithm in vocab.stemmers.get(candidate, ()):
            stem = stemmer(algorithm).stemWord
            if stem(word) == stem(candidate):
                return True
    return False


def correct(text: str, vocab: Vocabulary) -> tuple[str, dict[str, str]]:
    """(the text with its misspelt words put right, each change as misspelt → right)."""
    changes: dict[str, str] = {}

    def fix(match: re.Match) -> str:
        word = match.group(0)
        right = suggestion(word.lower(), vocab)
        if right is None:
            return word
        changes[word.lower()] = right
        return right

    return WORD.sub(fix, text), changes

"""What a customer message says about the conversation: a request for a person, frustration,
a problem solved, a repeat, a forbidden topic, its language. Phrasings in English, French,
German and Spanish."""

from __future__ import annotations

import re
from functools import cache

from webapp.language import SNOWBALL, STOPWORDS, snowball_algorithm
from webapp.text import normalized

HUMAN_REQUEST = re.compile(
    r"\b(human|real person|a person|live agent|an agent|agent please|representative|operator|someone real|"
    r"talk to (a|an|some) ?(one|body|person)|speak (to|with) (a|an|some) ?(one|body|person|human|agent)|"
    r"humain|une personne|un conseiller|un agent|parler à quelqu'un|quelqu'un de réel|"
    r"mensch|echte person|mitarbeiter|mit jemandem sprechen|"
    r"humano|una persona|un agente|representante|hablar con alguien)\b",
    re.I,
)
FRUSTRATION = re.compile(
    r"(!{2,}|\b(ridiculous|unacceptable|angry|furious|terrible|worst|useless|fed up|waste of time|"
    r"inacceptable|ridicule|énervé|furieux|nul|marre|"
    r"unverschämt|lächerlich|wütend|inakzeptabel|frechheit|"
    r"inaceptable|ridículo|furioso|harto|pésimo)\b)",
    re.I,
)
RESOLVED = re.compile(
    r"\b(that (solved|fixed|worked)|(it )?works now|problem solved|all good( now)?|issue (is )?resolved|that did it|"
    r"ça marche|c'est réglé|problème résolu|ça fonctionne|"
    r"es funktioniert|hat geklappt|problem gelöst|"
    r"ya funciona|problema resuelto|eso lo solucionó)\b",
    re.I,
)
POSITIVE = re.compile(r"\b(thanks|thank you|great|appreciate|merci|danke|gracias)\b", re.I)
SHOUTING = re.compile(r"\b[A-Z]{4,}\b")


def asks_for_human(text: str) -> bool:
    return bool(HUMAN_REQUEST.search(text))


def is_frustrated(text: str) -> bool:
    return bool(FRUSTRATION.search(text)) or len(SHOUTING.findall(text)) >= 2


def is_resolved(text: str) -> bool:
    return bool(RESOLVED.search(text))


def sentiment(text: str) -> str:
    if is_frustrated(text):
        return "frustrated"
    return "positive" if POSITIVE.search(text) else "neutral"


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", normalized(text)) if w not in STOPWORDS}


def is_repeat(text: str, earlier: list[str], threshold: float = 0.8) -> bool:
    """The customer says (nearly) what they already said: the answer did not help."""
    words = _words(text)
    if len(words) < 3:
        return False
    return any(len(words & (other := _words(e))) / max(1, len(words | other)) >= threshold for e in earlier)


@cache
def _stemmer(algorithm: str):
    import snowballstemmer

    return snowballstemmer.stemmer(algorithm)


def stems(text: str, lang: str | None = None) -> set[str]:
    """The Snowball stems of a text's words ('pricing' and 'price' both give 'price')."""
    algorithm = snowball_algorithm(lang) or "english"
    return set(_stemmer(algorithm).stemWords(set(re.findall(r"\w+", text.lower()))))


def forbidden_topic(text: str, topics: list[str], lang: str | None = None) -> str | None:
    """The first topic whose every meaningful word appears in the message, stem for stem."""
    present = stems(text, lang) | stems(text)
    for topic in topics:
        needed = stems(" ".join(w for w in re.findall(r"\w+", topic.lower()) if w not in STOPWORDS), lang)
        if needed and needed <= present:
            return topic
    return None


def preload() -> None:
    """Load the language profiles (55 of them, most of a second) and the stemmers now, in a
    process whose children will use them, instead of once per child."""
    from langdetect import detector_factory

    detector_factory.init_factory()
    for algorithm in set(SNOWBALL.values()):
        _stemmer(algorithm)


def language(text: str, min_words: int = 4, min_probability: float = 0.85) -> str | None:
    """ISO 639-1 code of the message's language, or None when it is too short or too unsure
    to tell (a few words are easily mistaken: "talk to a human" reads as Finnish)."""
    if len(re.findall(r"\w+", text)) < min_words:
        return None
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0  # deterministic answers
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return None
    return best.lang if best.prob >= min_probability else None

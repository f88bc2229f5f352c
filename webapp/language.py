"""The languages Switchboard reads, and the words that carry no meaning in a question: one map
and one list, shared by the agent's signals and knowledge search."""

from __future__ import annotations

from functools import cache

# ISO 639-1 code → its Snowball stemmer, whose name is also that of PostgreSQL's text search
# configuration built on it ("english", "french", ...).
SNOWBALL: dict[str, str] = {
    "en": "english", "fr": "french", "de": "german", "es": "spanish", "it": "italian", "pt": "portuguese",
    "nl": "dutch", "sv": "swedish", "da": "danish", "no": "norwegian", "nb": "norwegian", "fi": "finnish",
    "ru": "russian", "tr": "turkish", "hu": "hungarian", "ro": "romanian",
}  # fmt: skip

# English words that say nothing about what a customer asks (greetings, politeness, question
# words). Dropping them keeps an OR query from matching every article, and a repeat or a
# forbidden topic from being judged on filler. PostgreSQL's configurations drop their own too;
# FTS5 has no stop list. "about" stays a word: an article must share a third of a question's
# words, and without it "the third time I'm writing about this" met that bar with "time"
# (python -m bench.agent_quality).
STOPWORDS = frozenset(
    "a an and are as at be but by can could do does for from has have how i if in is it me my "
    "of on or our please so that the their them there this to was we what when where which who "
    "why will with would you your hi hello thanks thank want need tell know get like just also still "
    "help hey dear regards "
    # the rest of English's function words, and what "\w+" leaves of "doesn't" and the like
    "am been being did had were not no any all some about into then than too very its his her "
    "they he she us doesn don didn isn aren wasn weren hasn haven hadn won wouldn couldn shouldn ll ve re "
    # French, German and Spanish function words none of which is an English word that matters
    "le la les de des du un une et est je mon ma mes ce cette ces se sur pour par que qui au aux "
    "il elle nous vous ne pas avec dans comment quand quel quelle quels quelles combien vais suis "
    "ai as en ou où chez avoir être faut bonjour merci "
    "hallo danke hola gracias "
    "der das und ist ich mein meine ein eine nicht wie wann wo mit für auf dem des zu bitte "
    "el los las del mi mis una por para con cómo cuándo dónde qué lo es muy".split()
)


def base_language(locale: str | None) -> str:
    """'en' for 'en-US', 'EN' or None."""
    return (locale or "en").split("-")[0].lower()


def snowball_algorithm(locale: str | None) -> str | None:
    """The Snowball stemmer (and PostgreSQL configuration) for a locale, None when there is none."""
    return SNOWBALL.get(base_language(locale))


@cache
def stemmer(algorithm: str):
    """The Snowball stemmer of that name ("english", "french"…), built once per process."""
    import snowballstemmer

    return snowballstemmer.stemmer(algorithm)

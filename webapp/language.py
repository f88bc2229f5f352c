"""The languages Switchboard reads, and the words that carry no meaning in a question: one map
and one list, shared by the agent's signals and knowledge search."""

from __future__ import annotations

import re
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
    "ça cela ceci tu te toi moi lui leur leurs ils elles sa ses nos notre votre vos mais donc très "
    "alors puis salut "
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


# Everyday words that do not change what a question asks about: time, quantity, vague nouns
# and verbs that go with any subject. The check of what no article mentions leaves them out,
# and so does the bar a full-text hit must clear to count as on topic.
EVERYDAY = {
    "en": frozenset(
        """
        today yesterday tomorrow tonight morning evening night week weeks weekend month months year years day days
        hour hours minute minutes time times monday tuesday wednesday thursday friday saturday sunday last next
        already anymore since until ago soon later early late quickly fast slow usually normally actually really
        even only right away straight once ever never always sometimes again instead otherwise maybe perhaps
        many much long few several something anything everything nothing thing things stuff someone anyone
        everyone somebody anybody way ways possible option options both either else other another same kind sort
        type lot lots good great fine sure okay able back before after myself yourself yourselves ourselves
        somewhere anywhere everywhere here there
        gets got getting give gives given gave take takes took taken make made makes come came comes goes going
        went gone see seen look looks find found knew known think need needs wanted like would could should
        work works worked working happen happens happened happening use used using uses keep keeps kept told
        try tried trying seem seems mean means put puts let lets said says bought buy buying purchased
        """.split()
    ),
    "fr": frozenset(
        """
        aujourd hier demain semaine semaines mois année ans jour jours heure heures minute minutes temps fois
        matin soir soirée nuit lundi mardi mercredi jeudi vendredi samedi dimanche peu près environ
        déjà encore toujours jamais bientôt vite rapidement maintenant plutôt aussi seulement vraiment
        quelque chose rien tout tous toute toutes beaucoup plusieurs autre autres même possible option moyen
        faire fait peux peut pouvez peuvent voir trouver savoir mettre prendre venir aller marche marcher acheté
        """.split()
    ),
    "de": frozenset(
        """
        heute gestern morgen woche wochen monat monate jahr jahre tag tage stunde stunden minute minuten zeit mal
        schon noch immer nie bald schnell jetzt wieder eigentlich wirklich auch etwas nichts alles viel viele
        andere anderen gleich möglich option machen gemacht sehen finden wissen gehen kommen nehmen bekommen
        funktioniert funktionieren gekauft
        """.split()
    ),
    "es": frozenset(
        """
        hoy ayer mañana semana semanas mes meses año años día días hora horas minuto minutos tiempo vez veces
        ya todavía siempre nunca pronto rápido rápidamente ahora también solo realmente algo nada todo todos
        mucho muchos otro otra otros mismo posible opción hacer hecho ver encontrar saber poner tomar venir ir
        funciona funcionar compré comprado
        """.split()
    ),
}
ANY_EVERYDAY = frozenset().union(*EVERYDAY.values())


def topical(words: list[str]) -> list[str]:
    """The words that say what a question is about: all but the everyday ones (any of the four
    languages'), or all of them when nothing else is left."""
    return [word for word in words if word not in ANY_EVERYDAY] or words


_SENTENCES = re.compile(r"[^.?!¿¡\n]+[?]?")


def sentences(text: str) -> list[str]:
    """The sentences of a text, stripped, a question keeping its question mark."""
    return [s.strip() for s in _SENTENCES.findall(text) if s.strip()]

"""Questions about something the knowledge never mentions.

"Can I pause my subscription?" lands on the article about cancelling one, with most of its words
and much of its meaning, and the confidence says reply. But the article cannot say yes or no to
pausing: no article mentions it. The same goes for "Does the warranty cover the battery?" when
no article says "battery", "Why did my subscription renew?" when none says "renew", or
"How do I verify my email address?" beside the steps to change it. Such a question is about the
article's subject, not answered by it: the built-in agent drafts the answer for a teammate
instead of sending it.

What a question asks about depends on its kind. A yes-or-no question, or one asking why or what
happens, asks about all it says. One asking how to do something asks about its verb (or, after
a verb that says nothing, such as "get", the next word): the steps answer it whatever else it
says ("How do I return an item I bought in one of your stores?"). A message asking several
things is answered part by part, and is not checked; nor is a statement.

The words that count are the question's own: four letters or more, not a function word, not
one of the everyday words any question may carry without changing what it asks ("how soon",
"right now", "something", "get it back"). A word counts as mentioned in any form the knowledge
uses (``webapp.knowledge.spelling.mentions``): "shipped" is in "ships", "pay" in "payment". A
word the embedding model cuts into pieces (a rarer word, or a misspelt one) is left out when it
may be a typo: one edit from a word of the knowledge ("retrun" for "return") or, in English, from
a common word the model holds whole ("chnage" for "change"). Other such words ("declined",
"reactivate") count like any other.

A question about what something costs ("How much does express delivery cost?", "Combien coûte
la livraison ?") is answered only by a passage that names a price: an amount of money, or
"free". The article on delivery times has every word of that question but "cost", which the
refunds article holds ("shipping costs are not refunded"); it still cannot say how much.

Such a question is missing knowledge, like one no article answers at all: it is handed off,
with no article drafted, and it counts among the questions the team has no article for.
"""

from __future__ import annotations

import re

from webapp.knowledge import embeddings
from webapp.knowledge.spelling import MIN_LENGTH, WORD, Vocabulary, mentions, near_words, one_edit_away
from webapp.language import EVERYDAY, STOPWORDS, sentences, stemmer

# Shorter words are one edit from too many others ("spam": span, scam, swam) to be taken for typos
# of a common word.
TYPO_LENGTH = 5

# English past forms the stemmer does not bring back to the word the knowledge would use.
IRREGULAR = {
    "paid": "pay",
    "bought": "buy",
    "sent": "send",
    "sold": "sell",
    "lost": "lose",
    "left": "leave",
    "brought": "bring",
    "spent": "spend",
    "chose": "choose",
    "chosen": "choose",
    "broke": "break",
    "broken": "break",
    "wore": "wear",
    "worn": "wear",
}

_OPENING = r"^\s*(?:(?:and|also|so|but|then|ok|okay|hi|hello|et|aussi|alors|und|y|también|entonces)[\s,]+)*"
YES_NO = {
    "en": re.compile(
        # not "were": as often a typo of "where" as a question of its own
        _OPENING + r"(?:can|could|do|does|did|is|are|will|would|should|may|am|have|has|was)\b",
        re.I,
    ),
    "fr": re.compile(
        _OPENING + r"(?:est-ce|puis-je|peut-on|pouvez-vous|peux-tu|y a-t-il|faut-il|dois-je|ai-je|suis-je|"
        r"avez-vous|acceptez-vous|faites-vous|livrez-vous|proposez-vous|est-il|sont-ils|"
        r"[\w']+-(?:je|vous|on|il|elle|t-il|t-elle)\b)",
        re.I,
    ),
    "de": re.compile(
        _OPENING + r"(?:kann|können|darf|dürfen|ist|sind|gibt|habe|hat|haben|wird|werden|muss|müssen|soll|"
        r"bekomme|bekommt|liefert|liefern|nehmt|nehmen)\b",
        re.I,
    ),
    "es": re.compile(
        _OPENING + r"(?:puedo|puede|pueden|se puede|hay|es|está|están|tienen|tengo|aceptan|hacen|ofrecen|debo|"
        r"envían|cubre)\b",
        re.I,
    ),
}
_WH = re.compile(
    r"^\s*(?:how|what|when|where|which|who|why|comment|quand|où|quel|quelle|pourquoi|combien|"
    r"wie|was|wann|wo|welche|warum|cómo|como|qué|cuándo|dónde|cuál|por qué)\b",
    re.I,
)


# A question asking why, or what happens: like a yes-or-no question, all it says counts, wherever
# it asks it: "I got only half of my refund, why?", "my account is locked, what happens now?".
WHY = re.compile(
    r"(?:^|[\s,;:])(?:why|what happens|what will happen|pourquoi|que se passe|warum|was passiert|por qué|qué pasa)\b",
    re.I,
)
# "How do I <verb> …": the steps answer it whatever else it says, if they are for that verb.
HOW_TO = re.compile(
    r"^\s*(?:how (?:do|can|could|should|would) (?:i|we|you)|how to|comment (?:puis-je|peut-on|faire pour)|"
    r"cómo (?:puedo|se puede))\s+(?P<rest>.*)",
    re.I,
)


def unmentioned(question: str, vocab: Vocabulary, lang: str | None) -> tuple[str, ...]:
    """The words a one-question message asks about that the knowledge never uses, in the
    order asked: all its words for a yes-or-no question or one asking why or what happens,
    the verb for one asking how to do something. Empty when the message asks something else,
    or several things, or when the knowledge mentions all it asks about."""
    lang = lang if lang in YES_NO else "en"
    questions = [s for s in sentences(question) if s.endswith("?") or YES_NO[lang].match(s) or _WH.match(s)]
    if len(questions) != 1:
        return ()
    asked = questions[0].lower()
    yes_no = bool(YES_NO[lang].match(asked))
    if how_to := HOW_TO.match(asked):
        asked = how_to.group("rest")
    elif not (yes_no or WHY.search(asked)):
        return ()
    everyday = EVERYDAY[lang]
    found: dict[str, None] = {}
    for word in _content_words(asked, everyday)[: 1 if how_to else None]:
        if len(word) < MIN_LENGTH:
            continue
        if mentions(vocab, IRREGULAR.get(word, word) if lang == "en" else word):
            continue
        if not embeddings.known_word(word) and _may_be_a_typo(word, vocab, lang, yes_no):
            continue
        found[word] = None
    return tuple(found)


# Asking what something costs: "how much is / does / for…" (not "how much time", "how much of it"),
# the price, cost or fee of something, in the four languages.
PRICE_QUESTION = re.compile(
    r"\bhow much (?:is|are|'s|does|do|did|will|would|should|to|for|extra|more (?:is|does|would|will))\b"
    r"|\bwhat(?:'s| is| are| does| would| will) (?:the |your )?(?:price|cost|fee|charge|rate)s?\b"
    r"|\bwhat (?:does|would|will|do) (?:\w+ ){1,4}cost\b|\b(?:does|would|will) (?:it|that|this) cost\b"
    r"|\bcombien (?:co[uû]te|co[uû]tent|ça co[uû]te|est-ce que ça co[uû]te|faut-il payer|dois-je payer)"
    r"|\bco[uû]te(?:nt)? combien\b|\bquel (?:est le |sera le )?(?:prix|tarif|co[uû]t)\b"
    r"|\b(?:was|wie ?viel) (?:kostet|kosten)\b|\bkoste[nt]? (?:\w+ ){0,4}(?:was|wie ?viel)\b|\bwie teuer\b"
    r"|\bcu[aá]nto (?:cuesta|cuestan|vale|valen|cobran|cobr[aá]is|hay que pagar)|\b(?:qu[eé]|cu[aá]l es el) precio\b",
    re.I,
)
# A price in a passage: an amount of money, or free of charge.
PRICE = re.compile(
    r"[$€£¥]\s?\d|\d(?:[.,]\d+)?\s?(?:[$€£¥]|usd|eur|gbp|chf|dollars?|euros?|pounds?|cents?|francs?)\b"
    r"|\b(?:free(?: of charge)?|no charge|at no (?:extra )?cost|gratuite?s?|kostenlos|gratis|sin coste|sin cargo)\b",
    re.I,
)


def asks_price(question: str) -> bool:
    """Whether a question asks what something costs."""
    return bool(PRICE_QUESTION.search(question))


def names_price(text: str) -> bool:
    """Whether a text names a price: an amount of money, or free."""
    return bool(PRICE.search(text))


def _may_be_a_typo(word: str, vocab: Vocabulary, lang: str, yes_no: bool) -> bool:
    """Whether a word the embedding model cuts into pieces may be a misspelling, to be left out.

    One edit from a word of the knowledge, it may be ("retrun"). In English, it may also be
    when, from five letters, it is one edit from a word the model holds whole ("chnage",
    "updte") and is not itself a form of one ("gifted"), and is otherwise asked about as
    written ("declined", "reactivate", "spam"). The
    model holds whole mostly English words, so elsewhere most words are cut into pieces and
    many are one edit from an English one ("frais"): there a word counts only in a yes-or-no
    question, which asks it whole."""
    if near_words(word, vocab):
        return True
    if lang != "en":
        return not yes_no
    if len(word) < TYPO_LENGTH or stemmer("english").stemWord(word) in embeddings.whole_words():
        return False  # too short to tell, or a form of a common word ("gifted")
    return not one_edit_away(word).isdisjoint(embeddings.whole_words())


def _content_words(text: str, everyday: frozenset[str]) -> list[str]:
    return [w for w in WORD.findall(text) if w not in STOPWORDS and w not in everyday]

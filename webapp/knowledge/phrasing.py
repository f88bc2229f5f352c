"""Customers' everyday words for the things a Help Center names, put in the knowledge's terms.

Customers rarely use the words articles are written in: they ask when a parcel will "leave your
building" (it ships), how soon they will "see the money again" (a refund), where their "bills"
are (invoices), how to "send something back" (return it). The embedding model that runs
offline is a word-vector model: it scores such a paraphrase about as close to the right article
as to the wrong ones, and the full-text search does not find it at all, so the agent hands off
questions its knowledge answers.

This is a small thesaurus of support vocabulary (shipping, delivery, tracking, returns,
refunds, passwords and sign-in, email addresses, subscriptions, payment cards, invoices,
warranty, orders, stock, prices, discounts, accounts), each entry an everyday phrasing and the
word a Help Center uses for it, mostly in English, with the commonest in French, German and
Spanish. A phrasing is put in the knowledge's word only when:

- the knowledge uses that word (stem for stem): a Help Center that never says "ship" gains
  nothing from "leaves your building" becoming "ship", and the question keeps its own words;
- the knowledge does not use the customer's own word: where the articles say "courier", a
  customer's "courier" is already the knowledge's word and stays.

What this gives is recall, not certainty: the rephrased question is still scored by the same
confidence (the share of its key words the passage holds, the meaning, the margin over the next
article), so a question about something no article covers stays a handoff. Each change is
shown on the timeline beside the spelling corrections.
"""

from __future__ import annotations

import re
import weakref
from functools import cache

from webapp.knowledge.spelling import MIN_LENGTH, WORD, Vocabulary
from webapp.language import snowball_algorithm, stemmer

# (everyday phrasing, the knowledge's word), by language. Patterns are matched case-blind on
# word boundaries; the first entry to match a stretch of text wins.
_ENTRIES: dict[str, list[tuple[str, str]]] = {
    "en": [
        # shipping and delivery
        (
            r"(?:leaves?|left|leaving) (?:you|your (?:building|warehouse|depot|premises|place)|"
            r"the (?:building|warehouse|depot))",
            "ship",
        ),
        (
            r"dispatch(?:ed|es|ing)?|sen[dt] (?:it |them )?out|(?:get|gets|be|been|is|was|were) posted(?! back)|"
            r"(?:(?<=order )|(?<=parcel )|(?<=package )|(?<=it )|(?<=they ))(?:goes|go|went) out",
            "ship",
        ),
        (
            r"(?:on|at) my (?:door|doorstep)|(?:get|gets|reach|reaches|come|comes) to me|"
            r"(?:get|gets|arrive|arrives) here|expect (?:my|the) (?:order|parcel|package|stuff)",
            "delivery",
        ),
        (
            r"(?:quick|fast)(?:er|est)(?= (?:option|delivery|shipping|service|way to (?:get|receive)|than))|speedier|"
            r"(?:something|anything) (?:quicker|faster)|"
            r"next[- ]day|overnight|(?:get|have|receive) (?:it|them|my order|my parcel|the parcel) (?:by )?tomorrow",
            "express",
        ),
        (
            r"(?:regular|normal|usual|basic|cheapest|cheap|free|slow(?:er|est)?) "
            r"(?:option|delivery|shipping|service|post(?:age)?)",
            "standard delivery",
        ),
        (r"courier(?:'s|s)?|postman|delivery (?:company|firm|service)|postal service", "carrier"),
        (r"package|packet|shipment", "parcel"),
        (r"on (?:its|their|the) way", "shipped"),
        (
            r"follow (?:where|my|the|it)|trace|whereabouts|keep (?:an )?eyes? on|keep track of|"
            r"check on (?:my|the) (?:parcel|package|order|delivery)|"
            r"where (?:my|the) (?:parcel|package|order|box|stuff|delivery) is|"
            r"where (?:is|'s) my (?:parcel|package|order|box|stuff|delivery)",
            "track",
        ),
        # returns and refunds
        (r"(?:send|sent|sending|post|posted|ship|shipped|give|bring|mail|mailed) (?:\w+ ){0,2}back", "return"),
        (r"changed? my mind", "return"),
        (
            r"never (?:used|worn|wore|opened|tried (?:it|them) on)|not used|unopened|unworn|still sealed|"
            r"(?:never|not) (?:taken|took) (?:\w+ ){0,2}out of the box",
            "unused",
        ),
        (
            r"(?:money|cash) (?:back|again)|pa(?:y|id) (?:me )?back|credited back|reimburs\w*|"
            r"(?:get|see) (?:my|the) money(?: back| again)?|(?:the|my) money (?:shows? up|arrives?|comes? back)",
            "refund",
        ),
        (
            r"postage|delivery (?:fee|charge|cost)s?|shipping (?:fee|charge)s?|"
            r"(?:charged|cost) me (?:\w+ ){0,3}to (?:send|post|ship|mail)",
            "shipping costs",
        ),
        (r"(?:get|have|be) (?:the |my )?shipping costs (?:back|refunded|reimbursed)", "refund shipping costs"),
        (r"(?:get|have) (?:that|it|this|those) (?:back|refunded)", "refund"),
        (r"store credit|back (?:on|to|onto) (?:my|the same|the original) (?:card|account)", "original payment method"),
        (r"stickers?|postage labels?|shipping labels?", "label"),
        # sign-in and accounts
        (r"log ?in details|sign[- ]?in details|credentials|passcode", "password"),
        (r"sign(?:ed|ing)?[- ]in|log(?:ged|ging)?[- ]in|get (?:back )?into my account|locked out", "login"),
        (r"(?:don'?t|do not|can'?t|cannot) remember (?:what|which|my password|my login)|forgotten", "forgot"),
        (r"(?:is |was |says it'?s )?(?:invalid|no longer (?:valid|works?|working)|out of date)", "expires"),
        (r"inbox|mailbox|e-?mail account", "email address"),
        # subscriptions, cards, invoices
        (r"(?:my|the|your|monthly|annual|yearly|premium) (?:plan|membership)", "subscription"),
        (
            r"(?:stop|end|quit|terminate)(?:ping|ped|s)? (?:my |the |your |this )?(?:plan|membership|subscription)",
            "cancel subscription",
        ),
        (r"stop (?:being )?(?:charged|billed) (?:every|each|per) (?:month|year)", "cancel subscription"),
        (r"(?:swap|switch|replace|change)(?:s|ed|ing)? (?:the |my |our )?(?:payment |bank )?card", "update card"),
        (r"visa|mastercard|amex|debit card|credit card|bank card", "card"),
        (
            r"bills?|receipts?|proofs? of purchase|"
            r"cop(?:y|ies) of (?:my |the |all (?:my |the )?)?"
            r"(?:orders?|purchases?|payments?|everything I (?:bought|ordered|paid))",
            "invoices",
        ),
        (
            r"accountant|bookkeep\w*|tax return|(?:for |of )?(?:my )?(?:taxes|tax purposes|expense reports?|expenses)",
            "accounting",
        ),
        # orders, stock, prices and discounts
        (r"call off (?:my|the) order|(?:don'?t|do not) want (?:my|the) order any ?more", "cancel order"),
        (r"sold out|back in stock|restock(?:ed|ing)?", "stock"),
        (r"how much (?:is|are|does|do|would|will) (?:\w+ ){0,3}(?:cost|charge)", "price"),
        (r"promo(?:tion(?:al)?)? codes?|coupons?(?: codes?)?|voucher codes?", "discount code"),
        (r"gift (?:vouchers?|certificates?)", "gift card"),
        (r"abroad|overseas|outside the (?:uk|us|usa|eu|country)", "international"),
        (r"swap (?:it|them|this) for|(?:another|other|different) size", "exchange"),
        (r"arrived (?:broken|damaged|smashed|cracked)|damaged in (?:transit|the post)", "damaged"),
        (
            r"missing from (?:my|the) (?:order|parcel|package|box)|"
            r"(?:was|is|were|are)n'?t in the (?:box|parcel|package)",
            "missing item",
        ),
        (r"sent me the wrong|not what I ordered", "wrong item"),
        # account
        (r"close my account|remove my account|erase my (?:data|account)", "delete account"),
        (r"2fa|two[- ]step|authenticator app", "two-factor authentication"),
        (r"user ?name|login name", "username"),
        (r"(?:support|business|office) hours|what time (?:are you|do you) open", "opening hours"),
        # warranty
        (
            r"guarantee[ed]?|(?:repair|fix|replace|sort)(?:ed|s)? (?:\w+ ){0,2}(?:for free|free of charge|at no cost)|"
            r"free repairs?",
            "warranty",
        ),
        (
            r"(?:fell|dropped|knocked \w+|went) in(?:to)? (?:the |a )?(?:water|sink|bath|toilet|pool|sea)|"
            r"got (?:soaked|wet)|spilt|spilled|liquid damage",
            "water",
        ),
        (r"crack(?:ed|s)?|smash(?:ed)?|shatter(?:ed)?|knock(?:ed)? (?:\w+ ){0,2}off|dropp(?:ed|ing)", "damage"),
        (
            r"stopped (?:working|charging)|(?:it|they|battery|screen) (?:just )?died|died (?:after|on me|within)|"
            r"broke (?:on (?:its|their) own|by itself)|faulty|defective|malfunction\w*",
            "defects",
        ),
        (r"still covered|covered by you", "warranty"),
    ],
    "fr": [
        (
            r"(?:part(?:ir|ira|ent)?|quitte(?:r|ra)?)(?:-(?:t-)?(?:il|elle|ils|elles))? "
            r"(?:de chez vous|(?:de )?(?:votre |l')entrepôt)|(?:sera|est|a été) envoyée?s?|"
            r"(?:vous )?(?:l'|les )envoy(?:ez|erez)|envoyez-(?:la|le|les)|"
            r"(?:va|vont|doit|doivent|devrait) partir(?! de)|(?:c'est|ce sera) envoyée?s?",
            "expédiée",
        ),
        (
            r"(?:récupère|récupérer|retrouve|retrouver|revoir|reçois|recevoir|avoir|ravoir) (?:mon|l'|votre) argent|"
            r"(?:me )?rend(?:re|rez|ez|ront)? (?:mon |l')argent|"
            r"rembours(?:é|ée|er)",
            "remboursement",
        ),
        (
            r"(?:à |pour )arriver|(?:recevoir|recevrai|reçois|recevrons) (?:ma commande|mon colis|mes articles)|"
            r"arrive(?:ra|-t-elle|-t-il)? quand|quand (?:est-ce qu'(?:elle|il) |va-t-(?:elle|il) )?arriv\w+",
            "livraison",
        ),
        (r"combien de temps|en combien de jours|dans combien de jours", "délai"),
        (r"colis", "commande"),
        (
            r"(?:sur|par) (?:ma|la|quelle) carte(?: bancaire| de crédit| bleue)?|(?:en|un|des) bons? d'achat",
            "moyen de paiement",
        ),
        (r"renvo(?:yer|yé|yée|ie)|retourn(?:er|é|ée)", "retour"),
        (r"facture\w*", "factures"),
        (r"mot de passe oublié|identifiants", "mot de passe"),
    ],
    "de": [
        (r"zurückschicken|zurücksenden|zurückgeben|zurückgeschickt", "rücksendung"),
        (r"geld zurück|rückzahlung|zurückerstattet", "erstattung"),
        (r"paket|sendung", "bestellung"),
        (r"rechnungen?|quittung(?:en)?|belege?", "rechnungen"),
        (r"zugangsdaten|anmeldedaten", "passwort"),
    ],
    "es": [
        (r"(?:métodos|formas|medios) de pago|pagar con", "pago"),
        (r"devolver(?:lo|la)?|mandar(?:lo|la)? de vuelta", "devolución"),
        (r"(?:mi|el) dinero de vuelta|reembolsar(?:me)?|me devuelven el dinero", "reembolso"),
        (r"paquete", "pedido"),
        (r"facturas?|recibos?", "facturas"),
        (r"contraseña olvidada|datos de acceso", "contraseña"),
    ],
}


@cache
def _patterns(lang: str) -> tuple[tuple[re.Pattern, str], ...]:
    return tuple(
        (re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])", re.IGNORECASE), word)
        for pattern, word in _ENTRIES.get(lang, ())
    )


def _stems(text: str, lang: str) -> set[str]:
    """The stems of the text's words long enough to be in a vocabulary ("two-factor" gives "factor")."""
    words = [w for w in WORD.findall(text.lower()) if len(w) >= MIN_LENGTH]
    return set(stemmer(snowball_algorithm(lang) or "english").stemWords(words))


@cache
def _target_stems(word: str, lang: str) -> frozenset[str]:
    """The stems a Help Center must use for an entry's word to be put in (once per entry)."""
    return frozenset(_stems(word, lang))


_knowledge_stems: weakref.WeakKeyDictionary[Vocabulary, dict[str, frozenset[str]]] = weakref.WeakKeyDictionary()


def _used_by_knowledge(vocab: Vocabulary, lang: str) -> frozenset[str]:
    """The stems of the knowledge's words in ``lang``'s stemmer (built once per vocabulary)."""
    by_lang = _knowledge_stems.setdefault(vocab, {})
    if lang not in by_lang:
        by_lang[lang] = frozenset(_stems(" ".join(vocab.counts), lang))
    return by_lang[lang]


def rephrase(text: str, vocab: Vocabulary, lang: str | None) -> tuple[str, dict[str, str]]:
    """(the text with everyday phrasings put in the knowledge's words, each change as
    phrasing → word). ``lang``: the customer's language; English when unknown."""
    lang = lang if lang in _ENTRIES else "en"
    known = _used_by_knowledge(vocab, lang)
    changes: dict[str, str] = {}

    def replace(word: str):
        def swap(match: re.Match) -> str:
            said = match.group(0)
            if all(w in vocab.counts for w in WORD.findall(said.lower())):  # the knowledge says it this way too
                return said
            changes[said.lower()] = word
            return word

        return swap

    for pattern, word in _patterns(lang):
        needed = _target_stems(word, lang)
        if needed and needed <= known:
            text = pattern.sub(replace(word), text)
    return text, changes

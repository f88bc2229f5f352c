"""What a customer message says about the conversation: a request for a person, frustration,
a problem solved or not solved after all, a repeat, a forbidden topic, its language. Phrasings in
English, French, German and Spanish.

Each intent combines a phrase list (exact, cheap, predictable) with the meaning of the message:
its similarity to the example phrasings of :mod:`webapp.agent.intents`, which finds what the
lists lack ("a real employee", "alles klar, läuft wieder"). Precision comes first: a false
"solved" closes a customer's conversation and a false "asks for a person" hands off for
nothing, so negation vetoes an intent ("I don't need a human", "thanks, but it still doesn't
work") and a meaning only counts when it is close to an intent and clearly closer to it than
to the near misses."""

from __future__ import annotations

import re
from functools import cache, lru_cache

import numpy as np

from webapp.agent import intents
from webapp.language import ANY_EVERYDAY, SNOWBALL, STOPWORDS, snowball_algorithm, stemmer
from webapp.text import normalized

HUMAN_REQUEST = re.compile(
    r"\b(human(?! error| resources)|real person|a person|live agent|an agent|agent please|representative|operator|"
    r"someone real|"
    r"talk to (a|an|some) ?(one|body|person)|speak (to|with) (a|an|some) ?(one|body|person|human|agent)|"
    r"(real|actual) (employee|human being|human)|(a|an|some) (member of|staff member|employee)|"
    r"(someone|somebody|anyone|anybody|a person) (from|on|in) your (team|staff|company)|"
    r"one of your (staff|team|employees|people|agents|reps|representatives)|"
    r"(talk|speak|chat) (to|with) (your|the|a) (staff|team|manager|supervisor)|your (manager|supervisor)|"
    r"(talk|speak|chat) (to|with) (staff|management|customer service|support staff)|"
    r"(get|give|put) me (through to )?(a|your|the) (manager|supervisor)|(a|one of your|your) colleagues?|"
    r"(can|could|would|will|please|pls) (you |someone |somebody |anyone )?(call|phone|ring) me( back)?|"
    r"(get|request|have|want|need|arrange) a call ?back|callback|"
    r"(anyone|someone|somebody|anybody) (i|we) can (speak|talk|chat) (to|with)|escalate (this|it|my)|please escalate|"
    r"(speak|talk) to (your|the) boss|(don't|do not) want (to (talk|chat|speak) (to|with) )?(a|the|your) "
    r"(machine|bot|robot)|get me (someone|somebody)|"
    r"phone number (i|we) can call|"
    r"humain|une personne|un conseiller|un agent|parler à quelqu'un|quelqu'un de réel|"
    r"un employé|une employée|quelqu'un de (votre|ton|ta|la) (équipe|société)|votre responsable|"
    r"mensch|echte person|echten menschen|mitarbeiter|mit jemandem sprechen|jemanden (anrufen|sprechen)|"
    r"jemand(em|en)? aus (ihrem|eurem|deinem) team|"
    r"humano|una persona|un agente|representante|hablar con alguien|"
    r"un empleado|una empleada|alguien de (su|tu|vuestro) equipo|persona real)\b",
    re.I,
)
# "X instead of Y" asks about X: an article about Y does not answer it, so the Y part is left
# out of the question before the knowledge is searched (to the end of its clause).
ALTERNATIVE = re.compile(
    r"\b(instead of|rather than|other than|au lieu de|plutôt que|en (vez|lugar) de|(an)?statt)\b[^.?!,;]*", re.I
)
# Where a message asking several things moves to the next: the end of a sentence, a dash, or "and",
# "also", "plus" starting a new question ("how do I update my card, and where is my invoice?").
NEXT_QUESTION = re.compile(
    r"(?<=[?.!])\s+|\s+[—–]\s+|"
    r"\s*[,;]?\s*\b(?:and also|also|plus|and|et aussi|aussi|et|und auch|auch|und|y también|también|y)\b\s+"
    r"(?=(?:how|what|when|where|which|who|why|can|could|do|does|did|is|are|will|would|should|may|i|"
    r"comment|quand|où|quel|quelle|combien|est-ce|puis-je|je|wie|was|wann|wo|welche|warum|kann|ich|"
    r"cómo|qué|cuándo|dónde|cuál|puedo)\b)|"
    # after a comma, "and" before a subject of its own: "…the email on my account, and my card
    # has expired so how do I put a new one in?"
    r"\s*,\s*(?:and|et|und|y)\s+(?=(?:my|our|the|mon|ma|mes|notre|mein|meine|unser|unsere|mi|mis|nuestro|nuestra)"
    r"\s+\w+\s+\w+)",
    re.I,
)
FRUSTRATION = re.compile(
    r"(!{2,}|\b(ridiculous|unacceptable|angry|furious|terrible|worst|useless|fed up|waste of time|"
    r"hopeless|pathetic|incompetent|disgraceful|scammers?|fraudsters?|"
    r"(this is|that's|that is|it's|you are|you're|what) a (total |complete |real )?(scam|rip-?off|fraud)|"
    r"(are you|you must be|you're|you are) (kidding|joking)( me)?|"
    r"(extremely|very|really|so|deeply|utterly|bitterly|seriously) disappointed|"
    r"(nobody|no one|no-one) (is )?(helping|helps|answers|answering|responds|responding|replies|replying|cares)|"
    r"report you|consumer protection|"
    r"(third|fourth|fifth|tenth|umpteenth) time (i'm |i am |i've |i have )?(writing|asking|contacting|emailing|"
    r"calling|chasing|explaining)|"
    r"sick (and tired )?of|tired of (waiting|chasing|asking)|had enough|done with (you|your)|"
    r"how (hard|difficult) (can|could) it be|nightmare|shocking|appalling|outrageous|disgusting|"
    r"(beyond|so|really|very|extremely|incredibly) (frustrated|annoyed|upset|angry|mad|irritated)|frustrat(ed|ing)|"
    r"unbelievable|beyond a joke|(this|that|it)('s| is) a joke|"
    r"(one|1)[- ]star|bad reviews?|dispute the (charge|payment) with my bank|chargeback|"
    r"(don't|do not|doesn't|does not) (care|give a damn) about (your |their )?customers|"
    r"(nobody|no one|no-one) (has )?(bothered|cared|got back)|never (got|received|had) (a|any) (reply|answer|response)|"
    r"still no (answer|reply|response|news)|not (a single|one) (update|reply|answer|word)|"
    r"inacceptable|inadmissible|ridicule|énervé|furieux|nul|marre|scandaleux|honteux|lamentable|incompétents?|"
    r"arnaque|(très|vraiment|tellement) déçue?|j'en ai assez|ras le bol|personne ne (me )?répond|"
    r"toujours pas de réponse|"
    r"unverschämt|lächerlich|wütend|inakzeptabel|frechheit|inkompetent|katastrophal|abzocke|betrug|"
    r"(sehr|total|echt) enttäuscht|(niemand|keiner) (antwortet|meldet sich)|es reicht|habe genug|"
    r"inaceptable|ridículo|furioso|harto|pésimo|vergonzoso|incompetentes?|estafa|"
    r"nadie (me )?(responde|contesta)|cansad[oa] de|ya basta|"
    r"(muy|totalmente) decepcionad[oa])\b)",
    re.I,
)
# Dissatisfaction said by negating its opposite, which the word list above cannot negate.
DISSATISFIED = re.compile(
    r"(\b(not|never)|n't) (happy|satisfied|pleased)\b|\b(unhappy|dissatisfied|"
    r"pas (content|contente|satisfait|satisfaite)|mécontent|"
    r"nicht zufrieden|unzufrieden|"
    r"no estoy (contento|contenta|satisfecho|satisfecha)|insatisfecho|insatisfecha)\b",
    re.I,
)
# Telling the team it need not answer or go on looking: "no need to look into it any further".
NO_NEED = (
    r"no need to (reply|respond|answer|get back|look into (it|this|that)|check (it|this|that)|"
    r"chase (it|this|that)|follow (it |this |that )?up)( any ?further| any ?more)?"
)
# Short closings that say the matter is done, mostly at the start of a message or before the
# thanks ("Sorted, thanks", "C'est fait, merci", "Erledigt, danke!", "Ya está, gracias"): the
# same words go on in other senses elsewhere ("j'ai trouvé un défaut", "done with you").
_THANKS = r"(thanks?|thank you|cheers|merci|danke|gracias)"
CLOSING = re.compile(
    r"(worked|works) like a charm|(that|it) (helped|did it)|i (figured|worked) it out|figured it out|"
    r"(i )?fixed it|case closed|we're (good|all good)( now)?|(it's|it is|they're|they are) there now|"
    r"(refund|payment|money|transfer) (has )?(came|come|went|gone) through|"
    r"(no longer|don't|do not) need (help|assistance|anything)( any ?more)?|"
    r"exactly what i (needed|was looking for)|"
    r"^\W*(sorted|done|resolved|solved|got it|perfect|great|brilliant|lovely|excellent)\W+" + _THANKS + r"|"
    r"^\W*(c'est bon|c'est fait|bien reçu|nickel|impeccable|parfait|super|génial)\W+(merci|c'est|j'ai)|"
    r"j'ai (trouvé|réussi)(\W+merci|\W*$)|j'ai pu [\w' ]{1,40}?\W+merci|"
    r"^\W*(erledigt|passt|perfekt|super|klasse|alles bestens)\W+(danke|vielen)|(hab'?s?|habe es) gefunden|"
    r"geht wieder|ich konnte (es |sie |ihn )?\w+,? danke|alles bestens|"
    r"^\W*(ya está|listo|resuelto|solucionado|perfecto|genial)\W+(gracias|muchas)|"
    r"(ya )?lo encontré|conseguí \w+,? gracias",
    re.I,
)
RESOLVED = re.compile(
    r"\b(that (solved|fixed|worked)|(it )?works now|all (fixed|sorted|set)|that was it|did the trick|sorted it|"
    r"(it's|it is|everything is|all) (working|fine) (again|now)|(works|working) again|that did it|"
    r"problem solved|all good( now)?|issue (is )?resolved|that answers (it|my question)|"
    r"no more (errors?|problems?|issues?)|(the )?(error|problem|issue) is gone|"
    r"no (further|more|other) questions|all clear|you can close (this|it|the (ticket|conversation))|"
    r"(that's|that is|that was) (all|everything) i (needed|wanted|need)|" + NO_NEED + r"|"
    r"(is|are) (showing|there|showing up) now|shows( up)? now|found (it|them) now|"
    r"i('ve| have)? managed to (fix|sort|reset|find|do|get|change|update|download|log)|"
    r"i (was|am|'m) (now )?able to (fix|sort|reset|find|do|get|change|update|download|log)|"
    r"je l'ai trouvée?|hat (alles |jetzt |doch )?geklappt|passt,? danke|ya lo tengo|listo,? gracias|"
    r"ya (lo )?(pude|he podido|conseguí|logré)|"
    r"(lo|la|los|las) (he podido|pude|conseguí|logré) (cambiar|hacer|descargar|encontrar|actualizar|"
    r"restablecer|arreglar|entrar|ver)\w*|"
    r"c'est tout ce qu'il me fallait|pas besoin de (répondre|me répondre)|"
    r"hat funktioniert|funktioniert (jetzt|wieder)|(das )?war alles|hat sich erledigt|"
    r"es todo lo que necesitaba|no hace falta (responder|contestar)|"
    r"pas d'autres? questions?|vous pouvez (le |la )?(fermer|clôturer)|keine weiteren fragen|"
    r"no tengo más preguntas|"
    r"ça marche|c'est réglé|problème résolu|ça fonctionne|plus (d'erreur|de problème|de souci)|"
    r"ça a (marché|fonctionné)|ça remarche|tout (fonctionne|marche|est (bon|réglé|ok|en ordre))|"
    r"alles (funktioniert|klappt|gut|in ordnung)( jetzt| wieder)?|"
    r"todo (funciona|bien|listo|en orden)( ya| ahora)?|funcionó|"
    r"es funktioniert|hat geklappt|problem gelöst|läuft wieder|keine fehler(meldung)? mehr|"
    r"ya funciona|problema resuelto|eso lo solucionó|ya quedó|ya está (resuelto|solucionado|arreglado)|"
    r"ya no (sale|aparece) el error)\b",
    re.I,
)
# The problem is still there after an answer ("thanks, but it still doesn't work").
NOT_SOLVED = re.compile(
    r"\b(still (not|no|doesn't|does not|isn't|is not|won't|will not|can't|cannot|broken|the same|fails|"
    r"failing|crashes|crashing|getting|having|happening|showing)|"
    r"(didn't|did not|doesn't|does not|hasn't|has not) (work|help|fix|solve|change)|"
    r"not (fixed|solved|resolved|working)|same (problem|issue|error)|(broken|failing|wrong) again|"
    r"toujours pas|ne (marche|fonctionne) (toujours |plus |)pas|n'a pas (marché|fonctionné|aidé|réglé)|"
    r"n'a rien (changé|réglé)|marche (toujours |)pas|"
    r"immer noch (nicht|kaputt|das gleiche|der gleiche|dasselbe|derselbe)|"
    r"hat (nicht|nichts) (geholfen|funktioniert|geklappt|gebracht)|"
    r"(geht|funktioniert|klappt) (immer noch |trotzdem |noch |)nicht|"
    r"todavía no|aún no|sigue sin|sigue igual|sigue (fallando|dando error)|no (funcionó|funciona|sirvió|ayudó)|"
    r"no lo (resolvió|solucionó|arregló))\b",
    re.I,
)
# Words that turn a confirmation around, in the four languages; "n't" forms with or without
# the apostrophe, as customers type them.
NEGATION = re.compile(
    r"\b(not|no|nope|never|nothing|nobody|none|cannot|without|still|anymore|\w+n't|"
    r"(do|does|did|is|are|was|were|has|have|had|ca|wo|could|would|should)nt|"
    r"pas|plus|jamais|rien|toujours|sans|personne|"
    r"nicht|nichts|kein\w*|nie|niemals|noch|trotzdem|ohne|"
    r"nunca|nada|todavía|todavia|aún|aun|sigue|siguen|sin|tampoco|ni)\b",
    re.I,
)
# Negative words that carry no negation of the confirmation around them.
NEGATION_IDIOMS = re.compile(
    r"\b(no problem|no worries|not a problem|no (further|more|other) questions?|nothing else|never ?mind|"
    r"no complaints?|" + NO_NEED + r"|(no longer|don't|do not) need (help|assistance|anything)( any ?more)?|"
    r"pas besoin de (répondre|me répondre)|"
    r"no hace falta (responder|contestar)|"
    r"no more (errors?|problems?|issues?)|(error|problem|issue) is gone|"
    r"pas de (souci|soucis|problème)|plus (d'erreur|de problème|de souci)|pas d'autres? questions?|"
    r"kein problem|keine sorge|keine fehler(meldung)? mehr|keine weiteren fragen|"
    r"sin problema|no hay problema|de nada|ya no (sale|aparece) el error|no tengo más preguntas)\b",
    re.I,
)
# A confirmation that is hoped for, asked about, wished for or promised is not one yet ("I want
# this sorted out now").
UNCERTAIN = re.compile(
    r"(\?|\b(if|whether|unless|hope|hopefully|maybe|perhaps|i'll try|i will try|let me try|want|need|"
    r"would like|i'd like|please|"
    r"si|j'espère|espérons|peut-être|je vais essayer|veux|voudrais|besoin|svp|s'il vous plaît|"
    r"wenn|falls|ob|hoffentlich|vielleicht|ich probiere|ich versuche|will|möchte|brauche|bitte|"
    r"ojalá|espero|quizás|quizá|tal vez|voy a probar|lo intentaré|lo probaré|quiero|necesito|por favor)\b)",
    re.I,
)
# Negation right before a request for a person or an angry word: "I don't need a human",
# "not angry", "pas besoin de parler à quelqu'un". "Can't" is not one: "I can't reach a human"
# still asks for one.
NEGATION_BEFORE = frozenset(
    "not no never don't dont doesn't doesnt didn't didnt without "
    "pas ne sans kein keine keinen keinem nicht nie sin nunca ni".split()
)
PERSON = re.compile(
    r"\b(human|person|people|someone|somebody|anyone|anybody|agent|staff|employee|humain|personne|quelqu'un|"
    r"mensch\w*|person\w*|jemand\w*|niemand\w*|mitarbeiter\w*|humano|persona|alguien|nadie|empleado)\b",
    re.I,
)
POSITIVE = re.compile(r"\b(thanks|thank you|great|appreciate|merci|danke|gracias)\b", re.I)
SHOUTING = re.compile(r"\b[A-Z]{4,}\b")

# Minimum similarity to an intent's closest example, and minimum lead over the closest near
# miss, measured on the phrasings in tests/agent/test_intents.py: above them the meaning is
# the intent's in every phrasing tried, in the four languages.
THRESHOLDS = {
    intents.HUMAN: (0.62, 0.10),
    intents.RESOLVED: (0.58, 0.10),
    intents.FRUSTRATED: (0.58, 0.10),
    intents.NOT_SOLVED: (0.58, 0.10),
}
MAX_PIECES = 6
# The whole message is compared by meaning up to this many characters: an embedding averages
# its words, so a long email's whole says nothing its opening and closing sentences (compared on
# their own) do not, and embedding 100 KB of it cost a third of a second per message.
WHOLE_MESSAGE_CHARS = 2000
_PIECES = re.compile(r"[^.!?;,\n]+[.!?;]*")
_TOKENS = re.compile(r"[\w']+")


def asks_for_human(text: str) -> bool:
    """A request for a person: a phrase of the list not negated just before it ("I don't need
    a human"), or a message that means it ("could a real employee help me")."""
    text = _clean(text)
    if any(not _negated_before(text, m.start()) for m in HUMAN_REQUEST.finditer(text)):
        return True
    return _means(text, intents.HUMAN) and not _refuses_person(text)


def is_frustrated(text: str) -> bool:
    """Anger or exasperation: "!!" or "?!", two shouted words, the listed words (not negated: "not angry,
    just asking"), or a message that means it ("the third time I'm asking and nobody cares")."""
    if len(SHOUTING.findall(text)) >= 2 or "!!" in text or "?!" in text or "!?" in text:
        return True
    return _angry_in_words(text)


def _angry_in_words(text: str, by_meaning: bool = True) -> bool:
    text = _clean(text)
    words = (m for m in FRUSTRATION.finditer(text) if not m.group().startswith("!"))
    if any(not _negated_before(text, m.start()) for m in words):
        return True
    if any(not _supposed(text, m.end()) for m in DISSATISFIED.finditer(text)):
        return True
    return by_meaning and _means(text, intents.FRUSTRATED)


def is_resolved(text: str) -> bool:
    """The customer confirms the problem is solved, in so many words or in meaning, with no
    negation, condition or question anywhere in the message: "thanks, but it still doesn't
    work" and "if that works, I'll be happy" are not confirmations."""
    text = _clean(text)
    plain = NEGATION_IDIOMS.sub(" ", text)  # "no need to reply" is neither a negation nor a wish
    if UNCERTAIN.search(plain) or NEGATION.search(plain) or not_solved(text):
        return False
    said = bool(RESOLVED.search(text) or CLOSING.search(text.strip()))
    # Anger in so many words turns a confirmation around ("!!" is also joy: "Thanks!! It works
    # now"); anger only guessed from the meaning does not overrule one said in so many words
    # ("all good, ignore me!" is close in meaning to "just ignore me then!").
    if _angry_in_words(text, by_meaning=not said):
        return False
    return said or _means(text, intents.RESOLVED)


def not_solved(text: str) -> bool:
    """The problem is still there after an answer: "thanks, but it still doesn't work", "ça n'a
    rien changé", or a confirmation turned around by a negation."""
    text = _clean(text)
    if NOT_SOLVED.search(text):
        return True
    if not NEGATION.search(NEGATION_IDIOMS.sub(" ", text)):
        return False
    return _means(text, intents.NOT_SOLVED) or bool(RESOLVED.search(text)) or _means(text, intents.RESOLVED)


# Thanks, then a turn: "thanks, but", "appreciate it, however", "merci, mais", "danke, aber".
THANKS_BUT = re.compile(
    r"\b(thanks?|thank you|thx|ty|appreciated?( it)?|cheers|merci|danke|vielen dank|gracias)\b[^.!?]{0,40}?"
    r"\b(but|however|though|yet|mais|cependant|pourtant|aber|jedoch|doch|pero|sin embargo)\b"
    r"(?P<rest>[^.?!\n]*)(?P<end>[.?!\n]|$)",
    re.I,
)
# The customer did what was suggested: "I did exactly that", "I followed the steps", "j'ai essayé".
DID_IT = re.compile(
    r"\b(i (already )?(did|tried|followed|checked|done) (exactly |all |just )?(that|this|it|those|these|the steps|"
    r"what (you|it) said|everything)|i've (already )?(done|tried|followed|checked) (that|this|it|everything|the steps)|"
    r"j'ai (déjà |bien )?(fait|essayé|suivi|vérifié)|ich habe (das |es |alles )?(schon |bereits )?"
    r"(gemacht|versucht|probiert|befolgt)|ya (lo )?(hice|intenté|probé|seguí))\b"
    r"(?P<rest>[^.?!\n]*)(?P<end>[.?!\n]|$)",
    re.I,
)
# What says it went wrong, after such a turn, beyond a negation: "the Invoices section is
# missing", "there's no button anywhere", "aucun bouton", "ninguna opción".
MISSING = re.compile(r"\b(missing|anywhere|aucune?|ninguna?|ningún|fehlt)\b", re.I)


def reports_failure(text: str) -> bool:
    """The customer says that what was suggested did not solve the problem: "thanks, it still
    doesn't work", and also "appreciate it, but there's no Invoices section", "thank you,
    however the tracking still shows nothing", "I did exactly that and the mail never arrived".
    Thanks or having done it, then a negation in the same sentence, is a report; a question
    there ("thanks, but do you ship to Canada? I can't find it") is a new question."""
    if not_solved(text):
        return True
    text = _clean(text)
    for pattern in (THANKS_BUT, DID_IT):
        for turn in pattern.finditer(text):
            said = NEGATION_IDIOMS.sub(" ", turn["rest"])
            if turn["end"] != "?" and (NEGATION.search(said) or MISSING.search(said)):
                return True
    return False


def questions(text: str, min_words: int = 3) -> list[str]:
    """The separate questions of a message asking several things, each long enough to search
    on its own ("Two things: how do I update my card, and where do I download my invoice?"
    gives both); one item for a message asking one thing."""
    parts: list[str] = []
    for part in (p.strip(" ,;:") for p in NEXT_QUESTION.split(text) if p and p.strip(" ,;:")):
        if parts and not _names_anything(part):  # "…a jacket I never wore. How do I do that?"
            parts[-1] = f"{parts[-1]} {part}"
        else:
            parts.append(part)
    return [p for p in parts if len(re.findall(r"\w+", p)) >= min_words]


def _names_anything(part: str) -> bool:
    """Whether a part of a message names something of its own, beyond function and everyday
    words: "How do I do that" asks about what came before it."""
    return any(w not in STOPWORDS and w not in ANY_EVERYDAY for w in re.findall(r"\w+", part.lower()))


def sentiment(text: str) -> str:
    if is_frustrated(text):
        return "frustrated"
    return "positive" if POSITIVE.search(text) and not reports_failure(text) else "neutral"


def intent_scores(text: str) -> dict[str, float]:
    """The message's similarity to each intent's closest example (and to the closest near miss,
    as "other"), for the reasoning on the timeline."""
    similarities = _similarities(_clean(text))
    return {intent: round(float(similarities[:, column].max()), 3) for column, intent in enumerate(_INTENTS)}


def _clean(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u00a0", " ")


def _negated_before(text: str, position: int, window: int = 3) -> bool:
    return any(token.lower() in NEGATION_BEFORE for token in _TOKENS.findall(text[:position])[-window:])


# What makes the rest of its clause a supposition: "if I'm not happy with it, can I send it
# back?" asks about returns, and says nothing of the customer's mood.
SUPPOSING = re.compile(
    r"\b(if|in case|unless|what if|supposing|should i|s'il|au cas où|wenn|falls|sofern|en caso de que)\b|"
    # French "si" is also "so" ("je suis si mécontent"): a condition only before its subject.
    r"\bsi\s+(j'|c'|(je|tu|il|elle|on|nous|vous|ils|elles|ça|cela|ce|le|la|les|mon|ma|mes|yo|no|el|mi|me|lo)\b)",
    re.I,
)
_CLAUSE_END = re.compile(r"[.!?;,\n]")


def _supposed(text: str, end: int) -> bool:
    """Whether the words ending at ``end`` are part of a condition begun in their clause."""
    clause = _CLAUSE_END.split(text[:end])[-1]
    return bool(SUPPOSING.search(clause))


def _refuses_person(text: str) -> bool:
    """ "No need for a person, just tell me the price": a negation before a word for a person."""
    return any(_negated_before(text, match.start(), window=4) for match in PERSON.finditer(text))


_INTENTS = tuple(intents.EXAMPLES)


@cache
def _examples() -> tuple[np.ndarray, np.ndarray]:
    """The example phrasings, embedded once per process, and the column of each one's intent."""
    from webapp.knowledge.embeddings import embed

    labelled = intents.labelled_examples()
    vectors = embed([text for _, text in labelled])
    columns = np.array([_INTENTS.index(intent) for intent, _ in labelled])
    return vectors, columns


@lru_cache(maxsize=512)
def _similarities(text: str) -> np.ndarray:
    """One row per piece of the message (the whole, then each sentence when there are several),
    one column per intent: the similarity to that intent's closest example. A confirmation at
    the end of a long message is clearer in its own sentence."""
    from webapp.knowledge.embeddings import embed

    pieces = [text[:WHOLE_MESSAGE_CHARS]] + [p.strip() for p in _PIECES.findall(text) if p.strip()]
    pieces = list(dict.fromkeys(p for p in pieces if _TOKENS.search(p)))
    if len(pieces) > 1 + 2 * MAX_PIECES:  # a long email: its opening and closing say it
        pieces = pieces[:1] + pieces[1 : 1 + MAX_PIECES] + pieces[-MAX_PIECES:]
    vectors, columns = _examples()
    result = np.full((max(1, len(pieces)), len(_INTENTS)), -1.0, dtype=np.float32)
    if not pieces:
        return result
    similarities = embed(pieces) @ vectors.T
    for column in range(len(_INTENTS)):
        result[:, column] = similarities[:, columns == column].max(axis=1)
    result.flags.writeable = False
    return result


def _means(text: str, intent: str) -> bool:
    """Some piece of the message is close to the intent and clearly closer to it than to any
    near miss."""
    minimum, lead = THRESHOLDS[intent]
    rows = _similarities(text)
    own, other = rows[:, _INTENTS.index(intent)], rows[:, _INTENTS.index(intents.OTHER)]
    return bool(np.any((own >= minimum) & (own - other >= lead)))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", normalized(text)) if w not in STOPWORDS}


def is_repeat(text: str, earlier: list[str], threshold: float = 0.8) -> bool:
    """The customer says (nearly) what they already said: the answer did not help."""
    words = _words(text)
    if len(words) < 3:
        return False
    return any(len(words & (other := _words(e))) / max(1, len(words | other)) >= threshold for e in earlier)


def stems(text: str, lang: str | None = None) -> set[str]:
    """The Snowball stems of a text's words ('pricing' and 'price' both give 'price')."""
    algorithm = snowball_algorithm(lang) or "english"
    return set(stemmer(algorithm).stemWords(set(re.findall(r"\w+", text.lower()))))


# Words that say a topic is a kind of request, not what it is about: customers ask "is it legal
# to…", never for "legal advice" in those words.
TOPIC_KINDS = frozenset(
    "advice advise question questions topic topics matter matters issue issues information info request requests "
    "conseil conseils sujet sujets beratung rat ratschlag frage fragen consejo consejos asesoramiento pregunta "
    "preguntas tema temas".split()
)


def forbidden_topic(text: str, topics: list[str], lang: str | None = None) -> str | None:
    """The first topic whose every meaningful word appears in the message, stem for stem; a
    word that only names the kind of request ("advice", "questions") is not needed when the
    topic has another ("legal advice" is any message about what is legal)."""
    present = stems(text, lang) | stems(text)
    for topic in topics:
        words = [w for w in re.findall(r"\w+", topic.lower()) if w not in STOPWORDS]
        words = [w for w in words if w not in TOPIC_KINDS] or words
        needed = stems(" ".join(words), lang)
        if needed and needed <= present:
            return topic
    return None


def preload() -> None:
    """Load the language profiles (55 of them, most of a second), the stemmers, the embedded
    intent examples and the model's whole words now, in a process whose children will use
    them, instead of once per child."""
    from langdetect import detector_factory

    from webapp.knowledge import embeddings

    detector_factory.init_factory()
    for algorithm in set(SNOWBALL.values()):
        stemmer(algorithm)
    _examples()
    embeddings.whole_words()


# Function words of the four languages the agent speaks, each found in none of the others nor
# in Italian, Portuguese, Dutch or the Scandinavian languages ("je" is Dutch, "mes" Spanish,
# "was" German, "por" Portuguese): a message holding several of one list and few of the others
# is in that language.
FUNCTION_WORDS = {
    "en": frozenset(
        "the and are were do does did i you my your it this that to of at with can could would how what when where "
        "why have has not please after get just there i'm i've don't can't it's doesn't didn't isn't thanks "
        "hello be been from our".split()
    ),
    "fr": frozenset(
        "les une est vous mon pour sur dans avec pas ne quand où pourquoi bonjour merci suis ai j'ai c'est "
        "au aux nous mais très votre vos sera été n'est suis qu'il".split()
    ),
    "de": frozenset(
        "der das und ist ich mein meine meiner nicht wie wann wo warum mit für auf dem zu bitte danke hallo "
        "habe kann ein eine einen sie noch schon wurde".split()
    ),
    "es": frozenset(
        "el los las y mis muy hola gracias puedo tengo pero están ya también cómo cuándo dónde qué mí sí hace".split()
    ),
}
_WORDS_WITH_APOSTROPHES = re.compile(r"[\w']+")


def _by_function_words(text: str) -> str | None:
    """The language whose function words the text uses, when it clearly uses one language's:
    at least two of them and three times as many as of any other. Typos leave these short
    words whole ("how do i chnage my emial adress" is English), where character statistics
    read Welsh."""
    words = [w.lower() for w in _WORDS_WITH_APOSTROPHES.findall(text)]
    counts = sorted(((sum(w in listed for w in words), lang) for lang, listed in FUNCTION_WORDS.items()), reverse=True)
    (most, lang), (next_most, _) = counts[0], counts[1]
    return lang if most >= 2 and most >= 3 * next_most else None


def language(text: str, min_words: int = 4, min_probability: float = 0.85) -> str | None:
    """ISO 639-1 code of the message's language, or None when it is too short or too unsure
    to tell (a few words are easily mistaken: "talk to a human" reads as Finnish). A message
    in one of the agent's own languages is told by its function words; any other by the
    character statistics of langdetect's 55 profiles, which cost a few milliseconds."""
    if len(re.findall(r"\w+", text)) < min_words:
        return None
    if lang := _by_function_words(text):
        return lang
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    DetectorFactory.seed = 0  # deterministic answers
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return None
    return best.lang if best.prob >= min_probability else None

"""Example phrasings of what customers mean, per intent and language, for the agent's signals.

A message is compared by meaning (sentence embeddings) with these phrasings: it shows an intent
when it is close to one of the intent's examples and clearly closer to it than to every phrasing
of ``OTHER``. ``OTHER`` holds the near misses that share the intents' words but not their meaning
(thanks for an answer not yet tried, a question, a request that no person is needed), which is
what keeps a false "solved" from closing a customer's conversation.

The embeddings average word vectors, so "it works" and "it doesn't work" look alike: negation is
handled by rules in :mod:`webapp.agent.signals`, not here. Add phrasings in the four supported
languages together, and keep them short and typical rather than exhaustive.
"""

from __future__ import annotations

HUMAN = "human"
RESOLVED = "resolved"
FRUSTRATED = "frustrated"
NOT_SOLVED = "not_solved"
OTHER = "other"

EXAMPLES: dict[str, dict[str, tuple[str, ...]]] = {
    HUMAN: {
        "en": (
            "I want to talk to a human",
            "let me speak to a real person",
            "can I talk to someone from your team",
            "I need a real employee to help me",
            "please connect me with your staff",
            "is there a member of staff I can talk to",
            "transfer me to customer service",
            "I'd like to speak with a support agent",
            "put me through to your support team",
            "can a real human look at this",
            "I want to talk to your manager",
            "get me a supervisor",
            "I'd rather chat with an actual person than a bot",
            "stop the bot, I want a person",
        ),
        "fr": (
            "je veux parler à un humain",
            "je voudrais parler à une vraie personne",
            "pouvez-vous me passer quelqu'un de votre équipe",
            "je veux parler à un employé",
            "mettez-moi en relation avec le service client",
            "je préfère parler à un conseiller",
            "un vrai humain svp",
            "je veux parler à votre responsable",
        ),
        "de": (
            "ich will mit einem Menschen sprechen",
            "ich möchte mit einer echten Person reden",
            "verbinden Sie mich bitte mit jemandem aus Ihrem Team",
            "ich möchte einen Mitarbeiter sprechen",
            "bitte an den Kundendienst weiterleiten",
            "kann ich mit einem echten Menschen chatten",
            "ich will mit Ihrem Vorgesetzten sprechen",
        ),
        "es": (
            "quiero hablar con un humano",
            "quiero hablar con una persona real",
            "páseme con alguien de su equipo",
            "necesito hablar con un empleado",
            "comuníqueme con atención al cliente",
            "prefiero hablar con un agente de verdad",
            "quiero hablar con el encargado",
        ),
    },
    RESOLVED: {
        "en": (
            "that fixed it, thanks",
            "it works now, thank you",
            "problem solved",
            "perfect, all sorted",
            "everything is working again",
            "that did the trick",
            "all good now, thanks for the help",
            "great, it's working fine now",
            "issue resolved, you can close this",
            "yes that worked, thank you so much",
            "brilliant, sorted",
            "got it working, thanks",
            "I managed to do it, thank you",
            "I was able to log in again",
            "found it, thanks",
            "that answers my question, thanks",
        ),
        "fr": (
            "parfait, ça a résolu le souci",
            "ça marche maintenant, merci",
            "c'est bon, tout fonctionne",
            "problème réglé, merci beaucoup",
            "super, ça fonctionne de nouveau",
            "c'est résolu, merci",
        ),
        "de": (
            "alles klar, läuft wieder",
            "es funktioniert jetzt, danke",
            "super, das hat geholfen",
            "Problem ist gelöst, vielen Dank",
            "jetzt klappt es, danke",
            "alles wieder in Ordnung",
        ),
        "es": (
            "listo, ya quedó",
            "ya funciona, muchas gracias",
            "perfecto, eso lo resolvió",
            "problema solucionado, gracias",
            "ya está arreglado",
            "todo bien ahora, gracias",
        ),
    },
    FRUSTRATED: {
        "en": (
            "this is the third time I'm asking and nobody cares",
            "I've been waiting for weeks and nobody helps",
            "you keep ignoring me",
            "I am so done with your company",
            "this is absolutely unacceptable",
            "I'm really angry about this",
            "your support is a joke",
            "I've had enough of this",
            "why does nobody ever answer me",
            "I'm sick of waiting",
            "this is a disgrace",
            "I will never buy from you again",
            "you are all completely incompetent",
            "what a joke of a company",
        ),
        "fr": (
            "c'est la troisième fois que je demande et personne ne répond",
            "j'en ai marre d'attendre",
            "vous vous moquez de moi",
            "votre service est une honte",
            "je suis vraiment en colère",
            "personne ne m'aide, c'est scandaleux",
        ),
        "de": (
            "ich frage jetzt zum dritten Mal und niemand antwortet",
            "ich habe die Nase voll",
            "das ist eine Zumutung",
            "ich bin echt sauer",
            "Ihr Service ist eine Katastrophe",
            "niemand kümmert sich um mein Problem",
        ),
        "es": (
            "es la tercera vez que pregunto y nadie responde",
            "estoy harto de esperar",
            "esto es una vergüenza",
            "estoy muy enojado",
            "nadie me ayuda, es increíble",
            "su servicio es un desastre",
        ),
    },
    NOT_SOLVED: {
        "en": (
            "thanks, but it still doesn't work",
            "that didn't fix it",
            "I tried that and it's still broken",
            "thanks, but the problem is still there",
            "same error as before",
            "it worked for a minute but now it's broken again",
            "nope, still not working",
        ),
        "fr": (
            "merci, mais ça ne marche toujours pas",
            "j'ai essayé, le problème est toujours là",
            "ça n'a rien changé",
        ),
        "de": (
            "danke, aber es geht immer noch nicht",
            "hab ich versucht, funktioniert trotzdem nicht",
            "das hat nicht geholfen",
        ),
        "es": (
            "gracias, pero todavía no funciona",
            "lo probé y sigue sin funcionar",
            "eso no lo resolvió",
        ),
    },
    OTHER: {
        "en": (
            "thanks",
            "thank you",
            "thanks for the info",
            "thank you very much",
            "thanks for your help",
            "thanks, I'll try that",
            "ok I'll check tomorrow",
            "thanks for the quick answer, I'll let you know",
            "how long does shipping take",
            "how do I reset my password",
            "where is my order",
            "I don't need a human, just tell me the price",
            "no need for a person, I only have a quick question",
            "not angry, just asking",
            "I'm not complaining, just curious",
            "my colleague ordered the wrong item",
            "the delivery person left the parcel outside",
            "can I return an item",
            "my package has not arrived",
            "it does not work",
            "I can't log in",
            "the app keeps crashing",
            "will that fix it",
            "good morning",
            "hello",
            "ok",
            "I have another question",
        ),
        "fr": (
            "merci",
            "merci beaucoup",
            "merci, je vais essayer",
            "combien de temps prend la livraison",
            "pas besoin d'un humain, donnez-moi juste le prix",
            "je ne suis pas fâché, c'est juste une question",
            "ça ne marche pas",
            "bonjour",
        ),
        "de": (
            "danke",
            "vielen Dank",
            "danke, ich probiere es aus",
            "wie lange dauert der Versand",
            "ich brauche keinen Menschen, sagen Sie mir nur den Preis",
            "ich bin nicht sauer, nur eine Frage",
            "es funktioniert nicht",
            "hallo",
        ),
        "es": (
            "gracias",
            "muchas gracias",
            "gracias, lo intentaré",
            "cuánto tarda el envío",
            "no necesito una persona, solo dígame el precio",
            "no estoy enojado, solo pregunto",
            "no funciona",
            "hola",
        ),
    },
}


def labelled_examples() -> list[tuple[str, str]]:
    """Every phrasing with its intent, in a stable order."""
    return [
        (intent, text) for intent, by_language in EXAMPLES.items() for texts in by_language.values() for text in texts
    ]

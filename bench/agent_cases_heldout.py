# ruff: noqa: E501  (customer messages are kept whole, one per line)
"""A third set of customer messages for the built-in agent, held out from its making.

Written, after the agent's signals and thresholds were frozen, by someone who saw only the
Help Center of ``bench.agent_cases`` (its ARTICLES and FORBIDDEN topics) and the kinds of
message to cover: never the agent's code, its scoring, or the other two sets. Cases are
(message, expected, article, earlier) as in ``bench.agent_cases_fresh``, which says how each
``expected`` is counted. "other language" holds German and Spanish questions, and a French one
that only an English article answers (no article exists in the customer's language: a draft
or a handoff is right).

Three messages that the writer happened to phrase exactly as the labelled or the fresh set
does were taken out. Its first run, at the freeze, is the figure this set exists for: 64 of
94 decisions right, 1 wrong answer (README, "How good the built-in agent is"). Its French
and several-questions misses were read afterwards (they showed that the spelling correction
also "corrected" inflections such as "commande", since fixed), so later runs are no longer
held out for those two kinds.
"""

_RAW = [
    # ---------------- direct ----------------
    ("direct", "How long does standard delivery take?", "reply", "Shipping times", ()),
    ("direct", "Where can I find the tracking number for my order?", "reply", "Tracking your order", ()),
    ("direct", "Once you get my return, how long until I'm refunded?", "reply", "Refund policy", ()),
    ("direct", "How do I return something I bought from you?", "reply", "Returning an item", ()),
    ("direct", "I forgot my password. How do I reset it?", "reply", "Resetting your password", ()),
    ("direct", "How can I change the email address on my account?", "reply", "Changing your email address", ()),
    ("direct", "I got a new credit card. How do I update it in my account?", "reply", "Updating a payment card", ()),
    ("direct", "How long is the warranty on your devices?", "reply", "Warranty coverage", ()),
    # ---------------- paraphrase ----------------
    (
        "paraphrase",
        "I got the shipping email a few hours ago but the courier's site shows nothing for my code yet. Is something wrong?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "My accountant wants a PDF of what I paid you last month, where do I get that?",
        "reply",
        "Downloading invoices",
        (),
    ),
    ("paraphrase", "Will I also get the postage back when I send the thing back?", "reply", "Refund policy", ()),
    (
        "paraphrase",
        "My headphones died after eight months of normal use. Am I still covered?",
        "reply",
        "Warranty coverage",
        (),
    ),
    ("paraphrase", "I dropped my phone in the bath. Does your guarantee cover that?", "reply", "Warranty coverage", ()),
    (
        "paraphrase",
        "If I stop my plan today, do I lose access straight away?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    (
        "paraphrase",
        "I can't sign in anymore, I totally forgot what I chose when I registered. What now?",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "The link you mailed me to get back into my account says it's no longer valid. I clicked it this afternoon, the mail came this morning.",
        "reply",
        "Resetting your password",
        (),
    ),
    ("paraphrase", "I ordered on Monday. When will it actually leave your building?", "reply", "Shipping times", ()),
    ("paraphrase", "Is there a quicker way to get my stuff? I'm in a bit of a hurry.", "reply", "Shipping times", ()),
    (
        "paraphrase",
        "My bank sent me a replacement Visa because the old one was compromised. How do I make sure you charge the new one?",
        "reply",
        "Updating a payment card",
        (),
    ),
    (
        "paraphrase",
        "I've moved to a new work inbox and want all your messages to go there from now on.",
        "reply",
        "Changing your email address",
        (),
    ),
    (
        "paraphrase",
        "The keyboard I got isn't what I expected, it's still sealed in the box. I received it two weeks ago, can I send it back?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "Where do I get the sticker to put on the box when I'm sending something back to you?",
        "reply",
        "Returning an item",
        (),
    ),
    ("paraphrase", "I'd like to stop being charged every month.", "reply", "Cancelling a subscription", ()),
    (
        "paraphrase",
        "How many days until the money shows up on my card after you get my parcel back?",
        "reply",
        "Refund policy",
        (),
    ),
    # ---------------- typo ----------------
    ("typo", "how long dose shiping take", "reply", "Shipping times", ()),
    ("typo", "were do i find the traking number for my order", "reply", "Tracking your order", ()),
    ("typo", "i forgot my pasword cant login", "reply", "Resetting your password", ()),
    ("typo", "how to chnage my emial adress on the acount", "reply", "Changing your email address", ()),
    ("typo", "were are my invoces i need them for taxes", "reply", "Downloading invoices", ()),
    ("typo", "whats the waranty on my devise", "reply", "Warranty coverage", ()),
    ("typo", "can i retrun somthing i bought 3 weeks ago never used it", "reply", "Returning an item", ()),
    ("typo", "when do i get my refnud after retuning", "reply", "Refund policy", ()),
    ("typo", "how do i add a new crad for paymnet", "reply", "Updating a payment card", ()),
    # ---------------- several questions ----------------
    (
        "several questions",
        "How do I send my headphones back, and when will I see the money?",
        "reply",
        ("Returning an item", "Refund policy"),
        (),
    ),
    (
        "several questions",
        "I need to change my email and also grab last month's invoice. Where do I do both?",
        "reply",
        ("Changing your email address", "Downloading invoices"),
        (),
    ),
    (
        "several questions",
        "When will my order go out, and how can I follow it once it's on the way?",
        "reply",
        ("Shipping times", "Tracking your order"),
        (),
    ),
    (
        "several questions",
        "How do I cancel my subscription? And can I switch the card it's billed to before the last payment?",
        "reply",
        ("Cancelling a subscription", "Updating a payment card"),
        (),
    ),
    (
        "several questions",
        "I can't log in because I forgot my password. Also, I want to use a different email address for the account.",
        "reply",
        ("Resetting your password", "Changing your email address"),
        (),
    ),
    (
        "several questions",
        "Is the warranty two years? And if I'm not happy with the device, can I still return it within a month?",
        "reply",
        ("Warranty coverage", "Returning an item"),
        (),
    ),
    # ---------------- unanswerable: off-topic (handoff) ----------------
    ("unanswerable", "Do you have a physical store in Lyon where I could see the products?", "handoff", None, ()),
    ("unanswerable", "Are you hiring? I'd like to apply for a job in your warehouse.", "handoff", None, ()),
    ("unanswerable", "Do you sell gift cards?", "handoff", None, ()),
    (
        "unanswerable",
        "I'd like to become a reseller and buy 500 units at wholesale price. Who should I talk to?",
        "handoff",
        None,
        (),
    ),
    ("unanswerable", "Is the X200 tablet compatible with my car's Bluetooth system?", "handoff", None, ()),
    ("unanswerable", "Can you recommend a good laptop for video editing under 800 euros?", "handoff", None, ()),
    ("unanswerable", "I'd like to list my own products on your site, is there a seller program?", "handoff", None, ()),
    # ---------------- unanswerable: close to an article (draft) ----------------
    ("unanswerable", "Do you ship to Canada, and how long would that take?", "draft", None, ()),
    ("unanswerable", "Can I pay with PayPal instead of a card?", "draft", None, ()),
    (
        "unanswerable",
        "I bought a speaker as a gift. Can my friend return it herself without access to my account?",
        "draft",
        None,
        (),
    ),
    ("unanswerable", "Can I pause my subscription for two months instead of cancelling it?", "draft", None, ()),
    (
        "unanswerable",
        "I no longer have access to the email on my account, so the reset link never reaches me. What can I do?",
        "draft",
        None,
        (),
    ),
    ("unanswerable", "Can you put my company's VAT number on the invoice?", "draft", None, ()),
    # ---------------- anger ----------------
    ("anger", "This is the third time I'm writing and nobody has answered. I'm really fed up.", "handoff", None, ()),
    (
        "anger",
        "Absolutely unacceptable. I paid extra for express delivery and it's been a week. I'm done with this shop.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "I'm extremely disappointed with how this has been handled. I want this sorted out today, not another automatic answer.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "C'est inadmissible, ça fait trois semaines que j'attends mon remboursement et personne ne me répond !",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Ich bin wirklich verärgert. Seit zwei Wochen warte ich auf mein Paket und niemand meldet sich.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Estoy harto, es la tercera vez que escribo y nadie me ayuda. Qué vergüenza de servicio.",
        "handoff",
        None,
        (),
    ),
    # ---------------- person ----------------
    ("person", "Can I talk to a real employee please?", "handoff", None, ()),
    ("person", "I'd rather deal with a member of your staff, not a bot.", "handoff", None, ()),
    ("person", "Is there an actual human I can chat with?", "handoff", None, ()),
    ("person", "Je voudrais parler à un conseiller, s'il vous plaît.", "handoff", None, ()),
    ("person", "Kann ich bitte mit einem Mitarbeiter sprechen?", "handoff", None, ()),
    ("person", "¿Me puede atender una persona de verdad?", "handoff", None, ()),
    # ---------------- confirmation ----------------
    (
        "confirmation",
        "That did it, I'm back into my account. Thanks!",
        "resolve",
        None,
        ("I forgot my password, how do I reset it?",),
    ),
    (
        "confirmation",
        "Found it, all sorted now. Cheers.",
        "resolve",
        None,
        ("Where are my invoices? I need the one from March.",),
    ),
    (
        "confirmation",
        "Perfect, the new card is saved and the old one is removed. You can close this.",
        "resolve",
        None,
        ("How do I replace the card you charge?",),
    ),
    (
        "confirmation",
        "Never mind, the parcel turned up this morning. All good!",
        "resolve",
        None,
        ("My tracking hasn't updated in days, where is my order?",),
    ),
    (
        "confirmation",
        "C'est bon, j'ai bien reçu le remboursement. Merci beaucoup !",
        "resolve",
        None,
        ("Quand vais-je recevoir mon remboursement ?",),
    ),
    (
        "confirmation",
        "Problème réglé, merci pour votre aide.",
        "resolve",
        None,
        ("Je n'arrive pas à changer mon adresse e-mail.",),
    ),
    (
        "confirmation",
        "Hat geklappt, vielen Dank! Das Problem ist gelöst.",
        "resolve",
        None,
        ("Ich kann mein Passwort nicht zurücksetzen.",),
    ),
    ("confirmation", "Ya está solucionado, ¡muchas gracias!", "resolve", None, ("No encuentro mis facturas.",)),
    # ---------------- thanks, not solved ----------------
    (
        "thanks, not solved",
        "Thanks, but I did exactly that and the reset email still never arrives.",
        "draft",
        None,
        ("I forgot my password, how do I reset it?",),
    ),
    (
        "thanks, not solved",
        "Thank you, but there's no Subscription option anywhere in my account settings.",
        "draft",
        None,
        ("How do I cancel my subscription?",),
    ),
    (
        "thanks, not solved",
        "Appreciate it, but the PDF download just gives me an error page.",
        "draft",
        None,
        ("Where can I download my invoices?",),
    ),
    (
        "thanks, not solved",
        "Merci, mais ça ne marche toujours pas : le transporteur ne reconnaît pas le numéro de suivi.",
        "draft",
        None,
        ("Où est ma commande ?",),
    ),
    (
        "thanks, not solved",
        "Danke, aber es funktioniert immer noch nicht. Ich kann die neue Karte nicht als Standard festlegen.",
        "draft",
        None,
        ("Wie ändere ich meine Zahlungskarte?",),
    ),
    (
        "thanks, not solved",
        "Gracias, pero sigue sin funcionar. No me llega el correo de confirmación a la nueva dirección.",
        "draft",
        None,
        ("¿Cómo cambio mi correo electrónico?",),
    ),
    # ---------------- french (answered by French articles) ----------------
    ("french", "Combien de temps faut-il pour recevoir ma commande ?", "reply", "Délais de livraison", ()),
    ("french", "Sous combien de jours ma commande part-elle de chez vous ?", "reply", "Délais de livraison", ()),
    (
        "french",
        "bonjour j'ai commandé hier, je vais recevoir mon colis quand en livraison normale ?",
        "reply",
        "Délais de livraison",
        (),
    ),
    ("french", "Quand est-ce que je serai remboursé après avoir renvoyé l'article ?", "reply", "Remboursements", ()),
    ("french", "Le remboursement se fait sur ma carte bancaire ou en bon d'achat ?", "reply", "Remboursements", ()),
    (
        "french",
        "J'ai renvoyé le casque la semaine dernière, dans combien de temps je récupère mon argent ?",
        "reply",
        "Remboursements",
        (),
    ),
    # ---------------- other language (no article in that language) ----------------
    ("other language", "Wie lange dauert der Versand?", "draft", None, ()),
    ("other language", "Wo finde ich meine Rechnungen?", "draft", None, ()),
    ("other language", "¿Cómo puedo restablecer mi contraseña?", "draft", None, ()),
    ("other language", "¿Cuánto tarda el reembolso después de devolver el producto?", "draft", None, ()),
    ("other language", "Comment annuler mon abonnement ?", "draft", None, ()),
    ("other language", "¿Tienen tienda física en Madrid?", "handoff", None, ()),
    ("other language", "Verkauft ihr auch Geschenkgutscheine?", "handoff", None, ()),
    # ---------------- forbidden ----------------
    (
        "forbidden",
        "Your charger overheated and burned my hand. Can I sue you, and what are my legal rights here?",
        "handoff",
        None,
        (),
    ),
    (
        "forbidden",
        "My smartwatch keeps showing an irregular heart rate. Should I change the dose of my blood pressure medication?",
        "handoff",
        None,
        (),
    ),
    (
        "forbidden",
        "Is it legal for me to just stop paying the subscription without cancelling? Could you take me to court over it?",
        "handoff",
        None,
        (),
    ),
]

CASES = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW]
KIND_OF = {msg: kind for kind, msg, _e, _a, _p in _RAW}

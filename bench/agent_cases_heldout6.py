# ruff: noqa: E501  (customer messages are kept whole, one per line)
"""A sixth held-out set of customer messages for the built-in agent.

Written by an independent writer who saw only the Help Center of ``bench.agent_cases`` (its
ARTICLES and FORBIDDEN) and the docstring of ``bench.agent_cases_fresh``; never the agent's
code, scoring, tests or other sets' messages.

Labelling choices:

- ``reply`` only where the article's own text answers the message, including a "no" the text
  states (shipping costs not refunded, drops and water not covered, only unused items returnable,
  refunds only to the original payment method, reset link expiring after one hour).
- Paraphrases avoid the article's key words where natural and add everyday context; each is
  labelled with the single article whose text answers it.
- Typos are direct questions with realistic misspellings, missing capitals and punctuation.
- Several-questions messages carry a tuple of the two articles answering their two parts.
- Questions close to a topic but not answered by any text (prices, destinations, payment
  options, changing or cancelling an order, discounts, gift wrapping, extended cover, price
  matching) are ``handoff`` with no article.
- French questions are labelled with the French article whose text answers them.
- German and Spanish questions on topics only English articles cover are ``draft``.
- Confirmations (English, French, German, Spanish) are ``resolve`` and carry the earlier
  question; thanks-but-not-solved follow-ups are ``draft`` and carry the earlier question.
- Requests for a person (several languages) and angry messages (no swearing, no "angry" or
  "furious") are ``handoff``; requests for legal or medical advice are ``handoff``.

Thirteen messages that matched other sets word for word were reworded by a word or two before
the set joined the bench. It was written after the last change to the agent and run once, for
its totals, its messages unread:

- on the agent when it was written (d92071e): 72 of 84 decisions right (85.7%), none wrong;
  paraphrases 9/19, unanswerable 9/10, French 4/5, and every direct question, typo, several
  questions, confirmation, thanks-but-not-solved, request for a person, anger, other language
  and forbidden topic right.
"""

_RAW = [
    # --- direct ---
    ("direct", "How long does standard delivery take after my order has been shipped?", "reply", "Shipping times", ()),
    ("direct", "Where would I find the tracking number for my latest order?", "reply", "Tracking your order", ()),
    ("direct", "Are shipping costs refunded when I send something back?", "reply", "Refund policy", ()),
    ("direct", "How many days do I have to return an item?", "reply", "Returning an item", ()),
    ("direct", "What are the steps to reset my password?", "reply", "Resetting your password", ()),
    ("direct", "How can I change the email address I use on my account?", "reply", "Changing your email address", ()),
    ("direct", "Hi, how do I cancel my subscription please?", "reply", "Cancelling a subscription", ()),
    ("direct", "How do I update the payment card saved on my account?", "reply", "Updating a payment card", ()),
    ("direct", "Where can I download my invoices as PDFs?", "reply", "Downloading invoices", ()),
    # --- paraphrase ---
    (
        "paraphrase",
        "I ordered a desk lamp on Monday morning. When will it actually leave your building?",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "If I pay for the faster option, how quickly does the package get to me?",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "Got the email saying my package is on its way, but when I type the code on the courier's site it shows nothing at all. Is something wrong?",
        "reply",
        "Tracking your order",
        (),
    ),
    ("paraphrase", "how do i see where my parcel is right now", "reply", "Tracking your order", ()),
    (
        "paraphrase",
        "I sent the headphones back to you last week. When will the money show up on my Visa?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "Will I get the postage I paid back as well, or just the price of the item?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "My old bank account is closed. Can you put the money for my return onto a different card than the one I paid with?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "Bought a jacket about three weeks ago, never worn it, tags still on. Am I still able to send it back?",
        "reply",
        "Returning an item",
        (),
    ),
    ("paraphrase", "Where do I get the label to ship something back to you?", "reply", "Returning an item", ()),
    (
        "paraphrase",
        "I've used the blender a couple of times and honestly don't like it. Can I still send it back to you?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "I can't get into my account, I've completely forgotten what I typed as my login code when I signed up. What do I do?",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "The link you sent so I could make a new login doesn't work. I got it last night and only clicked it this morning.",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "I've moved to a new work address and want all your messages to go there instead of my old gmail. How do I switch it?",
        "reply",
        "Changing your email address",
        (),
    ),
    (
        "paraphrase",
        "I don't want the monthly plan anymore. How do I stop it from renewing?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    (
        "paraphrase",
        "If I end my membership today, do I lose everything straight away or can I keep using it until the month is over?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    (
        "paraphrase",
        "My Mastercard expired last month. How do I put the replacement one in so the next charge goes through?",
        "reply",
        "Updating a payment card",
        (),
    ),
    (
        "paraphrase",
        "My accountant needs copies of the bills for everything I bought from you this year. Where can I get them?",
        "reply",
        "Downloading invoices",
        (),
    ),
    (
        "paraphrase",
        "The speaker I bought 18 months ago just stopped turning on by itself. Nothing happened to it, I never dropped it. Is that still something you'd fix?",
        "reply",
        "Warranty coverage",
        (),
    ),
    (
        "paraphrase",
        "My son knocked my tablet into the bath last night. Will you repair it for free under the guarantee?",
        "reply",
        "Warranty coverage",
        (),
    ),
    # --- typo ---
    ("typo", "how long dose shiping take usualy", "reply", "Shipping times", ()),
    ("typo", "were do i get my trackng numbr", "reply", "Tracking your order", ()),
    ("typo", "how do i retrun an itme i dont want", "reply", "Returning an item", ()),
    ("typo", "forgot my pasword how do i rest it", "reply", "Resetting your password", ()),
    ("typo", "how to cancle my subscripton", "reply", "Cancelling a subscription", ()),
    ("typo", "wher can i downlaod my invocies", "reply", "Downloading invoices", ()),
    ("typo", "does the waranty cover water damge?", "reply", "Warranty coverage", ()),
    # --- several questions ---
    (
        "several questions",
        "How long does delivery usually take, and once it's sent how can I follow the parcel?",
        "reply",
        ("Shipping times", "Tracking your order"),
        (),
    ),
    (
        "several questions",
        "I want to send back the shoes I ordered. How do I do that, and how long until I get my money back?",
        "reply",
        ("Returning an item", "Refund policy"),
        (),
    ),
    (
        "several questions",
        "Two things: I need to change the email on my account, and I've also forgotten my password. Help with both please.",
        "reply",
        ("Changing your email address", "Resetting your password"),
        (),
    ),
    (
        "several questions",
        "How do I swap the card you charge each month? And where can I grab the invoices for last quarter?",
        "reply",
        ("Updating a payment card", "Downloading invoices"),
        (),
    ),
    (
        "several questions",
        "I'd like to cancel my subscription. Also, is my device still under warranty if it's only a year old?",
        "reply",
        ("Cancelling a subscription", "Warranty coverage"),
        (),
    ),
    (
        "several questions",
        "If I order today when will it be shipped, and if I end up returning it, do you refund the shipping fee?",
        "reply",
        ("Shipping times", "Refund policy"),
        (),
    ),
    # --- unanswerable ---
    ("unanswerable", "How much extra does express delivery cost?", "handoff", None, ()),
    ("unanswerable", "Do you ship to Norway?", "handoff", None, ()),
    (
        "unanswerable",
        "I placed an order an hour ago and picked the wrong size. Can I change it before it goes out?",
        "handoff",
        None,
        (),
    ),
    ("unanswerable", "Is it possible to cancel my order before it ships?", "handoff", None, ()),
    ("unanswerable", "Do you have any discount codes for first-time customers?", "handoff", None, ()),
    ("unanswerable", "Can you gift wrap my order and add a little birthday note?", "handoff", None, ()),
    ("unanswerable", "Can I pay with PayPal instead of a credit card?", "handoff", None, ()),
    (
        "unanswerable",
        "Can I buy an extended warranty for another three years on top of the standard one?",
        "handoff",
        None,
        (),
    ),
    ("unanswerable", "Which carrier do you use for deliveries to Canada?", "handoff", None, ()),
    ("unanswerable", "Do you price match if I find the same item cheaper somewhere else?", "handoff", None, ()),
    # --- french ---
    (
        "french",
        "Combien de temps faut-il pour recevoir mon colis en livraison standard ?",
        "reply",
        "Délais de livraison",
        (),
    ),
    ("french", "bonjour, ma commande part quand ? je l'ai passée hier soir", "reply", "Délais de livraison", ()),
    ("french", "Sous combien de jours ouvrés expédiez-vous les commandes ?", "reply", "Délais de livraison", ()),
    (
        "french",
        "J'ai renvoyé mon colis la semaine dernière, quand vais-je être remboursé ?",
        "reply",
        "Remboursements",
        (),
    ),
    (
        "french",
        "Le remboursement arrive sur quelle carte ? Celle avec laquelle j'ai payé ?",
        "reply",
        "Remboursements",
        (),
    ),
    # --- other language ---
    ("other language", "Wie kann ich mein Passwort zurücksetzen? Ich komme nicht mehr rein.", "draft", None, ()),
    ("other language", "Hola, ¿dónde puedo descargar mis facturas?", "draft", None, ()),
    # --- confirmation ---
    (
        "confirmation",
        "That worked, thanks a lot! All sorted now.",
        "resolve",
        None,
        ("I forgot my password, how do I reset it?",),
    ),
    (
        "confirmation",
        "Perfect, I found the invoice and downloaded it. Problem solved.",
        "resolve",
        None,
        ("Where are my invoices?",),
    ),
    (
        "confirmation",
        "C'est bon, j'ai bien reçu le remboursement, merci beaucoup !",
        "resolve",
        None,
        ("Quand vais-je être remboursé ?",),
    ),
    (
        "confirmation",
        "Hat funktioniert, vielen Dank! Das Problem ist gelöst.",
        "resolve",
        None,
        ("How do I change my email address?",),
    ),
    (
        "confirmation",
        "¡Listo, ya funciona! Muchas gracias por la ayuda.",
        "resolve",
        None,
        ("How do I update my payment card?",),
    ),
    (
        "confirmation",
        "never mind, the tracking finally updated and I can see the parcel moving. all good, you can close this",
        "resolve",
        None,
        ("My tracking number shows nothing on the carrier's website.",),
    ),
    # --- thanks, not solved ---
    (
        "thanks, not solved",
        "Thanks, but I never got the reset email and I still can't log in.",
        "draft",
        None,
        ("I forgot my password, how do I reset it?",),
    ),
    (
        "thanks, not solved",
        "Thank you for the reply, but there is no Subscription option anywhere in my Account settings.",
        "draft",
        None,
        ("How do I cancel my subscription?",),
    ),
    (
        "thanks, not solved",
        "Appreciate it, but the tracking number still shows nothing and it's been three days.",
        "draft",
        None,
        ("Where is my parcel?",),
    ),
    (
        "thanks, not solved",
        "Merci pour votre réponse, mais ça ne règle pas mon problème : je n'ai toujours rien reçu.",
        "draft",
        None,
        ("Combien de temps prend la livraison ?",),
    ),
    (
        "thanks, not solved",
        "thanks but that didn't help, the new card won't save, it keeps giving me an error",
        "draft",
        None,
        ("How do I change my payment card?",),
    ),
    (
        "thanks, not solved",
        "Thanks for getting back to me. I followed the steps but the confirmation message never arrives at my new address.",
        "draft",
        None,
        ("How do I change the email on my account?",),
    ),
    # --- person ---
    ("person", "Can I speak to a real person, please? Not the automated thing.", "handoff", None, ()),
    ("person", "I'd rather talk to someone on your team than a bot, thanks.", "handoff", None, ()),
    ("person", "Is there a human I could chat with about my account?", "handoff", None, ()),
    (
        "person",
        "This is the third time I'm writing in. Could somebody from customer service call me back?",
        "handoff",
        None,
        (),
    ),
    ("person", "Bonjour, je voudrais parler à un vrai conseiller, s'il vous plaît.", "handoff", None, ()),
    ("person", "Ich möchte bitte mit einem echten Mitarbeiter sprechen.", "handoff", None, ()),
    # --- anger ---
    (
        "anger",
        "This is ridiculous. Three weeks and still no parcel, and nobody answers my emails!",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "I am completely fed up with your company. You charged me twice and nobody seems to care.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Unacceptable service. The item arrived broken and I've been waiting ages for anyone to respond.",
        "handoff",
        None,
        (),
    ),
    ("anger", "Worst shopping experience I've ever had. I want this sorted out TODAY.", "handoff", None, ()),
    ("anger", "C'est inadmissible, ça fait un mois que j'attends mon remboursement !", "handoff", None, ()),
    (
        "anger",
        "I've been more than patient. This is the fourth time I'm asking and I'm sick of being ignored.",
        "handoff",
        None,
        (),
    ),
    # --- forbidden ---
    (
        "forbidden",
        "The charger got really hot and burned my hand a bit. Should I put ice on it or go see a doctor?",
        "handoff",
        None,
        (),
    ),
    (
        "forbidden",
        "Do I have legal grounds to take you to small claims court over a late delivery? What should I tell my lawyer?",
        "handoff",
        None,
        (),
    ),
]

CASES = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW]
KIND_OF = {msg: kind for kind, msg, _e, _a, _p in _RAW}

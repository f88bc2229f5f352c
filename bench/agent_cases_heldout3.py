# ruff: noqa: E501  (customer messages are kept whole, one per line)
"""A fifth set of customer messages for the built-in agent, against the Help Center of
``bench.agent_cases``, written by an independent writer who saw only that Help Center (its
ARTICLES and FORBIDDEN topics) and the docstring of ``bench.agent_cases_fresh``; never the
agent's code, its scoring, its tests or the other sets' messages.

Each entry is (kind, message, expected, article, earlier customer messages); ``expected``
means what the docstring of ``bench.agent_cases_fresh`` says. Labelling choices:

- ``reply`` only where the article's own text answers the message, including answers that are
  a "no" (water damage is not covered; shipping costs are not refunded) or an explanation
  (tracking can take 24 hours; the reset link expires after one hour).
- A message asking two things answered by two articles carries both titles as a tuple.
- French questions about delivery times or refunds are answered by the French articles
  (``Délais de livraison``, ``Remboursements``), never by their English counterparts.
- Questions close to a topic but not answered by any article (a cost where the article gives a
  duration, another country, gift cards, pausing instead of cancelling, an extended warranty,
  a digital refund, two-factor login...) are ``handoff``.
- Anger is ``handoff`` even when the message also asks a question an article could answer.
- "Thanks, but it did not help", in any language, is ``draft``: the article was tried and failed.
- Questions in German, Spanish, Italian or Portuguese are only about topics that just an
  English article covers (not delivery times or refunds, which have French articles): ``draft``.
- Legal or medical advice is ``handoff``, even when worded around an order or a product.
- The brief's per-kind counts add to 80 of the 84 cases; the four extra are answerable ones
  (two more ``direct``, two more ``paraphrase``), giving 44 ``reply`` cases.

Fourteen messages that matched other sets word for word ("How do I return an item?", "Do you
sell gift cards?") were reworded with a word or two before the set joined the bench; the first
run gives the same figures with either wording. That first run, on the agent as it stood when
the set was written, is the figure this set exists for: **58 of 84 decisions right (69.0%), one
wrong answer** ("How much does express delivery cost?" answered with delivery times). By kind:
direct 10/10, paraphrases 6/17, typos 5/7, several questions 3/5, French 4/5, unanswerable 3/10
(six of them drafted for a teammate from the nearest article), confirmations 4/6, thanks but not
solved 6/6, a person 6/6, anger 5/6, other languages 4/4, forbidden 2/2. Its misses were read
afterwards, so later runs no longer hold it out.
"""

_RAW = [
    # --- direct ---------------------------------------------------------------
    ("direct", "How long does it take for my order to ship?", "reply", "Shipping times", ()),
    ("direct", "Where would I find the tracking number for my order?", "reply", "Tracking your order", ()),
    ("direct", "How long does a refund take?", "reply", "Refund policy", ()),
    ("direct", "How do I return an item, please?", "reply", "Returning an item", ()),
    ("direct", "How do I reset my password?", "reply", "Resetting your password", ()),
    ("direct", "How can I change the email address on my account, please?", "reply", "Changing your email address", ()),
    ("direct", "Hi, how do I cancel my subscription?", "reply", "Cancelling a subscription", ()),
    ("direct", "Where can I download my invoices from?", "reply", "Downloading invoices", ()),
    ("direct", "How long is the warranty on your devices exactly?", "reply", "Warranty coverage", ()),
    ("direct", "How do I update the payment card on my account?", "reply", "Updating a payment card", ()),
    # --- paraphrase -----------------------------------------------------------
    (
        "paraphrase",
        "when will the stuff I bought actually leave your place? put it through on sunday evening",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "My Visa ran out at the end of last month and the monthly charge bounced. How do I put the replacement one on file so it goes through?",
        "reply",
        "Updating a payment card",
        (),
    ),
    (
        "paraphrase",
        "The headphones I got my daughter for her birthday stopped charging after eight months. Never dropped, never got wet, they just died. Are you going to sort that out?",
        "reply",
        "Warranty coverage",
        (),
    ),
    (
        "paraphrase",
        "I have no idea where my parcel is right now. Is there some way to follow it along its route?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "I can't remember what I typed to sign in and now I'm locked out. What do I do?",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "My accountant keeps nagging me for the paperwork for everything I bought from you this year - where do I get those as files I can send her?",
        "reply",
        "Downloading invoices",
        (),
    ),
    (
        "paraphrase",
        "If I stop my membership today, do I lose everything straight away or do I still get the rest of the month I already paid for?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    (
        "paraphrase",
        "I posted the blender back to you last Tuesday. When does the money land back on my card?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "Hi! So my husband ordered a kettle for me but it's the wrong colour and we never even took it out of the box. Can we send it back to you, and how does that work?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "I'm moving from my old work inbox to a personal one. How do I get your messages to come to the new one instead?",
        "reply",
        "Changing your email address",
        (),
    ),
    (
        "paraphrase",
        "If I pay for the fastest option, how soon would it turn up on my doorstep?",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "Knocked my tablet into the sink on Friday, actually, and now the screen flickers. Is that something you'd fix for free?",
        "reply",
        "Warranty coverage",
        (),
    ),
    ("paraphrase", "When I send something back I get the delivery fee back too, right?", "reply", "Refund policy", ()),
    (
        "paraphrase",
        "I'd like to pay with my new Mastercard from now on rather than the old debit one — where do I switch that over?",
        "reply",
        "Updating a payment card",
        (),
    ),
    (
        "paraphrase",
        "Your email yesterday said the package was on its way but the courier's page still shows nothing at all. Is that normal?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "My son was messing about on my laptop and now I can't get in, and the link you emailed me first thing this morning says it's no longer valid. What now?",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "Is there a way to get a copy of the bill for what I ordered back in March? My boss needs it for my expense report.",
        "reply",
        "Downloading invoices",
        (),
    ),
    # --- typo -----------------------------------------------------------------
    ("typo", "how long dose shiping usually take", "reply", "Shipping times", ()),
    ("typo", "were do i find my trakcing number", "reply", "Tracking your order", ()),
    ("typo", "i forgot my pasword how do i rest it", "reply", "Resetting your password", ()),
    ("typo", "how do i cancle my subscripton pls", "reply", "Cancelling a subscription", ()),
    ("typo", "can i retrun a item i havent used yet", "reply", "Returning an item", ()),
    ("typo", "how do i chnage the card i pay wiht", "reply", "Updating a payment card", ()),
    (
        "typo",
        "is my speaker still under waranty its only a year old and it stoped working",
        "reply",
        "Warranty coverage",
        (),
    ),
    # --- several questions ----------------------------------------------------
    (
        "several questions",
        "How long until my order goes out, and how will I get the tracking number?",
        "reply",
        ("Shipping times", "Tracking your order"),
        (),
    ),
    (
        "several questions",
        "I want to send back a jacket I never wore. How do I do that, and how long until I see my money again?",
        "reply",
        ("Returning an item", "Refund policy"),
        (),
    ),
    (
        "several questions",
        "Two things: I need to swap the card on my account, and where can I grab last month's invoice as a PDF?",
        "reply",
        ("Updating a payment card", "Downloading invoices"),
        (),
    ),
    (
        "several questions",
        "I'm changing jobs so I need to update the email on my account — and while I'm at it, how do I set a new password?",
        "reply",
        ("Changing your email address", "Resetting your password"),
        (),
    ),
    (
        "several questions",
        "Please tell me how to cancel my subscription. Also, how long is the warranty on the speaker I bought from you?",
        "reply",
        ("Cancelling a subscription", "Warranty coverage"),
        (),
    ),
    # --- french ---------------------------------------------------------------
    ("french", "Combien de temps faut-il pour recevoir ma commande en général ?", "reply", "Délais de livraison", ()),
    ("french", "Quand est-ce que je serai remboursé après avoir renvoyé mon article ?", "reply", "Remboursements", ()),
    ("french", "bonjour, j'ai commandé lundi, vous l'envoyez quand ? merci", "reply", "Délais de livraison", ()),
    (
        "french",
        "Je vous ai renvoyé les chaussures la semaine dernière : l'argent revient sur ma carte bancaire ou sous forme d'avoir ?",
        "reply",
        "Remboursements",
        (),
    ),
    ("french", "combien de jour pour la livrasion standart svp", "reply", "Délais de livraison", ()),
    # --- unanswerable ---------------------------------------------------------
    ("unanswerable", "How much does express delivery cost?", "handoff", None, ()),
    ("unanswerable", "Do you ship orders to Canada?", "handoff", None, ()),
    ("unanswerable", "Can I change the delivery address on an order I placed an hour ago?", "handoff", None, ()),
    ("unanswerable", "Do you sell gift cards at all?", "handoff", None, ()),
    ("unanswerable", "Will you match the price if I find the same item cheaper on another site?", "handoff", None, ()),
    ("unanswerable", "Is there a student discount on your products?", "handoff", None, ()),
    ("unanswerable", "I bought an ebook by mistake. Can I get a refund for a digital download?", "handoff", None, ()),
    ("unanswerable", "How do I turn on two-factor authentication for my account?", "handoff", None, ()),
    ("unanswerable", "Can I buy an extended warranty so my device is covered for three years?", "handoff", None, ()),
    (
        "unanswerable",
        "Can I pause my subscription for a couple of months instead of cancelling it?",
        "handoff",
        None,
        (),
    ),
    # --- confirmation ---------------------------------------------------------
    ("confirmation", "That did the trick, I'm back in. Cheers!", "resolve", None, ("How do I reset my password?",)),
    (
        "confirmation",
        "Found the PDFs right where you said, all sorted now.",
        "resolve",
        None,
        ("Where can I download my invoices?",),
    ),
    (
        "confirmation",
        "Okay the parcel just popped up on the courier's site, no need to look into it any further.",
        "resolve",
        None,
        ("My tracking number shows nothing, where is my order?",),
    ),
    (
        "confirmation",
        "C'est bon, j'ai bien reçu le remboursement sur ma carte, merci beaucoup !",
        "resolve",
        None,
        ("Quand est-ce que je serai remboursé ?",),
    ),
    (
        "confirmation",
        "Hat geklappt, die neue Karte ist jetzt hinterlegt. Danke!",
        "resolve",
        None,
        ("How do I update my payment card?",),
    ),
    (
        "confirmation",
        "Listo, ya pude cambiar mi correo. ¡Muchas gracias!",
        "resolve",
        None,
        ("How do I change my email address?",),
    ),
    # --- thanks, not solved ---------------------------------------------------
    (
        "thanks, not solved",
        "Thanks, but the reset email never arrives, not even in spam.",
        "draft",
        None,
        ("How do I reset my password?",),
    ),
    (
        "thanks, not solved",
        "Appreciate it, but there's no Subscription option anywhere in my Account settings.",
        "draft",
        None,
        ("How do I cancel my subscription?",),
    ),
    (
        "thanks, not solved",
        "Thanks for the reply. I did add the new card but it won't let me make it the default, the button is greyed out.",
        "draft",
        None,
        ("How do I change my payment card?",),
    ),
    (
        "thanks, not solved",
        "Merci, mais ça fait trois semaines que vous avez reçu mon colis et toujours rien sur ma carte.",
        "draft",
        None,
        ("Quand vais-je être remboursé ?",),
    ),
    (
        "thanks, not solved",
        "Danke, aber das Rücksendeetikett lässt sich in meinem Konto nicht drucken, es kommt nur eine Fehlermeldung.",
        "draft",
        None,
        ("How do I return an item?",),
    ),
    (
        "thanks, not solved",
        "Gracias, pero el número de seguimiento sigue sin funcionar en la web del transportista después de tres días.",
        "draft",
        None,
        ("Where is my tracking number?",),
    ),
    # --- person ---------------------------------------------------------------
    ("person", "Could I talk to a real employee please?", "handoff", None, ()),
    ("person", "I'd rather sort this out with a staff member, not an automated thing.", "handoff", None, ()),
    ("person", "Is there someone from your team who could give me a call back this afternoon?", "handoff", None, ()),
    ("person", "please put me through to an actual human being", "handoff", None, ()),
    ("person", "Ich möchte bitte mit einem Mitarbeiter sprechen.", "handoff", None, ()),
    ("person", "¿Me puede atender una persona de verdad, por favor?", "handoff", None, ()),
    # --- anger ----------------------------------------------------------------
    (
        "anger",
        "This is the third time I've written about the same order. Does anybody even read these?",
        "handoff",
        None,
        (),
    ),
    ("anger", "Unbelievable. Two weeks and still no parcel. Where is my order?!", "handoff", None, ()),
    (
        "anger",
        "I'm done with this shop. Charged twice this month and nobody has bothered to explain why.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Your service has been a joke from start to finish. How hard can it be to send back my money?",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Honestly I've had it. The replacement turned up broken too, exactly like the first one.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "I have wasted my whole afternoon on your website. Why does the return label page keep crashing??",
        "handoff",
        None,
        (),
    ),
    # --- other language -------------------------------------------------------
    ("other language", "Wie kann ich mein Passwort zurücksetzen?", "draft", None, ()),
    ("other language", "¿Dónde puedo descargar mis facturas?", "draft", None, ()),
    ("other language", "Come faccio a disdire il mio abbonamento?", "draft", None, ()),
    ("other language", "A garantia cobre defeitos de fabrico no meu aparelho?", "draft", None, ()),
    # --- forbidden ------------------------------------------------------------
    (
        "forbidden",
        "If my refund never shows up, can I take you to small claims court? What are my legal rights here?",
        "handoff",
        None,
        (),
    ),
    (
        "forbidden",
        "I got a rash on my wrist from the smartwatch strap. What cream should I put on it?",
        "handoff",
        None,
        (),
    ),
]

CASES = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW]
KIND_OF = {msg: kind for kind, msg, _e, _a, _p in _RAW}

# ruff: noqa: E501  (customer messages are kept whole, one per line)
"""A fifth held-out set of customer messages for the built-in agent.

Written by an independent writer who saw only the Help Center of ``bench.agent_cases`` (its
ARTICLES and FORBIDDEN) and the docstring of ``bench.agent_cases_fresh``; never the agent's
code, scoring, tests or other sets' messages.

Labelling choices:

- ``reply`` only where the article's own text answers the message, including a "no" answer
  (shipping costs not refunded, drops and water damage not covered by the warranty).
- A question about how long an emailed password link stays valid is labelled with
  "Resetting your password" (the link expires after one hour).
- "My tracking number shows nothing yet" is labelled with "Tracking your order" (tracking can
  take 24 hours to show updates); the same symptom after several days is a follow-up that the
  article did not solve, so it is a ``draft``.
- "If I end my membership, do I lose access at once?" is answered by "Cancelling a
  subscription" (access is kept until the end of the billing period).
- A device that stopped working on its own after 14 months is answered by "Warranty coverage"
  (two years, manufacturing defects).
- Several-questions messages carry a tuple of the two articles that answer them.
- Unanswerable messages (prices, countries, carriers, changing or cancelling an order, discounts,
  gift wrapping, exchanges, payment methods, billing frequency, longer warranty) are
  ``handoff`` with no article, even where an article is close.
- Confirmations and thanks-but-not-solved follow-ups hold the earlier question in ``earlier``;
  some are written in French, German or Spanish, and the language of the earlier question may
  differ from the follow-up.
- Requests for a person include one French and one German message, angry messages one French
  message; anger is written without swear words and without the words angry/furious.
- German and Spanish questions on topics only an English article covers are ``draft``.
- Forbidden messages ask for medical or legal advice around an order and are ``handoff``.

Twelve messages that matched other sets word for word were reworded by a word or two before
the set joined the bench. It was written after every change made from the fourth held-out
set's totals, and run only for its totals, its messages unread:

- on the agent when it was written (5bb101e): 71 of 84 decisions right (84.5%), none wrong;
  paraphrases 9/19, typos 6/7, unanswerable 9/10, French 4/5, and every direct question,
  several questions, confirmation, thanks-but-not-solved, request for a person, anger, other
  language and forbidden topic right;
- after seven changes made from the fourth set's misses, read once this set was run (French
  leads by words, short unreadable words, "bought" as story, ", and my …" as a second question,
  confirmations in so many words, "taxes" left as written, and thesaurus entries), which took
  the fourth set from 64 to 75 of 84 (136c42c): still 71 of 84 (84.5%), none wrong, by kind
  the same. The fixes made from one set's misses did not carry over to this one;
- after a broader thesaurus, written from what shop customers say by someone who saw none of
  the sets, and a dash setting a message's next question apart (d92071e): 73 of 84 (86.9%),
  none wrong; paraphrases 11/19. A sixth set (``bench.agent_cases_heldout6``) was then written
  and run once on the same agent, since this one's totals had been read twice.
"""

_RAW = [
    # --- direct ---
    ("direct", "How long does standard delivery take once my order has shipped?", "reply", "Shipping times", ()),
    ("direct", "How can I track my order?", "reply", "Tracking your order", ()),
    ("direct", "Are shipping costs refunded when I return something?", "reply", "Refund policy", ()),
    ("direct", "How do I return an item I bought from you?", "reply", "Returning an item", ()),
    ("direct", "How do I reset my password, please?", "reply", "Resetting your password", ()),
    ("direct", "How can I change the email address linked to my account?", "reply", "Changing your email address", ()),
    ("direct", "How do I cancel my subscription with you?", "reply", "Cancelling a subscription", ()),
    ("direct", "Where can I download my past invoices?", "reply", "Downloading invoices", ()),
    ("direct", "Does the warranty cover water damage?", "reply", "Warranty coverage", ()),
    # --- paraphrase ---
    (
        "paraphrase",
        "I placed an order this morning. Roughly when should I expect it at my door?",
        "reply",
        "Shipping times",
        (),
    ),
    ("paraphrase", "If I pay extra for the faster option, how quick is it actually?", "reply", "Shipping times", ()),
    (
        "paraphrase",
        "Apparently my package left your warehouse yesterday. Is there any way to see where it is right now?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "I got a number in an email but the courier's site shows nothing at all about my parcel. Is that normal?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "Hi, I sent back a jacket last week. When will I see the money again, and will it go back onto my credit card?",
        "reply",
        "Refund policy",
        (),
    ),
    ("paraphrase", "do i get the delivery fee back too if i send stuff back?", "reply", "Refund policy", ()),
    (
        "paraphrase",
        "I bought headphones ten days ago and never even opened the box. Can I still send them back?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "What's the process for sending something back to you? Do I need to print anything?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "I can't remember what I use to log in and now I'm locked out. What do I do?",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "How long do I have to use the link you send when I've forgotten my login?",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "I'm moving to a new mailbox provider. How do I get your messages sent to the new address instead?",
        "reply",
        "Changing your email address",
        (),
    ),
    (
        "paraphrase",
        "my old work address is on my account and I've left that job, how do I swap it for my personal one",
        "reply",
        "Changing your email address",
        (),
    ),
    (
        "paraphrase",
        "I don't want to be charged next month, how do I stop my plan?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    (
        "paraphrase",
        "If I end my membership today, do I lose everything straight away?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    (
        "paraphrase",
        "My bank sent me a replacement Visa with a new number. Where do I put the new details so the next charge goes through?",
        "reply",
        "Updating a payment card",
        (),
    ),
    ("paraphrase", "How do I switch the card you bill me on?", "reply", "Updating a payment card", ()),
    (
        "paraphrase",
        "Our accountant needs receipts for everything we bought from you this year. Where can I get them?",
        "reply",
        "Downloading invoices",
        (),
    ),
    (
        "paraphrase",
        "I dropped my tablet on the kitchen floor and the screen cracked. Will you fix it for free?",
        "reply",
        "Warranty coverage",
        (),
    ),
    (
        "paraphrase",
        "My speaker just stopped turning on after 14 months, I never knocked it or anything. Is that still covered?",
        "reply",
        "Warranty coverage",
        (),
    ),
    # --- typo ---
    ("typo", "how lnog does shiping usualy take", "reply", "Shipping times", ()),
    ("typo", "wheres my trackng numbr for my order", "reply", "Tracking your order", ()),
    ("typo", "how do i rest my pasword", "reply", "Resetting your password", ()),
    ("typo", "how do i cancle my subscripton??", "reply", "Cancelling a subscription", ()),
    ("typo", "how to updte my paymnet card", "reply", "Updating a payment card", ()),
    ("typo", "can i retrun an unsued item after 3 weeks", "reply", "Returning an item", ()),
    ("typo", "where do i downlaod my invocies", "reply", "Downloading invoices", ()),
    # --- several questions ---
    (
        "several questions",
        "How do I send my order back, and how long until I get my refund?",
        "reply",
        ("Returning an item", "Refund policy"),
        (),
    ),
    (
        "several questions",
        "I need to change my email address and also reset my password. How do I do both?",
        "reply",
        ("Changing your email address", "Resetting your password"),
        (),
    ),
    (
        "several questions",
        "How long does shipping usually take, and how can I follow the parcel once it's on its way?",
        "reply",
        ("Shipping times", "Tracking your order"),
        (),
    ),
    (
        "several questions",
        "Where do I find my invoices, and how do I put a new card on file?",
        "reply",
        ("Downloading invoices", "Updating a payment card"),
        (),
    ),
    (
        "several questions",
        "Two things: how do I cancel my subscription, and where can I get a PDF of last month's invoice?",
        "reply",
        ("Cancelling a subscription", "Downloading invoices"),
        (),
    ),
    (
        "several questions",
        "My blender died on its own after a year, is that under warranty? And if I return it instead, are the shipping costs refunded?",
        "reply",
        ("Warranty coverage", "Refund policy"),
        (),
    ),
    # --- unanswerable ---
    ("unanswerable", "How much does express delivery cost to add?", "handoff", None, ()),
    ("unanswerable", "Do you ship to Brazil?", "handoff", None, ()),
    ("unanswerable", "Can I still change the delivery address on an order I placed an hour ago?", "handoff", None, ()),
    ("unanswerable", "I ordered the wrong colour, can you cancel my order before it ships?", "handoff", None, ()),
    ("unanswerable", "Do you have any discount codes for students?", "handoff", None, ()),
    ("unanswerable", "Could you gift wrap my order and add a little note for my mum?", "handoff", None, ()),
    ("unanswerable", "Can I exchange my shoes for a different size instead of getting a refund?", "handoff", None, ()),
    ("unanswerable", "Which carrier do you use for deliveries to Ireland?", "handoff", None, ()),
    ("unanswerable", "Can I pay with PayPal at checkout?", "handoff", None, ()),
    ("unanswerable", "Is it possible to switch my subscription from monthly to yearly billing?", "handoff", None, ()),
    # --- confirmation ---
    (
        "confirmation",
        "That worked, thanks! All sorted now.",
        "resolve",
        None,
        ("I forgot my password and can't log in, how do I reset it?",),
    ),
    ("confirmation", "Found the invoice, problem solved.", "resolve", None, ("Where can I find my invoices?",)),
    (
        "confirmation",
        "C'est bon, j'ai bien reçu mon remboursement, merci !",
        "resolve",
        None,
        ("Quand vais-je recevoir mon remboursement ?",),
    ),
    (
        "confirmation",
        "Hat geklappt, danke! Die neue Karte ist jetzt hinterlegt.",
        "resolve",
        None,
        ("How do I update my payment card?",),
    ),
    (
        "confirmation",
        "Ya está solucionado, muchas gracias.",
        "resolve",
        None,
        ("How do I change the email on my account?",),
    ),
    (
        "confirmation",
        "ok the tracking shows up now, all good, you can close this",
        "resolve",
        None,
        ("My tracking number doesn't show anything on the carrier's site",),
    ),
    # --- thanks, not solved ---
    (
        "thanks, not solved",
        "Thanks, but the reset link still says it's expired even though I requested it two minutes ago.",
        "draft",
        None,
        ("How do I reset my password?",),
    ),
    (
        "thanks, not solved",
        "Thank you, but I followed those steps and the new card still isn't showing as the default one.",
        "draft",
        None,
        ("How do I change the card I pay with?",),
    ),
    (
        "thanks, not solved",
        "Appreciate the reply, but there's no Invoices section on my Billing page at all.",
        "draft",
        None,
        ("Where can I download my invoices?",),
    ),
    (
        "thanks, not solved",
        "thanks but the tracking number still shows nothing and it's been 3 days",
        "draft",
        None,
        ("Why doesn't my tracking number show any updates?",),
    ),
    (
        "thanks, not solved",
        "Merci, mais je n'ai toujours rien reçu alors que mon retour est arrivé chez vous il y a trois semaines.",
        "draft",
        None,
        ("Quand vais-je être remboursé ?",),
    ),
    (
        "thanks, not solved",
        "Thanks for the info, but the confirmation message for my new address never arrives.",
        "draft",
        None,
        ("How do I change my email address?",),
    ),
    # --- person ---
    ("person", "Can I talk to a real person please?", "handoff", None, ()),
    ("person", "I'd rather speak with someone from your team than a bot, if that's ok.", "handoff", None, ()),
    ("person", "Is there a human I can call about my order?", "handoff", None, ()),
    ("person", "please connect me with an agent", "handoff", None, ()),
    ("person", "Bonjour, je voudrais parler à un conseiller, s'il vous plaît.", "handoff", None, ()),
    ("person", "Kann ich bitte mit einem echten Mitarbeiter sprechen?", "handoff", None, ()),
    # --- anger ---
    (
        "anger",
        "This is the third time I've written and nobody has answered. Completely unacceptable.",
        "handoff",
        None,
        (),
    ),
    ("anger", "Your service is a joke. I've been waiting two weeks for a parcel that never came.", "handoff", None, ()),
    ("anger", "I am sick of being charged for a subscription I cancelled months ago!!!", "handoff", None, ()),
    ("anger", "Honestly the worst company I have ever ordered from. I want this fixed TODAY.", "handoff", None, ()),
    (
        "anger",
        "Ridiculous. The thing broke within a week and all you do is send me useless links.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "C'est inadmissible, ma commande n'est toujours pas arrivée et personne ne répond à mes messages !",
        "handoff",
        None,
        (),
    ),
    # --- french ---
    ("french", "Combien de temps faut-il en général pour recevoir ma commande ?", "reply", "Délais de livraison", ()),
    ("french", "Sous combien de jours ma commande part-elle de votre entrepôt ?", "reply", "Délais de livraison", ()),
    ("french", "bonjour, la livraison standard prend combien de jours ?", "reply", "Délais de livraison", ()),
    (
        "french",
        "J'ai renvoyé un article la semaine dernière, quand vais-je être remboursé ?",
        "reply",
        "Remboursements",
        (),
    ),
    (
        "french",
        "Est-ce que le remboursement se fait sur la carte avec laquelle j'ai payé ?",
        "reply",
        "Remboursements",
        (),
    ),
    # --- other language ---
    ("other language", "Wie kann ich mein Passwort bei euch zurücksetzen?", "draft", None, ()),
    ("other language", "¿Dónde puedo descargar mis facturas en PDF?", "draft", None, ()),
    # --- forbidden ---
    (
        "forbidden",
        "The charger overheated and burned my hand. Should I see a doctor or is putting ice on it enough?",
        "handoff",
        None,
        (),
    ),
    (
        "forbidden",
        "My parcel was lost and you won't refund me. Can I sue you, and what are my legal rights here?",
        "handoff",
        None,
        (),
    ),
]

CASES = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW]
KIND_OF = {msg: kind for kind, msg, _e, _a, _p in _RAW}

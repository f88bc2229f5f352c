# ruff: noqa: E501  (customer messages are kept whole, one per line)
"""A fourth set of customer messages for the built-in agent, held out from its making.

Written by an independent writer who saw only the Help Center of ``bench.agent_cases`` (its
ARTICLES and FORBIDDEN topics), the docstring of ``bench.agent_cases_fresh`` (what each
``expected`` means) and the layout of ``bench.agent_cases_heldout``: never the agent's code,
its scoring, its tests, or the messages of the other sets. Cases are (message, expected,
article, earlier) as in ``bench.agent_cases_fresh``, which says how each ``expected`` is
counted.

Labelling choices:

- "reply" only where an article's text actually answers the message; messages asking several
  things answered by different articles carry a tuple of titles.
- "unanswerable" questions are about topics no article touches (gift cards, compatibility,
  discounts...), so a person must take over: "handoff".
- "thanks, not solved" follow an earlier question that an article covers, and report that the
  article's steps did not help: "draft" (a draft or a handoff are both right).
- "french" questions are answered by one of the two French articles (shipping times, refunds).
- "other language" holds German, Spanish, Italian and Portuguese messages: a person or anger is
  "handoff"; a question an English article answers is "draft", since no article exists in the
  customer's language.
- "forbidden" messages ask for legal or medical advice: "handoff".

The writer's first look at ``bench.agent_cases_fresh`` went past its docstring into some of
its paraphrases; four messages that matched other sets exactly were reworded. Its first run,
on the agent as it stood when the set was written, is the figure this set exists for: 61 of 92
decisions right, 4 wrong answers (3 of them "thanks, not solved"). Those wrong answers were
read afterwards, so later runs are no longer held out for the kinds they belong to.
"""

_RAW = [
    # --- direct -------------------------------------------------------------------------
    ("direct", "Once my order has shipped, how many days does standard delivery take?", "reply", "Shipping times", ()),
    ("direct", "Where do I find the tracking number for my order?", "reply", "Tracking your order", ()),
    ("direct", "How long does a refund take to reach my card?", "reply", "Refund policy", ()),
    ("direct", "How do I return an item I bought last week?", "reply", "Returning an item", ()),
    ("direct", "I forgot my password, how do I reset it?", "reply", "Resetting your password", ()),
    (
        "direct",
        "I need to update the email address linked to my account, how do I do that?",
        "reply",
        "Changing your email address",
        (),
    ),
    ("direct", "What's the process to cancel my subscription?", "reply", "Cancelling a subscription", ()),
    ("direct", "Where can I download my invoices as PDF files?", "reply", "Downloading invoices", ()),
    # --- paraphrase ---------------------------------------------------------------------
    (
        "paraphrase",
        "I bought a speaker on Sunday, when will it actually leave your building?",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "If I pay for the quicker option, how many days until the box is at my door?",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "The courier page hasn't updated anything since I got the dispatch email this morning, should I worry?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "Got the note saying my stuff is on its way. How can I follow where the box is?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "I posted the headphones back to you last Monday. How soon will I see the money again?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "The post office charged me 6 pounds to send the parcel back to you, do I get that back as well?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "When you pay me back, does the money go to my PayPal or do I get store credit?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "I changed my mind about a keyboard I never took out of the box. Bought it three weeks ago, can I still send it back?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "Do you send me a sticker for the parcel when I want to give something back, or do I sort that out myself?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "The link you mailed me to pick new login details says it's invalid. It came last night and I only clicked it this morning.",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "I can't sign in anymore because I don't remember what I typed when I registered",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "My work inbox is being shut down next month, how do I get your messages sent to my personal one instead?",
        "reply",
        "Changing your email address",
        (),
    ),
    (
        "paraphrase",
        "I don't want the monthly plan anymore. If I stop it today, do I lose access straight away?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    (
        "paraphrase",
        "My bank sent me a new debit card with a different number, how do I make sure the next charge goes on it?",
        "reply",
        "Updating a payment card",
        (),
    ),
    (
        "paraphrase",
        "My accountant wants a copy of every bill for what I purchased from you this year, where can I get them?",
        "reply",
        "Downloading invoices",
        (),
    ),
    (
        "paraphrase",
        "I knocked my tablet off the kitchen counter and the screen cracked. Is that something you repair for free?",
        "reply",
        "Warranty coverage",
        (),
    ),
    # --- typo ---------------------------------------------------------------------------
    ("typo", "how long dose shiping take usualy?", "reply", "Shipping times", ()),
    ("typo", "wher is my traking numbr for the order", "reply", "Tracking your order", ()),
    ("typo", "when do i get my refnud after the retrun arrives", "reply", "Refund policy", ()),
    ("typo", "can i retrun a mouse i never used, boght it 2 weks ago", "reply", "Returning an item", ()),
    ("typo", "forgot my pasword cant log in pls help", "reply", "Resetting your password", ()),
    ("typo", "how do i chnage my emial adress on my acount", "reply", "Changing your email address", ()),
    ("typo", "i want to cancle my subscripton, how do i do it", "reply", "Cancelling a subscription", ()),
    ("typo", "how to updte my credit crad, the old one expird", "reply", "Updating a payment card", ()),
    # --- several questions --------------------------------------------------------------
    (
        "several questions",
        "Two things: how long before my order ships, and where do I find the tracking number once it does?",
        "reply",
        ("Shipping times", "Tracking your order"),
        (),
    ),
    (
        "several questions",
        "I want to send back a monitor I haven't used. How do I do that, and when would I get my money back?",
        "reply",
        ("Returning an item", "Refund policy"),
        (),
    ),
    (
        "several questions",
        "My card expired so I need to put a new one on the account, and also can I download last month's invoice somewhere?",
        "reply",
        ("Updating a payment card", "Downloading invoices"),
        (),
    ),
    (
        "several questions",
        "I've got a new email address and I've also forgotten my password. How do I sort out both?",
        "reply",
        ("Changing your email address", "Resetting your password"),
        (),
    ),
    (
        "several questions",
        "If I cancel my subscription now, can I keep using it until the month ends? And where are my past invoices, I need them for my taxes.",
        "reply",
        ("Cancelling a subscription", "Downloading invoices"),
        (),
    ),
    (
        "several questions",
        "My earbuds stopped charging after 8 months of normal use, is that under warranty? And if I send them back, do you refund the postage?",
        "reply",
        ("Warranty coverage", "Refund policy"),
        (),
    ),
    # --- unanswerable -------------------------------------------------------------------
    ("unanswerable", "Do you sell gift cards? I'd like to buy one for my nephew's birthday.", "handoff", None, ()),
    ("unanswerable", "Is the USB-C hub you sell compatible with a 2019 MacBook Pro?", "handoff", None, ()),
    ("unanswerable", "Do you offer a student discount?", "handoff", None, ()),
    (
        "unanswerable",
        "Will the Pro Bundle headphones be back in stock soon? They've been sold out for weeks.",
        "handoff",
        None,
        (),
    ),
    ("unanswerable", "Do you price match if I find the same camera cheaper on another site?", "handoff", None, ()),
    (
        "unanswerable",
        "I run a small office and want to order 40 keyboards at once, do you do bulk pricing?",
        "handoff",
        None,
        (),
    ),
    ("unanswerable", "Can I add my partner as a second user on my subscription?", "handoff", None, ()),
    ("unanswerable", "Do you take old phones as a trade-in against a new one?", "handoff", None, ()),
    (
        "unanswerable",
        "I'm travelling to the US next month. Will the chargers I bought from you work with 110V sockets?",
        "handoff",
        None,
        (),
    ),
    ("unanswerable", "Do you have a referral programme? A friend of mine wants to sign up.", "handoff", None, ()),
    (
        "unanswerable",
        "I got a promo code in your newsletter but the checkout keeps saying it's invalid.",
        "handoff",
        None,
        (),
    ),
    ("unanswerable", "Do you recycle old electronics if I send them in to you?", "handoff", None, ()),
    # --- anger --------------------------------------------------------------------------
    (
        "anger",
        "This is the third time I've written about my order and nobody has answered. Absolutely unacceptable.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "I'm furious. You charged me twice for the same subscription and I want it sorted today.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Your service is a joke. Two weeks of waiting and the parcel still hasn't moved an inch.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "I am extremely disappointed. The laptop arrived broken and I've wasted my whole weekend on this.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Honestly the worst shopping experience I've ever had, and I'm telling everyone I know to stay away from your shop.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "I've been patient long enough. Fix this now or I'm disputing the charge with my bank.",
        "handoff",
        None,
        (),
    ),
    # --- person -------------------------------------------------------------------------
    ("person", "Can I speak to someone real please?", "handoff", None, ()),
    ("person", "I'd rather talk to an actual human about this, not a bot.", "handoff", None, ()),
    ("person", "Please pass me on to a member of your team.", "handoff", None, ()),
    ("person", "Is there a manager or a supervisor I could talk to?", "handoff", None, ()),
    ("person", "Could one of your staff get back to me by email instead?", "handoff", None, ()),
    ("person", "Get me a human being, this automated thing isn't understanding me.", "handoff", None, ()),
    # --- confirmation -------------------------------------------------------------------
    ("confirmation", "Brilliant, that fixed it, thanks!", "resolve", None, ("How do I reset my password?",)),
    (
        "confirmation",
        "Got it working now, all sorted.",
        "resolve",
        None,
        ("How do I set my new card as the default one?",),
    ),
    ("confirmation", "Perfect, found the invoices, that's all I needed.", "resolve", None, ("Where are my invoices?",)),
    ("confirmation", "Merci, c'est réglé !", "resolve", None, ("Quand vais-je recevoir mon remboursement ?",)),
    ("confirmation", "Danke, hat funktioniert!", "resolve", None, ("Wie ändere ich meine E-Mail-Adresse?",)),
    ("confirmation", "¡Listo, ya está solucionado, gracias!", "resolve", None, ("No puedo entrar en mi cuenta",)),
    (
        "confirmation",
        "No need to reply, the tracking is showing up now.",
        "resolve",
        None,
        ("My tracking number shows nothing",),
    ),
    (
        "confirmation",
        "ok cancelled it myself, you can close this",
        "resolve",
        None,
        ("how do i cancel my subscription",),
    ),
    # --- thanks, not solved -------------------------------------------------------------
    (
        "thanks, not solved",
        "Thanks, but I never received the reset email, not even in spam.",
        "draft",
        None,
        ("I forgot my password",),
    ),
    (
        "thanks, not solved",
        "Appreciate it, but there's no Invoices section under Billing on my account.",
        "draft",
        None,
        ("Where can I download my invoices?",),
    ),
    (
        "thanks, not solved",
        "Thank you, however the tracking still shows nothing and it's been four days.",
        "draft",
        None,
        ("Where is my order? I have a tracking number but nothing shows",),
    ),
    (
        "thanks, not solved",
        "Thanks for the quick reply, but the button to print the return label just gives me an error.",
        "draft",
        None,
        ("How do I return my speaker?",),
    ),
    (
        "thanks, not solved",
        "Cheers, but it's been three weeks since you got my return and there's still no refund.",
        "draft",
        None,
        ("When will I get my refund?",),
    ),
    (
        "thanks, not solved",
        "Thank you, but I did exactly that and the confirmation message to my new address never arrived.",
        "draft",
        None,
        ("How do I change my email?",),
    ),
    # --- french -------------------------------------------------------------------------
    (
        "french",
        "Combien de temps faut-il pour recevoir ma commande en livraison standard ?",
        "reply",
        "Délais de livraison",
        (),
    ),
    (
        "french",
        "Bonjour, j'ai passé commande hier soir, quand sera-t-elle expédiée ?",
        "reply",
        "Délais de livraison",
        (),
    ),
    ("french", "Sous combien de jours mon colis part-il de chez vous ?", "reply", "Délais de livraison", ()),
    (
        "french",
        "J'ai renvoyé mon casque la semaine dernière, quand est-ce que je serai remboursé ?",
        "reply",
        "Remboursements",
        (),
    ),
    ("french", "Le remboursement se fait-il sur ma carte bancaire ou en bon d'achat ?", "reply", "Remboursements", ()),
    (
        "french",
        "Vous avez bien reçu mon retour, dans quel délai vais-je récupérer mon argent ?",
        "reply",
        "Remboursements",
        (),
    ),
    # --- other language -----------------------------------------------------------------
    ("other language", "Wie lange dauert es, bis meine Bestellung verschickt wird?", "draft", None, ()),
    ("other language", "¿Cómo puedo cancelar mi suscripción?", "draft", None, ()),
    ("other language", "Come posso scaricare le mie fatture in PDF?", "draft", None, ()),
    ("other language", "Quero devolver um produto que não usei, como faço?", "draft", None, ()),
    (
        "other language",
        "Ich bin wirklich verärgert, meine Bestellung ist seit zwei Wochen nicht angekommen und niemand antwortet mir.",
        "handoff",
        None,
        (),
    ),
    ("other language", "Quisiera hablar con una persona, por favor.", "handoff", None, ()),
    (
        "other language",
        "Könnte sich bitte ein echter Mensch bei mir melden? Der Bot hilft mir nicht weiter.",
        "handoff",
        None,
        (),
    ),
    # --- forbidden ----------------------------------------------------------------------
    (
        "forbidden",
        "The smartwatch I bought says my resting heart rate is 180. Is something wrong with my heart, should I be worried?",
        "handoff",
        None,
        (),
    ),
    (
        "forbidden",
        "Am I legally allowed to record my employees with the security camera I bought from you without telling them?",
        "handoff",
        None,
        (),
    ),
    (
        "forbidden",
        "I have epilepsy. Is it safe for me to use the VR headset you sell, or could it trigger a seizure?",
        "handoff",
        None,
        (),
    ),
]

CASES = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW]
KIND_OF = {msg: kind for kind, msg, _e, _a, _p in _RAW}

"""A second set of customer messages for the built-in agent, against the Help Center of
``bench.agent_cases`` (its ARTICLES and FORBIDDEN topics), written without looking at how the
agent scores or where its thresholds are, so it measures what the labelled set cannot.

Every case is (message, expected, article, earlier customer messages), as in
``bench.agent_cases``, where ``expected`` is one of:

- ``reply``: answer from ``article`` (a title, or a tuple of titles when the message asks
  several things answered by different articles and an answer from any of them helps);
- ``handoff``: a person must take over (asked for one, angry, nothing covers the question);
- ``resolve``: the customer confirms the problem is solved;
- ``draft``: unsure ground (close to an article but not answered by it, or an answer that did
  not help): a draft for a teammate or a handoff are both right.

How ``bench.agent_quality`` counts: a draft or a handoff is never a wrong answer; a reply from
the wrong article, or any reply where a handoff, a resolve or a draft was expected, is.

Only English and French articles exist, so questions in German and Spanish are intents (a
person, anger, thanks) or questions expected to reach a person.
"""

from __future__ import annotations

# Paraphrases that share no content word with the right article.
PARAPHRASES = [
    ("How quickly will my purchase be sent out?", "reply", "Shipping times", ()),
    ("What's the wait before the stuff I bought leaves you?", "reply", "Shipping times", ()),
    ("Is there a faster option if I need it by tomorrow?", "reply", "Shipping times", ()),
    ("Is there a way to see where my package is right now?", "reply", "Tracking your order", ()),
    ("The courier link displays nothing yet, is that normal?", "reply", "Tracking your order", ()),
    ("When do I get the cash back for something I sent back?", "reply", "Refund policy", ()),
    ("Will I be reimbursed for postage too?", "reply", "Refund policy", ()),
    ("Can I send back a jacket I never wore?", "reply", "Returning an item", ()),
    ("I'm locked out and can't remember how I get in", "reply", "Resetting your password", ()),
    (
        "I moved to a different mailbox provider, how do I switch the contact on my profile?",
        "reply",
        "Changing your email address",
        (),
    ),
    ("I'd like to stop paying monthly and end my plan", "reply", "Cancelling a subscription", ()),
    ("My Visa expired, how do I put in the replacement?", "reply", "Updating a payment card", ()),
    ("I need receipts for my bookkeeping, where are they?", "reply", "Downloading invoices", ()),
    (
        "My headphones broke on their own after six months, will you fix them for free?",
        "reply",
        "Warranty coverage",
        (),
    ),
    ("How much protection comes with what I bought if it turns out faulty?", "reply", "Warranty coverage", ()),
    ("Mon colis met combien de temps à arriver ?", "reply", "Délais de livraison", ()),
    ("J'ai renvoyé un article, quand est-ce que je récupère mon argent ?", "reply", "Remboursements", ()),
]

# Typos and missing punctuation.
TYPOS = [
    ("how lnog does shiping take", "reply", "Shipping times", ()),
    ("wheres my trackng numbr", "reply", "Tracking your order", ()),
    ("i forgot my pasword", "reply", "Resetting your password", ()),
    ("how do i cancle my subscripton", "reply", "Cancelling a subscription", ()),
    ("were can i downlod my invoces", "reply", "Downloading invoices", ()),
    ("how to retrun an itme", "reply", "Returning an item", ()),
    ("when will i get my refnud", "reply", "Refund policy", ()),
    ("does the waranty cover manufaturing defects", "reply", "Warranty coverage", ()),
    ("how do i chnage my emial adress", "reply", "Changing your email address", ()),
]

# Several questions in one message.
SEVERAL = [
    ("How long does standard delivery take, and is there an express option?", "reply", "Shipping times", ()),
    ("Where is my invoice and can I get it as a PDF?", "reply", "Downloading invoices", ()),
    (
        "I want to return the item I got. How do I print the label, and when is the refund paid?",
        "reply",
        ("Returning an item", "Refund policy"),
        (),
    ),
    (
        "Two things: how do I update my card, and where do I download last month's invoice?",
        "reply",
        ("Updating a payment card", "Downloading invoices"),
        (),
    ),
    # One part answered, the other not covered: the answer to the first part is still right.
    ("How do I reset my password? Also, do you have a shop in Berlin?", "reply", "Resetting your password", ()),
    (
        "Can I cancel my subscription, and will you pay back the months I already paid for?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
]

# Anger without swear words or the usual angry phrases.
ANGER = [
    ("I have been waiting three weeks and nobody has bothered to reply. Unbelievable.", "handoff", None, ()),
    ("This is the worst experience I have ever had with a company", "handoff", None, ()),
    ("I am extremely disappointed, you charged me twice and ignored my emails", "handoff", None, ()),
    ("Honestly I'm fed up. Fix this today or I'm disputing the charge with my bank", "handoff", None, ()),
    ("Third email. Still no answer. I'm losing my patience.", "handoff", None, ()),
    ("You people are hopeless, I want this sorted out now", "handoff", None, ()),
    ("Je suis très mécontent, personne ne me répond depuis deux semaines", "handoff", None, ()),
    ("Ich bin wirklich verärgert, seit Wochen keine Antwort", "handoff", None, ()),
    ("Estoy muy molesto, nadie me ayuda", "handoff", None, ()),
]

# Questions the Help Center does not answer, some close to an article's topic.
UNANSWERABLE = [
    ("Do you offer gift wrapping?", "handoff", None, ()),
    ("Is there a student discount?", "handoff", None, ()),
    ("What are your customer service opening hours?", "handoff", None, ()),
    ("Can I place an order by phone?", "handoff", None, ()),
    ("Do you sell replacement chargers for the device?", "handoff", None, ()),
    ("Is two-factor authentication available for my account?", "handoff", None, ()),
    ("Are your products made in Europe?", "handoff", None, ()),
    ("Do you have a loyalty program?", "handoff", None, ()),
    ("Can I pay with PayPal or bank transfer?", "draft", None, ()),
    ("Where exactly is your warehouse located?", "draft", None, ()),
    ("Can I change the delivery address after I placed the order?", "draft", None, ()),
    ("Can I pause my subscription for a few months instead of cancelling?", "draft", None, ()),
    ("Does the warranty still apply if I sell the device to a friend?", "draft", None, ()),
    ("How do I delete my account and all my data?", "draft", None, ()),
    ("Can I exchange the item for another size instead of returning it?", "draft", None, ()),
    ("Do you deliver on Saturdays?", "draft", None, ()),
    ("Acceptez-vous les paiements par virement bancaire ?", "draft", None, ()),
    ("¿Aceptan pagos con tarjeta de crédito?", "draft", None, ()),
    ("Wie lange dauert der Versand nach Österreich?", "draft", None, ()),
]

# French questions answered by the French articles.
FRENCH = [
    ("Sous combien de jours ma commande est-elle expédiée ?", "reply", "Délais de livraison", ()),
    ("La livraison standard prend combien de temps ?", "reply", "Délais de livraison", ()),
    ("Quand serai-je remboursé ?", "reply", "Remboursements", ()),
    ("Le remboursement se fait sur quel moyen de paiement ?", "reply", "Remboursements", ()),
]

# Thanks, but the problem is not solved: never a confirmation.
THANKS_NOT_SOLVED = [
    ("Thanks, but the link still doesn't work", "draft", None, ("I forgot my password",)),
    ("Thank you, however the parcel still hasn't arrived", "draft", None, ("Where is my tracking number?",)),
    ("Thanks for the reply but that doesn't answer my question", "draft", None, ("Can I get my refund in cash?",)),
    ("Appreciate it, but the problem is still there", "draft", None, ("My invoice download fails",)),
    ("Merci, mais ça ne marche toujours pas", "draft", None, ("Je n'arrive pas à me connecter",)),
    ("Danke, aber es funktioniert immer noch nicht", "draft", None, ("Ich kann mich nicht anmelden",)),
    ("Gracias, pero sigue sin funcionar", "draft", None, ("No puedo iniciar sesión",)),
]

# The problem is solved, said in other words.
CONFIRMATIONS = [
    ("Perfect, I managed to log in again. Cheers!", "resolve", None, ("I forgot my password",)),
    ("That did the trick, much appreciated", "resolve", None, ()),
    ("Found it, everything is sorted now", "resolve", None, ()),
    ("Brilliant, I've downloaded the invoice, you can close this", "resolve", None, ("Where are my invoices?",)),
    ("No further questions, all clear", "resolve", None, ()),
    ("It's working again, thanks a lot", "resolve", None, ()),
    ("C'est réglé, merci beaucoup", "resolve", None, ()),
    ("Super, das hat geklappt, danke", "resolve", None, ()),
    ("Perfecto, ya está resuelto", "resolve", None, ()),
]

# A person asked for in other words.
PERSON = [
    ("Can a real employee look at this?", "handoff", None, ()),
    ("I'd rather deal with staff, not a bot", "handoff", None, ()),
    ("Is there anyone on your team who can help me directly?", "handoff", None, ()),
    ("Please pass this on to a colleague of yours", "handoff", None, ()),
    ("I don't want to talk to a machine", "handoff", None, ()),
    ("Could somebody from customer service phone me back?", "handoff", None, ()),
    ("Connect me with your support team please", "handoff", None, ()),
    ("Pouvez-vous me mettre en contact avec un employé ?", "handoff", None, ()),
    ("Kann mich bitte ein echter Mensch zurückrufen?", "handoff", None, ()),
    ("¿Puedo hablar con una persona de verdad?", "handoff", None, ()),
]

# Plain questions worded like customers write them, and the forbidden topics in other words.
EVERYDAY = [
    ("hi, my order still hasn't left, how many days does it normally take to ship?", "reply", "Shipping times", ()),
    ("how do I get the return label?", "reply", "Returning an item", ()),
    ("the reset email link doesn't work anymore, it's been two hours", "reply", "Resetting your password", ()),
    ("what happens to my access if I cancel today?", "reply", "Cancelling a subscription", ()),
    ("is water damage covered?", "reply", "Warranty coverage", ()),
    ("I need to set a different card as the default one", "reply", "Updating a payment card", ()),
    ("I want to dispute my contract, what are my legal options? I need legal advice", "handoff", None, ()),
    ("Is it safe to take ibuprofen with my allergy? Some medical advice please", "handoff", None, ()),
]

FRESH_CASES = (
    PARAPHRASES
    + TYPOS
    + SEVERAL
    + ANGER
    + UNANSWERABLE
    + FRENCH
    + THANKS_NOT_SOLVED
    + CONFIRMATIONS
    + PERSON
    + EVERYDAY
)

# Which kind of message each case is, for the per-kind breakdown.
KIND_OF = {
    case[0]: kind
    for kind, cases in (
        ("paraphrase", PARAPHRASES),
        ("typo", TYPOS),
        ("several questions", SEVERAL),
        ("anger", ANGER),
        ("unanswerable", UNANSWERABLE),
        ("french", FRENCH),
        ("thanks, not solved", THANKS_NOT_SOLVED),
        ("confirmation", CONFIRMATIONS),
        ("person", PERSON),
        ("everyday", EVERYDAY),
    )
    for case in cases
}

# ruff: noqa: E501  (customer messages are kept whole, one per line)
"""A held-out set of customer messages written by an independent writer who saw only the Help
Center of ``bench.agent_cases`` (its ARTICLES and FORBIDDEN topics) and the docstring of
``bench.agent_cases_fresh``; never the agent's code, its scoring, its tests or the other sets'
messages.

Labelling choices:

- ``reply`` only where the article's text itself answers the message, including when the
  answer is "no" (water damage is not covered, shipping costs are not refunded, the reset link
  expires after one hour, tracking can take 24 hours to update).
- Several-question messages carry a tuple of the two titles that answer their two parts.
- French questions are labelled with the French article's title, and only ask what the French
  text says (the French refund article does not mention shipping costs, so none asks that).
- German and Spanish questions on topics only an English article covers are ``draft``.
- Questions close to an article but not answered by its text (a price where the article gives
  a time, countries, changing an order, instalments, a VAT number on an invoice, insurance,
  repairs after the warranty, a second account, exchanges, pausing a subscription) are
  ``handoff``.
- "Thanks, but it did not help" follow-ups are ``draft``; confirmations that the problem is
  solved are ``resolve``; both hold the earlier question in ``earlier``.
- Requests for a person, anger (without swear words or the words angry/furious) and legal or
  medical questions are ``handoff``.
- ``article`` is None wherever no reply is expected.

Eight messages that matched other sets word for word were reworded by a word or two before the
set joined the bench. It was written while the agent was being changed after reading the third
held-out set's misses, and run only for its totals, its messages unread:

- on the agent before those changes (459fece): 48 of 84 decisions right (57.1%), one wrong
  answer; paraphrases 1/19, typos 4/7, several questions 2/6, French 1/5, unanswerable 5/10;
- on the agent when it was written (47ff057): 53 of 84 (63.1%), none wrong;
- after the grounding of a clear lead in meaning, the joining of parts that name nothing and
  three thesaurus entries (6413ad1): 59 of 84 (70.2%), none wrong; paraphrases 4/19, typos
  4/7, several questions 4/6, French 2/5, unanswerable 10/10, confirmations 4/6, and every
  direct question, request for a person, anger, thanks-but-not-solved, other language and
  forbidden topic right.

- after the questions of a message were asked apart from the sentences that only tell their
  story, a one-sentence question's everyday words were left out of its coverage, and more
  closings and phrasings were added (4ac088b): 64 of 84 (76.2%), none wrong; paraphrases 9/19,
  typos 4/7, several questions 4/6, French 2/5, confirmations 4/6.

Its totals were read after each change, so they steered a little which changes were kept; its
messages were not, until a fifth set (``bench.agent_cases_heldout5``) had been written and run
to take its place as the set no change is made from. Its misses were read then, and changes
since are made from them.
"""

_RAW = [
    # --- direct ---------------------------------------------------------------
    ("direct", "How long does shipping usually take?", "reply", "Shipping times", ()),
    ("direct", "How do I track my order?", "reply", "Tracking your order", ()),
    ("direct", "How long does it take to get a refund?", "reply", "Refund policy", ()),
    ("direct", "How do I return an item I bought?", "reply", "Returning an item", ()),
    ("direct", "How can I reset my password?", "reply", "Resetting your password", ()),
    ("direct", "How do I change the email address on my account?", "reply", "Changing your email address", ()),
    ("direct", "How do I cancel my subscription, please?", "reply", "Cancelling a subscription", ()),
    ("direct", "How do I update my payment card details?", "reply", "Updating a payment card", ()),
    ("direct", "Where can I download all my invoices?", "reply", "Downloading invoices", ()),
    # --- paraphrase -----------------------------------------------------------
    (
        "paraphrase",
        "My sister's birthday is on Saturday and I only put the order in this morning (it's Wednesday). If I picked the regular option, is there any chance it gets to her in time?",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "Hi, I got a mail saying my stuff has left, but the code in it shows nothing at all on the courier's site. Is that normal?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "Will the money go back onto the same Visa I paid with, and roughly how long should I expect to wait once you've got the box back?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "The smart speaker I bought my dad is still sealed in its box, turns out he already has one. Bought it about three weeks ago. Can I send it back?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "I honestly can't remember what I set as my login and now I'm locked out. What do I do?",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "I'm leaving my job at the end of the month so my work address will stop working. How do I get your messages sent to my personal gmail instead?",
        "reply",
        "Changing your email address",
        (),
    ),
    (
        "paraphrase",
        "If I stop my monthly plan today, do I lose everything straight away or can I keep using it until the month I've already paid for runs out?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    (
        "paraphrase",
        "My bank sent me a replacement Mastercard after some dodgy transactions, so the old one's dead. Where do I put the new details so next month's charge doesn't bounce?",
        "reply",
        "Updating a payment card",
        (),
    ),
    (
        "paraphrase",
        "my accountant is asking for copies of everything I bought from you this year for my taxes, where can I grab those?",
        "reply",
        "Downloading invoices",
        (),
    ),
    (
        "paraphrase",
        "The tablet just stopped charging after 14 months. I've never dropped it or anything, it simply died. Am I still covered?",
        "reply",
        "Warranty coverage",
        (),
    ),
    (
        "paraphrase",
        "Knocked my earbuds into the sink yesterday while doing the dishes and now only the left one plays. Would you fix that for free?",
        "reply",
        "Warranty coverage",
        (),
    ),
    (
        "paraphrase",
        "I ordered late on Friday night. When will it actually leave you? Just trying to figure out when to expect the dispatch email.",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "When I send something back, do I get the delivery charge back as well or only what I paid for the product?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "Where do I get the sticker to put on the box when I'm sending stuff back to you? And do I need to take it somewhere specific?",
        "reply",
        "Returning an item",
        (),
    ),
    (
        "paraphrase",
        "The email you sent me to make a new login doesn't work anymore. I got it at lunchtime but only opened it this evening after my shift.",
        "reply",
        "Resetting your password",
        (),
    ),
    (
        "paraphrase",
        "I need the camera by tomorrow for a work trip. Is there something quicker than the normal option, and how fast is it?",
        "reply",
        "Shipping times",
        (),
    ),
    (
        "paraphrase",
        "Hiya, my parcel's apparently on its way but I've no idea where it is. How can I keep an eye on it?",
        "reply",
        "Tracking your order",
        (),
    ),
    (
        "paraphrase",
        "I already mailed back the coffee grinder and the post office tracking says you signed for the package on Monday. So when will I see my money?",
        "reply",
        "Refund policy",
        (),
    ),
    (
        "paraphrase",
        "So the cable on my keyboard just frayed by itself after about a year, nothing I did. That's on you guys, right?",
        "reply",
        "Warranty coverage",
        (),
    ),
    # --- typo -----------------------------------------------------------------
    ("typo", "how long is teh warrenty on my headphones", "reply", "Warranty coverage", ()),
    ("typo", "wheres my trackign number?? order shipped yesterdya", "reply", "Tracking your order", ()),
    ("typo", "can i retrun somthing i bought 2 weeks ago its unopend", "reply", "Returning an item", ()),
    ("typo", "hw do i chnage the emial on my acount", "reply", "Changing your email address", ()),
    ("typo", "whn will i get my refnud for the order i sent bak", "reply", "Refund policy", ()),
    ("typo", "how lon does delivry take ti arive", "reply", "Shipping times", ()),
    ("typo", "where r my invocies i need the pdf for my acounting", "reply", "Downloading invoices", ()),
    # --- several questions ----------------------------------------------------
    (
        "several questions",
        "I want to send back the speaker I bought, how do I do that? And how long until I get my money back afterwards?",
        "reply",
        ("Returning an item", "Refund policy"),
        (),
    ),
    (
        "several questions",
        "Two things: I need to change the email on my account, and my card on file has expired so how do I put a new one in?",
        "reply",
        ("Changing your email address", "Updating a payment card"),
        (),
    ),
    (
        "several questions",
        "How long will delivery take, and once it's been sent how can I follow where the parcel is?",
        "reply",
        ("Shipping times", "Tracking your order"),
        (),
    ),
    (
        "several questions",
        "I'd like to cancel my subscription. Also, where do I find the invoices for the last few months before I go?",
        "reply",
        ("Cancelling a subscription", "Downloading invoices"),
        (),
    ),
    (
        "several questions",
        "forgot my password so can't log in at all, and once I'm back in I want to switch the account to my new email address. how do i do both?",
        "reply",
        ("Resetting your password", "Changing your email address"),
        (),
    ),
    (
        "several questions",
        "How long is the warranty on the laptop stand? And if I change my mind before even opening it, how would I return it?",
        "reply",
        ("Warranty coverage", "Returning an item"),
        (),
    ),
    # --- french ---------------------------------------------------------------
    ("french", "Bonjour, combien de temps faut-il pour recevoir une commande ?", "reply", "Délais de livraison", ()),
    (
        "french",
        "J'ai renvoyé mon casque la semaine passée, quand est-ce que je serai remboursé ?",
        "reply",
        "Remboursements",
        (),
    ),
    (
        "french",
        "salut, j'ai commandé hier soir, ça part quand ? et ça met combien de jours à arriver à peu près ?",
        "reply",
        "Délais de livraison",
        (),
    ),
    (
        "french",
        "Le remboursement de mon retour se fera-t-il sur ma carte bancaire ou sous forme d'avoir ?",
        "reply",
        "Remboursements",
        (),
    ),
    (
        "french",
        "Bonjour, j'ai passé commande lundi en livraison standard. Vers quand puis-je espérer la recevoir ?",
        "reply",
        "Délais de livraison",
        (),
    ),
    # --- other language -------------------------------------------------------
    (
        "other language",
        "Hallo, wie lange habe ich Garantie auf mein Tablet? Es lädt seit gestern nicht mehr.",
        "draft",
        None,
        (),
    ),
    ("other language", "Hola, ¿cómo puedo cambiar la tarjeta con la que pago la suscripción?", "draft", None, ()),
    # --- unanswerable ---------------------------------------------------------
    ("unanswerable", "How much does express delivery cost me?", "handoff", None, ()),
    ("unanswerable", "Do you ship to Norway? I couldn't see it in the country list.", "handoff", None, ()),
    (
        "unanswerable",
        "I just placed an order but typed the wrong house number. Can I still change the delivery address before it ships?",
        "handoff",
        None,
        (),
    ),
    (
        "unanswerable",
        "Is it possible to pay for the laptop in instalments, like three monthly payments?",
        "handoff",
        None,
        (),
    ),
    (
        "unanswerable",
        "I need the invoice to show my company name and VAT number, the downloaded PDF only has my own name. Can you reissue it?",
        "handoff",
        None,
        (),
    ),
    (
        "unanswerable",
        "Do you sell insurance that covers accidental damage for the phones? Kids + screens don't mix.",
        "handoff",
        None,
        (),
    ),
    (
        "unanswerable",
        "My warranty ran out last year. Can you still repair my speaker, and what would it cost?",
        "handoff",
        None,
        (),
    ),
    (
        "unanswerable",
        "Can I open a second account for my business purchases, or do I have to use the one I've got?",
        "handoff",
        None,
        (),
    ),
    (
        "unanswerable",
        "Rather than returning the headphones, can I just swap them for the white version?",
        "handoff",
        None,
        (),
    ),
    (
        "unanswerable",
        "Can I pause my subscription for two months while I'm abroad instead of cancelling it?",
        "handoff",
        None,
        (),
    ),
    # --- confirmation ---------------------------------------------------------
    (
        "confirmation",
        "That worked, I'm back in. Cheers!",
        "resolve",
        None,
        ("How do I reset my password? I can't log in.",),
    ),
    (
        "confirmation",
        "Found them under Billing, all sorted now, thank you so much.",
        "resolve",
        None,
        ("Where can I download my invoices?",),
    ),
    (
        "confirmation",
        "oh it's showing now, the parcel's already in my town. all good, ignore me!",
        "resolve",
        None,
        ("My tracking number doesn't show anything on the carrier's website.",),
    ),
    (
        "confirmation",
        "C'est bon, ça a marché, merci beaucoup !",
        "resolve",
        None,
        ("Comment changer mon adresse e-mail ?",),
    ),
    (
        "confirmation",
        "Hat geklappt, vielen Dank! Hat sich erledigt.",
        "resolve",
        None,
        ("Wie kann ich mein Abo kündigen?",),
    ),
    (
        "confirmation",
        "Ya está, lo he podido cambiar sin problema. ¡Muchas gracias!",
        "resolve",
        None,
        ("¿Cómo actualizo mi tarjeta de pago?",),
    ),
    # --- thanks, not solved ---------------------------------------------------
    (
        "thanks, not solved",
        "Thanks, but I never receive the reset email at all. I've checked spam and waited over an hour.",
        "draft",
        None,
        ("I forgot my password, how do I reset it?",),
    ),
    (
        "thanks, not solved",
        "Thank you, but there's no Payment methods option on my Billing page, it only lists invoices.",
        "draft",
        None,
        ("How do I update my payment card?",),
    ),
    (
        "thanks, not solved",
        "Appreciate the reply, but it's been four days and the carrier site still just says label created.",
        "draft",
        None,
        ("How do I track my order?",),
    ),
    (
        "thanks, not solved",
        "Merci, mais le bouton pour annuler n'apparaît pas du tout chez moi.",
        "draft",
        None,
        ("Comment annuler mon abonnement ?",),
    ),
    (
        "thanks, not solved",
        "Danke, aber die Bestätigungsmail an die neue Adresse kommt einfach nie an.",
        "draft",
        None,
        ("Wie ändere ich meine E-Mail-Adresse?",),
    ),
    (
        "thanks, not solved",
        "Gracias, pero no encuentro la etiqueta de devolución en ningún sitio de mi cuenta.",
        "draft",
        None,
        ("¿Cómo devuelvo un artículo?",),
    ),
    # --- person ---------------------------------------------------------------
    ("person", "Can I speak to a real person please?", "handoff", None, ()),
    (
        "person",
        "I'd rather talk this through with someone from your team. Is there a number I can ring?",
        "handoff",
        None,
        (),
    ),
    ("person", "is this a bot? put me through to a human", "handoff", None, ()),
    ("person", "Please could somebody from customer service call me back about order 48213.", "handoff", None, ()),
    ("person", "Ich möchte bitte mit einem Mitarbeiter sprechen, danke.", "handoff", None, ()),
    (
        "person",
        "No offence, but I'd like an actual member of staff to look at my case rather than an automated answer.",
        "handoff",
        None,
        (),
    ),
    # --- anger ----------------------------------------------------------------
    (
        "anger",
        "This is the third time I've written about the same order and nobody has bothered to answer. Unacceptable.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Absolutely ridiculous. Two weeks and still no parcel. What exactly am I paying you for?",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "I'm sick of being sent the same useless link over and over. Does anyone there actually read these messages?",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Worst shopping experience I've ever had. You took my money and vanished. I'll be telling everyone I know to stay away.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "You charged me AGAIN this month even though I cancelled. Sort it out today or I'm disputing it with my bank.",
        "handoff",
        None,
        (),
    ),
    (
        "anger",
        "Honestly I've had enough. Every time I call I'm on hold for an hour and then cut off. Why is it so hard to get a straight answer from you people?",
        "handoff",
        None,
        (),
    ),
    # --- forbidden ------------------------------------------------------------
    (
        "forbidden",
        "The courier left my parcel on the doorstep and it was stolen. Can I take them to small claims court, and which consumer law should I cite?",
        "handoff",
        None,
        (),
    ),
    (
        "forbidden",
        "The smartwatch strap has given me a red itchy rash on my wrist. What cream should I put on it, and is it safe to keep wearing?",
        "handoff",
        None,
        (),
    ),
]

CASES = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW]
KIND_OF = {msg: kind for kind, msg, _e, _a, _p in _RAW}

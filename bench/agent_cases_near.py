# ruff: noqa: E501  (customer messages are kept whole, one per line)
"""Questions near a topic of the Help Center that it does not answer, beside answerable ones.

The other sets' unanswerable questions are mostly about topics no article touches (gift cards,
compatibility), which the agent hands off. The harder kind lands on an article about the same
subject that cannot answer it: "Can I pause my subscription?" beside "Cancelling a
subscription", "Does the warranty cover the battery wearing out?" beside "Warranty coverage".
Sent, such an answer is wrong. Each set here holds twenty of them ("draft": a draft or a
handoff is right) and a few plain questions an article answers ("reply"), over the Help Center
of ``bench.agent_cases``.

The sets were written by the developers on the same day, each before the agent was changed
for it:

- ``NEAR_CASES`` first, then read while building the check of yes-or-no questions about what
  no article mentions (``webapp.agent.mentions``): its first run gave 28 of 35 decisions right
  and 6 wrong answers, so later runs are not held out.
- ``NEAR_CASES_2`` was put aside, then run once on a prototype of that check: 19 of 30 right
  and 11 wrong answers before it, 26 and 4 with the prototype. The check as built was then
  tuned on what that run showed ("instead" became an everyday word, "were" stopped opening a
  yes-or-no question), so it is not held out either.
- ``NEAR_CASES_3`` asks why, what happens and how to do something: 23 of 30 right and 6 wrong
  answers on the check of yes-or-no questions alone. The check was then extended to those
  questions (their words; the verb of a how-to question): 28 and 0 on its first run, 27 and 1
  once words the embedding model cuts into pieces were left out of how and why questions, a
  change made for typos in the other sets ("how do i chnage my emial adress").

- ``NEAR_CASES_FR`` asks in French, over the two French articles: 18 near-topic questions and 8
  answerable ones. Its first run gave 0 wrong answers and 3 of the 8 answerable ones replied
  (the others drafted or handed off). It was written to check a lower similarity floor for
  grounding answers outside English (the embedding model's similarities run lower there),
  which it refuted: 2 wrong answers ("Combien coûte la livraison en Belgique ?"), so that
  change was left out. French everyday phrasings were then added to the thesaurus
  (``webapp.knowledge.phrasing``) from its misses ("partir de votre entrepôt", "dans combien
  de jours", "sur quelle carte"): 7 of 8 answerable ones replied, still 0 wrong. It is tuned on
  now, not held out.

Two messages that another set already held word for word were replaced after the first two sets' runs.
Some labels are judgement calls: "Can I get my refund as store credit instead?" is answered
in a way by "Refunds are issued to the original payment method", and counted as needing a
person here.
"""

_RAW = [
    ("near topic", "Can I pause my subscription for two months instead of cancelling?", "draft", None, ()),
    ("near topic", "Do you offer gift wrapping for orders?", "draft", None, ()),
    ("near topic", "Can I change the delivery address after my order has shipped?", "draft", None, ()),
    ("near topic", "Is my credit card information stored securely?", "draft", None, ()),
    ("near topic", "Can I get a refund in cash at one of your stores?", "draft", None, ()),
    ("near topic", "Do you ship to Australia?", "draft", None, ()),
    ("near topic", "How do I enable two-factor authentication on my account?", "draft", None, ()),
    ("near topic", "Can I add a second email address to my account?", "draft", None, ()),
    ("near topic", "Does the warranty cover the battery wearing out?", "draft", None, ()),
    ("near topic", "Can I buy an extended warranty?", "draft", None, ()),
    ("near topic", "Do you price match other retailers?", "draft", None, ()),
    ("near topic", "Can I exchange my item for a different size instead of returning it?", "draft", None, ()),
    ("near topic", "How do I delete my account permanently?", "draft", None, ()),
    ("near topic", "Can I pay with PayPal?", "draft", None, ()),
    ("near topic", "Can invoices be issued in my company's name with a VAT number?", "draft", None, ()),
    ("near topic", "What happens to my data when I cancel my subscription?", "draft", None, ()),
    ("near topic", "Is there a student discount on subscriptions?", "draft", None, ()),
    ("near topic", "Can I schedule a delivery for a specific day?", "draft", None, ()),
    ("near topic", "My package was delivered to the wrong address, what do I do?", "draft", None, ()),
    ("near topic", "Can I return an item I bought in one of your physical stores?", "draft", None, ()),
    ("answerable", "How soon after you get my return will I see the money?", "reply", "Refund policy", ()),
    ("answerable", "My tracking link hasn't updated since yesterday", "reply", "Tracking your order", ()),
    ("answerable", "How do I set a new card as my default payment?", "reply", "Updating a payment card", ()),
    ("answerable", "I want to stop my subscription, where do I do that?", "reply", "Cancelling a subscription", ()),
    ("answerable", "Where do I get a PDF copy of my invoice for my accountant?", "reply", "Downloading invoices", ()),
    ("answerable", "I forgot my password and can't log in", "reply", "Resetting your password", ()),
    ("answerable", "How many days do I have to send something back?", "reply", "Returning an item", ()),
    ("answerable", "If I drop my device, is it covered?", "reply", "Warranty coverage", ()),
    ("answerable", "How long does express delivery take?", "reply", "Shipping times", ()),
    ("answerable", "How do I change the email on my account?", "reply", "Changing your email address", ()),
    ("answerable", "Do I get the shipping fee back when I return something?", "reply", "Refund policy", ()),
    ("answerable", "The password reset link doesn't work anymore", "reply", "Resetting your password", ()),
    (
        "answerable",
        "After cancelling can I still use the service until the end of the month?",
        "reply",
        "Cancelling a subscription",
        (),
    ),
    ("answerable", "Where can I print a label for the item I'm sending back?", "reply", "Returning an item", ()),
    ("answerable", "Combien de temps prend la livraison standard ?", "reply", "Délais de livraison", ()),
]

_RAW_2 = [
    ("near topic", "Can I change my order after I've placed it?", "draft", None, ()),
    ("near topic", "Can I choose a time slot for my delivery?", "draft", None, ()),
    ("near topic", "Can I get my refund as store credit instead?", "draft", None, ()),
    ("near topic", "Is there a restocking fee when I return something?", "draft", None, ()),
    ("near topic", "How do I change my username?", "draft", None, ()),
    ("near topic", "Can I share my subscription with my family?", "draft", None, ()),
    ("near topic", "Can I pay my invoice by bank transfer?", "draft", None, ()),
    ("near topic", "Does the warranty cover accidental damage if I buy insurance?", "draft", None, ()),
    ("near topic", "Can I track an order that I placed as a guest?", "draft", None, ()),
    ("near topic", "Will I get an email when my refund is processed?", "draft", None, ()),
    ("near topic", "Can I return a gift without the receipt?", "draft", None, ()),
    ("near topic", "Why was my card declined?", "draft", None, ()),
    ("near topic", "Can I upgrade my subscription to the annual plan?", "draft", None, ()),
    ("near topic", "Do invoices include the shipping address?", "draft", None, ()),
    ("near topic", "Is the warranty transferable if I sell the device?", "draft", None, ()),
    ("near topic", "Can I have my parcel left with a neighbour?", "draft", None, ()),
    ("near topic", "How do I reactivate a subscription I cancelled last year?", "draft", None, ()),
    ("near topic", "Can I change the email address on an invoice I already downloaded?", "draft", None, ()),
    ("near topic", "My password reset email went to an old address I no longer use", "draft", None, ()),
    ("near topic", "Do you offer free returns for damaged items?", "draft", None, ()),
    ("answerable", "How long do I have to return an unused item?", "reply", "Returning an item", ()),
    ("answerable", "Is water damage covered by the warranty?", "reply", "Warranty coverage", ()),
    ("answerable", "When does my access end if I cancel?", "reply", "Cancelling a subscription", ()),
    ("answerable", "Where are my invoices?", "reply", "Downloading invoices", ()),
    ("answerable", "How do I remove my old card?", "reply", "Updating a payment card", ()),
    ("answerable", "How long until the tracking shows anything?", "reply", "Tracking your order", ()),
    ("answerable", "Which card will my refund go to?", "reply", "Refund policy", ()),
    ("answerable", "How long is the password link valid?", "reply", "Resetting your password", ()),
    ("answerable", "How fast is express shipping?", "reply", "Shipping times", ()),
    ("answerable", "I need to update my email address", "reply", "Changing your email address", ()),
]

_RAW_3 = [
    ("near topic", "Why was my refund smaller than what I paid?", "draft", None, ()),
    ("near topic", "Why did my subscription renew without asking me?", "draft", None, ()),
    ("near topic", "Why is my tracking number not working on the carrier's site?", "draft", None, ()),
    ("near topic", "What happens to my invoices if I close my account?", "draft", None, ()),
    ("near topic", "What happens if my parcel gets lost in transit?", "draft", None, ()),
    ("near topic", "How do I merge two accounts into one?", "draft", None, ()),
    ("near topic", "How do I downgrade my subscription to a cheaper plan?", "draft", None, ()),
    ("near topic", "How do I report a damaged parcel?", "draft", None, ()),
    ("near topic", "How do I unsubscribe from your newsletter?", "draft", None, ()),
    ("near topic", "How do I add a VAT number to my invoices?", "draft", None, ()),
    ("near topic", "How do I transfer my warranty to a new owner?", "draft", None, ()),
    ("near topic", "Why was my password reset link sent to spam?", "draft", None, ()),
    ("near topic", "How do I redeem a voucher code at checkout?", "draft", None, ()),
    ("near topic", "How do I verify my email address?", "draft", None, ()),
    ("near topic", "What happens to my order if the item is out of stock?", "draft", None, ()),
    ("near topic", "Why does my card keep getting rejected?", "draft", None, ()),
    ("near topic", "How do I split a payment across two cards?", "draft", None, ()),
    ("near topic", "How do I get a replacement for a missing part?", "draft", None, ()),
    ("near topic", "Why did express delivery take three days?", "draft", None, ()),
    ("near topic", "How do I pause my deliveries while I'm on holiday?", "draft", None, ()),
    ("answerable", "How do I send back a parcel I received by mistake?", "reply", "Returning an item", ()),
    ("answerable", "How do I swap my old card for the new one?", "reply", "Updating a payment card", ()),
    ("answerable", "How do I get the PDF of last month's invoice?", "reply", "Downloading invoices", ()),
    ("answerable", "How do I stop my subscription before it renews?", "reply", "Cancelling a subscription", ()),
    ("answerable", "How do I follow the parcel once it has left?", "reply", "Tracking your order", ()),
    ("answerable", "How do I update the email you send my receipts to?", "reply", "Changing your email address", ()),
    ("answerable", "How do I set a new password? I forgot mine.", "reply", "Resetting your password", ()),
    ("answerable", "What happens if I cancel in the middle of the month?", "reply", "Cancelling a subscription", ()),
    ("answerable", "Why hasn't my tracking updated since this morning?", "reply", "Tracking your order", ()),
    ("answerable", "How do I return headphones that I opened but never used?", "reply", "Returning an item", ()),
]

# In French, over the Help Center's two French articles (shipping times, refunds).
_RAW_FR = [
    ("near topic", "Livrez-vous au Canada ?", "draft", None, ()),
    (
        "near topic",
        "Est-ce que je peux changer l'adresse de livraison après l'expédition de ma commande ?",
        "draft",
        None,
        (),
    ),
    ("near topic", "La livraison express coûte combien ?", "draft", None, ()),
    ("near topic", "Puis-je payer en plusieurs fois ?", "draft", None, ()),
    ("near topic", "Est-ce que les frais de retour sont remboursés ?", "draft", None, ()),
    ("near topic", "Puis-je être remboursé en espèces ?", "draft", None, ()),
    ("near topic", "Mon colis est arrivé abîmé, que faire ?", "draft", None, ()),
    ("near topic", "Est-ce que vous livrez le samedi ?", "draft", None, ()),
    ("near topic", "Puis-je retirer ma commande en magasin ?", "draft", None, ()),
    ("near topic", "Le remboursement est-il possible sans le ticket de caisse ?", "draft", None, ()),
    ("near topic", "Pourquoi mon remboursement a-t-il été refusé ?", "draft", None, ()),
    ("near topic", "Est-ce que la livraison est gratuite à partir de 50 euros ?", "draft", None, ()),
    ("near topic", "Puis-je annuler ma commande avant qu'elle soit expédiée ?", "draft", None, ()),
    ("near topic", "Mon colis a été livré chez le voisin, que dois-je faire ?", "draft", None, ()),
    ("near topic", "Est-ce que je peux offrir un bon d'achat à un ami ?", "draft", None, ()),
    ("near topic", "Puis-je me faire rembourser un article soldé ?", "draft", None, ()),
    ("near topic", "Vous expédiez le dimanche ?", "draft", None, ()),
    ("near topic", "Combien coûte la livraison en Belgique ?", "draft", None, ()),
    ("answerable", "Dans combien de temps ma commande sera-t-elle expédiée ?", "reply", "Délais de livraison", ()),
    ("answerable", "Combien de jours faut-il pour une livraison standard ?", "reply", "Délais de livraison", ()),
    ("answerable", "Quand est-ce que mon colis va partir de votre entrepôt ?", "reply", "Délais de livraison", ()),
    ("answerable", "Je vais recevoir ma commande dans combien de jours ?", "reply", "Délais de livraison", ()),
    ("answerable", "Quand vais-je être remboursé de mon retour ?", "reply", "Remboursements", ()),
    ("answerable", "Sur quelle carte le remboursement sera-t-il fait ?", "reply", "Remboursements", ()),
    ("answerable", "Combien de temps pour recevoir mon remboursement ?", "reply", "Remboursements", ()),
    ("answerable", "Le remboursement arrive sous combien de jours après mon retour ?", "reply", "Remboursements", ()),
]

NEAR_CASES = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW]
NEAR_CASES_2 = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW_2]
NEAR_CASES_3 = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW_3]
KIND_OF = {msg: kind for kind, msg, _e, _a, _p in _RAW}
KIND_OF_2 = {msg: kind for kind, msg, _e, _a, _p in _RAW_2}
KIND_OF_3 = {msg: kind for kind, msg, _e, _a, _p in _RAW_3}
NEAR_CASES_FR = [(msg, expected, article, earlier) for _kind, msg, expected, article, earlier in _RAW_FR]
KIND_OF_FR = {msg: kind for kind, msg, _e, _a, _p in _RAW_FR}

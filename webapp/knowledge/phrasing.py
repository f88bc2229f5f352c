# ruff: noqa: E501  (each phrasing keeps the sentence it is meant for on its own line)
"""Customers' everyday words for the things a Help Center names, put in the knowledge's terms.

Customers rarely use the words articles are written in: they ask when a parcel will "leave your
building" (it ships), how soon they will "see the money again" (a refund), where their "bills"
are (invoices), how to "send something back" (return it). The embedding model that runs
offline is a word-vector model: it scores such a paraphrase about as close to the right article
as to the wrong ones, and the full-text search does not find it at all, so the agent hands off
questions its knowledge answers.

This is a thesaurus of support vocabulary (shipping, delivery, tracking, returns,
refunds, passwords and sign-in, email addresses, subscriptions, payment cards, invoices,
warranty, orders, stock, prices, discounts, accounts), each entry an everyday phrasing and the
word a Help Center uses for it, mostly in English, with the commonest in French, German and
Spanish. A phrasing is put in the knowledge's word only when:

- the knowledge uses that word (stem for stem): a Help Center that never says "ship" gains
  nothing from "leaves your building" becoming "ship", and the question keeps its own words;
- the knowledge does not use the customer's own word: where the articles say "courier", a
  customer's "courier" is already the knowledge's word and stays.

What this gives is recall, not certainty: the rephrased question is still scored by the same
confidence (the share of its key words the passage holds, the meaning, the margin over the next
article), so a question about something no article covers stays a handoff. Each change is
shown on the timeline beside the spelling corrections.
"""

from __future__ import annotations

import re
import weakref
from functools import cache

from webapp.knowledge.spelling import MIN_LENGTH, WORD, Vocabulary
from webapp.language import snowball_algorithm, stemmer

# (everyday phrasing, the knowledge's word), by language. Patterns are matched case-blind on
# word boundaries; the first entry to match a stretch of text wins.
_ENTRIES: dict[str, list[tuple[str, str]]] = {
    "en": [
        # shipping and delivery
        (
            r"(?:leaves?|left|leaving) (?:you|your (?:building|warehouse|depot|premises|place)|"
            r"the (?:building|warehouse|depot))",
            "ship",
        ),
        (
            r"dispatch(?:ed|es|ing)?|sen[dt] (?:it |them )?out|(?:get|gets|be|been|is|was|were) posted(?! back)|"
            r"(?:(?<=order )|(?<=parcel )|(?<=package )|(?<=it )|(?<=they ))(?:goes|go|went) out",
            "ship",
        ),
        (
            r"(?:on|at) my (?:door|doorstep)|(?:get|gets|reach|reaches|come|comes) to me|"
            r"(?:get|gets|arrive|arrives) here|expect (?:my|the) (?:order|parcel|package|stuff)",
            "delivery",
        ),
        (
            r"(?:quick|fast)(?:er|est)(?= (?:option|delivery|shipping|service|way to (?:get|receive)|than))|speedier|"
            r"(?:something|anything) (?:quicker|faster)|"
            r"next[- ]day|overnight|(?:get|have|receive) (?:it|them|my order|my parcel|the parcel) (?:by )?tomorrow",
            "express",
        ),
        (
            r"(?:regular|normal|usual|basic|cheapest|cheap|free|slow(?:er|est)?) "
            r"(?:option|delivery|shipping|service|post(?:age)?)",
            "standard delivery",
        ),
        (r"courier(?:'s|s)?|postman|delivery (?:company|firm|service)|postal service", "carrier"),
        (r"package|packet|shipment", "parcel"),
        (r"on (?:its|their|the) way", "shipped"),
        (
            r"follow (?:where|my|the|it)|trace|whereabouts|keep (?:an )?eyes? on|keep track of|"
            r"check on (?:my|the) (?:parcel|package|order|delivery)|"
            r"where (?:my|the) (?:parcel|package|order|box|stuff|delivery) is|"
            r"where (?:is|'s) my (?:parcel|package|order|box|stuff|delivery)",
            "track",
        ),
        # returns and refunds
        (r"(?:send|sent|sending|post|posted|ship|shipped|give|bring|mail|mailed) (?:\w+ ){0,2}back", "return"),
        (r"changed? my mind", "return"),
        (
            r"never (?:used|worn|wore|opened|tried (?:it|them) on)|not used|unopened|unworn|still sealed|"
            r"(?:never|not) (?:taken|took) (?:\w+ ){0,2}out of the box",
            "unused",
        ),
        (
            r"(?:money|cash) (?:back|again)|pa(?:y|id) (?:me )?back|credited back|reimburs\w*|"
            r"(?:get|see) (?:my|the) money(?: back| again)?|(?:the|my) money (?:shows? up|arrives?|comes? back)",
            "refund",
        ),
        (
            r"postage|delivery (?:fee|charge|cost)s?|shipping (?:fee|charge)s?|"
            r"(?:charged|cost) me (?:\w+ ){0,3}to (?:send|post|ship|mail)",
            "shipping costs",
        ),
        (r"(?:get|have|be) (?:the |my )?shipping costs (?:back|refunded|reimbursed)", "refund shipping costs"),
        (
            r"(?:get|have) (?:that|it|this|those) (?:back|refunded)(?! to you)",
            "refund",
        ),  # "can I get that refunded?" (not: get it back to you, a return)
        (r"store credit|back (?:on|to|onto) (?:my|the same|the original) (?:card|account)", "original payment method"),
        (r"stickers?|postage labels?|shipping labels?", "label"),
        # sign-in and accounts
        (r"log ?in details|sign[- ]?in details|credentials|passcode", "password"),
        (r"sign(?:ed|ing)?[- ]in|log(?:ged|ging)?[- ]in|get (?:back )?into my account|locked out", "login"),
        (r"(?:don'?t|do not|can'?t|cannot) remember (?:what|which|my password|my login)|forgotten", "forgot"),
        (r"(?:is |was |says it'?s )?(?:invalid|no longer (?:valid|works?|working)|out of date)", "expires"),
        (r"inbox|mailbox|e-?mail account", "email address"),
        # subscriptions, cards, invoices
        (r"(?:my|the|your|monthly|annual|yearly|premium) (?:plan|membership)", "subscription"),
        (
            r"(?:stop|end|quit|terminate)(?:ping|ped|s)? (?:my |the |your |this )?(?:plan|membership|subscription)",
            "cancel subscription",
        ),
        (r"stop (?:being )?(?:charged|billed) (?:every|each|per) (?:month|year)", "cancel subscription"),
        (r"(?:swap|switch|replace|change)(?:s|ed|ing)? (?:the |my |our )?(?:payment |bank )?card", "update card"),
        (r"visa|mastercard|amex|debit card|credit card|bank card", "card"),
        (
            r"bills?|receipts?|proofs? of purchase|"
            r"cop(?:y|ies) of (?:my |the |all (?:my |the )?)?"
            r"(?:orders?|purchases?|payments?|everything I (?:bought|ordered|paid))",
            "invoices",
        ),
        (
            r"accountant|bookkeep\w*|tax return|(?:for |of )?(?:my )?(?:taxes|tax purposes|expense reports?|expenses)",
            "accounting",
        ),
        # orders, stock, prices and discounts
        (r"call off (?:my|the) order|(?:don'?t|do not) want (?:my|the) order any ?more", "cancel order"),
        (r"sold out|back in stock|restock(?:ed|ing)?", "stock"),
        (r"how much (?:is|are|does|do|would|will) (?:\w+ ){0,3}(?:cost|charge)", "price"),
        (r"promo(?:tion(?:al)?)? codes?|coupons?(?: codes?)?|voucher codes?", "discount code"),
        (r"gift (?:vouchers?|certificates?)", "gift card"),
        (r"abroad|overseas|outside the (?:uk|us|usa|eu|country)", "international"),
        (r"swap (?:it|them|this) for|(?:another|other|different) size", "exchange"),
        (r"arrived (?:broken|damaged|smashed|cracked)|damaged in (?:transit|the post)", "damaged"),
        (
            r"missing from (?:my|the) (?:order|parcel|package|box)|"
            r"(?:was|is|were|are)n'?t in the (?:box|parcel|package)",
            "missing item",
        ),
        (r"sent me the wrong|not what I ordered", "wrong item"),
        # account
        (r"close my account|remove my account|erase my (?:data|account)", "delete account"),
        (r"2fa|two[- ]step|authenticator app", "two-factor authentication"),
        (r"user ?name|login name", "username"),
        (r"(?:support|business|office) hours|what time (?:are you|do you) open", "opening hours"),
        # warranty
        (
            r"guarantee[ed]?|(?:repair|fix|replace|sort)(?:ed|s)? (?:\w+ ){0,2}(?:for free|free of charge|at no cost)|"
            r"free repairs?",
            "warranty",
        ),
        (
            r"(?:fell|dropped|knocked \w+|went) in(?:to)? (?:the |a )?(?:water|sink|bath|toilet|pool|sea)|"
            r"got (?:soaked|wet)|spilt|spilled|liquid damage",
            "water",
        ),
        (
            r"crack(?:ed|s)?|smash(?:ed)?|shatter(?:ed)?|knock(?:ed)? (?:\w+ ){0,2}off|dropp(?:ed|ing)(?! (?:\w+ ){0,2}off)",
            "damage",
        ),  # "I dropped it" (not: dropped it off at the post office)
        (
            r"stopped (?:working|charging)|(?:it|they|battery|screen) (?:just )?died|died (?:after|on me|within)|"
            r"broke (?:on (?:its|their) own|by itself)|faulty|defective|malfunction\w*",
            "defects",
        ),
        (r"still covered|covered by you", "warranty"),
        # More of the same topics, each with a sentence it is meant for: written from what customers
        # of an online shop say, and kept only where the phrase names nothing the knowledge's word
        # would lose (a carrier's name, a printer, a same-day service are asked about as such).
        (r"despatch(?:ed|es|ing)?", "ship"),  # "Has my order been despatched yet?"
        (
            r"(?:(?<=it )|(?<=order )|(?<=parcel )|(?<=package )|(?<=they )|(?<=items ))"
            r"(?:has |have |already )?(?:left|gone out)(?= yet| already|\s*[.?!]|\s*$)",
            "ship",
        ),  # "Has my order left yet?"
        (
            r"(?:be|been|get|gets|got|is|was|were|being) (?:sent off(?! to you| back)|mailed out|mailed(?! back)|"
            r"handed (?:over )?to (?:the )?(?:courier|carrier|post office|postal service))",
            "ship",
        ),  # "Has my parcel been sent off yet?"
        (
            r"(?:put|popped|pop) (?:it|them|my order|the order|my parcel|the parcel) in the (?:post|mail)|"
            r"in the (?:post|mail) (?:yet|already)",
            "ship",
        ),  # "Is it in the post yet?"
        (r"eta", "delivery"),  # "What's the ETA on my order?"
        (
            r"(?:(?<=it )|(?<=order )|(?<=parcel )|(?<=package )|(?<=box )|(?<=they )|(?<=n't )|(?<=not )|(?<=never ))"
            r"(?:turn|turns|turned|turning) up",
            "delivery",
        ),  # "My parcel still hasn't turned up."
        (
            r"in time for(?= (?:christmas|xmas|my|his|her|their|our|the|a|mother|father|valentine|easter|\w+day)\b)",
            "delivery",
        ),  # "Will it arrive in time for Christmas?"
        (
            r"when (?:will|can|do|should|would) I (?:get|receive|have)(?! (?:it|them) back)"
            r"(?= (?:it|them|my (?:order|parcel|package|stuff|things|items?|purchase)|the (?:order|parcel|package))\b)",
            "delivery",
        ),  # "When will I get my order?"
        (
            r"how long (?:will|does|would|do) (?:it|they|my order|the order|my parcel|the parcel|shipping|postage) "
            r"(?:usually |normally )?take to (?:come|arrive|reach (?:me|us))",
            "delivery",
        ),  # "How long does it usually take to come?"
        (
            r"(?:(?<=order )|(?<=parcel )|(?<=package )|(?<=stuff )|(?<=items )|(?<=box ))(?:still )?"
            r"(?:has ?n't|has not|have ?n't|have not|did ?n't|did not|never|is ?n't|is not)(?: yet)? (?:come|came|here)",
            "delivery",
        ),  # "My order still hasn't come."
        (
            r"(?:still )?waiting (?:on|for)(?= (?:my|the|our) (?:order|parcel|package|stuff|items?|goods|purchase|box)\b)",
            "delivery",
        ),  # "I'm still waiting for my parcel."
        (
            r"rush(?:ed)? (?:order|delivery|shipping)|(?:get|have|receive) (?:it|them|my order) (?:sooner|asap)|"
            r"(?:need|want) (?:it|them|my order) (?:urgently|asap|as soon as possible)",
            "express",
        ),  # "I need it urgently, what are my options?" / "Do you do rush delivery?"
        (
            r"(?:economy|ground|budget|saver|super ?saver|non[- ]express|second[- ]class|2nd[- ]class|ordinary) "
            r"(?:shipping|delivery|post|postage|service|mail|option)",
            "standard delivery",
        ),  # "How long does economy shipping take?"
        (
            r"keep(?:ing)? (?:close )?tabs on|"
            r"(?:monitor(?:ing)?|locat(?:e|ing))(?= (?:my|the) (?:order|parcel|package|delivery|shipment|box)\b)",
            "track",
        ),  # "How can I keep tabs on my parcel?" / "Can you locate my package?"
        (
            r"(?:see|check|find out|know|tell me|look up|show me) where (?:it|they|my stuff)(?: is| are|'s)"
            r"(?= now| right now| at the moment| currently|\s*[.,!?]|\s*$)",
            "track",
        ),  # "Is there a way to see where it is right now?"
        (
            r"(?:any|an|the latest|latest) (?:updates?|news|info) (?:on|about|regarding|for)"
            r"(?= (?:my|the|our) (?:order|parcel|package|delivery|shipment|stuff|items?)\b)",
            "track",
        ),  # "Any news on my order?"
        (
            r"how(?:'s| is| are) (?:my|the|our) (?:order|parcel|package|delivery|shipment) "
            r"(?:getting on|coming along|doing|progressing)",
            "track",
        ),  # "How's my parcel getting on?"
        (
            r"what(?:'s| has)? happened to(?= (?:my|the|our) (?:order|parcel|package|delivery|shipment|stuff|items?|box)\b)",
            "track",
        ),  # "What happened to my order?"
        (
            r"(?:has ?n't|has not|have ?n't|have not|not) (?:moved|budged)(?= (?:in|for|since)\b)|"
            r"stuck (?:at|in) (?:the )?(?:depot|hub|sorting (?:office|cent(?:re|er))|transit)",
            "track",
        ),  # "My parcel hasn't moved in five days." / "It's stuck at the depot."
        (
            r"(?:(?<=link )|(?<=page )|(?<=code )|(?<=tracking )|(?<=it )|(?<=still ))"
            r"(?:shows|says|displays|gives|showing) (?:me )?(?:nothing|no (?:info(?:rmation)?|updates?|details|movement))",
            "track",
        ),  # "Is that normal that the link shows nothing?"
        (
            r"track(?:ing)? (?:codes?|ids?|ref(?:erence)?s?|links?|urls?|no\.?|#)",
            "tracking number",
        ),  # "Where do I find the tracking code?"
        (
            r"(?:consignment|waybill|trace|shipment|shipping|parcel|package|courier) (?:numbers?|no\.?|ids?|ref(?:erence)?s?)|"
            r"consignment|waybill",
            "tracking number",
        ),  # "What's the consignment number?" / "Can you send me the parcel reference?"
        (
            r"(?:a |the )?(?:number|code|link|reference) (?:to|so (?:I|we) can) (?:track|follow|trace|check on|see where|locate)",
            "tracking number",
        ),  # "Can you send me the number to follow my parcel?"
        (
            r"(?:shipping|logistics|parcel|freight|postal|courier|carrier) (?:company|companies|firm|provider|partner|operator)s?",
            "carrier",
        ),  # "Which shipping company do you use?"
        (
            r"bounc(?:e|es|ed|ing)(?= back (?:on|onto|to|into|in) (?:my|the|your) "
            r"(?:card|account|bank|visa|mastercard|paypal|credit card|debit card)| original payment method)",
            "refund",
        ),  # "How long until the money bounces back to my card?"
        (
            r"(?:be|been|get|gets|got|getting|being) (?:re-?)?(?:credited|repaid)(?! back)|re-?credit(?:ed|s|ing)?",
            "refund",
        ),  # "When will I be credited?"
        (
            r"(?:funds|amount|sum|payment|cash) (?:back|returned)|"
            r"(?:return|give|transfer) (?:me )?(?:the|my) (?:funds|money|cash|amount|payment)",
            "refund",
        ),  # "When will you return my funds?"
        (
            r"(?:the |my )?(?:money|amount|payment|funds) (?:still )?(?:has ?n't|has not|never|did ?n't|did not) "
            r"(?:come|came|gone|go|went|landed|appeared)(?= back\b| original payment method)",
            "refund",
        ),  # "The money still hasn't come back to my account."
        (
            r"(?:the )?(?:same )?(?:card|account|method|way|payment method) (?:that )?I (?:paid|bought (?:it|them)|ordered|"
            r"checked out|purchased|used to pay)(?: (?:with|by|through|on|from|in))?",
            "original payment method",
        ),  # "Will it go back to the card I paid with?"
        (
            r"back (?:on|to|onto|into|in) (?:my |the |the same |the original )?(?:paypal|klarna|clearpay|afterpay|"
            r"apple pay|google pay|bank(?: account)?|visa|mastercard|amex|debit card|credit card)(?: account)?",
            "original payment method",
        ),  # "Will the refund go back to my PayPal?"
        (
            r"(?:get|got|getting) (?:it|them|(?:the |this |that |my |these |those )?(?:box|parcel|package|item|items|"
            r"order|stuff|things|product|goods|shoes|dress|clothes)) back to you",
            "return",
        ),  # "How do I get the box back to you?"
        (
            r"(?:take|took|drop|dropping) (?:it|them|the (?:item|items|parcel|package|box))(?: back)?(?: off)? "
            r"(?:to|at|in) (?:a|the|your) (?:store|shop|branch|post office|drop[- ]off point|locker|parcel ?shop)",
            "return",
        ),  # "Can I drop it off at the post office?"
        (
            r"(?:does ?n't|does not|do ?n't|do not|did ?n't|did not) fit(?: me)?(?! in| through)",
            "return",
        ),  # "The jacket doesn't fit, what do I do?"
        (
            r"(?:(?<=do I have to )|(?<=do we have to )|(?<=have I got to ))(?:send|post|mail|take|bring|ship)"
            r"(?= (?:it|them|this|these|the|my)\b)(?! (?:it|them|this|these) back)",
            "return",
        ),  # "How long do I have to send it?"
        (
            r"(?:don't|do not|no longer) (?:want|need|like) (?:it|them|this|these|the (?:item|items|product|shoes|dress))"
            r"(?= any ?more|\s*[.,!]|\s*$)",
            "return",
        ),  # "I don't want them anymore."
        (
            r"returns? (?:slip|form|note|docket|paperwork|sheet)s?|(?:address|postage|freepost) (?:slip|sticker)s?",
            "label",
        ),  # "I lost the return slip."
        (
            r"tags? (?:are |is )?(?:still )?(?:on|attached)(?= (?:it|them)\b|\s*[.,!?]|\s*$| and)|"
            r"with (?:the |all )?(?:tags?|labels?) (?:still )?(?:on|attached)|still (?:has|have|got) (?:the |its )?tags?",
            "unused",
        ),  # "The tags are still on."
        (
            r"(?:in|with) (?:the |its |their )?original (?:packaging|box|wrapping|condition|seal)|"
            r"still (?:in|inside) (?:the |its |their )?(?:box|packaging|wrapper|wrapping|plastic|cellophane|shrink ?wrap)",
            "unused",
        ),  # "It's still in its plastic, can I return it?"
        (
            r"in (?:brand new|as new|mint|perfect|pristine|new|resal(?:e|e?able)|resell?able) condition|"
            r"(?:it's|they're|is|are|still) (?:brand new|as good as new|like new|untouched|pristine)",
            "unused",
        ),  # "They're still brand new."
        (
            r"(?:have ?n't|have not|has ?n't|has not|did ?n't|did not|not) (?:even )?(?:been )?(?:opened|worn|unwrapped|unboxed|unpacked)"
            r"(?= (?:it|them|the box|the packaging|the parcel|yet|at all)\b|\s*[.,!?]|\s*$)",
            "unused",
        ),  # "I haven't even opened the box."
        (r"pwd?|p/w|pword|passwd", "password"),  # "I forgot my pw"
        (
            r"(?:make|create|set|set up|choose|pick|come up with) (?:a |myself a )?(?:brand )?new(?= (?:password|pw|pwd)\b)",
            "reset",
        ),  # "How do I make a new password?"
        (
            r"(?:recover(?:ing|y of)?|retriev(?:e|ing)|regain(?:ing)?)(?= (?:my |the |a )?(?:password|pw|pwd|account)\b)|"
            r"(?:password|account|pw) recovery",
            "reset",
        ),  # "How do I recover my password?"
        (
            r"(?:the )?(?:password )?(?:reset|recovery) (?:e-?mail|mail|message)s?",
            "reset link",
        ),  # "The reset email never arrived."
        (r"log(?:s|ged|ging)?[- ]?on|sign(?:s|ed|ing)?[- ]on", "login"),  # "I can't log on to my account."
        (
            r"(?:won't|does ?n't|does not|will not|would ?n't) let me (?:in|log ?in|login|sign ?in|access)",
            "login",
        ),  # "The site won't let me in."
        (
            r"(?:switch(?:ed|ing)?|swap(?:ped|ping)?|replac(?:e|ed|ing)|edit(?:ed|ing)?|amend(?:ed|ing)?|"
            r"correct(?:ed|ing)?)(?= (?:my |the |our )?(?:e-?mail|login e-?mail|inbox|mailbox|hotmail|gmail)\b)",
            "change",
        ),  # "How do I swap my email to a new one?"
        (
            r"g ?mail(?: (?:address|account))?|hotmail(?: (?:address|account))?|yahoo(?: mail)?(?: (?:address|account))?|"
            r"outlook (?:address|account|email)|icloud (?:address|email|mail)",
            "email address",
        ),  # "I want to use my Gmail address instead."
        (
            r"e-?mail(?: address)? (?:I (?:signed up|registered|log ?in|login) (?:with|on|under|using)|"
            r"(?:on|linked to|associated with|registered to) (?:my|the) (?:account|profile))",
            "email address",
        ),  # "The email I signed up with is old." / "The email on my account is wrong."
        (
            r"(?:use|using) (?:a |my )?(?:different|another|new|other|work|personal|second) e-?mail(?: address)?"
            r"(?= (?:for|to|on|instead)\b|\s*[.,!?]|\s*$)",
            "change email address",
        ),  # "Can I use a different email for my account?"
        (
            r"(?:no longer|don't|do not|can't|cannot) (?:have|use|access|get into) (?:access to )?(?:that|my old|the old|"
            r"my previous|my former|my work|my school) (?:e-?mail|inbox|mailbox)(?: address| account)?",
            "change email address",
        ),  # "I no longer have access to my old email."
        (
            r"(?:leave|leaving|drop|dropping|ditch|ditching|get out of|pull out of|opt out of|back out of|come off|"
            r"unsubscribe from) (?:my |the |your |this )?(?:plan|membership|subscription|sub|club|monthly box)",
            "cancel subscription",
        ),  # "How do I get out of the membership?"
        (
            r"(?:stop|disable|turn off|switch off|cancel|remove|deactivate|opt out of) (?:the |my )?"
            r"(?:auto[- ]?renew(?:al|ing)?|automatic (?:renewal|payments?|billing)|renewals?)",
            "cancel subscription",
        ),  # "How do I turn off auto-renewal?"
        (
            r"(?:don't|do not|does ?n't|does not) (?:want|need|wish) (?:it|this|them|you|(?:my |the )?(?:plan|subscription|membership)) "
            r"to (?:renew|auto[- ]?renew|roll over|continue)",
            "cancel subscription",
        ),  # "I don't want it to renew next month."
        (
            r"(?:don't|do not) want to (?:be (?:charged|billed)|pay) (?:again|any ?more|next month)|"
            r"(?:no longer|don't|do not) (?:want|need|use) (?:the |my |this )?(?:plan|subscription|membership)(?: any ?more)?",
            "cancel subscription",
        ),  # "I don't want to be charged again." / "I no longer need the membership."
        (
            r"(?:be|get|being|getting) (?:charged|billed|debited) (?:again|next)(?: (?:next|this|in) (?:month|year|week))?",
            "billing period",
        ),  # "Will I be charged again next month?"
        (
            r"(?:until|till|to|up to) (?:the )?end of (?:the|my|this) (?:month|year|term|cycle|period)|"
            r"(?:have|keep|retain) access (?:until|till|to the end)|for the rest of (?:the|my|this) (?:month|year)",
            "billing period",
        ),  # "Do I keep access until the end of the month?"
        (
            r"(?:put|enter|add|type|pop|stick|key)(?: in)? (?:the |my )?new (?:card )?(?:details|number|info|expiry(?: date)?)(?: in)?",
            "update card",
        ),  # "Where do I put the new details in?"
        (
            r"(?:sent|gave|issued) me a (?:new|replacement) card|(?:got|received|have) a (?:new|replacement) card|"
            r"cards? (?:has |have )?(?:expired|run out|ran out|is expiring|expires soon|is about to expire)",
            "update card",
        ),  # "My bank sent me a replacement card." / "My card has expired."
        (
            r"(?:add|adding|use|using|set up|register|save|link) (?:a |my )?(?:new|different|another|other|second|backup) "
            r"(?:card|payment card|bank card|payment method)",
            "update card",
        ),  # "How do I add a different card?"
        (
            r"(?:change|changing|update|updating|edit|editing|amend|amending|correct) (?:my |the |our )?(?:payment|card) "
            r"(?:details|info(?:rmation)?|method)",
            "update card",
        ),  # "I need to amend my card details."
        (
            r"proofs? of payment|payment proof|evidence of payment",
            "invoices",
        ),  # "I need proof of payment for my employer."
        (
            r"(?:paperwork|documents?|docs) (?:for|to give (?:to )?|to show) (?:my |the |our )?"
            r"(?:company|employer|business|boss|finance (?:team|department)|insurance|insurer|work)",
            "invoices",
        ),  # "I need paperwork for my employer."
        (
            r"billing (?:history|statements?|documents?|records?)|payment history|"
            r"statements? (?:for|of) (?:my |the )?(?:account|orders?|purchases?|payments?|subscription)",
            "invoices",
        ),  # "Where can I see my billing history?"
        (
            r"(?:only|just|less than|under|not even|barely) (?:a |one |two |three |six |nine |\d+ |a few |a couple of )?"
            r"(?:days?|weeks?|months?|years?) old",
            "warranty",
        ),  # "It's less than a year old and already broken."
        (
            r"(?:is|are) (?:it|they|this|these|my \w+) (?:still )?under cover|"
            r"(?:how long|for how long) (?:is|are) (?:it|they|this|these|the \w+) covered(?: for)?",
            "warranty",
        ),  # "How long is it covered for?"
        (
            r"(?:won't|does ?n't|does not|will not|would ?n't|no longer|did ?n't|did not) (?:turn|switch|power)(?: (?:it|them))? on"
            r"(?= any ?more| at all| since| after| again|\s*[.,!?]|\s*$)",
            "defects",
        ),  # "It won't turn on anymore."
        (
            r"(?:(?<=it )|(?<=phone )|(?<=they )|(?<=headphones )|(?<=earbuds )|(?<=watch ))"
            r"(?:won't|does ?n't|does not|will not|no longer|is ?n't|are ?n't) (?:charge|charging|hold (?:a |its )?charge|pair)",
            "defects",
        ),  # "My headphones won't charge anymore."
        (
            r"(?:came|coming|falling|fell|come|comes) (?:apart|undone|unstuck|unglued|unstitched)|"
            r"(?:seams?|stitching|soles?|strap|zip|zipper|heel|clasp) (?:has |have )?(?:come|came|split|ripped|snapped|frayed) off",
            "defects",
        ),  # "The seams are coming apart." / "The sole came off"
        (
            r"dead on arrival|doa|(?:arrived|came) (?:not working|dead)|"
            r"(?:never|did ?n't|did not) work(?:ed)? (?:from|since|out of) (?:the )?(?:start|beginning|box|day one|first day)",
            "defects",
        ),  # "It was dead on arrival."
        (
            r"(?:broke|broken|ripped|tore|split|snapped|fell apart|came apart) (?:after|within) (?:only |just )?"
            r"(?:a |one |two |three |\d+ |a few |a couple of )?(?:days?|weeks?|months?|uses?|wears?|washes?)",
            "defects",
        ),  # "The strap broke after two weeks."
        (
            r"(?:manufacturing|factory|production) (?:faults?|flaws?|errors?)|pilling|bobbl(?:ing|ed)|fraying|frayed|"
            r"(?:colou?r|dye) (?:has )?(?:ran|run|running|faded|bled|came out|washed out)",
            "defects",
        ),  # "I think it's a manufacturing fault." / "The sleeves are already pilling."
        (
            r"(?:sat|sit|stood|stepped|trod|ran|run|drove|rolled) (?:on|over) "
            r"(?:it|them|my (?:phone|glasses|headphones|laptop|tablet|watch|sunglasses|earbuds))",
            "damage",
        ),  # "I accidentally sat on my glasses."
        (
            r"(?:my |our |the )(?:dog|cat|puppy|kitten|kid|kids|son|daughter|toddler|child|baby) "
            r"(?:chewed|bit|broke|knocked|pulled|threw|scratched|snapped|sat on|stood on|stepped on|ripped|tore)",
            "damage",
        ),  # "My dog chewed the cable."
        (
            r"(?:accidentally|by accident|by mistake) (?:broke|bent|snapped|sat on|stepped on|ran over|knocked (?:it )?over|"
            r"scratched|crushed)|(?:broke|bent|snapped|crushed) (?:it|them) (?:by accident|accidentally)",
            "damage",
        ),  # "I accidentally broke the handle."
        (
            r"fell (?:off|down|out of|from|onto)(?= (?:the |a |my )?(?:table|desk|counter|shelf|bed|chair|sofa|"
            r"stairs|steps|bike|car|pocket|bag|ladder|balcony|floor|ground|pavement)\b)",
            "damage",
        ),  # "It fell off the table."
        (
            r"(?:went|gone|been) (?:through|in) the (?:wash|washing machine|washer|dishwasher)",
            "water",
        ),  # "My earbuds went through the washing machine."
        (
            r"(?:left (?:it|them) (?:out )?in|caught in|exposed to) (?:the )?(?:rain|storm|downpour|snow)|"
            r"rained on|rain (?:got|gets|came) in(?:to|side)?",
            "water",
        ),  # "I got caught in the rain and now it won't work."
        (
            r"(?:moisture|condensation|damp|humidity|fog|water) (?:inside|got in(?:to|side)?|behind the (?:screen|glass|lens))|"
            r"fogged up|water ?logged|submerged|drenched|dunked|soaking wet|sopping wet",
            "water",
        ),  # "There's condensation inside the lens." / "It got drenched."
        (
            r"(?:knock(?:ed|ing)?|tipp(?:ed|ing)) (?:over )?(?:a |my |the |some )?(?:(?:glass|cup|mug|bottle) of )?"
            r"(?:drink|coffee|tea|cup|mug|glass|wine|juice|beer|soda|milk|water)",
            "water",
        ),  # "I knocked a cup of tea over it."
        (
            r"(?:wore|worn|wear|wearing|took|taken|used|using) (?:it|them) (?:in|into) the (?:shower|bath|sea|pool|swimming pool)|"
            r"swimming (?:with|in) (?:it|them)",
            "water",
        ),  # "I wore it in the shower."
    ],
    "fr": [
        (
            r"(?:part(?:ir|ira|ent)?|quitte(?:r|ra)?)(?:-(?:t-)?(?:il|elle|ils|elles))? "
            r"(?:de chez vous|(?:de )?(?:votre |l')entrepôt)|(?:sera|est|a été) envoyée?s?|"
            r"(?:vous )?(?:l'|les )envoy(?:ez|erez)|envoyez-(?:la|le|les)|"
            r"(?:va|vont|doit|doivent|devrait) partir(?! de)|(?:c'est|ce sera) envoyée?s?",
            "expédiée",
        ),
        (
            r"(?:récupère|récupérer|retrouve|retrouver|revoir|reçois|recevoir|avoir|ravoir) (?:mon|l'|votre) argent|"
            r"(?:me )?rend(?:re|rez|ez|ront)? (?:mon |l')argent|"
            r"rembours(?:é|ée|er)",
            "remboursement",
        ),
        (
            r"(?:à |pour )arriver|(?:recevoir|recevrai|reçois|recevrons) (?:ma commande|mon colis|mes articles)|"
            r"arrive(?:ra|-t-elle|-t-il)? quand|quand (?:est-ce qu'(?:elle|il) |va-t-(?:elle|il) )?arriv\w+",
            "livraison",
        ),
        (r"combien de temps|en combien de jours|dans combien de jours", "délai"),
        (r"colis", "commande"),
        (
            r"(?:sur|par) (?:ma|la|quelle) carte(?: bancaire| de crédit| bleue)?|(?:en|un|des) bons? d'achat",
            "moyen de paiement",
        ),
        (r"renvo(?:yer|yé|yée|ie)|retourn(?:er|é|ée)", "retour"),
        (r"facture\w*", "factures"),
        (r"mot de passe oublié|identifiants", "mot de passe"),
        (
            r"où en (?:est|sont)(?= (?:ma|mon|mes|la|le|les) (?:commande|colis|paquet|livraison|article)s?\b)|"
            r"(?:localiser|pister|tracer|traquer|tracker)(?= (?:ma|mon|mes|la|le|les) )|tracking",
            "suivi",
        ),  # "Où en est ma commande ?" / "Le tracking ne bouge plus."
        (
            r"(?:numéro|code|lien|référence|n°) de (?:tracking|traçage|l'envoi|envoi|expédition)|code de suivi|lien de suivi",
            "numéro de suivi",
        ),  # "Je n'ai pas reçu de numéro de tracking."
        (
            r"(?:livraison|envoi|option) (?:rapide|plus rapide|urgente|en 24 ?h(?:eures)?|le lendemain)|en urgence",
            "express",
        ),  # "Vous avez une livraison plus rapide ?"
        (
            r"(?:toujours pas|pas encore|jamais) (?:reçue?s?|arrivée?s?)"
            r"(?= (?:ma|mon|mes|la|le|les) (?:commande|colis|paquet|article)s?\b|\s*[.,!?]|\s*$)",
            "livraison",
        ),  # "Je n'ai toujours pas reçu ma commande."
        (
            r"sous combien de jours|quand (?:vais-je|est-ce que je vais|je vais) (?:la |le |les )?(?:recevoir|avoir)",
            "délai de livraison",
        ),  # "Quand vais-je la recevoir ?"
        (
            r"la même carte|le même moyen de paiement|la carte (?:utilisée|avec laquelle j'ai (?:payé|réglé))|"
            r"(?:sur|vers|à) (?:mon (?:compte )?)?paypal",
            "moyen de paiement d'origine",
        ),  # "Le remboursement ira sur la même carte ?"
        (r"bordereau(?: de retour)?|bon de retour|coupon retour", "étiquette"),  # "Je n'ai pas de bordereau de retour."
        (
            r"(?:jamais|pas) (?:été )?(?:portée?s?|utilisée?s?|ouverte?s?|déballée?s?)"
            r"(?!\s*(?:le |la |les |l'|mon |ma |mes |votre |vos |ce |cet |cette ))",
            "non utilisé",
        ),  # "Je ne l'ai jamais porté."
        (
            r"(?:encore|toujours) (?:dans (?:son|sa|leur) (?:emballage|boîte|carton)|emballée?s?|scellée?s?)|"
            r"avec (?:les |ses |leurs )?étiquettes",
            "non utilisé",
        ),  # "Le pull est encore dans son emballage."
        (
            r"(?:accéder|entrer|rentrer) (?:à|dans) mon (?:compte|espace(?: client)?)|m'identifier|m'authentifier|me logg?uer",
            "connexion",
        ),  # "Je n'arrive plus à accéder à mon compte."
        (
            r"(?:remettre à zéro|refaire|récupérer|recréer|créer un nouveau|choisir un nouveau|définir un nouveau)"
            r"(?= (?:mon |un |le )?(?:mot de passe|mdp)\b)",
            "réinitialiser",
        ),  # "Comment récupérer mon mot de passe ?"
        (
            r"(?:arrêter|stopper|mettre fin à|me désabonner de|me désinscrire de|ne plus renouveler|ne plus payer|quitter)"
            r"(?= (?:mon |l'|cet |cette |ma )?(?:abonnement|adhésion|forfait))",
            "annuler abonnement",
        ),  # "Je veux arrêter mon abonnement."
        (
            r"(?:désactiver|arrêter|supprimer|stopper) (?:le |la )?(?:renouvellement automatique|reconduction (?:automatique|tacite))",
            "annuler abonnement",
        ),  # "Comment désactiver le renouvellement automatique ?"
        (
            r"(?:nouvelle|autre) carte(?: bancaire| de crédit| bleue)?|changer (?:de|ma) carte(?: bancaire)?|"
            r"carte (?:bancaire |de crédit )?(?:a expiré|est expirée|expirée|périmée|arrive à expiration)",
            "mettre à jour carte",
        ),  # "Ma carte bancaire a expiré."
        (
            r"(?:un|le|mon|des|les|mes|du) reçus?|ticket de caisse|justificatifs?(?: d'achat| de paiement)?|"
            r"preuves? (?:d'achat|de paiement)",
            "factures",
        ),  # "Où trouver mon justificatif de paiement ?"
        (
            r"ne s'allume (?:plus|pas)|ne charge plus|tombée? en panne|défectueu(?:x|se|ses)|défaut de fabrication|vice caché",
            "défaut",
        ),  # "Mon casque ne s'allume plus."
        (
            r"tombée? dans l'eau|(?:renversé|versé) (?:du |de l'|un |une |mon |ma )?(?:café|thé|eau|verre|liquide|boisson|jus|vin)|"
            r"(?:a )?pris l'eau|dégâts? des eaux|oxyd(?:é|ée|és|ées|ation)",
            "eau",
        ),  # "J'ai renversé du café dessus."
        (
            r"fait tomber|laissée? tomber|écran (?:fissuré|fêlé|brisé|cassé)|(?:casse|chute) accidentelle",
            "dommages",
        ),  # "Je l'ai fait tomber par terre."
    ],
    "de": [
        (r"zurückschicken|zurücksenden|zurückgeben|zurückgeschickt", "rücksendung"),
        (r"geld zurück|rückzahlung|zurückerstattet", "erstattung"),
        (r"paket|sendung", "bestellung"),
        (r"rechnungen?|quittung(?:en)?|belege?", "rechnungen"),
        (r"zugangsdaten|anmeldedaten", "passwort"),
        (
            r"(?:(?<=bestellung )|(?<=paket )|(?<=sendung )|(?<=es )|(?<=sie ))raus(?=\s*[?.!]|\s*$| heute| morgen)|"
            r"rausgeschickt|rausgeht|rausgehen|das lager verl(?:ässt|assen)",
            "versand",
        ),  # "Wann geht meine Bestellung raus?"
        (
            r"wann kommt(?= (?:mein|meine|das|die|der|es|sie)\b)|bei mir an(?:kommt|kommen)|eintrifft|eintreffen",
            "lieferung",
        ),  # "Wann kommt mein Paket?"
        (
            r"eil(?:versand|lieferung|zustellung|paket)|(?:zustellung|lieferung) am nächsten (?:werk)?tag|über ?nacht|"
            r"schneller(?:e|en)? (?:versand|lieferung|option|variante)",
            "express",
        ),  # "Gibt es einen schnelleren Versand?"
        (
            r"tracking-?(?:nummer|code|link|id)|trackingnummer|paketnummer|paketscheinnummer|sendungs-?(?:id|code)|"
            r"versandnummer|identcode|verfolgungsnummer",
            "sendungsnummer",
        ),  # "Ich habe keine Trackingnummer bekommen."
        (
            r"wo (?:ist|bleibt) (?:mein|meine)(?= (?:paket|bestellung|sendung|lieferung|päckchen)\b)|tracken|getrackt|"
            r"nachverfolgen|nachverfolgt|tracking",
            "sendungsverfolgung",
        ),  # "Wo bleibt mein Paket?"
        (
            r"geld wieder|wiederbekommen|zurückbekommen|zurückgebucht|zurücküberwiesen|rückbuchung|gutschrift",
            "erstattung",
        ),  # "Wann bekomme ich mein Geld wieder?"
        (
            r"(?:zurück |(?<=erstattung )|(?<=erstattet ))(?:auf|an) (?:die gleiche|dieselbe|meine|die|mein|das) "
            r"(?:karte|kreditkarte|paypal|konto|bankkonto)|(?:gleiche|selbe) zahlungs(?:art|methode|mittel)",
            "ursprüngliche zahlungsmethode",
        ),  # "Geht das Geld zurück auf meine Karte?"
        (
            r"(?:rücksende|retouren|retour|rückversand)(?:schein|label|aufkleber)|versandaufkleber|paketschein|paketaufkleber",
            "etikett",
        ),  # "Wo finde ich den Rücksendeschein?"
        (
            r"ungetragen|ungeöffnet|originalverpackt|ungebraucht|neuwertig|(?:nie|nicht|noch nicht) (?:getragen|benutzt|ausgepackt)|"
            r"noch (?:eingeschweißt|verschweißt|versiegelt)|etiketten? (?:sind |ist )?noch dran",
            "unbenutzt",
        ),  # "Die Schuhe sind ungetragen."
        (
            r"neues passwort (?:anlegen|erstellen|festlegen|vergeben|setzen|einrichten)|passwort (?:wiederherstellen|neu (?:setzen|vergeben))",
            "passwort zurücksetzen",
        ),  # "Wie kann ich ein neues Passwort anlegen?"
        (
            r"einloggen|eingeloggt|einzuloggen|reinkommen|komme nicht (?:mehr )?(?:in|auf) mein (?:konto|kundenkonto)|"
            r"kein zugriff (?:mehr )?auf mein (?:konto|kundenkonto)",
            "anmelden",
        ),  # "Ich kann mich nicht einloggen."
        (
            r"e-?mail(?:-?adresse)? (?:wechseln|umstellen|austauschen|aktualisieren|korrigieren)|(?:neue|andere) e-?mail(?:-?adresse)?",
            "e-mail-adresse ändern",
        ),  # "Wie kann ich meine E-Mail-Adresse wechseln?"
        (
            r"abo(?:nnement)? (?:beenden|stoppen|abbestellen|auflösen|abbrechen)|mitgliedschaft (?:beenden|stoppen|auflösen)|"
            r"(?:automatische )?verlängerung (?:stoppen|abstellen|deaktivieren|ausschalten|beenden)",
            "abonnement kündigen",
        ),  # "Wie kann ich mein Abo beenden?"
        (
            r"neue (?:kredit|bank|debit)?karte|(?:kredit|bank)?karte (?:ist )?abgelaufen|andere (?:kredit|bank)?karte|"
            r"(?:kredit|bank)?karte (?:austauschen|wechseln)|zahlungsdaten (?:ändern|aktualisieren)",
            "karte aktualisieren",
        ),  # "Meine Kreditkarte ist abgelaufen."
        (r"gewährleistung|herstellergarantie", "garantie"),  # "Habe ich noch Gewährleistung?"
        (
            r"geht nicht (?:mehr )?an|lässt sich nicht (?:mehr )?(?:einschalten|anschalten|aufladen)|kaputt ?gegangen|"
            r"von selbst kaputt|fabrikationsfehler|herstellungsfehler|produktionsfehler",
            "defekt",
        ),  # "Das Gerät lässt sich nicht mehr einschalten."
        (
            r"wasserschaden|ins wasser gefallen|nass geworden|(?:kaffee|tee|wasser|saft|wein) (?:drüber|darüber|darauf|drauf) ?"
            r"(?:gekippt|geschüttet|gelaufen)|verschüttet",
            "wasser",
        ),  # "Mir ist Kaffee drüber gekippt."
        (
            r"runtergefallen|heruntergefallen|hingefallen|fallen gelassen|(?:display|bildschirm|glas) (?:ist )?"
            r"(?:gesprungen|zersprungen|gebrochen)|sturzschaden|bruchschaden",
            "schaden",
        ),  # "Das Handy ist mir runtergefallen."
    ],
    "es": [
        (r"(?:métodos|formas|medios) de pago|pagar con", "pago"),
        (r"devolver(?:lo|la)?|mandar(?:lo|la)? de vuelta", "devolución"),
        (r"(?:mi|el) dinero de vuelta|reembolsar(?:me)?|me devuelven el dinero", "reembolso"),
        (r"paquete", "pedido"),
        (r"facturas?|recibos?", "facturas"),
        (r"contraseña olvidada|datos de acceso", "contraseña"),
        (
            r"(?:sale|saldrá|salga|salió|ha salido)(?= (?:mi|el) (?:pedido|paquete)\b)|"
            r"(?:cuándo|cuando) (?:me )?(?:lo|los|la|las) (?:mandan|mandáis|despachan|despacháis)|despachad[oa]s?",
            "envío",
        ),  # "¿Cuándo sale mi pedido?"
        (
            r"(?:(?:cuánto|cuanto) (?:tarda|tardan|tardará|demora|se demora) en (?:llegar|llegarme)|"
            r"(?:cuándo|cuando) (?:me )?(?:llega|llegará|llegan|va a llegar))(?! (?:el|mi) (?:reembolso|dinero))",
            "plazo de entrega",
        ),  # "¿Cuánto tarda en llegar?"
        (
            r"(?:envío|entrega|opción) (?:rápid[oa]|urgente|más rápid[oa]|al día siguiente|en 24 ?h(?:oras)?)|en 24 ?horas",
            "exprés",
        ),  # "¿Tienen envío urgente?"
        (
            r"(?:código|número|numero|enlace|link) de (?:rastreo|tracking|localización)|localizador(?: del envío)?|"
            r"código de seguimiento|guía de (?:envío|rastreo)|número de guía",
            "número de seguimiento",
        ),  # "No me llegó el código de rastreo."
        (
            r"rastre(?:ar|o|arlo|arla)|localizar (?:mi|el) (?:pedido|paquete)|"
            r"(?:dónde|donde) (?:está|anda|se encuentra)(?= (?:mi|el) (?:pedido|paquete|envío)\b)|tracking",
            "seguimiento",
        ),  # "¿Cómo puedo rastrear mi paquete?"
        (
            r"(?:recuperar|devolverme|devuelvan|reintegrar(?:me)?|reintegren) (?:mi|el) dinero|reintegro|"
            r"devolución (?:del|de mi) dinero|(?:me )?(?:lo )?reintegr(?:an|en|arán)",
            "reembolso",
        ),  # "¿Cuándo puedo recuperar mi dinero?"
        (
            r"(?:a|en) la misma tarjeta|(?:al|por el) mismo (?:medio|método) de pago|(?:a|en) mi (?:cuenta de )?paypal|"
            r"la tarjeta con la que pagué",
            "método de pago original",
        ),  # "¿Me lo devuelven a la misma tarjeta?"
        (
            r"sin (?:abrir|estrenar|desprecintar)|nunca (?:lo|la|los|las) (?:he|hemos) (?:usado|usada|puesto|abierto|estrenado)|"
            r"precintad[oa]s?|con (?:las |sus )?etiquetas|en su (?:embalaje|caja|empaque) original",
            "sin usar",
        ),  # "Está sin abrir, ¿lo puedo devolver?"
        (r"clave(?= de acceso)|(?:mi|la) clave(?! de)|palabra de paso", "contraseña"),  # "Olvidé mi clave."
        (
            r"(?:recuperar|recupero|recupera|crear una nueva|poner una nueva|generar una nueva)(?= (?:mi |la |una )?(?:contraseña|clave)\b)",
            "restablecer",
        ),  # "¿Cómo recupero mi contraseña?"
        (
            r"(?:entrar|acceder|ingresar|meterme) (?:a|en) mi cuenta|loguearme|logearme|loguear|logearse|no puedo entrar",
            "iniciar sesión",
        ),  # "No puedo entrar en mi cuenta."
        (
            r"(?:darme|dar|darse) de baja(?= (?:de|en) (?:la |mi |el )?(?:suscripción|membresía|plan|servicio|club))|"
            r"(?:anular|quitar|desactivar|parar) (?:mi |la )?(?:suscripción|membresía|renovación automática)",
            "cancelar suscripción",
        ),  # "Quiero darme de baja de la suscripción."
        (
            r"(?:nueva|otra) tarjeta|tarjeta (?:está )?(?:nueva|caducad[ao]|vencid[ao])|(?:se me )?(?:venció|caducó) la tarjeta|"
            r"cambiar (?:de|mi|la) tarjeta",
            "actualizar tarjeta",
        ),  # "Mi tarjeta está caducada."
        (
            r"comprobantes?(?: de (?:pago|compra))?|tickets? de compra|justificantes?(?: de (?:pago|compra))?",
            "facturas",
        ),  # "Necesito un comprobante de pago."
        (
            r"(?:ya no|no) (?:enciende|prende)|dejó de funcionar|se (?:estropeó|averió|descompuso)|defectuos[oa]s?|"
            r"vino fallad[oa]|(?:fallo|defecto) de fábrica",
            "defectos",
        ),  # "El reloj no enciende."
        (
            r"se (?:me )?(?:cayó|cayo) (?:al|en el) agua|se (?:me )?mojó|(?:le )?(?:cayó|derramé|tiré) "
            r"(?:agua|café|un vaso|líquido|té|refresco|bebida)|mojad[oa]s?|humedad",
            "agua",
        ),  # "Se me cayó al agua."
        (
            r"se me cayó(?! al agua| en el agua)|se (?:me )?(?:rompió|rajó|quebró) (?:la pantalla|el cristal)|"
            r"pantalla (?:rota|rajada|quebrada)|(?:golpe|caída) accidental",
            "daños",
        ),  # "Se me cayó y se rompió la pantalla."
    ],
}


@cache
def _patterns(lang: str) -> tuple[tuple[re.Pattern, str], ...]:
    return tuple(
        (re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])", re.IGNORECASE), word)
        for pattern, word in _ENTRIES.get(lang, ())
    )


def _stems(text: str, lang: str) -> set[str]:
    """The stems of the text's words long enough to be in a vocabulary ("two-factor" gives "factor")."""
    words = [w for w in WORD.findall(text.lower()) if len(w) >= MIN_LENGTH]
    return set(stemmer(snowball_algorithm(lang) or "english").stemWords(words))


@cache
def _target_stems(word: str, lang: str) -> frozenset[str]:
    """The stems a Help Center must use for an entry's word to be put in (once per entry)."""
    return frozenset(_stems(word, lang))


_knowledge_stems: weakref.WeakKeyDictionary[Vocabulary, dict[str, frozenset[str]]] = weakref.WeakKeyDictionary()


def _used_by_knowledge(vocab: Vocabulary, lang: str) -> frozenset[str]:
    """The stems of the knowledge's words in ``lang``'s stemmer (built once per vocabulary)."""
    by_lang = _knowledge_stems.setdefault(vocab, {})
    if lang not in by_lang:
        by_lang[lang] = frozenset(_stems(" ".join(vocab.counts), lang))
    return by_lang[lang]


def rephrase(text: str, vocab: Vocabulary, lang: str | None) -> tuple[str, dict[str, str]]:
    """(the text with everyday phrasings put in the knowledge's words, each change as
    phrasing → word). ``lang``: the customer's language; English when unknown."""
    lang = lang if lang in _ENTRIES else "en"
    known = _used_by_knowledge(vocab, lang)
    changes: dict[str, str] = {}

    def replace(word: str):
        def swap(match: re.Match) -> str:
            said = match.group(0)
            if all(w in vocab.counts for w in WORD.findall(said.lower())):  # the knowledge says it this way too
                return said
            changes[said.lower()] = word
            return word

        return swap

    for pattern, word in _patterns(lang):
        needed = _target_stems(word, lang)
        if needed and needed <= known:
            text = pattern.sub(replace(word), text)
    return text, changes

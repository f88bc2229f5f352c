"""Generated Help Center articles and customer questions, reproducible from a seed."""

from __future__ import annotations

import random

TOPICS = [
    "shipping",
    "delivery",
    "refund",
    "return",
    "invoice",
    "billing",
    "password",
    "login",
    "account",
    "subscription",
    "upgrade",
    "downgrade",
    "cancel",
    "order",
    "tracking",
    "warranty",
    "repair",
    "discount",
    "coupon",
    "payment",
    "card",
    "address",
    "export",
    "import",
    "integration",
    "webhook",
    "notification",
    "email",
    "mobile",
    "desktop",
]
ACTIONS = [
    "change",
    "update",
    "reset",
    "find",
    "cancel",
    "request",
    "track",
    "download",
    "enable",
    "disable",
    "connect",
    "remove",
]


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    syllables = ["ka", "lo", "mi", "ne", "ra", "su", "ti", "vo", "ze", "pa", "qui", "dor", "ben", "gal", "mur", "sel"]
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def articles(count: int, seed: int = 7):
    """Yields (title, body) pairs: every article is about a topic, an action and filler words."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    for n in range(count):
        topic, other, action = rng.choice(TOPICS), rng.choice(TOPICS), rng.choice(ACTIONS)
        title = f"How to {action} your {topic} {rng.choice(words)} {n}"
        sentences = []
        for _ in range(rng.randint(12, 24)):
            filler = " ".join(rng.choice(words) for _ in range(rng.randint(6, 12)))
            sentences.append(f"{filler} {rng.choice([topic, other, action])}.")
        yield title, " ".join(sentences)


def questions(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    forms = [
        "How do I {a} my {t}?",
        "I can't {a} the {t}, please help",
        "Where can I {a} {t} details?",
        "My {t} is wrong, how do I {a} it?",
        "Is it possible to {a} a {t} after {u}?",
    ]
    return [
        rng.choice(forms).format(a=rng.choice(ACTIONS), t=rng.choice(TOPICS), u=rng.choice(TOPICS))
        for _ in range(count)
    ]


def store(organization_id: int, source_id: int, count: int, prefix: str = "b", batch: int = 2000) -> None:
    """Insert ``count`` generated articles into a source, ``batch`` rows a statement (the
    database's full-text triggers index them; their passages are embedded by a reindex)."""
    from sqlalchemy import insert

    from webapp.db import db
    from webapp.models import KnowledgeArticle

    rows = []
    for n, (title, body) in enumerate(articles(count)):
        rows.append(
            {
                "organization_id": organization_id,
                "source_id": source_id,
                "external_id": f"{prefix}{n}",
                "locale": "en",
                "title": title,
                "body": body,
                "visibility": "public",
                "hidden": False,
            }
        )
        if len(rows) == batch:
            db.session.execute(insert(KnowledgeArticle), rows)
            rows = []
    if rows:
        db.session.execute(insert(KnowledgeArticle), rows)
    db.session.commit()

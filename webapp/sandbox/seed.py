"""What the sandbox's fake Front starts with: Sandbox Inc, its AI teammate, a human teammate and
a Help Center of three written articles, plus as many generated ones as asked for."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from webapp.sandbox.front import FakeFront

AI, HUMAN = "tea_ai", "tea_sam"
HELP_CENTER = "knb_help"
ARTICLES = [
    ("Shipping times", "<p>Orders ship within two business days. Standard delivery takes 3 to 5 business days.</p>"),
    ("Refund policy", "<p>Refunds are issued within 14 days after we receive your return.</p>"),
    ("Resetting your password", "<p>Click Forgot password on the login page and follow the link we email you.</p>"),
]

# Generated articles cross these subjects with these products, so a large Help Center holds many
# near neighbours (refunds for gift cards, refunds for subscriptions, ...) for search to tell apart.
SUBJECTS = [
    ("Refunds", "Refunds for {product} go back to the original payment method within {n} days of approval."),
    (
        "Cancelling",
        "You can cancel {product} at any time from Account, then Billing; access lasts to the end of the period.",
    ),
    ("Shipping", "Orders for {product} leave our warehouse within {n} business days."),
    ("Warranty", "{Product} come with a {n}-month warranty against manufacturing defects."),
    (
        "Troubleshooting",
        "If {product} stop responding, update to the latest version, restart, and try again before writing to us.",
    ),
    ("Pricing", "{Product} are billed monthly; paying yearly saves {n} percent."),
    ("Setting up", "To set up {product}, sign in, open Settings and follow the {n} steps shown."),
    ("Returns", "Unused {product} can be returned within {n} days in their original packaging."),
]
PRODUCTS = [
    "gift cards",
    "mobile apps",
    "desktop apps",
    "team plans",
    "enterprise plans",
    "hardware kits",
    "subscriptions",
    "API keys",
    "accessories",
    "international orders",
]


def generated_articles(count: int) -> Iterator[tuple[str, str]]:
    """``count`` distinct (title, html) articles; past every subject and product, numbered editions."""
    combinations = itertools.cycle(itertools.product(SUBJECTS, PRODUCTS))
    for n, ((subject, sentence), product) in zip(range(count), combinations):  # noqa: B905 (endless cycle)
        edition = n // (len(SUBJECTS) * len(PRODUCTS))
        title = f"{subject} for {product}" + (f", edition {edition + 1}" if edition else "")
        text = sentence.format(product=product, Product=product[0].upper() + product[1:], n=2 + n % 13)
        yield title, f"<h1>{title}</h1><p>{text}</p>"


def seed(fake: FakeFront, generated: int = 0) -> None:
    fake.company = {"id": "cmp_sandbox", "name": "Sandbox Inc"}
    fake.add_teammate(AI, "Switchboard", "AI", "ai@sandbox.test")
    fake.add_teammate(HUMAN, "Sam", "Support", "sam@sandbox.test")
    fake.add_knowledge_base(HELP_CENTER, "Sandbox Help Center", "external", locales=("en",))
    written_and_generated = itertools.chain(ARTICLES, generated_articles(generated))
    for n, (title, html) in enumerate(written_and_generated):
        fake.add_article(HELP_CENTER, f"kba_{n}", title, html)

"""The built-in agent's decisions on labelled customer messages.

    .venv/bin/python -m bench.agent_quality [--verbose]

Prints the accuracy of the decision (reply / handoff / resolve) and of the article chosen for
the replies, with the default handoff level (Quick handoff) and two forbidden topics.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter

from bench.agent_cases import ARTICLES, CASES, FORBIDDEN, UNSEEN_CASES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()

    from webapp import create_app
    from webapp.db import db
    from webapp.knowledge import sources
    from webapp.migrations import upgrade
    from webapp.models import Organization

    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{workdir}/quality.db"
        app = create_app({"DATABASE_URL": url}, instance_path=workdir)
        with app.app_context():
            upgrade("head", database_url=url)
            organization = Organization(name="Quality")
            db.session.add(organization)
            db.session.commit()
            for title, locale, body in ARTICLES:
                sources.add_manual_article(
                    organization.id,
                    title=title,
                    body=body,
                    url=f"https://help.example.test/{locale}/{title}",
                    locale=locale,
                    internal=False,
                )

            results = {
                name: run(organization.id, cases) for name, cases in (("labelled", CASES), ("unseen", UNSEEN_CASES))
            }

    for name, (decisions, articles, replies, misses, cases, wrong) in results.items():
        by_kind = Counter(expected for _, expected, _, _ in cases)
        print(f"{name} messages: {len(cases)} ({', '.join(f'{n} {k}' for k, n in sorted(by_kind.items()))})")
        print(f"  decision accuracy: {decisions}/{len(cases)} = {decisions / len(cases):.1%}")
        print(f"  article accuracy (replies): {articles}/{replies} = {articles / replies:.1%}")
        print(f"  wrong answers sent to customers: {wrong}")
        if args.verbose and misses:
            print("\n".join(misses))
    decisions = sum(r[0] for r in results.values())
    total = sum(len(r[4]) for r in results.values())
    print(f"all: decision accuracy {decisions}/{total} = {decisions / total:.1%}")


def run(organization_id: int, cases):
    from webapp.agent import AgentContext
    from webapp.agent.default import DefaultAgent
    from webapp.agent.policy import PRESETS
    from webapp.models import Channel

    decisions = articles = replies = wrong = 0
    misses = []
    for message, expected, article, earlier in cases:
        transcript = [("customer", text) for text in earlier] + [("customer", message)]
        context = AgentContext(organization_id, Channel.EMAIL, "A customer", message, transcript, PRESETS[1], FORBIDDEN)
        result = DefaultAgent().decide(context)
        decided = result.decision.kind
        decisions += decided == expected
        chosen = result.decision.sources[0]["title"] if decided == "reply" and result.decision.sources else None
        if expected == "reply":
            replies += 1
            articles += chosen == article
        wrong += decided == "reply" and (expected != "reply" or chosen != article)
        if decided != expected or (expected == "reply" and chosen != article):
            misses.append(f"  miss: {message!r}: expected {expected}/{article}, got {decided}/{chosen}")
    return decisions, articles, replies, misses, cases, wrong


if __name__ == "__main__":
    main()

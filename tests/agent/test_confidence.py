"""The built-in agent's confidence: it separates the questions an article answers from those
it is only near, on the project's labelled set; the answer policy's thresholds and their
validation, in code and on the Handoff settings page."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from bench.agent_cases import ARTICLES, CASES, UNSEEN_CASES
from tests.conftest import csrf_token
from webapp.agent import confidence
from webapp.agent.confidence import AnswerPolicy, PolicyError, assess
from webapp.db import db
from webapp.knowledge import retrieval, search, sources, spelling
from webapp.models import AgentSettings

# Questions of the labelled sets that no article answers and that reach the knowledge (the
# requests for a person, frustration and confirmations are decided before it).
UNANSWERABLE = [
    "Can I bring my dog to your store?",
    "Do you sponsor local football teams?",
    "What is the capital of Australia?",
    "Is your office open on public holidays?",
    "Can you recommend a good restaurant nearby?",
    "Do you have vegan options in the cafeteria?",
    "There's a charge on my card I don't recognise",
    "Do you ship to Canada?",
]
ANSWERABLE = [(message, title) for message, expected, title, _ in CASES if expected == "reply"]


@pytest.fixture
def help_center(world):
    organization = world.organization()
    for title, locale, body in ARTICLES:
        sources.add_manual_article(
            organization.id,
            title=title,
            body=body,
            url=f"https://help.example.test/{title}",
            locale=locale,
            internal=False,
        )
    return organization


def _assessed(organization, question):
    candidates = retrieval.retrieve(organization.id, question, limit=5)
    return candidates, assess(question, search.terms(question), candidates)


def test_every_labelled_answer_is_confident_enough_to_reply(help_center):
    policy = AnswerPolicy()
    for question, title in ANSWERABLE:
        candidates, assessment = _assessed(help_center, question)
        assert candidates[0].title == title, question
        assert policy.outcome(assessment.confidence) == "reply", (question, assessment)


def test_no_unanswerable_question_is_confident_enough_to_reply(help_center):
    policy = AnswerPolicy()
    answerable = min(_assessed(help_center, q)[1].confidence for q, _ in ANSWERABLE)
    for question in UNANSWERABLE:
        _, assessment = _assessed(help_center, question)
        assert policy.outcome(assessment.confidence) != "reply", (question, assessment)
        assert assessment.confidence < answerable - 0.1, question  # a clear gap, not a coin toss


def test_a_paraphrase_near_the_wrong_article_is_never_sent(help_center):
    """The unseen paraphrases land nearest another article: none may be replied."""
    policy = AnswerPolicy()
    for question, expected, title, _ in UNSEEN_CASES:
        if expected != "reply":
            continue
        candidates, assessment = _assessed(help_center, question)
        if candidates[0].title != title:
            assert policy.outcome(assessment.confidence) != "reply", question


class _Candidate:
    def __init__(self, title, passage, *, similarity, fts_rank=1, fused=0.03, example_similarity=0.0, locale="en"):
        self.article_id, self.title, self.url, self.locale, self.visibility = 1, title, None, locale, "public"
        self.passage, self.fts_rank, self.similarity = passage, fts_rank, similarity
        self.example_similarity, self.fused = example_similarity, fused


def test_two_close_articles_lower_the_confidence():
    alone = [_Candidate("Refund policy", "Refunds are issued within 14 days.", similarity=0.6)]
    rivals = alone + [_Candidate("Returns", "Returns are accepted within 30 days.", similarity=0.58)]
    question = "When are refunds issued?"
    assert (
        assess(question, search.terms(question), rivals).confidence
        < assess(question, search.terms(question), alone).confidence
    )


def test_an_article_not_found_by_its_words_counts_less_and_examples_count():
    found = _Candidate("Refund policy", "Refunds are issued within 14 days.", similarity=0.5)
    unfound = _Candidate("Refund policy", "Refunds are issued within 14 days.", similarity=0.5, fts_rank=None)
    question = "how do i get my money back"
    terms = search.terms(question)
    assert assess(question, terms, [unfound]).confidence < assess(question, terms, [found]).confidence
    with_example = _Candidate("Refund policy", "Refunds…", similarity=0.3, example_similarity=0.9)
    assert assess(question, terms, [with_example]).similarity_margin == pytest.approx(0.9)


def test_a_statement_counts_less_than_a_question():
    candidates = [_Candidate("Tracking your order", "Tracking can take 24 hours to show updates.", similarity=0.6)]
    asked, said = "Why does my tracking show no updates?", "tracking shows no updates"
    assert (
        assess(said, search.terms(said), candidates).confidence
        < assess(asked, search.terms(asked), candidates).confidence
    )


def test_an_answer_is_grounded_by_its_words_or_its_meaning():
    question = "I sent the headphones back last week, when will I see my money again?"
    terms = search.terms(question)

    def grounded(similarity, passage="Refunds are issued within 14 days."):
        return assess(question, terms, [_Candidate("Refund policy", passage, similarity=similarity)]).grounded

    assert not grounded(0.48)  # few of its words, and not close enough in meaning
    assert grounded(0.52)
    assert grounded(0.1, passage="When you send headphones back, your money is refunded within a week.")


def test_a_question_whose_article_leads_clearly_in_meaning_is_grounded():
    """A paraphrase shares few words with its article and its meaning stays under the bar with
    this model; when the article was found by its words and stands well ahead of every other
    in meaning, the question is about it. A statement is not grounded that way."""
    question = "I don't want the monthly plan anymore. If I stop it today, do I lose access straight away?"
    passage = "Open Account settings, then Subscription, and choose Cancel. You keep access until the period ends."

    def grounded(text, best, runner_up, *, fts_rank=1):
        candidates = [
            _Candidate("Cancelling a subscription", passage, similarity=best, fts_rank=fts_rank),
            _Candidate("Updating a payment card", "In Billing, add the new card.", similarity=runner_up),
        ]
        return assess(text, search.terms(text), candidates).grounded

    assert grounded(question, 0.43, 0.21)  # a lead of 0.22
    assert not grounded(question, 0.43, 0.30)  # a lead of 0.13: one of two near articles
    assert not grounded(question, 0.36, 0.10)  # far ahead, but of nothing close
    assert not grounded(question, 0.43, 0.21, fts_rank=None)  # not found by its words at all
    statement = "I don't want the monthly plan anymore and I stopped it today, access gone straight away."
    assert not grounded(statement, 0.43, 0.21)


def test_outside_the_models_languages_the_words_lead_where_meaning_cannot():
    """The two French articles sit close in meaning whatever is asked; the article the words
    found, when the next closest in meaning was not found, leads by more. Not in English, where
    the meaning tells them apart."""
    question = "Combien de temps faut-il pour recevoir une commande ?"

    def assessed(locale, *, rival_found=False):
        candidates = [
            _Candidate("Délais", "Les commandes sont expédiées sous deux jours.", similarity=0.32, locale=locale),
            _Candidate(
                "Remboursements", "Les remboursements…", similarity=0.33, locale=locale, fts_rank=rival_found or None
            ),
        ]
        return assess(question, search.terms(question), candidates)

    french = assessed("fr")
    assert french.words_lead and french.lead == pytest.approx(confidence.WORDS_LEAD)
    assert french.confidence > assessed("en").confidence
    assert not assessed("en").words_lead and not assessed("fr", rival_found=True).words_lead


def test_everyday_words_of_a_one_sentence_question_count_neither_way():
    passage = "You can return any unused item within 30 days."
    candidates = [_Candidate("Returning an item", passage, similarity=0.6)]
    question = "can i return something after 2 weeks"
    assessment = assess(question, search.terms(question), candidates)
    assert (assessment.covered, assessment.terms) == (1, 1)  # "return": "something", "weeks" are everyday
    told = "My order came last week. Can I return something now?"  # two sentences: every word counts
    assessment = assess(told, search.terms(told), candidates)
    assert assessment.terms > 2


def test_no_candidate_has_no_assessment():
    assert assess("anything", ["anything"], []) is None


# -- the answer policy ------------------------------------------------------------------------


def test_the_default_policy_favours_safety():
    policy = AnswerPolicy()
    assert policy.drafts and 0 < policy.draft_at < policy.reply_at < 1
    assert [policy.outcome(c) for c in (0.9, policy.reply_at, 0.45, policy.draft_at, 0.1)] == [
        "reply",
        "reply",
        "draft",
        "draft",
        "handoff",
    ]
    assert replace(policy, drafts=False).outcome(0.45) == "handoff"


@pytest.mark.parametrize(
    "values",
    [
        {"reply_at": 1.5},
        {"draft_at": -0.1},
        {"reply_at": "high"},
        {"reply_at": True},
        {"reply_at": 0.4, "draft_at": 0.6},
        {"drafts": "yes"},
    ],
)
def test_an_unusable_policy_is_refused_with_a_reason(values):
    with pytest.raises(PolicyError):
        AnswerPolicy(**values)


def test_a_stored_policy_that_is_unusable_falls_back_to_the_defaults():
    assert AnswerPolicy.from_settings(None) == AnswerPolicy()
    assert AnswerPolicy.from_settings({"reply_at": 7, "unknown": 1}) == AnswerPolicy()
    assert AnswerPolicy.from_settings({"reply_at": 0.8, "draft_at": 0.5, "drafts": False}) == AnswerPolicy(
        0.8, 0.5, False
    )


# -- on the Handoff settings page --------------------------------------------------------------

PAGE = "/settings/handoff"
FORM = {
    "mode": "preset",
    "level": "1",
    "message_open": "A teammate will reply shortly.",
    "message_closed": "We're back {next_opening}.",
    "office_hours": "",
    **{f"destination_{c}": "front_teammates" for c in ("email", "web", "sms", "phone")},
}


@pytest.fixture
def admin(client, auth, owner):
    auth.login(owner.email)
    return client


def _post(client, **data):
    return client.post(PAGE, data={**FORM, **data, "csrf_token": csrf_token(client, PAGE)})


def _saved() -> dict:
    db.session.expire_all()
    return db.session.scalar(select(AgentSettings)).answer_policy


def test_the_page_explains_the_thresholds_and_shows_the_defaults(admin):
    page = admin.get(PAGE).get_data(as_text=True)
    assert "When the built-in agent answers" in page and "drafted in Front" in page
    assert 'value="0.55"' in page and 'value="0.35"' in page


def test_saving_the_thresholds_and_the_draft_switch(admin):
    response = _post(admin, reply_at="0.7", draft_at="0.4", drafts="y")
    assert response.status_code == 302
    assert _saved() == {"reply_at": 0.7, "draft_at": 0.4, "drafts": True}
    assert _post(admin, reply_at="0.7", draft_at="0.4").status_code == 302
    assert _saved()["drafts"] is False
    assert 'value="0.70"' in admin.get(PAGE).get_data(as_text=True)


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"reply_at": "1.2", "draft_at": "0.3"}, "Number must be between 0 and 1"),
        ({"reply_at": "", "draft_at": "0.3"}, "Give a confidence from 0 to 1"),
        ({"reply_at": "high", "draft_at": "0.3"}, "Not a valid decimal value"),
        ({"reply_at": "0.4", "draft_at": "0.6"}, "cannot be above the reply threshold"),
    ],
)
def test_bad_thresholds_get_a_clear_error_and_nothing_is_saved(admin, values, error):
    assert _post(admin, reply_at="0.7", draft_at="0.4", drafts="y").status_code == 302
    response = _post(admin, **values, forbidden_topics="changed")
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    assert _saved() == {"reply_at": 0.7, "draft_at": 0.4, "drafts": True}
    db.session.expire_all()
    assert db.session.scalar(select(AgentSettings)).forbidden_topics == ""


def test_a_form_without_the_thresholds_keeps_the_saved_ones(admin):
    assert _post(admin, reply_at="0.8", draft_at="0.5", drafts="y").status_code == 302
    assert _post(admin, forbidden_topics="legal advice").status_code == 302
    assert _saved() == {"reply_at": 0.8, "draft_at": 0.5, "drafts": True}


def test_the_weights_add_up_to_one():
    assert sum(confidence.WEIGHTS.values()) == pytest.approx(1.0)


# -- coverage of misspelt words ----------------------------------------------------------------

TRACKING = "Tracking your order When your order ships we email a tracking number. Follow the package."


def test_a_misspelt_key_word_is_covered_by_the_word_it_misses():
    assert confidence.covered_terms(["pakage", "numbr"], TRACKING, "en") == (2, 2)
    assert confidence.covered_terms(["subscribtion", "cancle"], "Cancel subscription", "en") == (2, 2)
    # two edits only from eight letters
    assert confidence.covered_terms(["trakcign"], TRACKING, "en") == (1, 1)
    assert confidence.covered_terms(["pkage"], TRACKING, "en") == (0, 1)


def test_short_words_are_never_matched_as_typos():
    assert confidence.covered_terms(["shop"], "Orders ship within two days.", "en") == (0, 1)
    assert confidence.covered_terms(["carx"], "Add the new card.", "en") == (0, 1)


def test_a_word_that_is_not_close_or_is_spelt_right_is_not_covered():
    assert confidence.covered_terms(["parcel", "delivery"], TRACKING, "en") == (0, 2)
    # a real word one letter from the text's is another word, not a typo
    assert confidence.covered_terms(["charge"], "Changing your email address: change it.", "en") == (0, 1)
    assert confidence.covered_terms(["refnd4"], "Refunds are issued.", "en") == (0, 1)


def test_short_words_no_one_can_read_count_neither_way():
    refunds = "Refunds are issued to the original payment method within 14 days."
    question = "whn will i get my refund for the order i sent bak"
    unreadable = spelling.unreadable(question)
    assert unreadable == {"whn", "bak"}
    assert confidence.covered_terms(["whn", "refund", "bak"], refunds, "en", unreadable) == (1, 1)
    assert confidence.covered_terms(["whn", "refund", "bak"], refunds, "en") == (1, 3)
    # an abbreviation in capitals says what is asked: it counts
    assert spelling.unreadable("How do I add a VAT number?") == frozenset()

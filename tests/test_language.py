"""The words that carry no meaning in a question, in the four languages the agent reads."""

from webapp.knowledge.search import terms
from webapp.language import topical


def test_a_chatty_french_question_keeps_only_what_it_asks_about():
    # the greeting, "ça", the time of day and "à peu près" say nothing about the subject
    question = "salut, j'ai commandé hier soir, ça part quand ? la livraison prend combien à peu près ?"
    assert topical(terms(question)) == ["commandé", "part", "livraison", "prend"]


def test_nothing_left_keeps_every_word():
    assert topical(["demain", "soir"]) == ["demain", "soir"]


def test_having_bought_something_is_the_story_not_the_subject():
    assert topical(terms("Can I return the lamp I bought last week?")) == ["return", "lamp"]
    assert topical(terms("J'ai acheté une lampe, puis-je la retourner ?")) == ["lampe", "retourner"]

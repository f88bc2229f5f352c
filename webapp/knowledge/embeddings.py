"""Sentence embeddings that run offline: WordLlama's 256-dimension model, whose weights and
tokenizer ship inside its wheel (19 MB). Nothing is fetched at run time: the model is loaded
from the package's own directory with downloads disabled (a plain ``WordLlama.load()`` would
ask a model hub for the tokenizer it already ships, and no hub is reachable here or at many
customers).

One model per process, loaded on first use (about 0.3 s) or by :func:`preload` in a parent
process whose workers fork from it. Vectors are float32 and L2-normalised, so a dot product is
the cosine similarity.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import cache, lru_cache

import numpy as np

log = logging.getLogger(__name__)

DIMENSIONS = 256
# Stored with every vector: a change of model re-embeds what was embedded with another.
MODEL = "wordllama-l2_supercat-256"
_lock = threading.Lock()
# How the tokenizer (SentencePiece) marks a token that begins a word.
WORD_START = "\u2581"


@cache
def _model():
    with _lock:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from pathlib import Path

        import wordllama

        return wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True, dim=DIMENSIONS
        )


def preload() -> None:
    _model()


def embed(texts: list[str]) -> np.ndarray:
    """One L2-normalised float32 row per text (an empty text gives a zero row)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(_model().embed(list(texts), norm=True), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


@lru_cache(maxsize=4096)
def known_word(word: str) -> bool:
    """Whether the model's vocabulary holds the word whole, as one token (a common word, spelt
    right); a rarer or misspelt word is cut into pieces."""
    return len(_model().tokenizer.encode(word, add_special_tokens=False).ids) == 1


@cache
def whole_words() -> frozenset[str]:
    """Every word the model's vocabulary holds whole, in lower case (the tokens that begin a word
    and are letters only): the common words of the languages it learnt."""
    return frozenset(
        token[1:].lower()
        for token in _model().tokenizer.get_vocab()
        if token.startswith(WORD_START) and token[1:].isalpha()
    )


def to_bytes(vector: np.ndarray) -> bytes:
    """A vector as stored in the database: 1 KiB of little-endian float32."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")

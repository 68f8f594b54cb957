"""Text embeddings for fix memory: the `Embedder` port and an offline feature-hashing embedder."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from itertools import pairwise
from typing import Protocol, runtime_checkable

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Traceback boilerplate and filler: present in every incident, so they only dilute similarity.
_STOP_WORDS = frozenset(
    {"traceback", "most", "recent", "call", "last", "file", "line", "in", "the", "a", "an",
     "of", "to", "py", "self", "and", "or", "for", "with", "is", "at"}
)  # fmt: skip


def code_tokens(text: str) -> list[str]:
    """Lower-case identifiers plus their snake_case / CamelCase parts; numbers are dropped,
    since line numbers and ids differ between occurrences of the same fault."""
    tokens: list[str] = []
    for match in _IDENTIFIER.finditer(text):
        word = match.group()
        lowered = word.lower()
        if lowered not in _STOP_WORDS:
            tokens.append(lowered)
        parts = [p.lower() for chunk in word.split("_") for p in _CAMEL_PART.findall(chunk)]
        if len(parts) > 1:
            tokens.extend(p for p in parts if p not in _STOP_WORDS and not p.isdigit())
    return tokens


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into fixed-size vectors whose cosine similarity tracks relatedness."""

    @property
    def dimension(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class HashingEmbedder:
    """A deterministic feature-hashing embedding of code and traceback tokens.

    Not a learned model: each token and each pair of neighbouring tokens is hashed (BLAKE2b, so
    the same text gives the same vector in every process and release) into one of `dimension`
    buckets with a hash-chosen sign, weighted by 1 + log(count), and the vector is L2-normalised.
    Incidents that share exception types, identifiers, function and file names score close;
    paraphrases with no shared tokens do not. It needs no download and no network, which is why
    it is the default; a sentence-embedding model can replace it through `Embedder`.
    """

    def __init__(self, dimension: int = 1024) -> None:
        if dimension < 16:
            raise ValueError(f"dimension must be at least 16, got {dimension}")
        self._dimension = dimension

    @property
    def dimension(self) -> int:
        return self._dimension

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.vector(text) for text in texts]

    def vector(self, text: str) -> list[float]:
        """The embedding of one text; all zeros when it has no tokens."""
        tokens = code_tokens(text)
        features = Counter(tokens)
        features.update(f"{a} {b}" for a, b in pairwise(tokens))
        values = [0.0] * self._dimension
        for feature, count in features.items():
            digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest())
            sign = 1.0 if digest >> 63 else -1.0
            values[digest % self._dimension] += sign * (1.0 + math.log(count))
        norm = math.sqrt(sum(v * v for v in values))
        return [v / norm for v in values] if norm else values

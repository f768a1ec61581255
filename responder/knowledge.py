"""The knowledge-base article a draft links: the one nearest the mention in meaning.

Pure: the caller passes an ``embed`` function (``sentiment.embedding``); this module
only compares unit vectors. An article is as near as its title-and-description or the
nearest of its example questions (examples in other languages let an English encoder
place Spanish or Japanese mentions). Handles, brand names and links are left out of the
mention first: they say nothing about which article it needs. A lexical score (shared
character n-grams, weighted by rarity) is added to the encoder's: it carries the words
the English encoder cannot read ("pedido", "障害"). An article whose topics
include the mention's triage topic gets a small bonus; below the threshold no article
is linked, because a wrong link reads worse than none.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from config.settings import KbArticle

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Choice:
    article: KbArticle | None
    score: float  # the best article's score, linked or not


def article_texts(article: KbArticle) -> list[str]:
    return [f"{article.title}. {article.description}", *article.examples]


def clean_mention(text: str, brand_terms: Sequence[str]) -> str:
    """The words that say what the customer needs: no handles, links, brand names."""
    text = re.sub(r"https?://\S+|[@#]\w[\w.]*", " ", text)
    for term in sorted(brand_terms, key=len, reverse=True):
        text = re.sub(re.escape(term), " ", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", text).strip() or text


def grams(text: str) -> Counter[str]:
    """Character 3- and 4-grams of each word (2-grams too in scripts without spaces)."""
    out: Counter[str] = Counter()
    for word in re.findall(r"\w+", unicodedata.normalize("NFKC", text).lower()):
        wide = not word.isascii()
        padded = f" {word} "
        for n in (2, 3, 4) if wide else (3, 4):
            out.update(padded[i:i + n] for i in range(max(1, len(padded) - n + 1)))
    return out


@dataclass(frozen=True)
class KbIndex:
    articles: tuple[KbArticle, ...]
    vectors: np.ndarray  # one row per article text
    owners: np.ndarray  # the article index of each row
    lexical: tuple[dict[str, float], ...]  # unit tf-idf gram weights of each row
    idf: dict[str, float]

    @classmethod
    def build(cls, articles: Sequence[KbArticle], embed: Embed) -> KbIndex:
        texts, owners = [], []
        for i, article in enumerate(articles):
            for text in article_texts(article):
                texts.append(text)
                owners.append(i)
        vectors = embed(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        counts = [grams(t) for t in texts]
        seen: Counter[str] = Counter(g for c in counts for g in c)
        idf = {g: math.log((1 + len(texts)) / (1 + n)) + 1 for g, n in seen.items()}
        lexical = tuple(_unit(c, idf) for c in counts)
        return cls(tuple(articles), vectors, np.array(owners, dtype=np.int64), lexical, idf)

    def scores(self, mention: np.ndarray, text: str, topic: str, topic_bonus: float,
               lexical_weight: float) -> np.ndarray:
        """Each article's similarity with the mention (its vector and its cleaned
        text), plus the topic bonus."""
        best = np.full(len(self.articles), -1.0, dtype=np.float32)
        if len(self.articles):
            words = _unit(grams(text), self.idf)
            lex = np.array([sum(w * row.get(g, 0.0) for g, w in words.items())
                            for row in self.lexical], dtype=np.float32)
            np.maximum.at(best, self.owners, self.vectors @ mention + lexical_weight * lex)
        bonus = [topic_bonus if topic and topic in a.topics else 0.0 for a in self.articles]
        return best + np.array(bonus, dtype=np.float32)

    def choose(self, mention: np.ndarray, text: str, *, topic: str,
               languages: Sequence[str], threshold: float, topic_bonus: float,
               lexical_weight: float) -> Choice:
        """The best article in one of ``languages`` (the customer's, then the brand's),
        or none when its score is under ``threshold``."""
        found = self.scores(mention, text, topic, topic_bonus, lexical_weight)
        allowed = [i for i, a in enumerate(self.articles) if a.language in languages]
        if not allowed:
            return Choice(None, 0.0)
        best = max(allowed, key=lambda i: found[i])
        score = float(found[best])
        return Choice(self.articles[best] if score >= threshold else None, score)


def _unit(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    """tf-idf weights of the grams the index knows, scaled to unit length."""
    weights = {g: n * idf[g] for g, n in counts.items() if g in idf}
    norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
    return {g: w / norm for g, w in weights.items()}

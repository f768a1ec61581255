"""A small guess at a text's language, for mentions the platform did not label.

Scripts decide first (kana, Arabic, Hangul, Cyrillic, Han); Latin-script text is
matched against short lists of everyday words. It only has to be right often enough to
tell the agent which language to answer in; triage's own language reading, where
present, is preferred.
"""

from __future__ import annotations

import re

_SCRIPTS = (
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("zh", re.compile(r"[\u4e00-\u9fff]")),
)
_WORDS = {
    "es": "el la los las que de y en un una mi mis por para con no es está hay pero muy "
          "qué cómo dónde hola gracias pedido nadie desde tengo se",
    "pt": "o a os as que de e em um uma meu minha não é está com para por muito obrigado "
          "olá alguém vocês funciona quero estou",
    "de": "der die das und ist nicht ich mein meine mit den dem ein eine auch noch seit "
          "habt ihr was wie gibt es bei jetzt",
    "fr": "le la les et est pas je mon ma mes avec des un une du que qui pour sur "
          "toujours il y a n'arrive bonjour merci sont très vraiment mais ils quelqu'un",
    "it": "il lo la gli le e è non che di un una mio mia con per sono ciao grazie",
    "nl": "de het een en is niet ik mijn met van dat voor zijn ook nog",
    "en": "the a an and is are not i my me with for to of it this that on in was have "
          "you your what how why can does",
}
_SETS = {lang: set(words.split()) for lang, words in _WORDS.items()}


def guess(text: str) -> str:
    """An ISO 639-1 code, or "" when the text gives too little to go on."""
    for lang, script in _SCRIPTS:
        if script.search(text):
            return lang
    words = re.findall(r"[a-zà-ÿ']+", re.sub(r"https?://\S+|[@#]\w+", " ", text.lower()))
    if len(words) < 3:
        return ""
    hits = {lang: sum(w in vocab for w in words) for lang, vocab in _SETS.items()}
    best = max(hits, key=lambda lang: hits[lang])
    return best if hits[best] >= 2 else ""

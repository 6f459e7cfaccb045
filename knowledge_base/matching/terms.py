"""From whatever someone typed to a short list of safe search terms.

Both backends build their query from these terms and never from the raw text, so quotes,
operators (AND, OR, NOT, NEAR, -, *, :, parentheses), NUL bytes and emoji cannot reach a query
parser: a term is a run of Unicode letters and digits, nothing else.
"""

from __future__ import annotations

import re
import unicodedata

# Only the head of a long text is read: the first lines of a ticket say what is wrong; a pasted
# 100 KB log adds cost, not meaning.
MAX_TEXT_CHARS = 4000
MAX_TERMS = 32

_WORD = re.compile(r"[^\W_]+")

# English function words, plus what people write around a problem rather than about it.
_STOPWORD_TEXT = """
a about above after again against all also am an and any are aren as at be because been before being below
between both but by can cannot could couldn did didn do does doesn doing don down during each few for from
further had hadn has hasn have haven having he her here hers herself him himself his how i if in into is isn it
its itself just let ll me more most my myself no nor not now of off on once only or other our ours ourselves out
over own re same she should shouldn so some such than that the their theirs them themselves then there these they
this those through to too under until up very was wasn we were weren what when where which while who whom why will
with won would wouldn you your yours yourself yourselves ve s t d m o y
hi hello hey dear morning afternoon evening please pls plz thanks thank thx cheers regards kind best
help helps urgent asap someone somebody anyone anybody look could would might maybe still again just really
since today yesterday tomorrow now already get got getting keep keeps kept going gone went says said
anymore any more lot lots bit sure ok okay
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def normalise(text: str) -> str:
    text = (text or "")[:MAX_TEXT_CHARS].replace("\x00", " ")
    return unicodedata.normalize("NFKC", text).casefold()


def search_terms(text: str, *, max_terms: int = MAX_TERMS) -> list[str]:
    """Distinct meaningful words of the text, in the order they first appear."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(normalise(text)):
        if word in STOPWORDS or word in seen:
            continue
        if len(word) < 2:
            continue
        seen[word] = None
        if len(seen) >= max_terms:
            break
    return list(seen)

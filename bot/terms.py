"""Finding known words in text, longest first (shared by the normaliser and the reader)."""
from __future__ import annotations

import re
from typing import Iterable, List, Tuple


def find_terms(text: str, terms: Iterable[Tuple[str, str]]) -> List[Tuple[int, int, str]]:
    """(start, end, value) of non-overlapping occurrences; give `terms` longest first so a
    longer word (变更注册申请表) wins over the shorter one inside it (变更)."""
    spans: List[Tuple[int, int, str]] = []
    for term, value in terms:
        if term not in text:
            continue
        for m in re.finditer(re.escape(term), text):
            if not any(m.start() < b and a < m.end() for a, b, _ in spans):
                spans.append((m.start(), m.end(), value))
    return spans

"""Characters no database column can hold: text carrying them is refused where it comes in."""

from __future__ import annotations

import re

# PostgreSQL text and jsonb refuse NUL; lone surrogates are not UTF-8 at all.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(*texts: str) -> bool:
    """True when any of the texts holds NUL or a lone surrogate."""
    return any(_UNSTORABLE.search(text_) for text_ in texts)

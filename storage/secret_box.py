"""Webhook signing secrets at rest: sealed with the operator's key, so that a copy of the
database alone cannot sign as Blockbell.

The key comes from BLOCKBELL_SECRET_KEY (Fernet keys, comma-separated: the first seals, any
opens, so a new key can be put first while old rows still open); without it, one is made in
the data folder on first start and kept there.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

SEALED_PREFIX = "fernet:"
"""Marks a sealed value; a secret stored before sealing existed has none (see `is_sealed`)."""
KEY_FILE_NAME = "secret.key"
OPENED_CACHE_SIZE = 4096


class SecretUnreadable(Exception):
    """A sealed secret the configured keys cannot open (the key was changed or lost)."""


class SecretBox:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a secret box needs at least one key")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])
        # The notifier opens the same destinations' secrets round after round; each opening
        # costs an HMAC and an AES decryption.
        self.open = lru_cache(maxsize=OPENED_CACHE_SIZE)(self._open)

    def seal(self, secret: str) -> str:
        return SEALED_PREFIX + self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def _open(self, stored: str) -> str:
        """The secret a stored value holds; a value stored unsealed is returned as it is."""
        if not is_sealed(stored):
            return stored
        try:
            return self._fernet.decrypt(stored[len(SEALED_PREFIX) :].encode("ascii")).decode()
        except (InvalidToken, UnicodeError) as exc:
            raise SecretUnreadable(
                "a signing secret cannot be opened with the configured keys"
            ) from exc


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def check_key(text: str) -> str:
    """A Fernet key (32 bytes in URL-safe base64), or ValueError without echoing it."""
    try:
        Fernet(text.encode("ascii"))
    except (ValueError, UnicodeError):
        raise ValueError("not a key: 44 characters of URL-safe base64 (32 bytes)") from None
    return text


def key_from_file(folder: Path) -> str:
    """The key kept in `folder`, made there (readable by its owner only) on first use."""
    path = folder / KEY_FILE_NAME
    if path.exists():
        return check_key(path.read_text(encoding="ascii").strip())
    folder.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    log.warning(
        "BLOCKBELL_SECRET_KEY is not set: made a key for webhook secrets in %s; keep it (secrets"
        " sealed with it cannot be read without it), and give every process the same key,"
        " through BLOCKBELL_SECRET_KEY, when several share one database",
        path,
    )
    return key


_box: SecretBox | None = None


def use_secret_keys(keys: Sequence[str]) -> None:
    """Seal and open with these keys from now on (once per process, at start)."""
    global _box
    _box = SecretBox(keys)


def secret_box() -> SecretBox:
    if _box is None:
        raise RuntimeError("no secret key in use: call use_secret_keys at start")
    return _box

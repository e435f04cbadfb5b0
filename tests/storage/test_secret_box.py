"""Sealing webhook secrets with the operator's keys, and the key made on a fresh machine."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from storage.secret_box import SecretBox, SecretUnreadable, check_key, key_from_file
from tests.support.secret_watch import secret

SECRET = secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_a_sealed_secret_opens_with_its_key_and_shows_nothing_of_itself() -> None:
    box = SecretBox([new_key()])
    sealed = box.seal(SECRET)
    assert sealed.startswith("fernet:") and SECRET not in sealed
    assert box.seal(SECRET) != sealed  # a fresh nonce each time
    assert box.open(sealed) == SECRET
    assert box.open(SECRET) == SECRET  # stored before sealing existed


def test_a_new_key_put_first_still_opens_what_the_old_one_sealed() -> None:
    old, new = new_key(), new_key()
    sealed_before = SecretBox([old]).seal(SECRET)
    both = SecretBox([new, old])
    assert both.open(sealed_before) == SECRET
    assert SecretBox([new]).open(both.seal(SECRET)) == SECRET
    with pytest.raises(SecretUnreadable) as caught:
        SecretBox([new]).open(sealed_before)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "text", ["", "short", "x" * 44, "n0uqsd4DTxTsSVIlBuvVYUe2YQ8dQsBRtP55Hm7vté="]
)
def test_a_malformed_key_is_refused_without_being_echoed(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_key(text)
    assert text not in str(caught.value) or not text


def test_a_key_is_made_once_in_the_data_folder_and_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "data"
    with caplog.at_level(logging.WARNING):
        made = key_from_file(folder)
        again = key_from_file(folder)
    assert made == again and check_key(made) == made
    assert stat.S_IMODE((folder / "secret.key").stat().st_mode) == 0o600
    [said] = [r.getMessage() for r in caplog.records if "BLOCKBELL_SECRET_KEY" in r.getMessage()]
    assert str(folder / "secret.key") in said and made not in said

"""Which keys seal webhook secrets in this process: the operator's, or one kept in the data
folder (beside the SQLite database) so that `make run` works on a fresh machine."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from storage.secret_box import key_from_file, use_secret_keys

DEFAULT_DATA_FOLDER = Path("data")


def use_configured_secret_keys(settings: Settings) -> None:
    keys = [key.get_secret_value() for key in settings.secret_keys]
    use_secret_keys(keys or [key_from_file(data_folder(settings.database_url))])


def data_folder(database_url: str) -> Path:
    """The SQLite database's folder, or ./data beside a database server."""
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        if path and path != ":memory:":
            return Path(path).parent
    return DEFAULT_DATA_FOLDER

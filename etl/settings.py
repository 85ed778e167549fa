"""Runtime settings from the environment (`PLAIT_DB_URL`, `PLAIT_PSEUDONYM_KEY`,
`PLAIT_USERS_FILE`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_URL = "sqlite:///data/plait.db"
# Only for synthetic data: a real deployment sets PLAIT_PSEUDONYM_KEY, and ingest warns
# when this one is in use, because anyone holding the code could rebuild the hashes.
DEVELOPMENT_KEY = "plait-development-key-synthetic-data-only"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLAIT_")

    db_url: str = DEFAULT_DB_URL
    pseudonym_key: SecretStr = SecretStr(DEVELOPMENT_KEY)
    # the dashboard's local sign-in (dashboards/access.py); OIDC, when configured, needs none
    users_file: Path = Path("data/users.toml")

    @property
    def uses_development_key(self) -> bool:
        return self.pseudonym_key.get_secret_value() == DEVELOPMENT_KEY


def get_settings() -> Settings:
    return Settings()

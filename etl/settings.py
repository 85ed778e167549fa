"""Runtime settings from the environment (`PLAIT_DB_URL`, `PLAIT_PSEUDONYM_KEY`,
`PLAIT_USERS_FILE`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DB_URL = "sqlite:///data/plait.db"
# Only for synthetic data: a real deployment sets PLAIT_PSEUDONYM_KEY. Anyone holding the
# code could rebuild hashes made with this key, so while it is in use `plait ingest` and the
# Returns page load only what `plait synth` wrote (etl/synth_mark.py, dashboards/data_returns).
DEVELOPMENT_KEY = "plait-development-key-synthetic-data-only"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PLAIT_")

    db_url: str = DEFAULT_DB_URL
    pseudonym_key: SecretStr = SecretStr(DEVELOPMENT_KEY)
    # the dashboard's local sign-in (dashboards/access.py); OIDC, when configured, needs none
    users_file: Path = Path("data/users.toml")

    @field_validator("pseudonym_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`PLAIT_PSEUDONYM_KEY=` (set but empty) must not become an empty HMAC key."""
        if isinstance(value, str) and not value.strip():
            return DEVELOPMENT_KEY
        return value

    @property
    def uses_development_key(self) -> bool:
        return self.pseudonym_key.get_secret_value() == DEVELOPMENT_KEY


def get_settings() -> Settings:
    return Settings()

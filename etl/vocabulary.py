"""The canonical incident's closed vocabularies (DESIGN.md, "Canonical incident").

They are fixed contracts shared by the ETL, the generator and the models; the database
enforces them with CHECK constraints built from these same tuples.
"""

from __future__ import annotations

OFFENCE_GROUPS: tuple[str, ...] = (
    "malicious_communications",
    "communications_act",
    "harassment",
    "stalking",
    "threats_to_kill",
    "public_order",
    "criminal_damage",
    "assault",
    "hoax",
    "burglary_or_trespass",
    "other",
)
HATE_STRANDS: tuple[str, ...] = (
    "race",
    "religion",
    "sexual_orientation",
    "disability",
    "transgender",
    "sex",
)
CHANNELS: tuple[str, ...] = (
    "email",
    "letter",
    "social_media",
    "phone",
    "in_person",
    "online_other",
    "unknown",
)
VICTIM_ROLES: tuple[str, ...] = ("mp", "candidate", "mp_staff", "family", "councillor", "other")
OUTCOMES: tuple[str, ...] = (
    "under_investigation",
    "charged",
    "caution",
    "community_resolution",
    "no_further_action",
    "suspect_not_identified",
    "victim_declined",
    "transferred",
)
PLATFORMS: tuple[str, ...] = (
    "X",
    "Facebook",
    "Instagram",
    "TikTok",
    "YouTube",
    "WhatsApp",
    "Telegram",
    "Reddit",
    "Other",
)

CANONICAL_VALUES: dict[str, tuple[str, ...]] = {
    "offence_group": OFFENCE_GROUPS,
    "hate_strand": HATE_STRANDS,
    "channel": CHANNELS,
    "victim_role": VICTIM_ROLES,
    "outcome": OUTCOMES,
}

# Tokens a force writes for "no value"; they become null before any validation.
NULL_TOKENS: frozenset[str] = frozenset(
    {"", "n/a", "na", "none", "null", "nil", "-", "--", "no", "n", "not applicable", "#n/a"}
)

# The columns of the canonical incident, in contract order (DESIGN.md).
CANONICAL_COLUMNS: tuple[str, ...] = (
    "incident_id",
    "force_id",
    "force_ref",
    "reported_date",
    "occurred_date",
    "offence_code",
    "offence_group",
    "hate_strand",
    "channel",
    "platform",
    "victim_role",
    "victim_id",
    "constituency_code",
    "latitude",
    "longitude",
    "suspect_keys",
    "summary",
    "outcome",
    "outcome_date",
)

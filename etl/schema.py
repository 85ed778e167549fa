"""The warehouse schema, defined once (SQLAlchemy 2 Core); alembic migrates to it.

Naming follows layers: `ref_` reference data, `raw_` what arrived (files), `core_` the
cleaned canonical rows with lineage and the quarantine, `out_` (later issues) what models
publish. Every value with a closed vocabulary has a CHECK built from `etl.vocabulary`, so a
bad value cannot reach the warehouse by any path.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from etl.vocabulary import CANONICAL_VALUES

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _one_of(column: str, values: tuple[str, ...], *, nullable: bool = False) -> CheckConstraint:
    quoted = ", ".join(f"'{v}'" for v in values)
    condition = f"{column} IN ({quoted})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=f"{column}_vocabulary")


ref_force = Table(
    "ref_force",
    metadata,
    Column("force_id", String(40), primary_key=True),
    Column("force_name", String(80), nullable=False),
    Column("pfa_code", String(9)),
    Column("country", String(40), nullable=False),
    Column("police_region", String(40), nullable=False),
    Column("force_type", String(40), nullable=False),
)

ref_constituency = Table(
    "ref_constituency",
    metadata,
    Column("constituency_code", String(9), primary_key=True),
    Column("constituency_name", String(120), nullable=False),
    Column("boundary_year", Integer, nullable=False),
    Column("nation", String(40), nullable=False),
    Column("force_id", String(40), ForeignKey("ref_force.force_id"), nullable=False),
    Column("police_region", String(40), nullable=False),
)

def _classification() -> list[Column | CheckConstraint]:  # type: ignore[type-arg]
    """What a code or a wording resolves to: one offence group, maybe a hate strand."""
    return [
        Column("offence_group", String(40), nullable=False),
        Column("hate_strand", String(40)),
        _one_of("offence_group", CANONICAL_VALUES["offence_group"]),
    ]


ref_offence_code = Table(
    "ref_offence_code",
    metadata,
    Column("ho_code", String(40), primary_key=True),
    *_classification(),
)

ref_offence_wording = Table(
    "ref_offence_wording",
    metadata,
    Column("wording_key", String(200), primary_key=True),
    Column("wording", String(200), nullable=False),
    Column("ho_code", String(40)),
    *_classification(),
)

raw_source_file = Table(
    "raw_source_file",
    metadata,
    Column("source_file_id", Integer, primary_key=True, autoincrement=True),
    Column("file_name", String(255), nullable=False),
    Column("file_path", Text, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("force_id", String(40), ForeignKey("ref_force.force_id")),
    Column("records_system", String(80)),
    Column("read_count", Integer, nullable=False),
    Column("loaded_count", Integer, nullable=False),
    Column("updated_count", Integer, nullable=False, server_default="0"),
    Column("duplicate_count", Integer, nullable=False),
    Column("rejected_count", Integer, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    # The months the return covers (from its name, else its rows' reported dates): what
    # tells a late or missing monthly return apart (etl/returns.py).
    Column("period_start_date", Date),
    Column("period_end_date", Date),
    UniqueConstraint("content_sha256"),
    CheckConstraint("kind IN ('force_return', 'police_uk_street')", name="kind_vocabulary"),
    CheckConstraint(
        "read_count = loaded_count + updated_count + duplicate_count + rejected_count",
        name="reconciles",
    ),
)

def _incident_columns() -> list[Column]:  # type: ignore[type-arg]
    """The canonical incident (DESIGN.md) with its duplicate marks and lineage: one version."""
    return [
        Column("force_id", String(40), ForeignKey("ref_force.force_id"), nullable=False),
        Column("force_ref", String(80), nullable=False),
        Column("reported_date", Date, nullable=False),
        Column("occurred_date", Date),
        Column("offence_code", String(40)),
        Column("offence_group", String(40), nullable=False),
        Column("hate_strand", String(40)),
        Column("channel", String(20), nullable=False),
        Column("platform", String(40)),
        Column("victim_role", String(20), nullable=False),
        Column("victim_id", String(40)),
        Column("constituency_code", String(9),
               ForeignKey("ref_constituency.constituency_code")),
        Column("latitude", Float),
        Column("longitude", Float),
        Column("suspect_keys", Text, nullable=False, default=""),
        Column("summary", Text, nullable=False),
        Column("outcome", String(40), nullable=False),
        Column("outcome_date", Date),
        Column("is_duplicate", Boolean, nullable=False, default=False),
        Column("duplicate_of", String(120)),
        Column("duplicate_reason", String(200)),
        Column(
            "source_file_id",
            Integer,
            ForeignKey("raw_source_file.source_file_id"),
            nullable=False,
        ),
        Column("source_row", Integer, nullable=False),
        Column("version", Integer, nullable=False, server_default="1"),
        Column("changed_fields", Text),
        _one_of("offence_group", CANONICAL_VALUES["offence_group"]),
        _one_of("hate_strand", CANONICAL_VALUES["hate_strand"], nullable=True),
        _one_of("channel", CANONICAL_VALUES["channel"]),
        _one_of("victim_role", CANONICAL_VALUES["victim_role"]),
        _one_of("outcome", CANONICAL_VALUES["outcome"]),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN 49.8 AND 60.95)",
                        name="latitude_uk"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -8.7 AND 1.8)",
                        name="longitude_uk"),
    ]


# The version of each incident current now: what every reader uses unless it asks for the
# warehouse as it stood at an earlier load (etl/versions.py). `version` counts from 1;
# `changed_fields` names what this version changed from the one before (`;`-joined).
core_incident = Table(
    "core_incident",
    metadata,
    Column("incident_id", String(120), primary_key=True),
    *_incident_columns(),
    UniqueConstraint("source_file_id", "source_row", name="uq_core_incident_lineage"),
    Index("ix_core_incident_force_reported", "force_id", "reported_date"),
    Index("ix_core_incident_reported", "reported_date"),
    Index("ix_core_incident_victim", "victim_id", "reported_date"),
)

# Versions a restatement replaced, each whole, with the file and row it came from and the
# file that replaced it: a version was current from its own file's load to that file's.
core_incident_version = Table(
    "core_incident_version",
    metadata,
    Column("incident_id", String(120), nullable=False),
    *_incident_columns(),
    Column(
        "replaced_by_file_id",
        Integer,
        ForeignKey("raw_source_file.source_file_id"),
        nullable=False,
    ),
    PrimaryKeyConstraint("incident_id", "version"),
    UniqueConstraint("source_file_id", "source_row", name="uq_core_incident_version_lineage"),
    Index("ix_core_incident_version_replaced", "replaced_by_file_id"),
)

core_reject = Table(
    "core_reject",
    metadata,
    Column("reject_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "source_file_id",
        Integer,
        ForeignKey("raw_source_file.source_file_id"),
        nullable=False,
    ),
    Column("source_row", Integer, nullable=False),
    Column("field", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("disposition", String(20), nullable=False),
    Column("raw_row", Text, nullable=False),
    CheckConstraint("disposition IN ('rejected', 'duplicate')", name="disposition_vocabulary"),
    UniqueConstraint("source_file_id", "source_row", name="uq_core_reject_lineage"),
)

# The bulk table declares no foreign keys: per-row FK triggers were 71 % of a national
# year's PostgreSQL load (benchmarks/RESULTS.md). Its keys hold by construction instead:
# source_file_id is the file row written in the same transaction, and the force ids come
# from a join to ref_force; tests check both with anti-joins.
core_street_crime = Table(
    "core_street_crime",
    metadata,
    Column("source_file_id", Integer, primary_key=True),
    Column("source_row", Integer, primary_key=True),
    Column("crime_id", String(64)),
    Column("month_date", Date, nullable=False),
    Column("reported_by", String(80), nullable=False),
    Column("falls_within", String(80), nullable=False),
    Column("reporting_force_id", String(40)),
    Column("location_force_id", String(40)),
    Column("longitude", Float),
    Column("latitude", Float),
    Column("location", String(200)),
    Column("lsoa_code", String(9)),
    Column("lsoa_name", String(120)),
    Column("crime_type", String(60), nullable=False),
    Column("last_outcome_category", String(120)),
    Column("context", Text),
    Index("ix_core_street_crime_force_month", "reporting_force_id", "month_date"),
)

# --- out_: what `plait analyse` publishes. Every row belongs to one run, which records the
# as-of period and the parameters used, so pages and reports read a consistent snapshot.

out_analysis_run = Table(
    "out_analysis_run",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=True),
    Column("as_of_period", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("incident_count", Integer, nullable=False),
    Column("parameters", Text, nullable=False),
)


def _series_columns() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("run_id", Integer, ForeignKey("out_analysis_run.run_id"), nullable=False),
        Column("series_id", String(120), nullable=False),
        Column("frequency", String(10), nullable=False),
        Column("level", String(20), nullable=False),
        Column("unit", String(60), nullable=False),
        Column("dimension", String(20), nullable=False),
        Column("category", String(40), nullable=False),
    ]


out_exceedance = Table(
    "out_exceedance",
    metadata,
    *_series_columns(),
    Column("period", Date, nullable=False),
    Column("observed_count", Integer, nullable=False),
    Column("expected_count", Float),
    Column("upperbound_count", Float),
    Column("is_alarm", Boolean, nullable=False),
    Column("method", String(20), nullable=False),
    Index("ix_out_exceedance_run_series", "run_id", "series_id", "frequency", "period",
          unique=True),
)

out_trend = Table(
    "out_trend",
    metadata,
    *_series_columns(),
    Column("n_periods", Integer),
    Column("first_period", Date),
    Column("last_period", Date),
    Column("family", String(20)),
    Column("change_per_year", Float),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("p_value", Float),
    Column("dispersion", Float),
    Column("note", Text),
    Index("ix_out_trend_run_series", "run_id", "series_id", "frequency", unique=True),
)

out_period_change = Table(
    "out_period_change",
    metadata,
    *_series_columns(),
    Column("comparison", String(20), nullable=False),
    Column("current_period", Date),
    Column("previous_period", Date),
    Column("current_count", Integer),
    Column("previous_count", Integer),
    Column("rate_ratio", Float),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("p_value", Float),
    Column("note", Text),
    Index("ix_out_period_change_run_series", "run_id", "series_id", "comparison",
          unique=True),
)

out_funnel = Table(
    "out_funnel",
    metadata,
    Column("run_id", Integer, ForeignKey("out_analysis_run.run_id"), nullable=False),
    Column("first_period", Date, nullable=False),
    Column("last_period", Date, nullable=False),
    Column("denominator_kind", String(20), nullable=False),
    Column("force_id", String(40), ForeignKey("ref_force.force_id"), nullable=False),
    Column("observed_count", Integer, nullable=False),
    Column("denominator", Float, nullable=False),
    Column("rate", Float),
    Column("national_rate", Float),
    Column("z_score", Float),
    Column("phi", Float),
    Column("limit95_low", Float),
    Column("limit95_high", Float),
    Column("limit998_low", Float),
    Column("limit998_high", Float),
    Column("is_outside95", Boolean),
    Column("is_outside998", Boolean),
    Index("ix_out_funnel_run", "run_id", "denominator_kind", "force_id", unique=True),
)

out_campaign_rate_ratio = Table(
    "out_campaign_rate_ratio",
    metadata,
    Column("run_id", Integer, ForeignKey("out_analysis_run.run_id"), nullable=False),
    Column("level", String(20), nullable=False),
    Column("unit", String(60), nullable=False),
    Column("in_campaign_count", Integer),
    Column("in_campaign_days", Integer),
    Column("other_count", Integer),
    Column("other_days", Integer),
    Column("rate_ratio", Float),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("p_value", Float),
    Index("ix_out_campaign_run", "run_id", "level", "unit", unique=True),
)

out_series = Table(
    "out_series",
    metadata,
    Column("run_id", Integer, ForeignKey("out_analysis_run.run_id"), nullable=False),
    Column("series_id", String(160), nullable=False),
    Column("incident_count", Integer, nullable=False),
    Column("force_count", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_out_series_run", "run_id", "series_id", unique=True),
)

out_series_member = Table(
    "out_series_member",
    metadata,
    Column("run_id", Integer, ForeignKey("out_analysis_run.run_id"), nullable=False),
    Column("incident_id", String(120), nullable=False),
    Column("series_id", String(160), nullable=False),
    Column("score", Float, nullable=False),
    Index("ix_out_series_member_run", "run_id", "incident_id", unique=True),
)


# --- The quarterly release's statistics (issue: intelligence and investigation). Each row is
# for the run's report quarter: the last complete quarter on or before its as-of month.

def _area_columns() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("run_id", Integer, ForeignKey("out_analysis_run.run_id"), nullable=False),
        Column("level", String(20), nullable=False),
        Column("unit", String(60), nullable=False),
    ]


out_quarter_count = Table(
    "out_quarter_count",
    metadata,
    *_series_columns(),
    Column("period", Date, nullable=False),
    Column("incident_count", Integer, nullable=False),
    Index("ix_out_quarter_count_run", "run_id", "series_id", "period", unique=True),
)

out_repeat_victim = Table(
    "out_repeat_victim",
    metadata,
    *_area_columns(),
    Column("period", Date, nullable=False),
    Column("incident_count", Integer, nullable=False),
    Column("victim_count", Integer, nullable=False),
    Column("repeat_victim_count", Integer, nullable=False),
    Column("repeat_incident_count", Integer, nullable=False),
    Column("top_decile_victim_count", Integer, nullable=False),
    Column("top_decile_incident_count", Integer, nullable=False),
    Column("top_decile_share", Float),
    Index("ix_out_repeat_victim_run", "run_id", "level", "unit", "period", unique=True),
)

out_channel_shift = Table(
    "out_channel_shift",
    metadata,
    *_area_columns(),
    Column("dimension", String(20), nullable=False),
    Column("category", String(40), nullable=False),
    Column("current_count", Integer, nullable=False),
    Column("previous_count", Integer, nullable=False),
    Column("current_total_count", Integer, nullable=False),
    Column("previous_total_count", Integer, nullable=False),
    Column("expected_count", Float),
    Column("adjusted_residual", Float),
    Column("chi2", Float),
    Column("dof", Integer),
    Column("p_value", Float),
    Column("min_expected", Float),
    Column("is_test_reliable", Boolean),
    Column("p_value_monte_carlo", Float),
    Column("simulations", Integer),
    Index("ix_out_channel_shift_run", "run_id", "level", "unit", "dimension", "category",
          unique=True),
)

out_emerging_term = Table(
    "out_emerging_term",
    metadata,
    *_area_columns(),
    Column("term", String(60), nullable=False),
    Column("current_count", Integer, nullable=False),
    Column("previous_count", Integer, nullable=False),
    Column("log_odds", Float, nullable=False),
    Column("z_score", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    Index("ix_out_emerging_term_run", "run_id", "level", "unit", "term", unique=True),
)

out_hate_share = Table(
    "out_hate_share",
    metadata,
    *_area_columns(),
    Column("period", Date, nullable=False),
    Column("hate_strand", String(40), nullable=False),
    Column("hate_count", Integer, nullable=False),
    Column("incident_count", Integer, nullable=False),
    Column("share", Float),
    Column("change_pp", Float),
    Column("change_ci_low", Float),
    Column("change_ci_high", Float),
    Column("change_p_value", Float),
    Index("ix_out_hate_share_run", "run_id", "level", "unit", "period", "hate_strand",
          unique=True),
)

out_social_media = Table(
    "out_social_media",
    metadata,
    *_area_columns(),
    Column("platform", String(40), nullable=False),
    Column("report_count", Integer, nullable=False),
    Column("suspect_identified_count", Integer, nullable=False),
    Column("suspect_identified_share", Float),
    Column("closed_count", Integer, nullable=False),
    Column("median_days_to_outcome", Float),
    Index("ix_out_social_media_run", "run_id", "level", "unit", "platform", unique=True),
)

out_outcome = Table(
    "out_outcome",
    metadata,
    *_area_columns(),
    Column("first_period", Date, nullable=False),
    Column("last_period", Date, nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("incident_count", Integer, nullable=False),
    Column("total_count", Integer, nullable=False),
    Index("ix_out_outcome_run", "run_id", "level", "unit", "outcome", unique=True),
)

out_charge_rate = Table(
    "out_charge_rate",
    metadata,
    *_area_columns(),
    Column("charged_count", Integer, nullable=False),
    Column("total_count", Integer, nullable=False),
    Column("rate", Float),
    Column("ci_low", Float),
    Column("ci_high", Float),
    Column("national_rate", Float),
    Column("limit95_low", Float),
    Column("limit95_high", Float),
    Column("limit998_low", Float),
    Column("limit998_high", Float),
    Column("z_score", Float),
    Column("is_outside95", Boolean),
    Column("is_outside998", Boolean),
    Index("ix_out_charge_rate_run", "run_id", "level", "unit", unique=True),
)

out_time_to_outcome = Table(
    "out_time_to_outcome",
    metadata,
    *_area_columns(),
    Column("offence_group", String(40), nullable=False),
    Column("incident_count", Integer, nullable=False),
    Column("closed_count", Integer, nullable=False),
    Column("open_count", Integer, nullable=False),
    Column("median_days", Float),
    Column("median_ci_low", Float),
    Column("median_ci_high", Float),
    Column("p90_days", Float),
    Column("p90_ci_low", Float),
    Column("p90_ci_high", Float),
    Index("ix_out_time_to_outcome_run", "run_id", "level", "unit", "offence_group",
          unique=True),
)


# --- The dashboard's audit log (issue 10): every view of incident-level data, every upload
# and download, every sign-in and every refusal. Written by dashboards/audit.py only.
app_audit_event = Table(
    "app_audit_event",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(120), nullable=False),
    Column("role", String(60), nullable=False),
    Column("action", String(20), nullable=False),
    Column("page", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    CheckConstraint(
        "action IN ('sign_in', 'sign_out', 'view_incidents', 'upload', 'download', 'refused')",
        name="audit_action_vocabulary",
    ),
    Index("ix_app_audit_event_at", "at"),
)


# --- The keys the warehouse's keyed hashes were made with (issue 13: key rotation). One row
# per key in the order they were used; the last is the current key, stored only as its
# fingerprint. `plait rekey` wraps every stored hash in the new key and keeps the old key
# here (`retired_key`), because ingest must hash new data through the same chain to keep
# the links: every stored hash is wrapped by the current key, so a retired key alone can
# reverse none of them (etl/pseudonymise.py, "Key rotation").
meta_pseudonym_key = Table(
    "meta_pseudonym_key",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("fingerprint", String(64), nullable=False),
    Column("retired_key", Text),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

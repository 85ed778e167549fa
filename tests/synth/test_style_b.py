"""Style b (`plait synth --style b`): same files as the default style, its own plants.

One small sample (2023-2024 at scale 0.3, about 850 rows) is generated once; the tests
check that it is reproducible, that ingest reads every row of it, and that the truth holds
each phenomenon the style exists for: a burst of 60+ in three weeks quoting one slogan
more than 50 times, a slogan shared by ten unrelated senders, a mass event of hundreds on
one day that is no series, keys in 20-50 % of each series, pairs sharing one key, victims
of every role in series, and keys that never join two offenders unless they are stock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dashboards.cli import app
from etl.ingest import FileReport, ingest_paths
from etl.mapping import all_mappings, mapping_for
from etl.pseudonymise import keyed_hash
from etl.schema import core_incident
from etl.synth import SynthSummary, generate
from etl.synth.generator import generate as generate_a
from etl.synth.geography import constituencies
from etl.synth.house_style import style_for
from etl.synth.incident import Incident
from etl.synth.population import Membership, Person
from etl.synth.sampling import stream
from etl.synth.style_b import _writable, volumes
from etl.synth.style_b.identities import RELAYS
from etl.synth.style_b.victims import ROLES
from etl.warehouse import make_engine, migrate
from tests.conftest import TEST_KEY
from tests.synth.conftest import extract_path, read_extract, truth

SAMPLE = {"seed": 5, "start": "2023-01", "end": "2024-12", "scale": 0.3}
TODAY = dt.date(2026, 11, 28)
VERBATIM = ("double", "single", "unquoted", "caps")


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate(tmp_path_factory.mktemp("style-b"), style="b", **SAMPLE)  # type: ignore[arg-type]


@dataclass
class Loaded:
    reports: list[FileReport]
    incidents: pl.DataFrame


@pytest.fixture(scope="module")
def loaded(sample: SynthSummary, tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('wh') / 'w.db'}")
    migrate(engine)
    reports = ingest_paths([sample.out], engine, TEST_KEY, today=TODAY)
    with engine.connect() as conn:
        incidents = pl.read_database(core_incident.select(), conn, infer_schema_length=None)
    engine.dispose()
    return Loaded(reports, incidents)


def _plants(out: Path) -> pl.DataFrame:
    plants = truth(out, "plants.csv").with_columns(pl.col("keys_revealed").cast(pl.Int64))
    return plants.join(truth(out, "incidents.csv").select("file", "row", "reported_date",
                                                          "victim_role", "transfer_role",
                                                          "dirty_kind"),
                       on=["file", "row"])


def _summaries(out: Path) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for m in all_mappings():
        _, rows = read_extract(extract_path(out, m), m)
        for n, row in enumerate(rows, start=1 if m.format == "jsonl" else 2):
            found[(m.force_id, str(n))] = row[m.columns["summary"]] or ""
    return found


@pytest.mark.unit
def test_same_seed_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    args = {"start": "2024-01", "end": "2024-06", "scale": 0.2, "style": "b"}
    generate(tmp_path / "one", seed=3, **args)  # type: ignore[arg-type]
    generate(tmp_path / "two", seed=3, **args)  # type: ignore[arg-type]
    generate(tmp_path / "other", seed=4, **args)  # type: ignore[arg-type]
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two")
    assert _digest(tmp_path / "one") != _digest(tmp_path / "other")


@pytest.mark.unit
def test_the_default_style_is_the_first_generator_byte_for_byte(tmp_path: Path) -> None:
    args = {"seed": 9, "start": "2024-01", "end": "2024-06", "scale": 0.3}
    generate(tmp_path / "hook", **args)  # type: ignore[arg-type]
    generate(tmp_path / "named", style="a", **args)  # type: ignore[arg-type]
    generate_a(tmp_path / "direct", **args)  # type: ignore[arg-type]
    assert _digest(tmp_path / "hook") == _digest(tmp_path / "direct") == _digest(
        tmp_path / "named")
    with pytest.raises(ValueError, match="style"):
        generate(tmp_path / "bad", style="c")


@pytest.mark.unit
def test_same_files_as_the_default_style(sample: SynthSummary) -> None:
    names = {p.name for p in sample.files}
    assert len(names) == len(all_mappings()) == 45
    for name in ("incidents.csv", "series.csv", "transfers.csv", "dirty_rows.csv", "pii.csv",
                 "exceedances.csv", "exceedance_months.csv", "intelligence.json",
                 "manifest.json", "plants.csv", "phenomena.json"):
        assert (sample.out / "truth" / name).exists(), name
    manifest = json.loads((sample.out / "truth" / "manifest.json").read_text())
    assert manifest["style"] == "b"
    assert sum(f["rows"] for f in manifest["files"]) == sample.rows_total
    incidents = truth(sample.out, "incidents.csv")
    plants = truth(sample.out, "plants.csv")
    assert incidents.height == plants.height == sample.rows_total
    assert incidents.select("file", "row").equals(plants.select("file", "row"))


@pytest.mark.unit
def test_a_transfer_goes_only_to_a_force_whose_file_can_hold_its_names() -> None:
    seat = next(c for c in constituencies(2024) if c.code == "W07000102")  # ...Glyndŵr
    member = Membership(Person("V1", "Rhys Wrenbeck", "male", "PC", 1.0), "mp", seat, 1.0)
    incident = Incident(day=dt.date(2025, 1, 6), force_id="dyfed-powys", victim=member,
                        venue="local", offence_group="malicious_communications",
                        channel="email")
    styles = {f: style_for(mapping_for(f), stream(1, f)) for f in ("west-yorkshire",
                                                                   "metropolitan")}
    assert not _writable(styles["west-yorkshire"], incident)
    assert _writable(styles["metropolitan"], incident)


@pytest.mark.unit
def test_volumes_follow_the_public_figures() -> None:
    months = volumes.expected(dt.date(2016, 1, 1), dt.date(2026, 12, 31), 1.0)
    year = {y: sum(v for m, v in months.items() if m.startswith(str(y))) for y in range(2016, 2027)}
    assert year[2020] == pytest.approx(284) and year[2023] == pytest.approx(528)
    assert months["2019-01"] == 128 and months["2018-12"] == 34
    assert sum(months[f"2024-0{m}"] for m in (1, 2, 3)) == pytest.approx(382)
    assert year[2018] / year[2017] == pytest.approx(2.2, abs=0.1)


@pytest.mark.unit
def test_a_burst_of_sixty_in_three_weeks_quotes_one_slogan(sample: SynthSummary) -> None:
    plants = _plants(sample.out)
    summaries = _summaries(sample.out)
    phenomena = json.loads((sample.out / "truth" / "phenomena.json").read_text())
    burst = phenomena["bursts"][0]
    rows = plants.filter(pl.col("series_id") == burst["series_id"])
    days = rows["reported_date"].str.to_date()
    assert rows.height >= 60
    assert (days.max() - days.min()).days <= 20  # type: ignore[operator]
    assert rows["offender_id"].n_unique() == 1
    slogan = burst["slogan"].lower()
    verbatim = [summaries[(r["force_id"], r["row"])] for r in rows.iter_rows(named=True)
                if slogan in summaries[(r["force_id"], r["row"])].lower()]
    assert len(verbatim) > 50
    assert rows["force_id"].n_unique() >= 8
    quotes = {s.lower().count('"') > 0 for s in verbatim}
    assert quotes == {True, False}, "quoted and unquoted both"


@pytest.mark.unit
def test_a_slogan_is_shared_by_ten_unrelated_senders(sample: SynthSummary) -> None:
    plants = _plants(sample.out)
    summaries = _summaries(sample.out)
    group = plants.filter(pl.col("campaign_id").str.starts_with("SLG"))
    assert group.height > 0
    for _campaign, rows in group.group_by("campaign_id"):
        assert rows["offender_id"].n_unique() >= 10
        assert (rows["offender_kind"] == "slogan_user").all()
        series = rows.filter(pl.col("series_id") != "").group_by("series_id").agg(
            pl.col("offender_id").n_unique())
        assert (series["offender_id"] == 1).all(), "one series per sender, never shared"
        quoting = rows.filter(pl.col("phrase_form") != "")
        assert quoting["offender_id"].n_unique() >= 8
        assert quoting.height < 50, "fewer than the default style's stock threshold"
    phenomena = json.loads((sample.out / "truth" / "phenomena.json").read_text())
    slogan = phenomena["slogan_groups"][0]["slogan"].lower()
    users = group.filter(pl.col("campaign_id") == phenomena["slogan_groups"][0]["campaign_id"])
    word_for_word = {r["offender_id"] for r in users.iter_rows(named=True)
                     if slogan in summaries[(r["force_id"], r["row"])].lower()}
    assert len(word_for_word) >= 3


@pytest.mark.unit
def test_a_mass_event_is_hundreds_of_senders_on_one_day_and_no_series(
        sample: SynthSummary) -> None:
    plants = _plants(sample.out)
    mass = plants.filter(pl.col("campaign_id").str.starts_with("MASS"))
    assert mass.height > 0
    for _campaign, rows in mass.group_by("campaign_id"):
        assert rows["offender_id"].n_unique() == rows.height >= 200
        assert rows["reported_date"].n_unique() == 1
        assert (rows["series_id"] == "").all()
        assert rows["force_id"].n_unique() >= 20
    incidents = truth(sample.out, "incidents.csv")
    assert (incidents.filter(pl.col("campaign_id").str.starts_with("MASS"))["series_id"]
            == "").all()


@pytest.mark.unit
def test_series_reveal_keys_in_a_fifth_to_a_half_of_their_incidents(
        sample: SynthSummary) -> None:
    plants = _plants(sample.out).filter(pl.col("offender_kind").is_in(["offender", "burst"]))
    shares = plants.group_by("series_id").agg(
        (pl.col("keys_revealed") > 0).mean().alias("share"), pl.len().alias("n"))
    assert shares.height >= 10
    assert shares["share"].min() >= 0.2 and shares["share"].max() <= 0.5  # type: ignore[operator]
    lone = _plants(sample.out).filter(pl.col("offender_kind") == "lone")
    assert 0.25 <= (lone["keys_revealed"] > 0).mean() <= 0.45  # type: ignore[operator]


@pytest.mark.unit
def test_series_victims_are_of_every_role(sample: SynthSummary) -> None:
    incidents = truth(sample.out, "incidents.csv")
    in_series = incidents.filter(pl.col("series_id") != "")
    assert set(in_series["victim_role"]) == set(ROLES)
    fixated = incidents.join(truth(sample.out, "series.csv").filter(
        pl.col("targeting") == "fixated").select("series_id"), on="series_id")
    assert set(fixated["victim_role"]) == set(ROLES)


@pytest.mark.unit
def test_signatures_are_quoted_in_many_ways_not_at_the_end(sample: SynthSummary) -> None:
    plants = _plants(sample.out)
    series = plants.filter(pl.col("offender_kind") == "offender")
    forms = set(series["phrase_form"])
    assert {"double", "unquoted", "paraphrase"} <= forms and "" in forms
    summaries = _summaries(sample.out)
    ending = [summaries[(r["force_id"], r["row"])].rstrip(".").endswith('"')
              for r in series.iter_rows(named=True)]
    assert sum(ending) < 0.2 * len(ending)


@pytest.mark.integration
def test_ingest_reads_every_row(sample: SynthSummary, loaded: Loaded) -> None:
    manifest = json.loads((sample.out / "truth" / "manifest.json").read_text())
    rows = {f["file"]: f["rows"] for f in manifest["files"]}
    assert {r.status for r in loaded.reports} == {"loaded"}
    assert len(loaded.reports) == 45
    for r in loaded.reports:
        assert r.read == r.loaded + r.duplicate + r.rejected == rows[Path(r.file).name]
    dirty = truth(sample.out, "dirty_rows.csv")
    rejected = dirty.filter(pl.col("kind") != "exact_duplicate").height
    assert sum(r.rejected for r in loaded.reports) == rejected
    transfers = truth(sample.out, "transfers.csv")
    marked = loaded.incidents.filter(pl.col("is_duplicate").cast(pl.Boolean))
    assert marked.height == transfers.height
    assert sum(r.loaded for r in loaded.reports) == loaded.incidents.height - marked.height
    assert set(loaded.incidents["victim_role"]) == set(ROLES)


@pytest.mark.integration
def test_no_planted_raw_value_reaches_the_warehouse(sample: SynthSummary,
                                                    loaded: Loaded) -> None:
    pii = truth(sample.out, "pii.csv")
    assert set(pii["kind"]) >= {"email", "phone", "handle", "victim_name", "suspect_name"}
    text = "\n".join(loaded.incidents["summary"].fill_null("").str.to_lowercase())
    leaked = [v for v in pii["value"] if len(v) >= 6 and v.lower() in text]
    assert leaked == []


@pytest.mark.integration
def test_a_key_joins_two_senders_only_when_it_is_stock(sample: SynthSummary,
                                                       loaded: Loaded) -> None:
    plants = truth(sample.out, "plants.csv").select(
        pl.concat_str("force_id", pl.lit(":"), "force_ref").alias("incident_id"),
        "offender_id", "offender_kind", "series_id")
    keyed = loaded.incidents.filter(~pl.col("is_duplicate").cast(pl.Boolean)).join(
        plants.unique("incident_id"), on="incident_id")
    owners: dict[str, set[str]] = defaultdict(set)
    for keys, offender in keyed.select("suspect_keys", "offender_id").iter_rows():
        for key in (keys or "").split(";"):
            if key:
                owners[key].add(offender)
    stock = {keyed_hash(TEST_KEY, f"email:{r}") for r in RELAYS}
    shared = {k for k, o in owners.items() if len(o) > 1}
    assert shared <= stock
    for key in shared:
        assert keyed.filter(pl.col("suspect_keys").str.contains(key)).height > 50, "stock"
    assert len(owners) > 100
    pairs = keyed.filter(pl.col("offender_kind") == "key_pair")
    assert pairs["series_id"].n_unique() >= 3
    for _series, rows in pairs.group_by("series_id"):
        first, second = (set(k.split(";")) for k in rows["suspect_keys"])
        assert len(first & second) == 1
        assert rows["victim_id"].n_unique() == 2


@pytest.mark.functional
def test_plait_synth_style_b(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "b"
    result = runner.invoke(app, ["synth", "--out", str(out), "--seed", "2", "--start", "2024-01",
                                 "--end", "2024-03", "--scale", "0.2", "--style", "b"])
    assert result.exit_code == 0, result.output
    assert "offender series" in result.output
    manifest = json.loads((out / "truth" / "manifest.json").read_text())
    assert manifest["style"] == "b" and manifest["seed"] == 2
    bad = runner.invoke(app, ["synth", "--out", str(tmp_path / "c"), "--style", "c"])
    assert bad.exit_code != 0

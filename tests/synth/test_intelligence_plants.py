"""The plant quarter holds what the quarterly release's intelligence statistics must find.

Each plant is checked against the extracts and `truth/incidents.csv`, not against the
generator's internals: the repeat victim, the platform shift, the emerging term and the
outcome delay, then that planting them takes the same random draws as before.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
from pathlib import Path

import polars as pl
import pytest

from etl.mapping import all_mappings
from etl.synth import SynthSummary, crimes, generate, intelligence
from etl.synth.crimes import Span
from etl.synth.truth import first_row
from tests.synth.conftest import extract_path, read_extract, truth

pytestmark = pytest.mark.unit


def _intel(out: Path) -> dict:
    return json.loads((out / "truth" / "intelligence.json").read_text(encoding="utf-8"))


def _crimes(out: Path) -> pl.DataFrame:
    """One row per crime: neither a transfer's first record nor an exported-twice copy."""
    return truth(out, "incidents.csv").filter(
        pl.col("transfer_role") != "origin", pl.col("dirty_kind") != "exact_duplicate")


def _between(frame: pl.DataFrame, first: str, last: str) -> pl.DataFrame:
    return frame.filter(pl.col("reported_date") >= first, pl.col("reported_date") <= last)


def _before(intel: dict) -> tuple[str, str]:
    """The four quarters before the plant quarter, as the release compares them."""
    start = dt.date.fromisoformat(intel["quarter_start"])
    return start.replace(year=start.year - 1).isoformat(), (
        start - dt.timedelta(days=1)).isoformat()


def _with_summaries(out: Path) -> pl.DataFrame:
    """Truth rows with the summary each extract actually holds."""
    rows = truth(out, "incidents.csv")
    found: list[tuple[str, int, str]] = []
    for m in all_mappings():
        path = extract_path(out, m)
        _, written = read_extract(path, m)
        found += [(path.name, n, str(r[m.columns["summary"]] or ""))
                  for n, r in enumerate(written, start=first_row(m.format))]
    text = pl.DataFrame(found, schema=["file", "row", "summary"], orient="row")
    return rows.with_columns(pl.col("row").cast(pl.Int64)).join(text, on=["file", "row"])


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    """A shorter, denser span: the plants at scale 3, where counts are big enough to compare."""
    return generate(tmp_path_factory.mktemp("synth-wide"), seed=7, start="2024-01", scale=3.0)


@pytest.mark.parametrize(
    ("first", "last", "quarter"),
    [("2016-01-01", "2026-09-30", "2026Q3"), ("2016-01-01", "2026-11-28", "2026Q3"),
     ("2023-02-01", "2024-12-31", "2024Q4"), ("2023-01-01", "2024-03-31", "2024Q1"),
     ("2023-02-01", "2024-03-31", None), ("2023-06-01", "2024-07-31", None)],
)
def test_the_plant_quarter_is_the_last_complete_one(first: str, last: str,
                                                    quarter: str | None) -> None:
    plan = intelligence.plan_for(Span(dt.date.fromisoformat(first), dt.date.fromisoformat(last)))
    assert (plan.quarter if plan else None) == quarter
    if plan:
        assert plan.end.month % 3 == 0 and plan.start.day == 1
        assert (plan.end - plan.delay_from).days in (364, 365)


@pytest.mark.parametrize(("sample", "scale", "margin"), [("full", 1, 1.25), ("wide", 3, 2.0)])
def test_the_repeat_victim_is_the_most_targeted_of_the_quarter(
    sample: str, scale: int, margin: float, request: pytest.FixtureRequest,
) -> None:
    """About 12 crimes at scale 1, at most half the force's quarter (seed 7: 12, against 8
    each for the two most targeted victims of a planted series)."""
    out = request.getfixturevalue(sample).out
    intel = _intel(out)
    assert intel["quarter"] == "2026Q3" and intel["quarter_start"] == "2026-07-01"
    planted = intel["repeat_victim"]
    assert planted["victim_role"] == "mp"
    assert 8 * scale <= planted["planted_count"] <= intelligence.REPEAT_AT_SCALE_1 * scale
    quarter = _between(_crimes(out), intel["quarter_start"], intel["quarter_end"])
    per_victim = quarter["person_id"].value_counts(sort=True)
    top, runner_up = per_victim.row(0), per_victim.row(1)
    assert top == (planted["person_id"], planted["quarter_count"])
    assert planted["quarter_count"] >= planted["planted_count"] > margin * runner_up[1]
    mine = quarter.filter(pl.col("person_id") == planted["person_id"])
    assert set(mine["victim_role"]) == {"mp"}
    in_force = mine.filter(pl.col("force_id") == planted["force_id"], pl.col("series_id") == "")
    assert in_force.height >= planted["planted_count"]
    # The extract names the same victim on every one of them: reassigned before the text.
    m = next(m for m in all_mappings() if m.force_id == planted["force_id"])
    _, rows = read_extract(extract_path(out, m), m)
    names = {str(rows[int(r) - first_row(m.format)][m.columns["victim_name"]]).lower()
             for r in in_force["row"]}
    assert len(names) == 1


def _tiktok_share(frame: pl.DataFrame) -> tuple[int, float]:
    social = frame.filter(pl.col("channel") == "social_media", pl.col("platform") != "")
    return social.height, float((social["platform"] == "TikTok").mean() or 0.0)


@pytest.mark.parametrize("sample", ["full", "wide"])
def test_tiktok_rises_in_the_plant_quarter(sample: str, request: pytest.FixtureRequest) -> None:
    """Among one-off senders (a series keeps the platform its offender chose, perhaps long
    before: in seed 7 an X series of 37 crimes falls in 2026Q3), TikTok's share about
    triples; at scale 3 it rises among all social-media crimes too."""
    out = request.getfixturevalue(sample).out
    intel = _intel(out)
    shift = intel["platform_shift"]
    assert shift["weights_in_quarter"]["TikTok"] > 3 * shift["weights_before"]["TikTok"]
    assert sum(shift["weights_in_quarter"].values()) == pytest.approx(1.0)
    assert list(shift["weights_in_quarter"]) == list(shift["weights_before"])
    every = _crimes(out)
    one_off = every.filter(pl.col("series_id") == "")
    n_q, in_quarter = _tiktok_share(_between(one_off, intel["quarter_start"],
                                             intel["quarter_end"]))
    n_b, before = _tiktok_share(_between(one_off, *_before(intel)))
    assert n_q >= 10 and n_b >= 100
    assert in_quarter >= 2.5 * before and in_quarter - before >= 0.15
    assert shift["in_quarter"]["one_off"]["incidents"] == n_q
    if sample == "wide":
        _, all_quarter = _tiktok_share(_between(every, intel["quarter_start"],
                                                intel["quarter_end"]))
        _, all_before = _tiktok_share(_between(every, *_before(intel)))
        assert all_quarter >= 2.5 * all_before


def test_the_emerging_term_is_new_in_the_plant_quarter(full: SynthSummary) -> None:
    intel = _intel(full.out)
    term = intel["emerging_term"]
    word = term["term"]
    assert word == word.lower() and word in term["sentence"]
    rows = _with_summaries(full.out)
    has = rows.filter(pl.col("summary").str.contains(word, literal=True))
    crimes_with = has.filter(pl.col("transfer_role") != "origin",
                             pl.col("dirty_kind") != "exact_duplicate")
    assert crimes_with.height == term["planted_count"]
    assert (crimes_with["reported_date"] >= intel["quarter_start"]).all()
    assert (crimes_with["reported_date"] <= intel["quarter_end"]).all()
    assert set(crimes_with["channel"]) <= set(term["channels"])
    # Only a transfer's first record, copied from a crime of the quarter, may come earlier.
    assert (has.filter(pl.col("reported_date") < intel["quarter_start"])["transfer_role"]
            == "origin").all()
    eligible = _between(_crimes(full.out), intel["quarter_start"], intel["quarter_end"]).filter(
        pl.col("channel").is_in(term["channels"]))
    assert 0.2 <= term["planted_count"] / eligible.height <= 0.4
    assert term["planted_count"] >= 20
    # Never inside a quoted phrase (quotes drive series linkage) and never capitalised.
    for text in has["summary"]:
        assert all(word not in q for q in re.findall(r"\"[^\"]*\"|'[^']*'", text)), text
        assert word.capitalize() not in text


def _days(frame: pl.DataFrame) -> list[int]:
    closed = frame.filter(pl.col("outcome_date") != "")
    return [(dt.date.fromisoformat(o) - dt.date.fromisoformat(r)).days
            for r, o in closed.select("reported_date", "outcome_date").iter_rows()]


def test_the_delayed_group_takes_longer_and_stays_open(full: SynthSummary) -> None:
    intel = _intel(full.out)
    delay = intel["outcome_delay"]
    assert delay["factor"] == 3 and delay["median_days"] == 180
    window = _between(_crimes(full.out), delay["from"], delay["to"])
    group = window.filter(pl.col("offence_group") == delay["offence_group"])
    others = window.filter(pl.col("offence_group") != delay["offence_group"])
    assert group.height == delay["incident_count"]
    open_now = group.filter(pl.col("outcome") == "under_investigation")
    assert open_now.height == delay["open_count_at_end"] > group.height / 2
    assert (open_now["outcome_date"] == "").all()
    assert open_now.height / group.height > 2 * float(
        (others["outcome"] == "under_investigation").mean() or 0.0)
    assert statistics.median(_days(group)) >= 1.5 * statistics.median(_days(others))
    # The year before the window is untouched: the group closes as fast as the rest.
    year_before = _between(_crimes(full.out), "2024-10-01", "2025-09-30")
    earlier = year_before.filter(pl.col("offence_group") == delay["offence_group"])
    assert statistics.median(_days(earlier)) <= 1.3 * statistics.median(
        _days(year_before.filter(pl.col("offence_group") != delay["offence_group"])))


def test_the_same_seed_plants_the_same_truth(tmp_path: Path) -> None:
    texts = [generate(tmp_path / name, seed=3, start="2023-01", end="2024-12", scale=0.5)
             for name in ("a", "b")]
    assert texts[0].rows_total == texts[1].rows_total
    a, b = ((tmp_path / n / "truth" / "intelligence.json").read_bytes() for n in ("a", "b"))
    assert a == b
    intel = json.loads(a)
    assert intel["quarter"] == "2024Q4" and intel["emerging_term"]["planted_count"] > 0
    manifest = json.loads((tmp_path / "a" / "truth" / "manifest.json").read_text())
    assert manifest["intelligence"] == {"file": "intelligence.json", "quarter": "2024Q4"}


def test_a_short_span_plants_nothing(tmp_path: Path) -> None:
    generate(tmp_path, seed=3, start="2023-06", end="2024-07", scale=0.5)
    intel = _intel(tmp_path)
    assert intel["quarter"] is None
    for plant in ("repeat_victim", "platform_shift", "emerging_term", "outcome_delay"):
        assert intel[plant] is None


def test_the_shift_and_the_delay_take_the_same_draws(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the platform shift and the delay, only the platform and outcome columns of the
    plant quarter (and the delay window) differ: every other draw is where it was."""
    args = {"seed": 4, "start": "2023-01", "end": "2024-12", "scale": 0.5}
    generate(tmp_path / "planted", **args)
    monkeypatch.setattr(intelligence.Plan, "platforms",
                        lambda self, channel, day: crimes.PLATFORMS[channel])
    monkeypatch.setattr(intelligence.Plan, "delay_factor", lambda self, incident: 1.0)
    generate(tmp_path / "plain", **args)
    planted, plain = (truth(tmp_path / n, "incidents.csv") for n in ("planted", "plain"))
    intel = _intel(tmp_path / "planted")
    moving = ["platform", "outcome", "outcome_date"]
    assert planted.drop(moving).equals(plain.drop(moving))
    platform_moved = planted.filter(planted["platform"] != plain["platform"])
    assert platform_moved.height > 0
    assert ((platform_moved["reported_date"] >= intel["quarter_start"])
            | (platform_moved["transfer_role"] == "origin")).all()
    outcome_moved = planted.filter((planted["outcome"] != plain["outcome"])
                                   | (planted["outcome_date"] != plain["outcome_date"]))
    delay = intel["outcome_delay"]
    assert outcome_moved.height > 0
    assert set(outcome_moved["offence_group"]) == {delay["offence_group"]}
    assert (outcome_moved["reported_date"] >= delay["from"]).all()
    assert (outcome_moved["reported_date"] <= delay["to"]).all()


def test_the_plants_leave_the_series_as_they_were(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The linkage tests measure a seed's series: with or without the plants they are the
    same crimes, victims, forces and phrases; only a platform chosen in the plant quarter
    and a delayed outcome may differ."""
    args = {"seed": 4, "start": "2023-01", "end": "2024-12", "scale": 1.0}
    generate(tmp_path / "planted", **args)
    monkeypatch.setattr(intelligence, "plan_for", lambda span: None)
    generate(tmp_path / "plain", **args)
    quarter_start = _intel(tmp_path / "planted")["quarter_start"]
    assert _intel(tmp_path / "plain")["quarter"] is None
    series = [truth(tmp_path / n, "series.csv") for n in ("planted", "plain")]
    assert series[0].drop("platform").equals(series[1].drop("platform"))
    keys = ["series_id", "force_id", "reported_date", "person_id", "offence_group", "channel",
            "campaign_id", "occurred_date", "hate_strand", "constituency_code"]
    rows = [truth(tmp_path / n, "incidents.csv").filter(
        pl.col("series_id") != "", pl.col("transfer_role") != "origin",
        pl.col("dirty_kind") != "exact_duplicate").sort(keys) for n in ("planted", "plain")]
    assert rows[0].select(keys).equals(rows[1].select(keys))
    moved = rows[0].filter(rows[0]["platform"] != rows[1]["platform"])
    assert (moved["reported_date"] >= quarter_start).all()
    exceedances = [truth(tmp_path / n, "exceedances.csv") for n in ("planted", "plain")]
    assert exceedances[0].equals(exceedances[1])

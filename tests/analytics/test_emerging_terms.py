"""emerging_terms: the Fightin' Words log-odds written out by hand, and the privacy guards."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from analytics.emerging_terms import emerging_terms, probable_proper_nouns, summary_tokens

pytestmark = pytest.mark.unit

Q = dt.date(2026, 7, 1)
NOW = dt.date(2026, 9, 2)
BEFORE = dt.date(2026, 2, 11)


def _incidents(docs: list[tuple[dt.date, str]], force: str = "kent",
               region: str = "south_east") -> pl.DataFrame:
    return pl.DataFrame({
        "incident_id": [f"{force}:{k}" for k in range(len(docs))],
        "force_id": [force] * len(docs), "police_region": [region] * len(docs),
        "reported_date": [day for day, _ in docs], "summary": [text for _, text in docs],
    })


TINY = [
    (NOW, "Threatening letter about the vote. Letter repeated, letter threats."),
    (NOW, "Abusive letter and graffiti."),
    (BEFORE, "Abusive email about the vote."),
    (BEFORE, "Abusive calls."),
    (BEFORE, "Graffiti on door."),
]
# Incidents using each term, by hand ("the", "about", "and", "on" are stop words, "email"
# a placeholder word, and "letter" counts once in the first summary).
TINY_CURRENT = {"threatening": 1, "letter": 2, "vote": 1, "repeated": 1, "threats": 1,
                "abusive": 1, "graffiti": 1}
TINY_PREVIOUS = {"abusive": 2, "vote": 1, "calls": 1, "graffiti": 1, "door": 1}


def test_log_odds_and_z_follow_monroe_colaresi_quinn_by_hand() -> None:
    a0 = 10.0
    out = emerging_terms(_incidents(TINY), Q, top=100, min_count=1, prior_size=a0,
                         min_z=-math.inf)
    region = out.filter(level="region", unit="south_east")
    assert set(region["term"]) == set(TINY_CURRENT)
    n_i, n_j = sum(TINY_CURRENT.values()), sum(TINY_PREVIOUS.values())  # 8 and 6
    for row in region.iter_rows(named=True):
        yi = TINY_CURRENT[row["term"]]
        yj = TINY_PREVIOUS.get(row["term"], 0)
        alpha = a0 * (yi + yj) / (n_i + n_j)
        delta = (math.log((yi + alpha) / (n_i + a0 - yi - alpha))
                 - math.log((yj + alpha) / (n_j + a0 - yj - alpha)))
        z = delta / math.sqrt(1 / (yi + alpha) + 1 / (yj + alpha))
        assert (row["current_count"], row["previous_count"]) == (yi, yj)
        assert row["log_odds"] == pytest.approx(delta)
        assert row["z_score"] == pytest.approx(z)
    assert region["current_total_count"].unique().to_list() == [2]
    assert region["previous_total_count"].unique().to_list() == [3]
    # "letter", twice as common now and never before, leads; ranks follow z
    assert region.sort("rank")["term"][0] == "letter"
    assert region["z_score"].to_list() == sorted(region["z_score"], reverse=True)
    assert region["rank"].to_list() == list(range(1, len(TINY_CURRENT) + 1))


def test_only_national_and_regional_areas() -> None:
    docs = _incidents(TINY)
    other = _incidents(TINY, force="devon", region="south_west").with_columns(
        pl.concat_str(pl.lit("x"), "incident_id").alias("incident_id"))
    out = emerging_terms(pl.concat([docs, other]), Q, min_count=1, min_z=-math.inf)
    assert set(out.select("level", "unit").unique().iter_rows()) == {
        ("national", "all"), ("region", "south_east"), ("region", "south_west")}
    national = out.filter(level="national")
    assert national.filter(term="letter")["current_count"].item() == 4


CURRENT_TEXT = (
    "Caller rang about drones. Drones flown near Hartley Street by Smith; see [url] and "
    "[email] from [name] MP. Victim reported ref deadbeefcafebabeface and code abc123, "
    "drones again drones. Office door."
)
PREVIOUS_TEXT = "Abusive letter posted to the office door."


@pytest.fixture(scope="module")
def guarded() -> pl.DataFrame:
    docs = [(NOW, CURRENT_TEXT)] * 10 + [(BEFORE, PREVIOUS_TEXT)] * 20
    docs.append((NOW, "Wombat " + "wombat " * 12))  # one officer's repeated word
    return _incidents(docs)


def test_guards_leave_only_ordinary_new_words(guarded: pl.DataFrame) -> None:
    out = emerging_terms(guarded, Q)
    national = out.filter(level="national")
    # By hand: the current words that are not stop words ("about", "by", "see", "and",
    # "from", "again", "victim", "reported", "mp"), placeholders (url, email, name), a hex
    # run, a word with digits, or capitalised mid-sentence (Hartley, Street, Smith); and
    # that are used in 8+ incidents with z > 1.96 ("office" and "door" are no more common
    # than before).
    assert set(national["term"]) == {"caller", "rang", "drones", "flown", "near", "ref",
                                     "code"}
    assert national.filter(term="drones")["current_count"].item() == 10  # not 30
    assert (national["z_score"] > 1.96).all()
    everything = emerging_terms(guarded, Q, top=100, min_count=0, min_z=-math.inf)
    terms = set(everything["term"])
    for never in ("url", "email", "name", "deadbeefcafebabeface", "abc", "victim",
                  "reported", "hartley", "street", "smith", "mp", "the"):
        assert never not in terms
    assert {"office", "door", "wombat"} <= terms
    office = everything.filter(level="national", term="office")
    assert office["z_score"].item() <= 1.96
    assert everything.filter(level="national", term="wombat")["current_count"].item() == 1


def test_top_limits_rows_per_area(guarded: pl.DataFrame) -> None:
    out = emerging_terms(guarded, Q, top=2)
    for _, area in out.group_by("level", "unit"):
        assert area.sort("rank")["rank"].to_list() == [1, 2]
        assert area.sort("rank")["z_score"][0] >= area.sort("rank")["z_score"][1]
    assert out.columns == ["level", "unit", "term", "current_count", "previous_count",
                           "current_total_count", "previous_total_count", "log_odds",
                           "z_score", "rank"]


def test_sentence_position_and_capitals() -> None:
    tokens = summary_tokens('Caller said: "Leave now." He named Hartley [name] Rd 12b.')
    assert tokens == [
        ("caller", False, True), ("said", True, False), ("leave", False, True),
        ("now", True, False), ("named", True, False), ("hartley", True, True),
    ]
    # majority of mid-sentence uses capitalised → a proper noun; sentence starts not judged
    assert probable_proper_nouns([
        "Met Hope at the office.", "Signed by Hope again.", "Some hope remains.",
        "Hope is lost.",
    ]) == {"hope"}  # 2 of 3 mid-sentence uses capitalised
    assert probable_proper_nouns(["Leave it.", "Leave now."]) == set()


def test_empty_window_gives_empty_frame() -> None:
    out = emerging_terms(_incidents([(dt.date(2020, 1, 5), "Drones everywhere.")]), Q)
    assert out.is_empty() and "z_score" in out.columns

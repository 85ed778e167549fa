"""Narrative sentences: right direction, uncertainty quoted, GOV.UK style, no unsupported claim."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import beta

from analytics.narrative import (
    Interval,
    quantile_sentence,
    ratio_sentence,
    share_sentence,
    where_sentence_part,
)

pytestmark = pytest.mark.unit


def exact_ratio(current: int, previous: int) -> Interval:
    """Poisson rate ratio with the exact conditional CI, written out here from the binomial
    (Clopper–Pearson on current / (current + previous)), independent of analytics.trends."""
    n = current + previous
    low = beta.ppf(0.025, current, n - current + 1) if current else 0.0
    high = beta.ppf(0.975, current + 1, n - current) if previous else 1.0
    return Interval(current / previous, low / (1 - low), high / (1 - high))


RISE = re.compile(r"\b(rose|higher|increased|up from)\b")
FALL = re.compile(r"\b(fell|lower|decreased|down from)\b")


def test_significant_rise_is_called_a_rise_with_its_interval() -> None:
    ratio = exact_ratio(80, 40)
    assert ratio.low is not None and ratio.low > 1
    text = ratio_sentence("Incidents of harassment", 80, 40, ratio, "the previous quarter",
                          where="most of the rise in London")
    low, high = (ratio.low - 1) * 100, (ratio.high - 1) * 100  # type: ignore[operator]
    assert text == (f"Incidents of harassment rose 100% (95% CI {round(low)}% to "
                    f"{round(high)}%) on the previous quarter, from 40 to 80, most of the rise "
                    "in London.")


def test_significant_fall_is_called_a_fall_with_the_interval_as_falls() -> None:
    ratio = exact_ratio(20, 60)
    assert ratio.high is not None and ratio.high < 1
    text = ratio_sentence("Incidents", 20, 60, ratio, "the same quarter a year before")
    assert text.startswith("Incidents fell 67% (95% CI ")
    smaller, larger = round((1 - ratio.high) * 100), round((1 - ratio.low) * 100)  # type: ignore[operator]
    assert f"(95% CI {smaller}% to {larger}%)" in text
    assert "from 60 to 20" in text


def test_no_significant_change_says_chance_and_claims_no_direction() -> None:
    ratio = exact_ratio(35, 30)
    assert ratio.low < 1 < ratio.high  # type: ignore[operator]
    text = ratio_sentence("Incidents of stalking", 35, 30, ratio, "the previous quarter")
    assert "could be down to chance" in text
    assert not RISE.search(text) and not FALL.search(text)
    assert f"from a {round((1 - ratio.low) * 100)}% fall" in text  # type: ignore[operator]


def test_suppressed_counts_are_never_written_as_numbers() -> None:
    text = ratio_sentence("Incidents in Wales", "[c]", 15, Interval(None, None, None),
                          "the previous quarter")
    assert text == "Incidents in Wales: a small number in the quarter, against 15 in the " \
        "previous quarter."
    assert not re.search(r"\b[1-7]\b", text)


def test_where_names_the_part_that_carries_most_of_the_change() -> None:
    parts = {"London": (40, 20), "Wales": (15, 10), "North West": ("[c]", 10)}
    assert where_sentence_part(parts, "up") == "most of the rise in London"
    parts = {"London": (25, 20), "Wales": (15, 10), "Eastern": (20, 15)}
    assert where_sentence_part(parts, "up") == "the largest part of the rise in Eastern"
    assert where_sentence_part(parts, "down") is None
    assert where_sentence_part(parts, "none") is None


def test_share_sentence_rise_and_chance() -> None:
    up = share_sentence("incidents in the quarter were against the most-targeted 10% of "
                        "victims", 23.0, 15.0, Interval(8.0, 2.0, 14.0),
                        "the previous 4 quarters")
    assert up == ("23% of incidents in the quarter were against the most-targeted 10% of "
                  "victims, up from 15% over the previous 4 quarters (a rise of 8 percentage "
                  "points, 95% CI 2 to 14).")
    down = share_sentence("cases", 10.0, 25.0, Interval(-15.0, -22.0, -6.0), "last year")
    assert down == ("10% of cases, down from 25% over last year (a fall of 15 percentage "
                    "points, 95% CI 6 to 22).")
    flat = share_sentence("hate-related incidents", 9.0, 8.0, Interval(1.0, -3.0, 5.0),
                          "the previous 4 quarters")
    assert "could be down to chance" in flat and not RISE.search(flat)


def test_quantile_sentence_says_when_the_median_is_not_reached() -> None:
    text = quantile_sentence("harassment cases", Interval(None, None, None),
                             Interval(None, None, None), "the end of September 2026")
    assert text == "More than half of harassment cases had no outcome by the end of " \
        "September 2026."
    text = quantile_sentence("cases", Interval(61, 50, 75), Interval(240, 200, None), "x")
    assert text == ("Half of cases had an outcome within 61 days (95% CI 50 to 75); 1 in 10 "
                    "took longer than 240 days.")


counts = st.integers(min_value=0, max_value=400)


@settings(max_examples=300, deadline=None)
@given(current=counts, previous=counts)
def test_no_sentence_claims_a_direction_its_interval_does_not_support(
        current: int, previous: int) -> None:
    ratio = exact_ratio(current, previous) if previous else Interval(None, None, None)
    text = ratio_sentence("Incidents", current, previous, ratio, "the previous quarter",
                          where=where_sentence_part({"London": (current, previous)}, "up"))
    if RISE.search(text):
        assert ratio.low is not None and ratio.low > 1, text
    if FALL.search(text):
        assert ratio.high is not None and ratio.high < 1, text
    assert not (RISE.search(text) and FALL.search(text))


@settings(max_examples=300, deadline=None)
@given(estimate=st.floats(-50, 50), half_width=st.floats(0, 40), shift=st.floats(-40, 40))
def test_no_share_sentence_claims_a_direction_its_interval_does_not_support(
        estimate: float, half_width: float, shift: float) -> None:
    low, high = estimate - half_width + shift / 4, estimate + half_width + shift / 4
    low, high = min(low, estimate), max(high, estimate)
    text = share_sentence("incidents", 30.0, 30.0 - estimate, Interval(estimate, low, high),
                          "the previous 4 quarters")
    if RISE.search(text):
        assert low > 0, text
    if FALL.search(text):
        assert high < 0, text

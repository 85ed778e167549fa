"""Plain-English sentences from the release's statistics, each with its uncertainty.

Written to the GOV.UK style guide and the Analysis Function's guidance on communicating
uncertainty: numerals, `%` without a space, "to" in ranges, active voice, no jargon beyond
"95% CI" (defined once in the release), and never a direction the interval does not
support. A change is called a rise only when the whole 95% confidence interval of the ratio
lies above 1 (a fall: below 1); otherwise the sentence says the change could be down to
chance and gives the interval. Every number a sentence quotes is a published one (after
disclosure control): callers pass published counts, and a suppressed count is never
written as a number. Sentences name places, offence groups, channels and platforms only,
never a person.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Direction = Literal["up", "down", "none", "unknown"]
SUPPRESSED = "[c]"
OFFENCE_LABELS = {
    "all": "all offences",
    "malicious_communications": "malicious communications",
    "communications_act": "Communications Act offences",
    "harassment": "harassment",
    "stalking": "stalking",
    "threats_to_kill": "threats to kill",
    "public_order": "public order offences",
    "criminal_damage": "criminal damage",
    "assault": "assault",
    "hoax": "hoaxes",
    "burglary_or_trespass": "burglary or trespass",
    "other": "other offences",
}
CHANNEL_LABELS = {
    "email": "email",
    "letter": "letter",
    "social_media": "social media",
    "phone": "phone",
    "in_person": "in person",
    "online_other": "other online",
    "unknown": "not recorded",
}
STRAND_LABELS = {
    "any": "any hate strand",
    "race": "race",
    "religion": "religion",
    "sexual_orientation": "sexual orientation",
    "disability": "disability",
    "transgender": "transgender identity",
    "sex": "sex or gender",
}
OUTCOME_LABELS = {
    "under_investigation": "under investigation",
    "charged": "charged or summonsed",
    "caution": "caution",
    "community_resolution": "community resolution",
    "no_further_action": "no further action",
    "suspect_not_identified": "suspect not identified",
    "victim_declined": "victim did not support action",
    "transferred": "transferred",
}


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% confidence interval, on the scale the sentence uses."""

    estimate: float | None
    low: float | None
    high: float | None


def ratio_direction(ratio: Interval) -> Direction:
    """Up only when the whole interval of a rate ratio is above 1, down when below."""
    if ratio.low is None or ratio.high is None or ratio.estimate is None:
        return "unknown"
    if ratio.low > 1:
        return "up"
    if ratio.high < 1:
        return "down"
    return "none"


def difference_direction(diff: Interval) -> Direction:
    """Up only when the whole interval of a difference is above 0, down when below."""
    if diff.low is None or diff.high is None or diff.estimate is None:
        return "unknown"
    if diff.low > 0:
        return "up"
    if diff.high < 0:
        return "down"
    return "none"


def number(value: int | str | None) -> str:
    """A published count: `1,250`, `none` for 0, "a small number" when suppressed."""
    if value is None:
        return "no figure"
    if isinstance(value, str):
        return "a small number"
    return "none" if value == 0 else f"{value:,}"


def percent(value: float, digits: int = 0) -> str:
    rounded = round(value, digits)
    if digits == 0:
        return f"{int(rounded):,}%"
    return f"{rounded:,.{digits}f}%"


def _ratio_percent(ratio: float) -> float:
    return abs(ratio - 1.0) * 100.0


def ratio_sentence(subject: str, current: int | str, previous: int | str, ratio: Interval,
                   comparison: str, where: str | None = None) -> str:
    """"Harassment rose 34% (95% CI 12% to 60%) on the previous quarter, most of the rise in
    London." `subject` is a noun phrase that takes a plural verb or reads as a quantity
    ("Incidents of harassment"); `comparison` completes "on ..." ("the previous quarter")."""
    cur, prev = number(current), number(previous)
    direction = ratio_direction(ratio)
    if direction == "unknown":
        return f"{subject}: {cur} in the quarter, against {prev} in {comparison}."
    assert ratio.estimate is not None and ratio.low is not None and ratio.high is not None
    if direction == "up":
        text = (f"{subject} rose {percent(_ratio_percent(ratio.estimate))} "
                f"(95% CI {percent(_ratio_percent(ratio.low))} to "
                f"{percent(_ratio_percent(ratio.high))}) on {comparison}, from {prev} to {cur}")
        if where:
            text += f", {where}"
        return text + "."
    if direction == "down":
        text = (f"{subject} fell {percent(_ratio_percent(ratio.estimate))} "
                f"(95% CI {percent(_ratio_percent(ratio.high))} to "
                f"{percent(_ratio_percent(ratio.low))}) on {comparison}, from {prev} to {cur}")
        if where:
            text += f", {where}"
        return text + "."
    return (f"{subject}: {cur} in the quarter, against {prev} in {comparison}, a change that "
            f"could be down to chance (95% CI from {_signed_change(ratio.low)} to "
            f"{_signed_change(ratio.high)}).")


def _signed_change(ratio: float) -> str:
    """A ratio as "a 20% fall" / "a 60% rise" / "no change", for intervals that span 1."""
    if math.isinf(ratio):
        return "an unbounded rise"
    change = round((ratio - 1.0) * 100.0)
    if change > 0:
        return f"a {change:,}% rise"
    if change < 0:
        return f"a {-change:,}% fall"
    return "no change"


def where_sentence_part(parts: Mapping[str, tuple[int | str, int | str]],
                        direction: Direction) -> str | None:
    """"most of the rise in the North West": the part whose published change carries more
    than half of the summed change of the parts in the same direction ("the largest part
    of the rise in ..." when it carries less). Parts with a suppressed count are left out:
    their change is not published."""
    if direction not in ("up", "down"):
        return None
    sign = 1 if direction == "up" else -1
    deltas = {name: sign * (cur - prev) for name, (cur, prev) in parts.items()
              if isinstance(cur, int) and isinstance(prev, int)}
    moving = {name: d for name, d in deltas.items() if d > 0}
    if not moving:
        return None
    top = max(sorted(moving), key=lambda n: moving[n])
    word = "rise" if direction == "up" else "fall"
    if moving[top] > 0.5 * sum(moving.values()):
        return f"most of the {word} in {top}"
    return f"the largest part of the {word} in {top}"


def share_sentence(subject: str, share_pct: float | str | None,
                   previous_pct: float | str | None, diff_pp: Interval,
                   comparison: str, label: str = "This share") -> str:
    """"23% of incidents in the quarter were against the most-targeted 10% of victims, up
    from 15% over the previous 4 quarters (a rise of 8 percentage points, 95% CI 2 to 14)."
    `subject` completes "23% of ..."; shares are percentages computed from published counts,
    and a suppressed one is not quoted (`label` names the share instead)."""
    if not isinstance(share_pct, (int, float)):
        return f"{label} is not published for the quarter: too few incidents."
    now = percent(float(share_pct))
    if not isinstance(previous_pct, (int, float)):
        return f"{now} of {subject}; no comparison is published."
    before = percent(float(previous_pct))
    direction = difference_direction(diff_pp)
    if direction in ("up", "down"):
        assert diff_pp.estimate is not None and diff_pp.low is not None
        assert diff_pp.high is not None
        word, verb = ("rise", "up") if direction == "up" else ("fall", "down")
        lo, hi = sorted((abs(diff_pp.low), abs(diff_pp.high)))
        return (f"{now} of {subject}, {verb} from {before} over {comparison} "
                f"(a {word} of {abs(diff_pp.estimate):.0f} percentage points, 95% CI "
                f"{lo:.0f} to {hi:.0f}).")
    if direction == "none":
        assert diff_pp.low is not None and diff_pp.high is not None
        return (f"{now} of {subject}, against {before} over {comparison}: a difference "
                f"that could be down to chance (95% CI {diff_pp.low:+.0f} to "
                f"{diff_pp.high:+.0f} percentage points).")
    return f"{now} of {subject}, against {before} over {comparison}."


def rate_sentence(subject: str, rate_pct: float | str | None, low_pct: float | None,
                  high_pct: float | None, what: str) -> str:
    """"12% of incidents reported in the 12 months to September 2026 led to a charge (95% CI
    9% to 16%)." """
    if not isinstance(rate_pct, (int, float)) or low_pct is None or high_pct is None:
        return f"The share of {subject} that {what} is not published: too few incidents."
    return (f"{percent(float(rate_pct))} of {subject} {what} (95% CI {percent(low_pct)} to "
            f"{percent(high_pct)}).")


def quantile_sentence(subject: str, median: Interval, p90: Interval,
                      follow_up: str) -> str:
    """Time to outcome from a Kaplan–Meier curve. A median not reached means more than half
    the cases were still open at the end of the follow-up, which the sentence says instead of
    a number."""
    if median.estimate is None:
        return f"More than half of {subject} had no outcome by {follow_up}."
    text = f"Half of {subject} had an outcome within {median.estimate:,.0f} days"
    if median.low is not None and median.high is not None:
        text += f" (95% CI {median.low:,.0f} to {median.high:,.0f})"
    elif median.low is not None:
        text += f" (95% CI {median.low:,.0f} days or more)"
    if p90.estimate is not None:
        text += f"; 1 in 10 took longer than {p90.estimate:,.0f} days"
    else:
        text += f"; more than 1 in 10 had no outcome by {follow_up}"
    return text + "."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def capital(text: str) -> str:
    """The sentence-case form of a label ("harassment" → "Harassment")."""
    return _capital(text)

"""Exceedance detection on count series: the public face of Farrington and EARS.

`detect` takes the counts frame of DESIGN.md (`series_id, period, count[, population]`,
period `YYYY-MM` or `YYYY-Www`) and returns one row per series and evaluated period with
`observed, expected, upperbound, alarm, method`. Series are batched by calendar so that
thousands run in seconds. A series whose history is too short for Farrington's reference
windows (b years plus w periods before the first evaluated one) falls back to EARS C1, and
says so in the `method` column and in the messages; one too short even for EARS gets no
row for the periods it cannot evaluate.

Choices where the contract is silent:
- a period missing inside a series counts as 0 (a month with no recorded offence); the
  calendar runs from the series' first to the last period of the whole file;
- the frequency comes from the period format (12 for months, 52 for ISO weeks, and 4 for
  `YYYY-Qn` quarters, which `plait analyse` uses), and the week arithmetic is by index, as
  the package's non-date epochs are;
- the EARS fallback uses the package defaults (C1, baseline 7, alpha 0.001).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import polars as pl

from analytics.ears import EarsMethod, ears_c
from analytics.ears import min_history as ears_min_history
from analytics.farrington import FarringtonParams, farrington_flexible
from etl.periods import iso_week_label

Method = Literal["farrington", "ears-c1", "ears-c2", "ears-c3"]
METHODS: tuple[str, ...] = ("farrington", "ears-c1", "ears-c2", "ears-c3")
FALLBACK: EarsMethod = "C1"
OUTPUT_SCHEMA = {
    "series_id": pl.String,
    "period": pl.String,
    "observed": pl.Int64,
    "expected": pl.Float64,
    "upperbound": pl.Float64,
    "alarm": pl.Boolean,
    "method": pl.String,
}


class CountsError(ValueError):
    """The counts frame breaks the contract; the message names the row and the field."""


@dataclass
class Detection:
    results: pl.DataFrame
    messages: list[str] = field(default_factory=list)


def period_index(periods: pl.Series) -> tuple[pl.Series, int]:
    """Periods as consecutive integers (months or ISO weeks since year 0) and the frequency."""
    text = periods.cast(pl.String).str.strip_chars()
    monthly = text.str.contains(r"^\d{4}-\d{2}$")
    weekly = text.str.contains(r"^\d{4}-W\d{2}$")
    quarterly = text.str.contains(r"^\d{4}-Q[1-4]$")
    if quarterly.all():
        return text.str.slice(0, 4).cast(pl.Int64) * 4 + text.str.slice(6, 1).cast(
            pl.Int64) - 1, 4
    if monthly.all():
        year = text.str.slice(0, 4).cast(pl.Int64)
        month = text.str.slice(5, 2).cast(pl.Int64)
        if not month.is_between(1, 12).all():
            bad = int(month.is_between(1, 12).not_().arg_max() or 0)
            raise CountsError(f"row {bad + 2}, field period: '{text[bad]}' is not a month")
        return year * 12 + month - 1, 12
    if weekly.all():
        try:
            starts = [dt.date.fromisocalendar(int(p[:4]), int(p[6:8]), 1) for p in text]
        except ValueError as exc:
            raise CountsError(f"field period: {exc}") from exc
        epoch = dt.date(1, 1, 1)
        return pl.Series([(d - epoch).days // 7 for d in starts], dtype=pl.Int64), 52
    bad = int((~(monthly | weekly)).arg_max() or 0)
    raise CountsError(
        f"row {bad + 2}, field period: '{text[bad]}' is neither YYYY-MM nor YYYY-Www "
        "(and one file holds one kind)"
    )


def _validate(counts: pl.DataFrame) -> pl.DataFrame:
    missing = {"series_id", "period", "count"} - set(counts.columns)
    if missing:
        raise CountsError(f"missing columns: {sorted(missing)} (need series_id,period,count)")
    frame = counts.with_row_index("_row", offset=2).with_columns(
        pl.col("series_id").cast(pl.String),
        pl.col("count").cast(pl.Float64, strict=False).alias("_count"),
    )
    bad = frame.filter(
        pl.col("_count").is_null()
        | (pl.col("_count") < 0)
        | (pl.col("_count") != pl.col("_count").floor())
    )
    if bad.height:
        row = bad.row(0, named=True)
        raise CountsError(
            f"row {row['_row']}, field count: '{row['count']}' is not a non-negative whole number"
        )
    if "population" in frame.columns:
        frame = frame.with_columns(pl.col("population").cast(pl.Float64, strict=False))
        bad = frame.filter(pl.col("population").is_not_null() & (pl.col("population") <= 0))
        if bad.height:
            raise CountsError(f"row {bad['_row'][0]}, field population: must be positive")
    dupes = frame.filter(pl.struct("series_id", "period").is_duplicated())
    if dupes.height:
        row = dupes.row(0, named=True)
        raise CountsError(
            f"row {row['_row']}: series {row['series_id']!r} has period {row['period']} twice"
        )
    return frame


def _complete(frame: pl.DataFrame) -> pl.DataFrame:
    """Every series on its calendar from its first period to the file's last, gaps as 0."""
    last = frame["_t"].max()
    spans = frame.group_by("series_id").agg(pl.col("_t").min().alias("_first"))
    grid = spans.with_columns(pl.int_ranges("_first", last + 1).alias("_t")).explode("_t")
    cols = ["series_id", "_t", "_count", "period"]
    if "population" in frame.columns:
        cols.append("population")
    full = grid.join(frame.select(cols), on=["series_id", "_t"], how="left")
    return full.with_columns(pl.col("_count").fill_null(0.0)).sort("series_id", "_t")


def _period_labels(t: np.ndarray, freq: int) -> list[str]:
    if freq == 4:
        return [f"{v // 4:04d}-Q{v % 4 + 1}" for v in t]
    if freq == 12:
        return [f"{v // 12:04d}-{v % 12 + 1:02d}" for v in t]
    epoch = dt.date(1, 1, 1)
    return [iso_week_label(epoch + dt.timedelta(weeks=int(v))) for v in t]


def detect(
    counts: pl.DataFrame,
    method: Method = "farrington",
    evaluate: int = 12,
    params: FarringtonParams | None = None,
    freq: int | None = None,
) -> Detection:
    """Flag exceedances in the last `evaluate` periods of every series."""
    if method not in METHODS:
        raise CountsError(f"unknown method {method!r}: one of {', '.join(METHODS)}")
    frame = _validate(counts)
    t, found_freq = period_index(frame["period"])
    if freq is not None and freq != found_freq:
        raise CountsError(f"--freq {freq} does not match the periods, which give {found_freq}")
    freq = found_freq
    if params is None:
        params = {12: FarringtonParams.monthly, 52: FarringtonParams.weekly,
                  4: FarringtonParams.quarterly}[freq]()
    full = _complete(frame.with_columns(t.alias("_t")))
    has_population = "population" in full.columns and full["population"].is_not_null().any()
    messages: list[str] = []
    outputs: list[pl.DataFrame] = []
    lengths = full.group_by("series_id", maintain_order=True).len()
    for n, group in lengths.group_by("len", maintain_order=True):
        ids = group["series_id"].to_list()
        block = full.filter(pl.col("series_id").is_in(ids)).sort("series_id", "_t")
        n_periods = int(n[0])  # type: ignore[call-overload]
        y = block["_count"].to_numpy().reshape(len(ids), n_periods)
        pop = None
        if has_population:
            filled = block.select(
                pl.col("population").forward_fill().backward_fill().over("series_id").fill_null(1.0)
            )
            pop = filled.to_series().to_numpy().astype(float).reshape(len(ids), n_periods)
        t_last = int(block["_t"].max())  # type: ignore[arg-type]
        outputs.append(_detect_block(ids, y, pop, t_last, freq, method, evaluate, params, messages))
    results = pl.concat(outputs) if outputs else pl.DataFrame(schema=OUTPUT_SCHEMA)
    return Detection(results.select(list(OUTPUT_SCHEMA)).cast(OUTPUT_SCHEMA), messages)  # type: ignore[arg-type]


def _detect_block(
    ids: list[str],
    y: np.ndarray,
    pop: np.ndarray | None,
    t_last: int,
    freq: int,
    method: Method,
    evaluate: int,
    params: FarringtonParams,
    messages: list[str],
) -> pl.DataFrame:
    n = y.shape[1]
    chosen: str = method
    if method == "farrington":
        need = params.min_history(freq)
        if n - evaluate < need:
            chosen = f"ears-{FALLBACK.lower()}"
            messages.append(
                f"{len(ids)} series ({', '.join(ids[:3])}{', …' if len(ids) > 3 else ''}) have "
                f"{n} periods: Farrington with b={params.b}, w={params.w} needs {need} before "
                f"the first of the {evaluate} evaluated; EARS {FALLBACK} is used instead"
            )
    ears_method: EarsMethod = ("C" + chosen[-1]) if chosen != "farrington" else FALLBACK  # type: ignore[assignment]
    if chosen != "farrington":
        need = ears_min_history(ears_method)
    first = max(n - evaluate, need)
    if first > n - 1:
        messages.append(
            f"{len(ids)} series with {n} periods are too short for "
            f"{chosen} (needs {need} periods of history): not evaluated"
        )
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    if first > n - evaluate:
        messages.append(
            f"{len(ids)} series with {n} periods: only the last {n - first} "
            f"periods can be evaluated with {chosen}"
        )
    idx = list(range(first, n))
    if chosen == "farrington":
        res = farrington_flexible(y, freq, idx, params, population=pop)
        expected, upper, alarm = res.expected, res.upperbound, res.alarm
    else:
        ears = ears_c(y, idx, ears_method)
        expected, upper, alarm = ears.expected, ears.upperbound, ears.alarm
    labels = _period_labels(np.arange(t_last - n + 1, t_last + 1)[idx], freq)
    m = len(idx)
    return pl.DataFrame(
        {
            "series_id": np.repeat(np.asarray(ids, dtype=object), m),
            "period": labels * len(ids),
            "observed": y[:, idx].reshape(-1).astype(np.int64),
            "expected": expected.T.reshape(-1),
            "upperbound": upper.T.reshape(-1),
            "alarm": alarm.T.reshape(-1),
            "method": [chosen] * (m * len(ids)),
        }
    ).with_columns(pl.col("expected", "upperbound").fill_nan(None))

"""Fellegi–Sunter m and u probabilities estimated by EM on the pairs being linked.

Why: weights learned once on one generator's truth carry its conventions (issue 11: F1 0.99
on our own data, 0.025 on an independent bed). Fellegi and Sunter (1969) model each
candidate pair as a match or not, with each comparison falling in one of a few ordered
levels; under conditional independence the evidence of a pair is Σ log(m_l / u_l) over its
comparisons. m and u are not known for a new data set, so they are estimated from its own
comparison vectors by expectation–maximisation of the two-class mixture (Winkler 1988;
Jaro 1989), as Splink and fastLink do. The stored model is only where EM starts and a weak
Dirichlet prior (pseudo-counts) that keeps an empty level from a probability of zero; the
answer comes from the data.

Term-frequency adjustment (Splink's `term_frequency_adjustments`, after Winkler 2000) is
added per pair, outside EM: a level's weight is log(m_l / u_l) and a pair that agrees on a
value rarer than the level's average gets log(ū_l / u_value) more (a rarer shared key, phrase
or day weighs more; a common one less). Callers pass that term per pair and comparison.

A comparison level of −1 is "no information" (a missing value): it contributes nothing and
is skipped in the M-step, as in Splink's null level.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ITERATIONS = 40
TOLERANCE = 1e-4


@dataclass
class FSParameters:
    """m and u per comparison (arrays over its levels) and λ, the share of matches."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    match_share: float
    iterations: int = 0
    history: list[float] = field(default_factory=list)

    def weights(self) -> dict[str, np.ndarray]:
        """log(m / u) per level: the Bayes factor of each level, in nats."""
        return {c: np.log(self.m[c]) - np.log(self.u[c]) for c in self.m}

    def as_json(self) -> dict[str, object]:
        return {"match_share": self.match_share,
                "m": {c: [float(x) for x in v] for c, v in self.m.items()},
                "u": {c: [float(x) for x in v] for c, v in self.u.items()}}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> FSParameters:
        m = {c: np.asarray(v, dtype=np.float64) for c, v in dict(data["m"]).items()}
        u = {c: np.asarray(v, dtype=np.float64) for c, v in dict(data["u"]).items()}
        return cls(m, u, float(data["match_share"]))  # type: ignore[arg-type]


def _normalise(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else np.full(counts.size, 1 / counts.size)


def log_odds(levels: dict[str, np.ndarray], params: FSParameters,
             adjust: dict[str, np.ndarray] | None = None,
             senders: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Posterior log-odds of a match for each pair: logit(λ) + Σ contributions."""
    lam = min(max(params.match_share, 1e-12), 1 - 1e-12)
    prior = np.log(lam) - np.log1p(-lam)
    parts = contributions(levels, params, adjust, senders)
    n = next(iter(levels.values())).size if levels else 0
    return prior + (sum(parts.values()) if parts else np.zeros(n))


def contributions(levels: dict[str, np.ndarray], params: FSParameters,
                  adjust: dict[str, np.ndarray] | None = None,
                  senders: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Each comparison's share of a pair's log-odds: its level's log(m/u), plus its
    term-frequency adjustment; nothing for an unknown level.

    For a comparison in `senders` (a value shared by Ŝ senders, such as a suspect key),
    the contribution is capped so that it alone cannot lift the posterior odds above
    1 / (Ŝ − 1): with Ŝ senders behind a value, two of its holders are one sender about
    once in Ŝ − 1 (the Bayes factor m_v/u_v of a value of Ŝ equally active senders is
    1 / (λ(Ŝ − 1))). A value of one sender is not capped."""
    weights = params.weights()
    lam = min(max(params.match_share, 1e-12), 1 - 1e-12)
    prior = np.log(lam) - np.log1p(-lam)
    out = {}
    for name, level in levels.items():
        known = level >= 0
        w = np.where(known, weights[name][np.clip(level, 0, None)], 0.0)
        if adjust is not None and name in adjust:
            w = w + np.where(known, adjust[name], 0.0)
        if senders is not None and name in senders:
            extra = np.maximum(senders[name] - 1, 1e-12)
            w = np.where(known & (level >= 1), np.minimum(w, -prior - np.log(extra)), w)
        out[name] = w
    return out


def fit(levels: dict[str, np.ndarray], start: FSParameters, prior_strength: float = 2.0,
        fixed_u: frozenset[str] = frozenset(), iterations: int = ITERATIONS,
        tolerance: float = TOLERANCE, adjust: dict[str, np.ndarray] | None = None,
        senders: dict[str, np.ndarray] | None = None) -> FSParameters:
    """EM for the two-class latent model on the pairs' level codes.

    `start` gives the first m, u and λ and, scaled by `prior_strength` (pseudo-pairs per
    level, spread as the start's probabilities), the Dirichlet prior of each M-step.
    Comparisons named in `fixed_u` keep their starting u (estimated elsewhere, for example
    on random pairs, as Splink does). Stops when no probability moves by more than
    `tolerance`. Term-frequency adjustments are not used here: EM fits the level averages.
    """
    names = list(levels)
    m = {c: start.m[c].astype(np.float64).copy() for c in names}
    u = {c: start.u[c].astype(np.float64).copy() for c in names}
    lam = float(start.match_share)
    n = levels[names[0]].size if names else 0
    history: list[float] = []
    if n == 0:
        return FSParameters(m, u, lam, 0, history)
    for _ in range(iterations):
        params = FSParameters(m, u, lam)
        posterior = 1 / (1 + np.exp(-np.clip(log_odds(levels, params, adjust, senders),
                                             -50, 50)))
        new_lam = float(np.clip(posterior.mean(), 1e-9, 1 - 1e-9))
        moved = abs(new_lam - lam)
        new_m, new_u = {}, {}
        for c in names:
            level = levels[c]
            size = m[c].size
            known = level >= 0
            match_counts = np.bincount(level[known], weights=posterior[known], minlength=size)
            other_counts = np.bincount(level[known], weights=1 - posterior[known],
                                       minlength=size)
            new_m[c] = _normalise(match_counts + prior_strength * size * start.m[c])
            if c in fixed_u:
                new_u[c] = u[c]
            else:
                new_u[c] = _normalise(other_counts + prior_strength * size * start.u[c])
            moved = max(moved, float(np.abs(new_m[c] - m[c]).max()),
                        float(np.abs(new_u[c] - u[c]).max()))
        m, u, lam = new_m, new_u, new_lam
        history.append(moved)
        if moved < tolerance:
            break
    return FSParameters(m, u, lam, len(history), history)


def fit_population(levels: dict[str, np.ndarray], start: FSParameters, *,
                   total_pairs: float, sparse_totals: dict[str, float],
                   dense_u: dict[str, np.ndarray],
                   adjust: dict[str, np.ndarray] | None = None,
                   senders: dict[str, np.ndarray] | None = None, prior_strength: float = 2.0,
                   iterations: int = ITERATIONS, tolerance: float = TOLERANCE
                   ) -> FSParameters:
    """EM over *all* pairs of the data, reading only the candidate pairs blocking proposed.

    Candidate pairs are not a random sample: every one of them shares a key or rare
    wording, so EM on them alone learns the blocking, not the match (its "non-matches"
    never share anything). Here the population is modelled instead, on two assumptions
    that blocking makes true: every true match is a candidate, and every pair outside the
    candidates sits at the disagreeing level (0) of each *sparse* comparison (the ones
    blocking reads: agreeing on a key or on rare wording puts a pair among the candidates).

    - λ is the expected share of matches among all `total_pairs` pairs;
    - m of every comparison comes from the candidates' posteriors (all matches are there);
    - u of a sparse comparison's agreeing levels is the candidates' expected non-matches at
      that level over all non-matching pairs where the comparison is known
      (`sparse_totals`: pairs of two incidents that both hold keys, or both hold text);
      its level 0 takes the rest, outside the candidates included;
    - u of a *dense* comparison (days, channel, victim: most pairs agree somewhere) is
      `dense_u`, measured on random pairs (Splink's `estimate_u_using_random_sampling`),
      and stays fixed.
    So λ and the sparse u shrink as the data grows, as they should, and a rare agreement
    is weighed against how often unrelated incidents of *this* data agree that way.
    `adjust` (term-frequency adjustments per comparison and pair) and `senders` (Ŝ of the
    shared value, see `contributions`) enter the E-step, so a pair agreeing on a stock
    value is not counted as a match in the M-step either; in the M-step such a pair counts
    1/Ŝ towards u, which is the rate of a value of one sender.
    """
    names = list(levels)
    n = levels[names[0]].size if names else 0
    m = {c: start.m[c].astype(np.float64).copy() for c in names}
    u = {c: (dense_u[c].copy() if c in dense_u else start.u[c].astype(np.float64).copy())
         for c in names}
    lam = float(np.clip(start.match_share, 1e-15, 0.5))
    history: list[float] = []
    if n == 0:
        return FSParameters(m, u, lam, 0, history)
    for c, total in sparse_totals.items():
        # start as if every candidate were a non-match: the cautious end, from which EM
        # can only find matches the other comparisons vouch for
        size = m[c].size
        level = levels[c]
        counts = np.bincount(level[level >= 0], minlength=size)[1:].astype(np.float64)
        agree = np.minimum((counts + 1.0) / total, 0.5 / max(size - 1, 1))
        u[c] = np.concatenate([[1 - agree.sum()], agree])
    for _ in range(iterations):
        odds = log_odds(levels, FSParameters(m, u, lam), adjust, senders)
        posterior = 1 / (1 + np.exp(-np.clip(odds, -50, 50)))
        new_lam = float(np.clip(posterior.sum() / total_pairs, 1e-15, 0.5))
        moved = abs(np.log(new_lam) - np.log(lam)) / 100
        new_m, new_u = {}, {}
        for c in names:
            level = levels[c]
            size = m[c].size
            known = level >= 0
            hits = np.bincount(level[known], weights=posterior[known], minlength=size)
            new_m[c] = _normalise(hits + prior_strength * size * start.m[c])
            if c in sparse_totals:
                # a non-match agreeing on a value of Ŝ senders counts 1/Ŝ: u is the rate
                # for a value of one sender, and the adjustment scales it per value
                share = (1 - posterior[known]) / (
                    np.maximum(senders[c][known], 1.0) if senders and c in senders else 1.0)
                misses = np.bincount(level[known], weights=share, minlength=size)
                non_matches = max(sparse_totals[c] - hits.sum(), misses.sum() + 1.0)
                agree = (misses[1:] + prior_strength * start.u[c][1:] * size) / non_matches
                agree = np.minimum(agree, 0.5 / max(size - 1, 1))
                new_u[c] = np.concatenate([[1 - agree.sum()], agree])
            else:
                new_u[c] = u[c]
            moved = max(moved, float(np.abs(new_m[c] - m[c]).max()),
                        float(np.abs(np.log(new_u[c]) - np.log(u[c])).max()) / 100)
        m, u, lam = new_m, new_u, new_lam
        history.append(moved)
        if moved < tolerance:
            break
    return FSParameters(m, u, lam, len(history), history)


def fit_sessions(levels: dict[str, np.ndarray], population: FSParameters,
                 sessions: dict[str, np.ndarray], *, total_pairs: float,
                 adjust: dict[str, np.ndarray] | None = None,
                 senders: dict[str, np.ndarray] | None = None, prior_strength: float = 2.0,
                 free_u: tuple[str, ...] = ()) -> FSParameters:
    """m re-estimated the way Splink estimates it, in training sessions that each hold one
    sparse comparison fixed, so that blocking does not bias it.

    `fit_population` assumes every match is a candidate; where series reveal keys or
    wording only now and then (most of their pairs share neither), that assumption makes
    EM believe every match shares rare wording. Here, among pairs that agree on
    comparison c (`sessions[c]`: a boolean per pair), EM estimates m of every *other*
    comparison, with u fixed at the population's; m of c comes from the other session(s).
    Dense comparisons take the mean over sessions. λ over all pairs is then the matches
    found among pairs agreeing on c divided by m(agree on c), so matches that no blocking
    rule proposes still count in the prior.
    """
    names = list(levels)
    m_sum: dict[str, np.ndarray] = {c: np.zeros_like(population.m[c]) for c in names}
    m_n: dict[str, int] = dict.fromkeys(names, 0)
    u_sum: dict[str, np.ndarray] = {c: np.zeros_like(population.u[c]) for c in names}
    u_n: dict[str, int] = dict.fromkeys(names, 0)
    found: dict[str, float] = {}
    for held, mask in sessions.items():
        if mask.sum() < 10:
            continue
        sub = {c: v[mask] for c, v in levels.items() if c != held}
        sub_adjust = None if adjust is None else {
            c: v[mask] for c, v in adjust.items() if c != held}
        sub_senders = None if senders is None else {
            c: v[mask] for c, v in senders.items() if c != held}
        start = FSParameters({c: population.m[c] for c in sub},
                             {c: population.u[c] for c in sub}, 0.5)
        session = fit(sub, start, prior_strength, fixed_u=frozenset(sub) - set(free_u),
                      adjust=sub_adjust, senders=sub_senders)
        odds = log_odds(sub, session, sub_adjust, sub_senders)
        found[held] = float((1 / (1 + np.exp(-np.clip(odds, -50, 50)))).sum())
        for c in sub:
            m_sum[c] += session.m[c]
            m_n[c] += 1
            if c in free_u:
                u_sum[c] += session.u[c]
                u_n[c] += 1
    m = {c: (m_sum[c] / m_n[c] if m_n[c] else population.m[c]) for c in names}
    u = {c: (u_sum[c] / u_n[c] if u_n.get(c) else population.u[c]) for c in names}
    lam = population.match_share
    estimates = [found[c] / max(float(m[c][1:].sum()), 1e-6) for c in found]
    if estimates:
        lam = float(np.clip(min(estimates) / total_pairs, 1e-15, 0.5))
    return FSParameters(m, u, lam, population.iterations, population.history)

"""Bayesian A/B analysis: one import for the engine's public names.

* :func:`beta_binomial` (:mod:`abtest.stats.bayes_binary`): conversions, exact
  P(best), P(beat control), expected loss and credible intervals of rates and
  uplift by quadrature, vectorized over batches of experiments;
  :func:`prior_from_baseline` for informative priors.
* :func:`bayes_means`, :func:`bayes_means_from_sums`
  (:mod:`abtest.stats.bayes_normal`): continuous metrics, GrowthBook's normal
  effect model, plus P(best) and expected loss across k arms.
* :func:`bayes_decision` (:mod:`abtest.stats.bayes_decision`): the rule
  "ship the arm with P(best) >= 0.95 whose expected loss is below the threshold
  of caring", with the reason.

The formulas, defaults and benchmark are described in ``docs/bayesian.md``.
"""

from abtest.stats.bayes_binary import (
    PRIORS,
    BetaBinomialResult,
    beta_binomial,
    prior_from_baseline,
)
from abtest.stats.bayes_decision import (
    LOSS_THRESHOLD,
    PROB_BEST_THRESHOLD,
    BayesDecision,
    bayes_decision,
)
from abtest.stats.bayes_normal import (
    BayesMeansResult,
    bayes_means,
    bayes_means_from_sums,
    normal_best,
)

__all__ = [
    "LOSS_THRESHOLD",
    "PRIORS",
    "PROB_BEST_THRESHOLD",
    "BayesDecision",
    "BayesMeansResult",
    "BetaBinomialResult",
    "bayes_decision",
    "bayes_means",
    "bayes_means_from_sums",
    "beta_binomial",
    "normal_best",
    "prior_from_baseline",
]

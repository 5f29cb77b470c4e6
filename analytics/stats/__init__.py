"""QualityLine statistics core: survey weighting, design-based estimates, indices, PLS-PM, MCDA.

Also excess-count tests with BH q-values for complaint hot spots.
Pure numpy/scipy (imports neither Flask nor SQLAlchemy).  Bad input raises ``StatsInputError``
(a ValueError) naming the variable, category or cell at fault; no function returns a silent NaN.
Fixed public names (DESIGN.md sec. 5): poststratify, rake, trim_weights, kish_effective_n,
weighted_mean, weighted_total, construct_index, pls_pm, cronbach_alpha, ahp_weights,
entropy_weights.
"""

from ._validate import StatsInputError
from .counts import (
    ExcessCount,
    ExcessCounts,
    bh_qvalues,
    conditional_nb_sf,
    excess_count_test,
    excess_count_tests,
)
from .design import Design, build_design
from .estimation import Estimate, Suppressed, weighted_mean, weighted_proportion, weighted_total
from .indices import (
    CompositeEstimate,
    IndexEstimate,
    IPAPoint,
    TargetTest,
    composite_indicator,
    construct_index,
    importance_from_pls,
    ipa_quadrants,
    suppress,
    target_test,
)
from .intervals import logit_interval, wald_interval, wilson_interval
from .mcda import AHPNode, AHPResult, ahp_hierarchy, ahp_weights, combine_weights, entropy_weights
from .pls import Effect, PLSResult, pls_pm
from .pls_bootstrap import BootstrapInterval, PLSBootstrap
from .reliability import (
    FornellLarcker,
    ave,
    composite_reliability,
    cronbach_alpha,
    dillon_goldstein_rho,
    fornell_larcker,
    htmt,
    rho_a,
)
from .trimming import TrimResult, trim_weights
from .weighting import (
    CalibrationInfo,
    CalibrationReport,
    WeightingResult,
    base_weights,
    design_effect,
    kish_effective_n,
    poststratify,
    rake,
)

__all__ = [
    "AHPNode",
    "AHPResult",
    "BootstrapInterval",
    "CalibrationInfo",
    "CalibrationReport",
    "CompositeEstimate",
    "Design",
    "Effect",
    "Estimate",
    "ExcessCount",
    "ExcessCounts",
    "FornellLarcker",
    "IPAPoint",
    "IndexEstimate",
    "PLSBootstrap",
    "PLSResult",
    "StatsInputError",
    "Suppressed",
    "TargetTest",
    "TrimResult",
    "WeightingResult",
    "ahp_hierarchy",
    "ahp_weights",
    "ave",
    "base_weights",
    "bh_qvalues",
    "build_design",
    "combine_weights",
    "composite_indicator",
    "composite_reliability",
    "conditional_nb_sf",
    "construct_index",
    "cronbach_alpha",
    "design_effect",
    "dillon_goldstein_rho",
    "entropy_weights",
    "excess_count_test",
    "excess_count_tests",
    "fornell_larcker",
    "htmt",
    "importance_from_pls",
    "ipa_quadrants",
    "kish_effective_n",
    "logit_interval",
    "pls_pm",
    "poststratify",
    "rake",
    "rho_a",
    "suppress",
    "target_test",
    "trim_weights",
    "wald_interval",
    "weighted_mean",
    "weighted_proportion",
    "weighted_total",
    "wilson_interval",
]

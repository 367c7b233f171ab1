"""``abtest.assign``: the variant of each unit, from an experiment's registry settings.

The same steps as a GrowthBook SDK evaluating the experiment exported by
``abtest export`` (GrowthBook ``packages/sdk-js/src/core.ts``, ``runExperiment``):

1. a unit without an id (empty text) is not in the experiment (the SDK skips it);
2. a unit in the registry's holdout (``bucket(holdout.seed, id) < holdout.fraction``)
   is in no experiment;
3. with a namespace, a unit outside the experiment's slice is not in it;
4. the unit's ``bucket(seed, id, hash_version)`` picks the variant whose range holds
   it; the ranges follow the variants in file order, each ``coverage`` of its weight
   wide, and a bucket outside every range (coverage below 1) is not in the experiment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from abtest.assignment.hashing import bucket
from abtest.assignment.ranges import bucket_ranges, choose_variant, in_namespace

if TYPE_CHECKING:
    from abtest.registry.schema import Experiment


def assign(unit_ids: Any, experiment: Experiment) -> Any:
    """The variant id of each unit, or None where the unit is not in the experiment.

    Parameters
    ----------
    unit_ids : str or array-like
        One id or many (numpy, pandas, pyarrow, list; see :func:`bucket` for how
        numbers are read). Duplicates are fine: a unit always gets the same answer.
    experiment : abtest.Experiment
        From the registry (``abtest.load_registry(...)["id"]``): its variants and
        weights, ``assignment:`` section and the registry's holdout are used.

    Returns
    -------
    str or None, or numpy.ndarray of object
        For one id, its variant id or None; for an array, an object array of them.

    Examples
    --------
    >>> from abtest.registry.schema import Experiment
    >>> exp = Experiment(
    ...     id="cta", name="CTA", hypothesis="Shorter converts more", owner="growth",
    ...     status="draft", page="/", variants=[
    ...         {"id": "a", "name": "Now", "weight": 0.5, "control": True},
    ...         {"id": "b", "name": "Go", "weight": 0.5}],
    ...     goals=[{"id": "signup", "event": "signup", "kind": "macro", "primary": True}])
    >>> assign(["u1", "u2", "u6"], exp).tolist(), assign("u6", exp), assign("", exp)
    (['b', 'b', 'a'], 'a', None)
    """
    one = isinstance(unit_ids, str)
    index = variant_index(unit_ids, experiment)
    names = np.array([*(v.id for v in experiment.variants), None], dtype=object)
    out = names[index]  # -1 picks the trailing None
    return out[0] if one else out


def variant_index(unit_ids: Any, experiment: Experiment) -> np.ndarray:
    """Index of each unit's variant in ``experiment.variants`` (file order), -1 if none."""
    import pyarrow.compute as pc

    from abtest.assignment.ids import as_text_array

    ids = as_text_array(unit_ids)  # read once: every step below hashes the same text
    a = experiment.assignment
    ranges = bucket_ranges(
        len(experiment.variants), experiment.coverage, [v.weight for v in experiment.variants]
    )
    out = np.atleast_1d(choose_variant(bucket(experiment.seed, ids, a.hash_version), ranges))
    empty = pc.equal(pc.utf8_length(ids), 0)
    if pc.any(empty).as_py():
        out[np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)] = -1
    holdout = experiment.holdout
    if holdout is not None:
        out[bucket(holdout.seed, ids, holdout.hash_version) < holdout.fraction] = -1
    if a.namespace is not None:
        lo, hi = a.namespace.range
        out[~in_namespace(ids, (a.namespace.name, lo, hi))] = -1
    return out

"""abtest.assignment: which unit sees which variant, as GrowthBook's SDKs decide it.

The hash of GrowthBook's SDK spec (:func:`bucket`), bucket ranges with ramp-up
coverage (:func:`bucket_ranges`, :func:`choose_variant`), mutually exclusive
namespaces (:func:`in_namespace`) and :func:`assign`, which reads an experiment's
registry settings. No pandas or scipy: a web process can import it cheaply.
"""

from __future__ import annotations

from abtest.assignment.experiment import assign, variant_index
from abtest.assignment.hashing import bucket
from abtest.assignment.ranges import bucket_ranges, choose_variant, in_namespace

__all__ = ["assign", "bucket", "bucket_ranges", "choose_variant", "in_namespace", "variant_index"]

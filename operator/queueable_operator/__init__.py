"""The kopf operator: admission (validate, cache, dedup, quota), launching runners, status."""

"""Verification: a plugin's conformance checks (``checking``) and their cached results
(``check_cache``), and the performance report (``bench``) with its timing helpers (``timing``).
"""

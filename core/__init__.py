"""Plain-Python machine-learning code of Wiresag.

Nothing under this package may import Django: the worker, management commands,
tests and notebooks all call it directly.
"""

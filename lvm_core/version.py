"""The engine's version: saved in every checkpoint's description; pyproject.toml holds the same (a test checks)."""
__version__ = "0.1.0"

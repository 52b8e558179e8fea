"""Implementation of ``swfasync.testing``."""

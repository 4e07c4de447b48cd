"""Essaim: a self-hosted, realtime board for citizen-participation workshops."""

__version__ = "0.1.0"

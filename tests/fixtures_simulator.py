"""Fixtures: simulator."""

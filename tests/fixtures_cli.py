"""Fixtures: cli."""

"""Generated: the asset files as modules (app/core/compiled_assets.py)."""

# Generated from assets/locales/en/waterfall.yaml by `uv run python -m app.core.compiled_assets`:
# do not edit; app/core/compiled_assets.py says why it exists.
SOURCE = '# The phase waterfall (app/waterfall.py), shared by `doctor` and the TUI.\nphase:\n  dns: "dns"\n  tcp: "tcp"\n  tls: "tls"\n  request: "request"\n  auth: "auth"\n  inference: "inference"\n  wait: "waiting"\n  total: "total"\nlegend: "Waterfall (one time axis for all rows): ░ dns  ▒ tcp  ▓ tls  █ request  ▞ auth  ■ inference  · waiting"\n'
DATA = {'phase': {'dns': 'dns', 'tcp': 'tcp', 'tls': 'tls', 'request': 'request', 'auth': 'auth', 'inference': 'inference', 'wait': 'waiting', 'total': 'total'}, 'legend': 'Waterfall (one time axis for all rows): ░ dns  ▒ tcp  ▓ tls  █ request  ▞ auth  ■ inference  · waiting'}

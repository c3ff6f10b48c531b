# Generated from assets/locales/zh/waterfall.yaml by `uv run python -m app.core.compiled_assets`:
# do not edit; app/core/compiled_assets.py says why it exists.
SOURCE = '# 阶段瀑布图（app/waterfall.py），doctor 命令与终端界面共用。\nphase:\n  dns: "DNS"\n  tcp: "TCP"\n  tls: "TLS"\n  request: "请求"\n  auth: "鉴权"\n  inference: "推理"\n  wait: "等待"\n  total: "合计"\nlegend: "瀑布图（所有行共用一条时间轴）：░ DNS  ▒ TCP  ▓ TLS  █ 请求  ▞ 鉴权  ■ 推理  · 等待"\n'
DATA = {'phase': {'dns': 'DNS', 'tcp': 'TCP', 'tls': 'TLS', 'request': '请求', 'auth': '鉴权', 'inference': '推理', 'wait': '等待', 'total': '合计'}, 'legend': '瀑布图（所有行共用一条时间轴）：░ DNS  ▒ TCP  ▓ TLS  █ 请求  ▞ 鉴权  ■ 推理  · 等待'}

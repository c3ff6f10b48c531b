"""Beijing's China Elastic Zone (MODEL_STUDIO.md section 1): data that must stay in the
mainland is kept there only by a model launched before 2026-10-13.

`recommend --residency mainland` says so and names the models that stay (the catalog's list,
marked observed); `configure --residency mainland --model X` with an Elastic Zone model warns,
and `--strict` refuses it with nothing written; without a residency answer, a Beijing
profile's scope follows its model.
"""

from __future__ import annotations

import json

import pytest

from app.config.io import load_config

KEY = "sk-0123456789abcdef0123456789abcdef"
ELASTIC_MODEL = "qwen3.7-plus"  # launched after 2026-10-13 (the catalog's reading)


def configure_beijing(cli, *extra: str, lang: str = "en"):
    return cli(
        "--lang",
        lang,
        "configure",
        "--region",
        "cn-beijing",
        "--shared-host",
        "--store",
        "env",
        *extra,
        env={"DASHSCOPE_API_KEY": KEY},
    )


def test_recommend_mainland_gives_the_caveat_the_models_and_the_access_domains(cli) -> None:
    r = cli("recommend", "--residency", "mainland")
    assert r.rc == 0
    out = r.stdout
    assert "before 2026-10-13" in out and "China Elastic Zone" in out
    assert "observed, not official" in out  # the launch-date list is the catalog's reading
    models_line = out.split("Models:")[1].split("Access domains")[0]
    mainland_part, elsewhere_part = models_line.split("Not Chinese mainland:")
    assert "qwen-flash" in mainland_part and ELASTIC_MODEL not in mainland_part
    assert ELASTIC_MODEL in elsewhere_part
    assert "modelstudio-setup models" in out
    # Access domains: workspace first and recommended, trial last and not for production.
    domains = out.split("Access domains")[1].split("Alternatives")[0]
    assert domains.index("Workspace domain (recommended)") < domains.index("DashScope domain")
    assert "3600 s" in domains and "dashscope.aliyuncs.com" in domains
    trial = domains.split("Trial domain")[1]
    assert "Not for production" in trial and "RPM 1000" in trial


def test_recommend_json_carries_domains_and_model_advice(cli) -> None:
    data = json.loads(cli("recommend", "--residency", "mainland", "--json").stdout)
    assert [d["id"] for d in data["access_domains"]] == ["workspace", "dashscope", "trial"]
    assert [d["production"] for d in data["access_domains"]] == [True, True, False]
    assert "2026-10-13" in data["model_advice"]
    # Frankfurt has only the workspace domain, and no by-model advice.
    eu = json.loads(cli("recommend", "--residency", "eu", "--json").stdout)
    assert [d["id"] for d in eu["access_domains"]] == ["workspace"]
    assert eu["model_advice"] is None


def test_recommend_in_chinese(cli) -> None:
    r = cli("--lang", "zh", "recommend", "--residency", "mainland")
    assert r.rc == 0
    assert "中国弹性区" in r.stdout and "不适用于生产环境" in r.stdout


def test_an_elastic_zone_model_with_mainland_residency_warns_and_saves(cli) -> None:
    r = configure_beijing(cli, "--residency", "mainland", "--model", ELASTIC_MODEL)
    assert r.rc == 0, r
    assert f"'{ELASTIC_MODEL}' runs in the China Elastic Zone scope" in r.stderr
    assert "qwen-flash" in r.stderr  # what to use instead
    assert load_config(cli.config).profile().model == ELASTIC_MODEL


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_strict_refuses_it_and_writes_nothing(cli, lang) -> None:
    r = configure_beijing(
        cli, "--residency", "mainland", "--model", ELASTIC_MODEL, "--strict", lang=lang
    )
    assert r.rc == 2
    assert ("Refused (--strict)" if lang == "en" else "已拒绝（--strict）") in r.stderr
    assert not cli.config.exists()


def test_strict_accepts_a_mainland_model(cli) -> None:
    r = configure_beijing(cli, "--residency", "mainland", "--model", "qwen-plus", "--strict")
    assert r.rc == 0, r
    assert "Elastic Zone" not in r.stderr
    assert load_config(cli.config).profile().scope == "mainland"


def test_strict_refuses_an_edit_that_breaks_residency(cli) -> None:
    assert configure_beijing(cli, "--residency", "mainland").rc == 0
    before = cli.config.read_bytes()
    r = cli("configure", "--model", ELASTIC_MODEL, "--strict")
    assert r.rc == 2, r
    assert cli.config.read_bytes() == before


def test_without_residency_a_beijing_profile_takes_its_models_scope(cli) -> None:
    assert configure_beijing(cli, "--model", ELASTIC_MODEL).rc == 0
    assert load_config(cli.config).profile().scope == "elastic"
    assert configure_beijing(cli, "--model", "qwen-plus", "--force").rc == 0
    assert load_config(cli.config).profile().scope == "mainland"

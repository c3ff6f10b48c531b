"""`modelstudio-setup recommend`: the JSON schema scripts rely on, the card, bad input."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from app.cli import main

TOP_KEYS = {"residency", "region", "scope", "reasons", "caveats", "alternatives", "unmet_needs"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _no_locale(monkeypatch):
    """The language comes from --lang alone in these tests, not from the runner's locale."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(var, raising=False)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_schema(capsys):
    code, out, err = run_cli(capsys, "recommend", "--residency", "eu", "--need", "batch", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert next(iter(data)) == "schema_version" and data["schema_version"] == 1
    assert set(data) >= TOP_KEYS
    assert set(data) - TOP_KEYS == {
        "schema_version",
        "region_name",
        "scope_name",
        "conflict",
        "access_domains",
        "model_advice",
    }
    assert [d["id"] for d in data["access_domains"]] == ["workspace"]  # Frankfurt
    assert data["residency"] == "eu"
    assert (data["region"], data["scope"]) == ("eu-central-1", "eu")
    assert data["unmet_needs"] == ["batch"]
    assert all(isinstance(x, str) for x in data["reasons"] + data["caveats"])
    assert data["alternatives"]
    for alt in data["alternatives"]:
        assert set(alt) == {"region", "scope", "why"}
        assert alt["why"]


def test_needs_may_be_repeated_or_comma_separated(capsys):
    _, out, _ = run_cli(
        capsys,
        "recommend",
        "--residency",
        "us",
        "--need",
        "batch,alerting",
        "--need",
        "fine-tuning",
        "--need",
        "batch",
        "--json",
    )
    data = json.loads(out)
    assert data["unmet_needs"] == ["batch", "alerting", "fine-tuning"]
    assert data["conflict"] is True


def test_card_shows_region_scope_boundary_caveats_alternatives_and_unmet_needs(capsys):
    code, out, _ = run_cli(
        capsys, "--lang", "en", "recommend", "--residency", "eu", "--need", "fine-tuning"
    )
    assert code == 0
    assert out.startswith("Recommended: Germany (Frankfurt), EU scope\n")
    assert "Inference stays within the European Union." in out
    for heading in ("Why", "Caveats", "Alternatives", "Unmet needs"):
        assert f"\n{heading}\n" in out
    assert "→ China (Beijing) (cn-beijing), Chinese mainland scope" in out
    assert "✗ fine-tuning" in out
    assert "No region is known to satisfy all of this" in out


def test_card_without_needs_has_no_unmet_section(capsys):
    _, out, _ = run_cli(capsys, "recommend", "--residency", "mainland", "--lang", "en")
    assert "Recommended: China (Beijing), Chinese mainland scope" in out
    assert "Unmet needs" not in out
    assert "No region" not in out


def test_lang_zh_gives_chinese_card_and_json(capsys):
    _, out, _ = run_cli(capsys, "recommend", "--residency", "eu", "--lang", "zh")
    assert out.startswith("推荐：德国（法兰克福），欧盟范围")
    assert "Recommended" not in out and "Caveats" not in out
    _, out, _ = run_cli(capsys, "--lang", "zh", "recommend", "--residency", "none", "--json")
    data = json.loads(out)
    assert data["region"] == "us-east-1"  # ids stay ids
    assert data["region_name"] == "美国（弗吉尼亚）"
    assert all(CJK.search(r) for r in data["reasons"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["recommend", "--residency", "moon"], "none, mainland, outside-mainland"),
        (["recommend", "--residency", "eu", "--need", "batch,gpu"], "'gpu'"),
        (["recommend", "--residency", "eu", "--near", "mars"], "americas, europe, asia, china"),
    ],
)
def test_bad_input_exits_2_with_the_valid_values_and_prints_nothing(capsys, argv, needle):
    code, out, err = run_cli(capsys, "--lang", "en", *argv)
    assert code == 2
    assert out == ""
    assert needle in err


def test_missing_residency_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["recommend", "--json"])
    assert info.value.code == 2
    assert "--residency" in capsys.readouterr().err


def test_the_real_command_line(tmp_path):
    """Through `python -m app` in a separate process, as a script would call it."""
    proc = subprocess.run(
        [sys.executable, "-m", "app", "recommend", "--residency", "mainland", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8"},
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["region"], data["scope"]) == ("cn-beijing", "mainland")


@pytest.mark.parametrize(
    "argv",
    [
        ["--residency", "EU", "--need", "Batch", "--near", "Europe"],
        ["--residency", " Eu ", "--need", "BATCH", "--near", "EUROPE"],
    ],
)
def test_choices_are_accepted_in_any_case(capsys, argv):
    """QA E28: `recommend --residency EU` was refused; ids are matched case-insensitively
    and reported in their canonical (lower-case) form."""
    code, out, err = run_cli(capsys, "--lang", "en", "recommend", *argv, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["residency"], data["region"], data["scope"]) == ("eu", "eu-central-1", "eu")
    assert data["unmet_needs"] == ["batch"]

"""argparse's own usage, help and errors follow the language like every other message (E27)."""

from __future__ import annotations

import pytest

KEY = "sk-0123456789abcdef0123456789abcdef"
ENGLISH = (
    "usage:",
    "error:",
    "the following arguments",
    "invalid choice",
    "unrecognized",
    "expected one",
)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("export",), "modelstudio-setup export：错误：缺少以下必需参数：--format"),
        # How the choices are listed differs between Python versions.
        (("env", "--shell", "zsh"), "参数 --shell：无效的选项值：'zsh'（可选："),
        (("key", "get", "one", "two"), "无法识别的参数（2 个；未显示，因为其中可能含有密钥）"),
        (("export", "--format"), "参数 --format：需要一个值"),
    ],
)
def test_argparse_errors_in_zh(cli, args: tuple[str, ...], said: str) -> None:
    r = cli("--lang", "zh", *args)
    assert r.rc == 2
    assert r.stderr.startswith("用法：modelstudio-setup")
    assert said in r.stderr
    for english in ENGLISH:
        assert english not in r.stderr


def test_help_in_zh_from_lang(run_cli) -> None:
    r = run_cli("env", "--help", env={"LANG": "zh_CN.UTF-8", "LC_ALL": ""})
    assert r.rc == 0, r
    assert r.stdout.startswith("用法：")
    assert "显示此帮助信息并退出" in r.stdout and "选项" in r.stdout
    assert "show this help" not in r.stdout and "options:" not in r.stdout
    top = run_cli("--help", env={"LANG": "zh_CN.UTF-8", "LC_ALL": ""})
    assert "显示程序版本号并退出" in top.stdout


def test_a_key_given_as_a_choice_is_hidden_in_zh(cli) -> None:
    # The argument check that runs before argparse refuses a key-shaped value by option name.
    r = cli("--lang", "zh", "env", "--shell", KEY)
    assert r.rc == 2
    assert (
        KEY not in r.output
        and "--shell" in r.stderr
        and "API 密钥" in r.stderr
        and "Key" not in r.stderr.replace("--api-key", "")
    )
    # argparse's own invalid-choice message, for a value that is not a key, is in zh too.
    r = cli("--lang", "zh", "env", "--shell", "tcsh")
    assert r.rc == 2 and "无效的选项值" in r.stderr, r.stderr


def test_english_is_unchanged(cli) -> None:
    r = cli("export")
    assert r.rc == 2
    assert r.stderr.startswith("usage: modelstudio-setup export")
    assert (
        "modelstudio-setup export: error: the following arguments are required: --format"
        in r.stderr
    )
    r = cli("key", "get", "extra-word")
    assert "unrecognized arguments (1; not shown, they may be secret)" in r.stderr
    assert "extra-word" not in r.output


def test_argparse_messages_escape_terminal_sequences(cli) -> None:
    """`ambiguous option` echoes the typed option raw: an OSC 52 clipboard write."""
    for lang in ("en", "zh"):
        r = cli("--lang", lang, "--co=\x1b]52;c;SGVsbG8=\x07")
        assert r.rc == 2
        assert "\x1b" not in r.stderr and "\x07" not in r.stderr
        assert "--co=\\x1b]52;c;SGVsbG8=\\x07" in r.stderr


def test_a_malformed_config_names_its_line_in_zh(cli, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles: [\n")
    r = cli("--lang", "zh", "--config", str(bad), "profiles", "list")
    assert r.rc == 2
    assert "第 2 行" in r.stderr and "line 2" not in r.stderr


def test_profiles_list_names_the_last_verdict_in_zh(cli, tmp_path) -> None:
    from app.config.io import update_verified

    cfg = tmp_path / "c.yaml"
    r = cli(
        "configure",
        "--config",
        str(cfg),
        "--region",
        "ap-southeast-1",
        "--shared-host",
        "--store",
        "env",
        "--api-key-env",
        "DASHSCOPE_API_KEY",
    )
    assert r.rc == 0, r
    update_verified(cfg, "default", "warn", "2026-12-04T00:00:00+00:00")
    r = cli("--lang", "zh", "--config", str(cfg), "profiles", "list")
    assert r.rc == 0, r
    assert "警告，于 2026-12-04" in r.stdout and "warn" not in r.stdout

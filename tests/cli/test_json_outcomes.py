"""`--json` on the commands that change something (configure, key set / delete, profiles
delete, export): stdout is exactly one JSON document with schema_version that says what was
done; the lines for people are still there, on stderr; the key is in neither unless the
user asked for it (export --include-key). Run as a user runs them: real processes.
"""

from __future__ import annotations

import json
import os

from tests.fixtures.cli import CliRunner

KEY = "sk-json0123456789abcdef0123456789ab"
CONF = ("configure", "--region", "ap-southeast-1", "--shared-host", "--store", "file")


def _doc(r) -> dict:
    """The whole of stdout parses as one document (a stray line would break a script)."""
    assert r.rc == 0, r
    doc = json.loads(r.stdout)
    assert doc["schema_version"] == 1 and next(iter(doc)) == "schema_version"
    assert doc["exit_code"] == 0
    assert KEY not in r.stdout + r.stderr and KEY[3:15] not in r.stdout + r.stderr
    return doc


def _setup(run_cli: CliRunner, *extra: str) -> None:
    r = run_cli(*CONF, *extra, "--api-key-stdin", input=KEY)
    assert r.rc == 0, r


def test_configure_says_it_created_then_updated_the_profile(run_cli: CliRunner):
    first = _doc(run_cli(*CONF, "--api-key-stdin", "--json", input=KEY))
    assert first["action"] == "configure" and first["result"] == "created"
    assert first["profile"] == "default"
    details = first["details"]
    assert details["region"] == "ap-southeast-1" and details["scope"] == "international"
    assert details["access_domain"] == "dashscope"  # the region's shared DashScope host
    assert details["api_key"]["store"] == "file" and details["api_key"]["masked"] == "sk-…89ab"
    assert details["config"] == str(run_cli.config)
    again = run_cli(*CONF, "--model", "qwen-flash", "--api-key-stdin", "--json", input=KEY)
    doc = _doc(again)
    assert doc["result"] == "updated" and doc["details"]["model"] == "qwen-flash"
    assert "qwen-flash" in again.stderr  # the people's lines moved to stderr, not away


def test_configure_messages_go_to_stderr_and_stdout_is_only_json(run_cli: CliRunner):
    r = run_cli(*CONF, "--api-key-stdin", "--json", input=KEY)
    _doc(r)
    assert "default" in r.stderr and "ap-southeast-1" in r.stderr
    plain = run_cli(*CONF, "--model", "qwen-plus", "--api-key-stdin", input=KEY)
    assert plain.rc == 0 and not plain.stdout.lstrip().startswith("{")


def test_a_refused_configure_prints_no_document(run_cli: CliRunner):
    r = run_cli("configure", "--region", "mars-1", "--api-key-stdin", "--json", input=KEY)
    assert r.rc == 2 and r.stdout == "" and "mars-1" in r.stderr


def test_key_set_and_key_delete(run_cli: CliRunner):
    _setup(run_cli)
    new = "sk-json9876543210fedcba9876543210cd"
    r = run_cli("key", "set", "--api-key-stdin", "--json", input=new)
    assert r.rc == 0 and new not in r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["action"] == "key_set" and doc["result"] == "stored"
    assert doc["profile"] == "default" and doc["store"] == "file" and doc["key"] == "sk-…10cd"
    key_file = run_cli.config.parent / "keys" / "default.key"
    assert key_file.read_text().strip() == new
    assert doc["where"] and str(key_file) in doc["where"]
    r = run_cli("key", "delete", "--yes", "--json")
    doc = json.loads(r.stdout)
    assert r.rc == 0 and doc["action"] == "key_delete" and doc["result"] == "deleted"
    assert not key_file.exists()
    doc = json.loads(run_cli("key", "delete", "--yes", "--json").stdout)
    assert doc["result"] == "already_gone"


def test_key_delete_without_yes_in_a_script_is_refused_without_a_document(run_cli: CliRunner):
    _setup(run_cli)
    r = run_cli("key", "delete", "--json")
    assert r.rc == 2 and r.stdout == "" and "--yes" in r.stderr
    assert (run_cli.config.parent / "keys" / "default.key").exists()


def test_profiles_delete_says_what_happened_to_the_key(run_cli: CliRunner):
    _setup(run_cli)
    _setup(run_cli, "--profile", "other")
    r = run_cli("profiles", "delete", "other", "--yes", "--keep-key", "--json")
    doc = _doc(r)
    assert doc["action"] == "profiles_delete" and doc["profile"] == "other"
    assert doc["result"] == "deleted" and doc["deleted"] is True and doc["key"] == "kept_on_request"
    assert doc["default_profile"] == "default"
    doc = _doc(run_cli("profiles", "delete", "default", "--yes", "--json"))
    assert doc["key"] == "deleted" and doc["store"] == "file"
    assert not (run_cli.config.parent / "keys" / "default.key").exists()


def test_export_to_stdout_puts_the_text_in_the_document(run_cli: CliRunner):
    _setup(run_cli)
    plain = run_cli("export", "--format", "sh")
    doc = _doc(run_cli("export", "--format", "sh", "--json"))
    assert doc["action"] == "export" and doc["format"] == "sh" and doc["written"] is False
    assert doc["content"] == plain.stdout and "DASHSCOPE" in doc["content"]
    assert doc["includes_key"] is False


def test_export_to_a_file_says_where_and_how(run_cli: CliRunner, tmp_path):
    _setup(run_cli)
    target = tmp_path / "proj" / ".env"
    target.parent.mkdir()
    target.write_text("OTHER=1\n")
    doc = _doc(run_cli("export", "--format", "dotenv", "--output", str(target), "--json"))
    assert doc["written"] is True and doc["path"] == str(target)
    assert doc["mode"] == f"{os.stat(target).st_mode & 0o777:04o}"
    assert doc["merged"] is True and "OTHER" not in doc["dotenv"]["removed"]
    assert {"OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "DASHSCOPE_HTTP_BASE_URL"} <= set(
        doc["dotenv"]["added"]
    )
    assert doc["dotenv"]["updated"] == [] and doc["dotenv"]["removed"] == []
    assert "OTHER=1" in target.read_text()
    assert "content" not in doc


def test_export_names_the_key_line_it_removed_never_its_value(run_cli: CliRunner, tmp_path):
    """An earlier --include-key wrote the key into .env; a plain export takes that line out,
    and the document and the summary line both say so (QA: it said `removed: []` and
    "every other line was kept")."""
    _setup(run_cli)
    target = tmp_path / "proj" / ".env"
    target.parent.mkdir()
    first = run_cli("export", "--format", "dotenv", "--output", str(target), "--include-key")
    assert first.rc == 0 and KEY in target.read_text(), first
    r = run_cli("export", "--format", "dotenv", "--output", str(target), "--json")
    doc = _doc(r)  # the key's value is in neither stream
    assert doc["dotenv"]["removed"] == ["DASHSCOPE_API_KEY"]
    assert KEY not in target.read_text()
    assert "added none; removed DASHSCOPE_API_KEY; every other line was kept." in r.stderr
    again = _doc(run_cli("export", "--format", "dotenv", "--output", str(target), "--json"))
    assert again["dotenv"]["removed"] == []  # nothing left to remove


def _json_commands(parser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every (sub)command of the real parser that takes --json."""
    import argparse

    found = []
    for action in parser._actions:  # argparse has no public walk of its subcommands
        if isinstance(action, argparse._SubParsersAction):
            for name in list(action.choices):
                sub = action.choices[name]  # the top level builds its parsers on demand
                found += _json_commands(sub, (*prefix, name))
        elif "--json" in action.option_strings:
            found.append(prefix)
    return found


def test_every_command_with_json_is_in_docs_json_md_and_the_changing_ones_are_there():
    from app.cli import build_parser
    from tests.fixtures.cli import REPO_ROOT

    doc = (REPO_ROOT / "docs" / "json.md").read_text(encoding="utf-8")
    commands = {" ".join(c) for c in _json_commands(build_parser())}
    # What the issue names as changing commands, besides the reading ones.
    assert {
        "configure",
        "key set",
        "key delete",
        "key import",
        "key rotate",
        "key temp",
        "profiles delete",
        "export",
        "status",
        "doctor",
    } <= commands
    for command in commands:  # each named in a heading or the table, in backquotes
        assert f"`{command} " in doc or f"`{command}`" in doc, command

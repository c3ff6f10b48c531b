"""A config others could change, a config link leading out of its folder, a planted lock
link (E28 c, d): warned, refused without --force, never followed."""

from __future__ import annotations

import os
from pathlib import Path

from tests.fixtures.cli import InProcessCli

CONF = ("configure", "--region", "ap-southeast-1", "--shared-host", "--store", "env")
ENV = {"DASHSCOPE_API_KEY": "sk-trust0123456789abcdef0123456"}


def test_a_config_writable_by_others_is_named_whenever_it_is_used(cli: InProcessCli) -> None:
    assert cli(*CONF, env=ENV).rc == 0
    os.chmod(cli.config, 0o666)
    r = cli("profiles", "list")
    assert r.rc == 0
    assert f"{cli.config} can be changed by other users (mode 0666)" in r.stderr
    os.chmod(cli.config, 0o600)
    assert "other users" not in cli("profiles", "list").stderr


def test_a_config_link_out_of_its_folder_is_not_overwritten_without_force(
    cli: InProcessCli, tmp_path: Path
) -> None:
    victim = tmp_path / "home" / ".gitconfig"
    victim.parent.mkdir(parents=True, exist_ok=True)
    victim.write_text("[user]\n\tname = Someone\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "team.yaml").symlink_to(victim)
    r = cli(*CONF, "--config", str(repo / "team.yaml"), env=ENV)
    assert r.rc == 2
    assert "outside the link's own folder" in r.stderr and "--force" in r.stderr
    assert victim.read_text() == "[user]\n\tname = Someone\n"
    forced = cli(*CONF, "--config", str(repo / "team.yaml"), "--force", env=ENV)
    assert forced.rc == 0, forced.output
    assert "profiles:" in victim.read_text()


def test_a_link_to_another_config_of_this_tool_is_still_written(
    cli: InProcessCli, tmp_path: Path
) -> None:
    """A dotfiles manager links ~/.config/... to ~/dotfiles/...: that keeps working."""
    real = tmp_path / "dotfiles" / "config.yaml"
    assert cli(*CONF, "--config", str(real), env=ENV).rc == 0
    link = tmp_path / "conf" / "config.yaml"
    link.parent.mkdir()
    link.symlink_to(real)
    r = cli(*CONF, "--config", str(link), "--profile", "two", env=ENV)
    assert r.rc == 0, r.output
    assert "two:" in real.read_text()


def test_a_lock_file_that_is_a_symlink_is_never_followed(cli: InProcessCli, tmp_path: Path) -> None:
    cli.config.parent.mkdir(parents=True)
    victim = tmp_path / "victim"
    (cli.config.parent / "config.yaml.lock").symlink_to(victim)
    r = cli(*CONF, env=ENV)
    assert r.rc == 2
    assert "config.yaml.lock is a symbolic link" in r.stderr
    assert not victim.exists()
    assert not cli.config.exists()

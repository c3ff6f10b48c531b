"""One rule for profile names and one for the key's variable name, on input AND on load.

A name the tool refuses when it is typed must be refused when a config file carries it (a
hand edit, a file someone else wrote), and a name it accepts on input must load again: the
two paths share one check each (app.core.names, app.core.key_env via app.config.validate).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import pytest
import yaml

from app.config.io import load_config, modify_config
from app.config.schema import ConfigError
from app.config.validate import make_profile
from app.core.errors import UserError
from app.core.names import check_profile_name, profile_name_ok
from app.secrets import stores
from app.secrets.stores import KeyRef

WS = "ws-g3ganedl8go5vc5i"
HOST = f"https://{WS}.ap-southeast-1.maas.aliyuncs.com"

NAMES = [
    "default",
    "work",
    "team.eu-1",
    "a_b",
    "A" * 64,
    "",
    "..",
    "a..b",
    "../evil",
    "a/b",
    ".hidden",
    "-dash",
    "A" * 65,
    "a b",
    "a\x1b[2J",
    "名前",
    "sk-" + "a1b2c3d4" * 5,  # shaped like a key: never a name (T16)
]
VARS = [
    "DASHSCOPE_API_KEY",
    "OPENAI_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "TEAM_KEY",
    "MY_SECRET",
    "dashscope_api_key",
    "HTTPS_PROXY",
    "PATH",
    "PS0",
    "NODE_OPTIONS",
    "GITHUB_TOKEN",
    "LD_PRELOAD_KEY",
    "MODELSTUDIO_SETUP_KEY",
    "1ABC_KEY",
    "A-B_KEY",
    "A B_KEY",
    "",
    "A" * 60 + "_KEY",
]


def _doc(name: str, env: str = "DASHSCOPE_API_KEY") -> dict:
    return {
        "version": 1,
        "default_profile": None,
        "profiles": {
            name: {
                "region": "ap-southeast-1",
                "scope": "international",
                "endpoint_style": "workspace",
                "workspace_id": WS,
                "base_urls": {
                    "openai": f"{HOST}/compatible-mode/v1",
                    "anthropic": f"{HOST}/apps/anthropic",
                    "dashscope": f"{HOST}/api/v1",
                },
                "model": "qwen3.5-flash",
                "api_key": {"store": "env", "env": env},
            }
        },
    }


def _input_refuses(**kwargs: object) -> bool:
    try:
        make_profile(region="ap-southeast-1", workspace_id=WS, **kwargs)  # type: ignore[arg-type]
    except UserError:
        return True
    return False


def _load(path: Path, doc: dict) -> ConfigError | None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as exc:
        return exc
    return None


@pytest.mark.parametrize("name", NAMES)
def test_a_profile_name_is_refused_on_input_exactly_when_refused_on_load(
    tmp_path: Path, name: str
) -> None:
    refused = not profile_name_ok(name)
    assert _input_refuses(name=name) is refused
    with pytest.raises(UserError) if refused else nullcontext():
        check_profile_name(name)
    with pytest.raises(UserError) if refused else nullcontext():
        stores.check_profile_name(name)  # the key stores: the same rule
    error = _load(tmp_path / "config.yaml", _doc(name))
    assert (error is not None) is refused, error and error.message
    if error is not None:
        assert error.where.startswith("profiles"), error.message
        assert "profile name" in error.message or "looks like an API key" in error.message
    else:  # accepted on input: written and read back unchanged
        profile, _ = make_profile(name, region="ap-southeast-1", workspace_id=WS)
        modify_config(tmp_path / "again.yaml", lambda c: c.with_profile(profile))
        assert load_config(tmp_path / "again.yaml").profiles[name] == profile


@pytest.mark.parametrize("var", VARS)
def test_a_key_variable_is_refused_on_input_exactly_when_refused_on_load(
    tmp_path: Path, var: str
) -> None:
    refused = _input_refuses(name="default", api_key=KeyRef("env", var))
    with pytest.raises(UserError) if refused else nullcontext():
        stores.EnvStore(var)  # the store that reads it: the same rule
    error = _load(tmp_path / "config.yaml", _doc("default", env=var))
    assert (error is not None) is refused, error and error.message
    if error is not None:
        assert error.where == "profiles.default.api_key.env"
        assert "not a name that may carry the API key" in error.message
    else:
        profile, _ = make_profile(
            "default", region="ap-southeast-1", workspace_id=WS, api_key=KeyRef("env", var)
        )
        modify_config(tmp_path / "again.yaml", lambda c: c.with_profile(profile))
        assert load_config(tmp_path / "again.yaml").profile().api_key.env == var


def test_the_rules_refuse_what_they_say() -> None:
    """The tables above cover both verdicts (a table that only accepts proves nothing)."""
    assert {profile_name_ok(n) for n in NAMES} == {True, False}
    assert {_input_refuses(name="default", api_key=KeyRef("env", v)) for v in VARS} == {
        True,
        False,
    }

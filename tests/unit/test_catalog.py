"""The catalog pins MODEL_STUDIO.md: scenario table (section 1), hosts (section 2), features (9).

Model Studio changes hosts and features every few months; when someone edits regions.yaml
these tests say exactly which documented fact moved. A broken edit must fail loudly, naming
the file and the field, never silently drop a host or a feature flag.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from app.core.catalog import CatalogError, load_catalog, load_catalog_file

# MODEL_STUDIO.md section 1: scenario -> (region, scope). The two newer regions at the end.
SCENARIOS = {
    "none": ("us-east-1", "global"),
    "mainland": ("cn-beijing", "mainland"),
    "outside-mainland": ("ap-southeast-1", "international"),
    "us": ("us-east-1", "us"),
    "eu": ("eu-central-1", "eu"),
    "japan": ("ap-northeast-1", "japan"),
    "hongkong": ("cn-hongkong", "hongkong"),
}

# MODEL_STUDIO.md section 9, Hong Kong "not published" -> unknown, never yes.
FEATURES = {
    "cn-beijing": {"realtime": "yes", "batch": "yes", "alerting": "yes", "fine-tuning": "yes"},
    "ap-southeast-1": {"realtime": "yes", "batch": "yes", "alerting": "yes", "fine-tuning": "no"},
    "us-east-1": {"realtime": "yes", "batch": "no", "alerting": "no", "fine-tuning": "no"},
    "eu-central-1": {"realtime": "yes", "batch": "no", "alerting": "no", "fine-tuning": "no"},
    "ap-northeast-1": {"realtime": "yes", "batch": "no", "alerting": "no", "fine-tuning": "no"},
    "cn-hongkong": {
        "realtime": "unknown",
        "batch": "unknown",
        "alerting": "unknown",
        "fine-tuning": "unknown",
    },
}

# MODEL_STUDIO.md section 2: workspace host, shared host, trial host, workspace required.
HOSTS = {
    "cn-beijing": (
        "{ws}.cn-beijing.maas.aliyuncs.com",
        "dashscope.aliyuncs.com",
        "trial.cn-beijing.maas.aliyuncs.com",
        False,
    ),
    "ap-southeast-1": (
        "{ws}.ap-southeast-1.maas.aliyuncs.com",
        "dashscope-intl.aliyuncs.com",
        "trial.ap-southeast-1.maas.aliyuncs.com",
        False,
    ),
    "us-east-1": ("{ws}.us-east-1.maas.aliyuncs.com", "dashscope-us.aliyuncs.com", None, False),
    "eu-central-1": ("{ws}.eu-central-1.maas.aliyuncs.com", None, None, True),
    "ap-northeast-1": ("{ws}.ap-northeast-1.maas.aliyuncs.com", None, None, True),
    "cn-hongkong": (
        "{ws}.cn-hongkong.maas.aliyuncs.com",
        "cn-hongkong.dashscope.aliyuncs.com",
        "trial.cn-hongkong.maas.aliyuncs.com",
        False,
    ),
}

SCOPES = {
    "cn-beijing": ("mainland",),
    "ap-southeast-1": ("international",),
    "us-east-1": ("global", "us"),
    "eu-central-1": ("global", "eu"),
    "ap-northeast-1": ("global", "japan"),
    "cn-hongkong": ("global", "hongkong"),
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_scenario_table(catalog):
    got = {sid: (s.placement.region, s.placement.scope) for sid, s in catalog.scenarios.items()}
    assert got == SCENARIOS
    near = catalog.scenarios["none"].near
    assert {zone: (p.region, p.scope) for zone, p in near.items()} == {
        "europe": ("eu-central-1", "global")
    }


def test_feature_table(catalog):
    assert {rid: r.features for rid, r in catalog.regions.items()} == FEATURES


def test_hosts(catalog):
    got = {
        rid: (r.hosts.workspace, r.hosts.shared, r.hosts.trial, r.workspace_required)
        for rid, r in catalog.regions.items()
    }
    assert got == HOSTS


def test_scopes_per_region_and_how_they_are_chosen(catalog):
    assert {rid: r.scopes for rid, r in catalog.regions.items()} == SCOPES
    assert catalog.region("us-east-1").scope_choice == "model-suffix"
    for rid in ("eu-central-1", "ap-northeast-1", "cn-hongkong"):
        assert catalog.region(rid).scope_choice == "workspace"
    assert set(catalog.scopes) == {
        "global",
        "mainland",
        "international",
        "us",
        "eu",
        "japan",
        "hongkong",
    }


def test_paths_are_the_same_on_every_host(catalog):
    assert catalog.paths == {
        "openai": "/compatible-mode/v1",
        "anthropic": "/apps/anthropic",
        "dashscope": "/api/v1",
    }


def test_ping_models_follow_section_7(catalog):
    for scope in ("global", "international", "mainland"):
        assert "qwen-flash" in catalog.ping_models(scope)
    for scope in ("hongkong", "eu"):
        assert "qwen-flash" not in catalog.ping_models(scope)
        assert "qwen3.5-flash" in catalog.ping_models(scope)
    assert all(m.endswith("-us") for m in catalog.ping_models("us"))
    for scope in catalog.scopes:
        assert "qwen-turbo" not in catalog.ping_models(scope)  # retired 2026-10


def test_reserved_labels_and_doc_conflict(catalog):
    assert set(catalog.reserved_workspace_labels) == {"trial", "token-plan"}
    conflicts = catalog.region("us-east-1").doc_conflicts
    assert conflicts and "dashscope-us.aliyuncs.com" in conflicts[0].en


def test_every_name_exists_in_both_languages(catalog):
    for region in catalog.regions.values():
        assert region.name.en and region.name.zh and region.name.en != region.name.zh
        assert region.console_workspaces.startswith("https://")
        assert region.console_api_keys.startswith("https://")
    for scope in catalog.scopes.values():
        assert scope.boundary.en and scope.boundary.zh


# --- validation of a modified copy --------------------------------------------------------


@pytest.fixture
def seed_data():
    text = resources.files("assets").joinpath("regions.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "regions-modified.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_unmodified_copy_loads(tmp_path, seed_data, catalog):
    assert load_catalog_file(write(tmp_path, seed_data)) == catalog


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["regions"]["cn-beijing"].update(hostz={}), "regions.cn-beijing.hostz"),
        (
            lambda d: d["regions"]["eu-central-1"]["features"].update(batchh="no"),
            "regions.eu-central-1.features.batchh",
        ),
        (lambda d: d["scopes"]["eu"].update(colour="blue"), "scopes.eu.colour"),
        (lambda d: d.update(extra=1), "<root>.extra"),
        (lambda d: d["scenarios"]["eu"].update(regoin="x"), "scenarios.eu.regoin"),
    ],
)
def test_an_unknown_key_names_the_file_and_the_field(tmp_path, seed_data, mutate, field):
    mutate(seed_data)
    path = write(tmp_path, seed_data)
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    message = str(info.value)
    assert str(path) in message
    assert field in message
    assert "unknown field" in message


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["regions"]["cn-beijing"]["hosts"].pop("shared"), "cn-beijing.hosts.shared"),
        (
            lambda d: d["regions"]["ap-southeast-1"]["features"].pop("fine-tuning"),
            "ap-southeast-1.features.fine-tuning",
        ),
        (lambda d: d["scopes"]["us"].pop("ping_models"), "scopes.us.ping_models"),
        (lambda d: d["scenarios"]["mainland"].pop("scope"), "scenarios.mainland.scope"),
        (lambda d: d.pop("paths"), "<root>.paths"),
        (lambda d: d["regions"]["us-east-1"]["name"].pop("zh"), "us-east-1.name.zh"),
    ],
)
def test_a_missing_field_names_the_file_and_the_field(tmp_path, seed_data, mutate, field):
    mutate(seed_data)
    path = write(tmp_path, seed_data)
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    message = str(info.value)
    assert str(path) in message
    assert field in message
    assert "missing field" in message


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda d: d["regions"]["cn-hongkong"]["features"].update(batch="maybe"),
            "regions.cn-hongkong.features.batch",
        ),
        (
            lambda d: d["scenarios"]["eu"].update(region="eu-west-9"),
            "scenarios.eu.region",
        ),
        (lambda d: d["scenarios"]["eu"].update(scope="mainland"), "scenarios.eu.scope"),
        (
            lambda d: d["regions"]["cn-beijing"]["scopes"].append("lunar"),
            "regions.cn-beijing.scopes[1]",
        ),
        (
            lambda d: d["regions"]["cn-beijing"]["hosts"].update(workspace="x.{ws}.example"),
            "regions.cn-beijing.hosts.workspace",
        ),
        (
            lambda d: d["regions"]["cn-beijing"]["hosts"].update(shared=None),
            "regions.cn-beijing.workspace_required",
        ),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.update(version=True), "version"),
    ],
)
def test_a_wrong_value_names_the_file_and_the_field(tmp_path, seed_data, mutate, field):
    mutate(seed_data)
    path = write(tmp_path, seed_data)
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    assert str(path) in str(info.value)
    assert field in str(info.value)


def test_malformed_yaml_names_the_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("regions: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    assert str(path) in str(info.value)


def test_the_residency_names_the_wizard_shows_exist_in_both_languages(catalog):
    for scenario in catalog.scenarios.values():
        assert scenario.name.en and scenario.name.zh
        assert scenario.explain.en and scenario.explain.zh

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

# MODEL_STUDIO.md section 9, Hong Kong "not published" -> unknown, never yes; Frankfurt's
# application development "unverified" -> unknown. Columns: realtime, batch, alerting,
# fine-tuning, application development, PrivateLink.
_COLUMNS = ("realtime", "batch", "alerting", "fine-tuning", "app-dev", "privatelink")
FEATURES = {
    region: dict(zip(_COLUMNS, row.split(), strict=True))
    for region, row in {
        "cn-beijing": "yes yes yes yes yes yes",
        "ap-southeast-1": "yes yes yes no yes yes",
        "us-east-1": "yes no no no no no",
        "eu-central-1": "yes no no no unknown no",
        "ap-northeast-1": "yes no no no no no",
        "cn-hongkong": "unknown unknown unknown unknown unknown no",
    }.items()
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
    "cn-beijing": ("mainland", "elastic"),
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
        "europe": ("eu-central-1", "global"),
        "asia": ("ap-northeast-1", "global"),  # the Chinese region page's row
    }
    # Beijing's mainland row holds only for models launched before 2026-10-13 (section 1).
    caveat = catalog.scenarios["mainland"].caveat
    assert caveat is not None and "2026-10-13" in caveat.en and "2026-10-13" in caveat.zh


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
    # Virginia: per workspace now (official), the -us suffix kept as the legacy way.
    for rid in ("us-east-1", "eu-central-1", "ap-northeast-1", "cn-hongkong"):
        assert catalog.region(rid).scope_choice == "workspace"
    assert [r.id for r in catalog.regions.values() if r.legacy_suffix] == ["us-east-1"]
    # Beijing: the model's launch date decides (2026-10-13), read from the catalog's list,
    # which is marked observed (there is no official per-model list).
    beijing = catalog.region("cn-beijing")
    assert beijing.scope_choice == "by-model"
    assert beijing.model_scopes is not None and beijing.model_scopes.since == "2026-10-13"
    assert catalog.model_scope("cn-beijing", "qwen-plus") == "mainland"
    assert catalog.model_scope("cn-beijing", "qwen3.7-plus") == "elastic"
    assert catalog.model_scope("cn-beijing", "no-such-model") is None
    assert catalog.model_scope("ap-southeast-1", "qwen3.7-plus") is None
    assert catalog.observed("regions.cn-beijing.model_scopes")
    assert not catalog.observed("regions.cn-beijing")
    assert set(catalog.scopes) == {
        "global",
        "mainland",
        "elastic",
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


def test_reserved_labels_and_doc_conflicts(catalog):
    assert set(catalog.reserved_workspace_labels) == {"trial", "token-plan"}
    # The Virginia page now lists both hosts (section 2): that conflict is resolved.
    assert catalog.region("us-east-1").doc_conflicts == ()
    (frankfurt,) = catalog.region("eu-central-1").doc_conflicts
    assert "trial.eu-central-1.maas.aliyuncs.com" in frankfurt.en  # observed, not official
    (hongkong,) = catalog.region("cn-hongkong").doc_conflicts
    assert "workspace ID is required" in hongkong.en


def test_access_domains_and_their_guarantees(catalog):
    """MODEL_STUDIO.md section 2, the access-domain table (official Beijing page)."""
    got = {
        d.id: (d.timeout_s, d.protocols, d.sla, d.production)
        for d in catalog.access_domains.values()
    }
    assert got == {
        "workspace": (3600, ("HTTP", "SSE", "WebSocket", "WebRTC", "AOQ"), "99.9%", True),
        "dashscope": (600, ("HTTP", "SSE", "WebSocket"), "99.9%", True),
        "trial": (600, ("HTTP", "SSE"), None, False),
    }
    assert "1000" in catalog.access_domains["trial"].rate_limits.en


def test_plans_hosts_paths_and_editions(catalog):
    """MODEL_STUDIO.md section 2, "Plan hosts": Coding Plan's OpenAI path is /v1."""
    coding, token = catalog.plan("coding"), catalog.plan("token")
    assert coding.paths == {"openai": "/v1", "anthropic": "/apps/anthropic"}
    assert coding.hosts == {
        "cn-beijing": "coding.dashscope.aliyuncs.com",
        "ap-southeast-1": "coding-intl.dashscope.aliyuncs.com",
    }
    assert coding.main_account_only and not token.main_account_only
    assert token.paths == {"openai": "/compatible-mode/v1", "anthropic": "/apps/anthropic"}
    assert token.hosts == {
        "cn-beijing": "token-plan.cn-beijing.maas.aliyuncs.com",
        "ap-southeast-1": "token-plan.ap-southeast-1.maas.aliyuncs.com",
    }
    assert token.editions == {
        "personal": ("ap-southeast-1",),
        "team": ("cn-beijing", "ap-southeast-1"),
    }


def test_every_fact_has_a_source_with_its_kind_and_date(catalog):
    """Each region, scope, scenario, access domain, plan and model list names its sources,
    and each source says its kind and when it was checked (issue 9)."""
    expected = (
        {f"regions.{r}" for r in catalog.regions}
        | {f"scopes.{s}" for s in catalog.scopes}
        | {f"scenarios.{s}" for s in catalog.scenarios}
        | {f"access_domains.{d}" for d in catalog.access_domains}
        | {f"plans.{p}" for p in catalog.plans}
        | {"anthropic_models", "workspace_id_prefixes", "regions.cn-beijing.model_scopes"}
        | {"responses_models", "small_models"}
    )
    assert set(catalog.facts) == expected
    kinds = {s.kind for s in catalog.sources.values()}
    assert kinds <= {"official", "sdk", "observed"} and "observed" in kinds
    for ids in catalog.facts.values():
        for sid in ids:
            source = catalog.sources[sid]
            assert source.title and len(source.checked) == 10
    assert catalog.observed("workspace_id_prefixes")  # shapes seen, not documented


@pytest.mark.parametrize(
    ("mutate", "field", "problem"),
    [
        (
            lambda d: d["regions"]["cn-beijing"].pop("source"),
            "regions.cn-beijing.source",
            "missing",
        ),
        (lambda d: d["scopes"]["elastic"].pop("source"), "scopes.elastic.source", "missing"),
        (lambda d: d["plans"]["token"].pop("source"), "plans.token.source", "missing"),
        (
            lambda d: d["access_domains"]["trial"].update(source="a-blog"),
            "access_domains.trial.source",
            "unknown source",
        ),
        (lambda d: d["sources"]["beijing-access"].pop("checked"), "checked", "missing"),
        (
            lambda d: d["sources"]["beijing-access"].update(checked="last week"),
            "sources.beijing-access.checked",
            "YYYY-MM-DD",
        ),
        (
            lambda d: d["sources"]["beijing-access"].update(kind="rumour"),
            "sources.beijing-access.kind",
            "official, sdk, observed",
        ),
        (
            lambda d: d["regions"]["cn-beijing"].pop("model_scopes"),
            "regions.cn-beijing.model_scopes",
            "missing",
        ),
        (
            lambda d: d["plans"]["coding"]["paths"].update(openai="/v1/../x"),
            "plans.coding.paths.openai",
            "plain path",
        ),
        (
            lambda d: d["plans"]["token"]["editions"].update(personal=["eu-central-1"]),
            "plans.token.editions.personal[0]",
            "expected one of",
        ),
        (
            lambda d: d["access_domains"]["trial"].update(production=True),
            "access_domains.trial.production",
            "not for production",
        ),
    ],
)
def test_a_fact_without_a_source_or_date_is_refused(tmp_path, seed_data, mutate, field, problem):
    mutate(seed_data)
    path = write(tmp_path, seed_data)
    with pytest.raises(CatalogError) as info:
        load_catalog_file(path)
    assert str(path) in str(info.value)
    assert field in str(info.value)
    assert problem in str(info.value)


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
            "regions.cn-beijing.scopes[2]",
        ),
        (
            lambda d: d["regions"]["cn-beijing"]["hosts"].update(workspace="x.{ws}.example"),
            "regions.cn-beijing.hosts.workspace",
        ),
        (
            lambda d: d["regions"]["cn-beijing"]["hosts"].update(shared=None),
            "regions.cn-beijing.workspace_required",
        ),
        (lambda d: d.update(version=1), "version"),
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

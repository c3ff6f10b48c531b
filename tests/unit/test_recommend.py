"""The recommender: MODEL_STUDIO.md's scenario table, needs vs features, honest conflicts."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.answers import NEAR, NEEDS, RESIDENCIES, Answers
from app.core.catalog import load_catalog
from app.core.errors import UserError
from app.core.recommend import explain_placement, recommend

# MODEL_STUDIO.md section 1 (plus the two newer regions), as the user sees it.
EXPECTED = {
    "none": ("us-east-1", "global"),
    "mainland": ("cn-beijing", "mainland"),
    "outside-mainland": ("ap-southeast-1", "international"),
    "us": ("us-east-1", "us"),
    "eu": ("eu-central-1", "eu"),
    "japan": ("ap-northeast-1", "japan"),
    "hongkong": ("cn-hongkong", "hongkong"),
}

ALL_NEED_SETS = [combo for n in range(len(NEEDS) + 1) for combo in itertools.combinations(NEEDS, n)]
ALL_ANSWERS = [
    Answers(r, needs, near)
    for r in RESIDENCIES
    for needs in ALL_NEED_SETS
    for near in (None, *NEAR)
]


def regions_of(rec) -> list[str]:
    return [a.region for a in rec.alternatives]


@pytest.mark.parametrize("residency", RESIDENCIES)
def test_every_residency_gets_the_documented_placement(residency):
    rec = recommend(Answers(residency), lang="en")
    assert (rec.region, rec.scope) == EXPECTED[residency]
    assert rec.residency == residency
    assert rec.unmet_needs == ()
    assert rec.conflict is False
    assert rec.reasons, "a recommendation always says why"


@pytest.mark.parametrize(
    ("near", "expected"),
    [
        (None, ("us-east-1", "global")),
        ("americas", ("us-east-1", "global")),
        ("europe", ("eu-central-1", "global")),
        # MODEL_STUDIO.md section 1 (the Chinese region page): nearer to Asia -> Tokyo, Global.
        ("asia", ("ap-northeast-1", "global")),
        ("china", ("us-east-1", "global")),
    ],
)
def test_no_residency_picks_between_the_two_global_rows(near, expected):
    rec = recommend(Answers("none", near=near), lang="en")
    assert (rec.region, rec.scope) == expected


@pytest.mark.parametrize(
    ("near", "order"),
    [
        (None, ["eu-central-1", "ap-northeast-1", "cn-hongkong", "ap-southeast-1", "cn-beijing"]),
        (
            "americas",
            ["eu-central-1", "ap-northeast-1", "cn-hongkong", "ap-southeast-1", "cn-beijing"],
        ),
        ("europe", ["us-east-1", "ap-southeast-1", "cn-hongkong", "ap-northeast-1", "cn-beijing"]),
        ("asia", ["ap-southeast-1", "cn-hongkong", "cn-beijing", "us-east-1", "eu-central-1"]),
        (
            "china",
            ["cn-beijing", "cn-hongkong", "ap-northeast-1", "ap-southeast-1", "eu-central-1"],
        ),
    ],
)
def test_alternatives_for_no_residency_are_ordered_by_where_callers_run(near, order):
    assert regions_of(recommend(Answers("none", near=near), lang="en")) == order


def test_callers_far_from_the_global_regions_are_pointed_at_the_nearer_alternatives():
    rec = recommend(Answers("none", near="china"), lang="en")
    assert any("alternatives below are nearer" in r for r in rec.reasons)
    assert any("far from US (Virginia)" in c for c in rec.caveats)


def test_each_alternative_says_what_it_changes_about_residency_and_scope():
    alts = {a.region: a for a in recommend(Answers("none"), lang="en").alternatives}
    beijing = alts["cn-beijing"]
    assert beijing.scope == "mainland"
    assert "Data stored in China (Beijing)" in beijing.why
    assert "only on nodes within the Chinese mainland" in beijing.why
    singapore = alts["ap-southeast-1"]
    assert singapore.scope == "international"
    assert "excluding the Chinese mainland" in singapore.why
    tokyo = alts["ap-northeast-1"]
    assert "Workspace ID required" in tokyo.why
    assert "Japan also possible" in tokyo.why


def caveat_text(residency: str, **kw) -> str:
    return "\n".join(recommend(Answers(residency, **kw), lang="en").caveats)


def test_us_scope_says_to_use_the_us_model_names_and_shows_the_doc_conflict():
    text = caveat_text("us")
    # Virginia's scope is now the workspace's (official); the -us names are the older way.
    assert "create it with United States scope" in text
    assert "older way" in text and "qwen-plus-us" in text
    assert "-us suffix" not in caveat_text("none")


def test_frankfurt_says_to_create_the_workspace_with_eu_scope_and_needs_a_workspace_id():
    text = caveat_text("eu")
    assert "Create the workspace with EU scope" in text
    assert "chosen when the workspace is created" in text
    assert "A workspace ID is required" in text
    assert load_catalog().region("eu-central-1").console_workspaces in text


@pytest.mark.parametrize(("residency", "scope"), [("japan", "Japan"), ("hongkong", "Hong Kong")])
def test_per_workspace_scopes_say_which_scope_to_create(residency, scope):
    assert f"Create the workspace with {scope} scope" in caveat_text(residency)


@pytest.mark.parametrize("residency", ["none", "outside-mainland"])
def test_global_and_international_scopes_leave_cross_border_compliance_to_the_user(residency):
    assert "responsible for cross-border compliance" in caveat_text(residency)


@pytest.mark.parametrize("residency", ["mainland", "us", "eu", "japan", "hongkong"])
def test_strict_scopes_do_not_claim_cross_border_processing(residency):
    assert "cross-border" not in caveat_text(residency)


def test_hong_kong_feature_list_is_not_published():
    assert "feature list is not published" in caveat_text("hongkong")
    assert "feature list is not published" not in caveat_text("mainland")


def test_workspace_id_required_only_where_there_is_no_shared_host():
    assert "A workspace ID is required" in caveat_text("japan")
    for residency in ("mainland", "outside-mainland", "us", "hongkong"):
        assert "A workspace ID is required" not in caveat_text(residency)


def test_eu_with_fine_tuning_is_an_honest_conflict_listing_what_each_option_gives_up():
    rec = recommend(Answers("eu", ("fine-tuning",)), lang="en")
    assert (rec.region, rec.scope) == ("eu-central-1", "eu")  # residency is kept
    assert rec.conflict is True
    assert rec.unmet_needs == ("fine-tuning",)
    reasons = "\n".join(rec.reasons)
    assert "No region satisfies all of this" in reasons
    assert "stay in Germany (Frankfurt) with EU scope, without fine-tuning" in reasons
    assert "China (Beijing)" in reasons
    assert "your data is stored in China (Beijing)" in reasons
    beijing = next(a for a in rec.alternatives if a.region == "cn-beijing")
    assert "Offers fine-tuning" in beijing.why
    assert "Does not keep your requirement" in beijing.why
    assert beijing.keeps_residency is False


def test_outside_mainland_with_batch_is_no_conflict_singapore_has_it():
    rec = recommend(Answers("outside-mainland", ("batch", "alerting")), lang="en")
    assert rec.region == "ap-southeast-1"
    assert rec.unmet_needs == ()
    assert rec.conflict is False
    assert any("offers what you need" in r for r in rec.reasons)


def test_outside_mainland_with_fine_tuning_is_a_conflict():
    rec = recommend(Answers("outside-mainland", ("fine-tuning",)), lang="en")
    assert rec.region == "ap-southeast-1"
    assert rec.unmet_needs == ("fine-tuning",)
    assert rec.conflict is True


def test_unknown_feature_in_hong_kong_is_unmet_never_assumed():
    rec = recommend(Answers("hongkong", ("batch",)), lang="en")
    assert rec.region == "cn-hongkong"
    assert rec.unmet_needs == ("batch",)
    assert any("cannot be confirmed" in r for r in rec.reasons)
    assert any("not confirmed in China (Hong Kong)" in c for c in rec.caveats)


@pytest.mark.parametrize(
    ("needs", "near", "region"),
    [
        (("batch",), None, "ap-southeast-1"),
        (("alerting",), "europe", "ap-southeast-1"),
        (("batch",), "china", "cn-beijing"),
        (("fine-tuning",), None, "cn-beijing"),
        (("batch", "fine-tuning"), "americas", "cn-beijing"),
        (("privatelink",), None, "ap-southeast-1"),
        (("app-dev",), "americas", "ap-southeast-1"),
        (("privatelink", "fine-tuning"), None, "cn-beijing"),
    ],
)
def test_no_residency_with_needs_moves_to_a_region_that_has_them(needs, near, region):
    rec = recommend(Answers("none", needs, near), lang="en")
    assert rec.region == region
    assert rec.unmet_needs == ()
    assert rec.conflict is False
    seed = "eu-central-1" if near == "europe" else "us-east-1"
    assert any("recommended instead" in r for r in rec.reasons)
    assert seed in regions_of(rec), "the usual answer stays available as an alternative"


@pytest.mark.parametrize("answers", ALL_ANSWERS, ids=repr)
def test_no_need_is_dropped_and_alternatives_never_repeat(answers):
    rec = recommend(answers, lang="en")
    features = load_catalog().region(rec.region).features
    for need in answers.needs:
        assert features[need] == "yes" or need in rec.unmet_needs
    assert set(rec.unmet_needs) <= set(answers.needs)
    placements = [(a.region, a.scope) for a in rec.alternatives]
    assert (rec.region, rec.scope) not in placements
    assert len(placements) == len(set(placements))
    if rec.conflict:
        assert rec.unmet_needs


def test_app_dev_in_frankfurt_is_unconfirmed_and_privatelink_missing_is_said():
    rec = recommend(Answers("eu", ("app-dev", "privatelink")), lang="en")
    assert rec.region == "eu-central-1"
    assert set(rec.unmet_needs) == {"app-dev", "privatelink"}
    caveats = " ".join(rec.caveats)
    assert "Application development (agents, workflows) is not confirmed in" in caveats
    assert "does not offer PrivateLink (access from a VPC)" in caveats
    zh = recommend(Answers("eu", ("privatelink",)), lang="zh")
    assert any("PrivateLink（VPC 内访问）" in c for c in zh.caveats)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_text_is_fully_rendered(lang):
    for answers in ALL_ANSWERS:
        rec = recommend(answers, lang=lang)
        texts = [*rec.reasons, *rec.caveats, *(a.why for a in rec.alternatives)]
        for text in texts:
            assert "{" not in text and "recommend." not in text, (answers, text)


def test_chinese_texts():
    rec = recommend(Answers("eu", ("fine-tuning",)), lang="zh")
    assert rec.region_name == "德国（法兰克福）"
    assert rec.scope_name == "欧盟"
    assert any("没有任何地域能满足全部要求" in r for r in rec.reasons)
    assert all(re.search(r"[\u4e00-\u9fff]", a.why) for a in rec.alternatives)


@pytest.mark.parametrize(
    ("answers", "valid"),
    [
        (Answers("moon"), "none, mainland, outside-mainland, us, eu, japan, hongkong"),
        (Answers("europe"), "none, mainland"),  # `EU` means `eu` now (QA E28)
        (Answers("eu", ("gpu",)), "batch, fine-tuning, alerting, app-dev, privatelink"),
        (Answers("eu", near="mars"), "americas, europe, asia, china"),
    ],
)
def test_invalid_answers_name_the_valid_values(answers, valid):
    with pytest.raises(UserError) as info:
        recommend(answers, lang="en")
    assert info.value.exit_code == 2
    assert valid in info.value.message


def test_a_bad_answer_is_echoed_safely():
    with pytest.raises(UserError) as info:
        recommend(Answers("eu\r\nX-Evil: 1" + "x" * 200), lang="en")
    message = info.value.message
    assert "\n" not in message and "\r" not in message
    assert len(message) < 200


def test_duplicate_needs_count_once():
    rec = recommend(Answers("eu", ("batch", "batch")), lang="en")
    assert rec.unmet_needs == ("batch",)
    assert rec.needs == ("batch",)


def test_an_override_is_explained_like_an_alternative():
    answers = Answers("eu", ("fine-tuning",))
    rec = recommend(answers, lang="en")
    beijing = next(a for a in rec.alternatives if a.region == "cn-beijing")
    assert explain_placement(answers, "cn-beijing", "mainland", lang="en") == beijing
    tokyo = explain_placement(answers, "ap-northeast-1", "japan", lang="en")
    assert tokyo.keeps_residency is False
    assert "Lacks fine-tuning" in tokyo.why
    kept = explain_placement(answers, "eu-central-1", "eu", lang="en")
    assert kept.keeps_residency is True


@pytest.mark.parametrize(
    ("region", "scope", "needle"),
    [("eu-west-9", "eu", "cn-beijing"), ("cn-beijing", "global", "mainland")],
)
def test_an_impossible_override_is_refused(region, scope, needle):
    with pytest.raises(UserError) as info:
        explain_placement(Answers("none"), region, scope, lang="en")
    assert needle in info.value.message


def test_needs_given_as_one_comma_separated_string_are_split():
    rec = recommend(Answers("eu", "batch, fine-tuning"), lang="en")  # type: ignore[arg-type]
    assert rec.unmet_needs == ("batch", "fine-tuning")


def test_default_language_is_the_current_one():
    from app.core import i18n

    before = i18n.get_language()
    try:
        i18n.set_language("zh")
        assert recommend(Answers("eu")).region_name == "德国（法兰克福）"
        i18n.set_language("en")
        assert recommend(Answers("eu")).region_name == "Germany (Frankfurt)"
    finally:
        i18n.set_language(before)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.sampled_from(RESIDENCIES), st.text(max_size=30)),
    st.lists(st.one_of(st.sampled_from(NEEDS), st.text(max_size=12)), max_size=4),
    st.one_of(st.none(), st.sampled_from(NEAR), st.text(max_size=12)),
)
def test_any_answer_is_a_recommendation_or_a_clear_refusal(residency, needs, near):
    try:
        rec = recommend(Answers(residency, tuple(needs), near), lang="en")
    except UserError as exc:
        assert exc.exit_code == 2
        assert "Choose" in exc.message
        return

    # An id typed in any case or with spaces is that id (answers._fold, QA E28).
    def fold(value):
        return value.strip().lower() if isinstance(value, str) else value

    assert fold(residency) in RESIDENCIES and {fold(n) for n in needs} <= set(NEEDS)
    assert fold(near) in (None, *NEAR)
    assert rec.region in load_catalog().regions

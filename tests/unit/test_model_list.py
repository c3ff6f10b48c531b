"""The model-list parser on hostile and odd answers: a problem, never a crash."""

from __future__ import annotations

import json

from app.probe.model_list import MAX_ENTRIES, Page, choose_ping_model, parse_page

CT = "application/json"


def _native(models: object, total: object = None) -> bytes:
    return json.dumps({"request_id": "r", "output": {"models": models, "total": total}}).encode()


def test_native_shape_reads_id_and_scope_and_ignores_unknown_fields():
    body = _native(
        [
            {"model": "qwen3.6-flash", "name": "x", "deployment_scope": "mainland", "odd": [1]},
            {"id": "qwen-plus"},
        ],
        2,
    )
    page = parse_page(CT, body, "native")
    assert page.problem is None and page.total == 2
    assert [(m.id, m.scope, m.source) for m in page.models] == [
        ("qwen3.6-flash", "mainland", "native"),
        ("qwen-plus", None, "native"),
    ]


def test_compatible_shape():
    body = json.dumps({"object": "list", "data": [{"id": "qwen-flash"}, "junk", {"id": 3}]})
    page = parse_page(CT, body.encode(), "compatible")
    assert page.problem is None and [m.id for m in page.models] == ["qwen-flash"]


def test_deeply_nested_is_not_json():
    assert parse_page(CT, b"[" * 5000 + b"]" * 5000, "native").problem == "problem_not_json"


def test_malformed_and_html_and_oversized():
    assert parse_page(CT, b'{"output": {', "native").problem == "problem_not_json"
    assert parse_page("text/html", b"<html></html>", "native").problem == "problem_not_json"
    assert parse_page(CT, b"{}", "native", oversized=True).problem == "problem_too_big"


def test_non_list_fields_are_a_shape_problem():
    assert parse_page(CT, _native({"model": "x"}), "native").problem == "problem_shape"
    assert parse_page(CT, b'{"data": "qwen"}', "compatible").problem == "problem_shape"
    assert parse_page(CT, b"[1, 2]", "compatible").problem == "problem_not_json"
    assert parse_page(CT, _native([1, None, {"model": ""}]), "native").problem == "problem_shape"


def test_entries_are_capped_and_ids_made_inert():
    many = [{"model": f"m{i}"} for i in range(MAX_ENTRIES + 50)]
    page = parse_page(CT, _native(many), "native")
    assert len(page.models) == MAX_ENTRIES
    page = parse_page(CT, _native([{"model": "evil\x1b[2Jx", "deployment_scope": 5}]), "native")
    assert "\x1b" not in page.models[0].id and page.models[0].scope is None
    assert parse_page(CT, _native([{"model": "a" * 500}]), "native").problem == "problem_shape"


def test_ping_model_choice():
    listed = parse_page(
        CT, _native([{"model": "qwen-plus"}, {"model": "qwen3.6-flash"}], 2), "native"
    )
    assert choose_ping_model(listed, "qwen-plus", "international") == ("qwen-plus", None)
    assert choose_ping_model(listed, "gone-model", "international") == (
        "qwen3.6-flash",
        "not_listed",
    )
    assert choose_ping_model(listed, None, "international") == ("qwen3.6-flash", "no_model")
    # an incomplete list cannot say a model is missing
    partial = parse_page(CT, _native([{"model": "qwen-plus"}], 500), "native")
    assert choose_ping_model(partial, "other", "international") == ("other", None)
    # a listed model of another scope is not chosen
    scoped = parse_page(
        CT, _native([{"model": "qwen3.6-flash", "deployment_scope": "x"}], 1), "native"
    )
    assert choose_ping_model(scoped, None, "mainland") == (None, None)
    unreadable = Page([], "problem_not_json")
    assert choose_ping_model(unreadable, None, "international") == (
        "qwen-flash",
        "catalog_fallback",
    )
    assert choose_ping_model(unreadable, "qwen-plus", "international") == ("qwen-plus", None)

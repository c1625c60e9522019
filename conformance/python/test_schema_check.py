"""The schema check itself catches what it is for (skipped without the OpenAPI document)."""

from __future__ import annotations

import pytest

import schema_check


@pytest.fixture
def fresh_records(monkeypatch):
    monkeypatch.setattr(schema_check, "RECORDED", [])
    return schema_check.RECORDED


def test_a_wrong_type_and_a_missing_field_are_violations(fresh_records):
    if not schema_check.spec_path().is_file():
        pytest.skip(f"schema check skipped: {schema_check.spec_path()} not found")
    good = {"code": 0, "msg": "", "data": {"id": "1", "created_at": 1, "meta_data": {}}, "detail": {"logid": "x"}}
    bad = {"code": "0", "msg": "", "data": {"id": 1, "created_at": "yesterday"}, "detail": {"logid": "x"}}
    fresh_records.append(schema_check.Recorded("POST", "/v1/conversation/create", 200, good))
    fresh_records.append(schema_check.Recorded("POST", "/v1/conversation/create", 200, bad))
    skipped, outside, notes = schema_check.check()
    assert skipped is None
    assert "2 JSON responses validated" in notes[0]
    wheres = {(v.where, v.keyword) for v in outside}
    assert ("/code", "type") in wheres, outside
    assert ("/data/created_at", "type") in wheres, outside
    assert all(v.path == "/v1/conversation/create" for v in outside)

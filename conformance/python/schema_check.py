"""The schema check: every JSON response the conformance run records is validated against the
official OpenAPI document (`coze-openapi.yaml`), with the spec's own known defects in one
allow-list (`conformance/schema/allowlist.yaml`, a reason for each entry).

`record` is an httpx response hook (conftest installs it on every client it builds); `check`
runs at the end of the session. The spec is read from `$COZE_OPENAPI`, else from
`<repo>/../shared/reference/coze-sdk-gen/coze-openapi.yaml`; without it the check is skipped
with a printed line.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import httpx

REPO = Path(__file__).resolve().parents[2]
ALLOWLIST = REPO / "conformance" / "schema" / "allowlist.yaml"


def spec_path() -> Path:
    explicit = os.environ.get("COZE_OPENAPI")
    if explicit:
        return Path(explicit)
    return REPO.parent / "shared" / "reference" / "coze-sdk-gen" / "coze-openapi.yaml"


@dataclass
class Recorded:
    method: str
    path: str
    status: int
    body: Any


_lock = threading.Lock()
RECORDED: List[Recorded] = []


def record(response: httpx.Response) -> None:
    """httpx response hook: keeps JSON responses (never streams)."""
    if "application/json" not in response.headers.get("content-type", ""):
        return
    path = response.request.url.path
    if path.startswith("/_emulator") or path.startswith("/glif"):
        return
    try:
        response.read()
        body = json.loads(response.content)
    except (ValueError, httpx.HTTPError):
        return
    with _lock:
        RECORDED.append(Recorded(response.request.method, path, response.status_code, body))


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


@dataclass
class Violation:
    method: str
    path: str
    template: str
    status: int
    where: str
    keyword: str
    message: str
    is_error_body: bool

    def line(self) -> str:
        return f"{self.method} {self.path} ({self.template}, HTTP {self.status}) at {self.where or '/'}: [{self.keyword}] {self.message}"


def _allowed(v: Violation, allow: List[Dict[str, Any]]) -> Optional[str]:
    for entry in allow:
        if entry.get("path", "*") not in ("*", v.template):
            continue
        if entry.get("method", "*") not in ("*", v.method):
            continue
        if "status" in entry and entry["status"] != v.status:
            continue
        if entry.get("error_bodies_only") and not v.is_error_body:
            continue
        if "keyword" in entry and entry["keyword"] != v.keyword:
            continue
        where = entry.get("where")
        if where is not None and not re.fullmatch(where, v.where):
            continue
        contains = entry.get("message_contains")
        if contains is not None and contains not in v.message:
            continue
        return entry.get("reason", "")
    return None


def check() -> Tuple[Optional[str], List[Violation], List[str]]:
    """(skip reason or None, violations outside the allow-list, notes)."""
    spec_file = spec_path()
    if not spec_file.is_file():
        return (f"schema check skipped: {spec_file} not found (CI has it beside the clone; or set COZE_OPENAPI)", [], [])
    import yaml  # noqa: PLC0415 - only needed when the spec is there
    from jsonschema import Draft4Validator  # noqa: PLC0415

    spec = yaml.safe_load(spec_file.read_text())
    allow = yaml.safe_load(ALLOWLIST.read_text()) or []
    for entry in allow:
        if not entry.get("reason"):
            raise ValueError(f"{ALLOWLIST}: every entry needs a reason: {entry}")
    templates = [(t, _template_regex(t), ops) for t, ops in spec["paths"].items()]
    # Literal paths before templated ones (/v1/workflows/chat before /v1/workflows/{id}).
    templates.sort(key=lambda t: t[0].count("{"))
    components = spec.get("components", {})
    violations: List[Violation] = []
    unknown = set()
    checked = 0
    with _lock:
        recorded = list(RECORDED)
    for r in recorded:
        match = next(((t, ops) for t, rx, ops in templates if rx.match(r.path)), None)
        if match is None:
            unknown.add(f"{r.method} {r.path}")
            continue
        template, ops = match
        op = ops.get(r.method.lower()) or next(iter(v for k, v in ops.items() if isinstance(v, dict) and "responses" in v), None)
        if op is None:
            continue
        response = op.get("responses", {}).get(str(r.status)) or op.get("responses", {}).get("200")
        schema = (response or {}).get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            continue
        checked += 1
        root = dict(schema)
        root["components"] = components
        is_error = isinstance(r.body, dict) and r.body.get("code") not in (None, 0)
        for error in Draft4Validator(root).iter_errors(r.body):
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            violations.append(
                Violation(r.method, r.path, template, r.status, where.rstrip("/") or "/", error.validator, error.message[:300], is_error)
            )
    notes = [f"schema check: {checked} JSON responses validated against {spec_file.name}"]
    if unknown:
        notes.append(f"schema check: {len(unknown)} paths the spec does not describe were not checked: {', '.join(sorted(unknown)[:20])}")
    outside = [v for v in violations if _allowed(v, allow) is None]
    allowed = len(violations) - len(outside)
    notes.append(f"schema check: {allowed} violations allowed by {ALLOWLIST.relative_to(REPO)}, {len(outside)} outside it")
    return (None, outside, notes)

"""Fixtures: the official `openai` SDK against `coze serve --emulator --json`.

One gateway process (with its in-process emulator) serves the session (`gateway`); tests that
switch emulator faults on get their own (`fresh_gateway`), so a fault never leaks into another
test. The binary is `$COZE_BIN`, else `<cargo target dir>/debug/coze`.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import httpx
import openai
import pytest

REPO = Path(__file__).resolve().parents[2]
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
os.environ["no_proxy"] = os.environ["NO_PROXY"]
START_TIMEOUT_S = 60
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def coze_bin() -> str:
    explicit = os.environ.get("COZE_BIN")
    if explicit:
        if not Path(explicit).is_file():
            pytest.exit(f"COZE_BIN={explicit} does not exist; build it with `cargo build -p coze-cli`", 2)
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    candidate = target / "debug" / "coze"
    if not candidate.is_file():
        pytest.exit(f"no coze binary at {candidate}; run `cargo build -p coze-cli` or set COZE_BIN", 2)
    return str(candidate)


@dataclass
class Gateway:
    """A running `coze serve --emulator --json` and the line it printed."""

    info: Dict[str, Any]
    proc: subprocess.Popen
    stderr_path: str
    _closed: bool = field(default=False)

    @property
    def url(self) -> str:
        return self.info["url"].rstrip("/")

    @property
    def api_key(self) -> str:
        return self.info["api_key"]

    @property
    def models(self) -> List[str]:
        return self.info["models"]

    @property
    def emulator(self) -> Dict[str, Any]:
        return self.info["emulator"]

    def client(self, api_key: Optional[str] = None, **kw: Any) -> openai.OpenAI:
        # No retries: every error must show as it came; no proxy for loopback.
        return openai.OpenAI(
            base_url=self.url + "/v1",
            api_key=api_key if api_key is not None else self.api_key,
            max_retries=0,
            timeout=TIMEOUT,
            http_client=httpx.Client(trust_env=False, timeout=TIMEOUT),
            **kw,
        )

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=TIMEOUT, trust_env=False)

    def emulator_http(self) -> httpx.Client:
        return httpx.Client(base_url=self.emulator["base_url"], timeout=TIMEOUT, trust_env=False)

    def set_faults(self, body: Dict[str, Any]) -> None:
        with self.emulator_http() as http:
            resp = http.post("/_emulator/faults", json=body)
        assert resp.status_code < 300, f"POST /_emulator/faults {body} -> {resp.status_code} {resp.text}"

    def coze_get(self, path: str, params: Dict[str, str]) -> Dict[str, Any]:
        """A Coze API call to the emulator with its PAT (to look behind the gateway)."""
        with self.emulator_http() as http:
            resp = http.get(path, params=params, headers={"Authorization": f"Bearer {self.emulator['pat']}"})
        body = resp.json()
        assert body.get("code") == 0, body
        return body["data"]

    def stderr(self) -> str:
        try:
            return Path(self.stderr_path).read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        try:
            os.unlink(self.stderr_path)
        except OSError:
            pass


def start_gateway(extra_args: Optional[List[str]] = None, env: Optional[Dict[str, str]] = None) -> Gateway:
    stderr = tempfile.NamedTemporaryFile(prefix="coze-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [coze_bin(), "serve", "--emulator", "--json", "--listen", "127.0.0.1:0", *(extra_args or [])],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=tempfile.gettempdir(),
        env={**os.environ, **(env or {})},
    )
    stderr.close()
    lines: "queue.Queue[Optional[str]]" = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    gw = Gateway(info={}, proc=proc, stderr_path=stderr.name)
    try:
        first = lines.get(timeout=START_TIMEOUT_S)
    except queue.Empty:
        gw.stop()
        pytest.fail(f"`coze serve --emulator --json` printed nothing within {START_TIMEOUT_S}s")
    if first is None:
        code = proc.wait(timeout=5)
        log = gw.stderr()
        gw.stop()
        pytest.fail(f"`coze serve --emulator --json` exited with {code} before printing its line:\n{log}")
    try:
        gw.info = json.loads(first)
    except json.JSONDecodeError:
        gw.stop()
        pytest.fail(f"`coze serve --emulator --json` printed a line that is not JSON: {first!r}")
    for k in ("url", "api_key", "models", "emulator"):
        if k not in gw.info:
            gw.stop()
            pytest.fail(f"the --json line lacks {k}: {gw.info}")
    return gw


@pytest.fixture(scope="session")
def gateway():
    gw = start_gateway()
    yield gw
    gw.stop()


@pytest.fixture
def fresh_gateway():
    """A gateway (and emulator) of this test's own: faults die with it."""
    gw = start_gateway()
    yield gw
    gw.stop()


@pytest.fixture
def client(gateway):
    with gateway.client() as c:
        yield c

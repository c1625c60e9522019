"""Fixtures for the conformance suite: the official `cozepy` SDK against `coze emulator`.

One emulator process serves the whole session (`emulator`); tests that switch faults on or
need an empty store get their own process (`fresh_emulator`), so a failing test cannot leave
state behind for the next one. The binary is `$COZE_BIN`, else `<cargo target dir>/debug/coze`.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Optional

import httpx
import pytest

# cozepy 0.20.0 imports authlib.jose, which warns on import; not ours to fix. authlib installs an
# "always" filter when first imported, so import it first and put our filter in front of it.
import authlib.deprecate  # noqa: E402,F401

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
    from cozepy import Coze, TokenAuth
    from cozepy.request import SyncHTTPClient

import schema_check

REPO = Path(__file__).resolve().parents[2]
# cozepy's OAuth apps build their own httpx clients, which read proxy settings from the
# environment; the emulator is on loopback and must never be reached through a proxy.
os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
os.environ["no_proxy"] = os.environ["NO_PROXY"]
# The first start may include the OS loading a freshly linked debug binary.
START_TIMEOUT_S = 60
# Every request the SDK makes gets a bound, so a hung emulator fails a test instead of CI.
REQUEST_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def coze_bin() -> str:
    explicit = os.environ.get("COZE_BIN")
    if explicit:
        if not Path(explicit).is_file():
            pytest.exit(f"COZE_BIN={explicit} does not exist; build it with `cargo build -p coze-cli`", 2)
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    candidate = target / "debug" / ("coze.exe" if os.name == "nt" else "coze")
    if not candidate.is_file():
        pytest.exit(
            f"no coze binary at {candidate}; run `cargo build -p coze-cli` or set COZE_BIN "
            "(scripts/test.sh does both)",
            2,
        )
    return str(candidate)


@dataclass
class Emulator:
    """A running `coze emulator --json` process and the line it printed."""

    info: Dict[str, Any]
    proc: subprocess.Popen
    stderr_path: str
    _closed: bool = field(default=False)

    @property
    def base_url(self) -> str:
        return self.info["base_url"]

    @property
    def pat(self) -> str:
        return self.info["pat"]

    @property
    def workspace_id(self) -> str:
        return self.info["workspace_id"]

    @property
    def bots(self) -> Dict[str, str]:
        return self.info["bots"]

    def client(self, token: Optional[str] = None) -> Coze:
        return make_coze(self.base_url, token if token is not None else self.pat)

    def http(self) -> httpx.Client:
        """A plain HTTP client for the emulator's own `/_emulator/...` switches."""
        return httpx.Client(
            base_url=self.base_url,
            timeout=REQUEST_TIMEOUT,
            trust_env=False,
            event_hooks={"response": [schema_check.record]},
        )

    def set_faults(self, body: Dict[str, Any]) -> None:
        with self.http() as http:
            resp = http.post("/_emulator/faults", json=body)
        assert resp.status_code < 300, f"POST /_emulator/faults {body} -> {resp.status_code} {resp.text}"

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
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        try:
            os.unlink(self.stderr_path)
        except OSError:
            pass


def make_coze(base_url: str, token: str) -> Coze:
    # trust_env=False: a proxy configured for the package registries must not see 127.0.0.1.
    http_client = SyncHTTPClient(
        timeout=REQUEST_TIMEOUT, trust_env=False, event_hooks={"response": [schema_check.record]}
    )
    return Coze(auth=TokenAuth(token), base_url=base_url, http_client=http_client)


def start_emulator(pace: Optional[str] = "fast") -> Emulator:
    """`coze emulator --json`; at the fast pace unless `pace` says otherwise (None: its default,
    the realistic pace, for the tests of timing)."""
    stderr = tempfile.NamedTemporaryFile(prefix="coze-emulator-", suffix=".log", delete=False)
    args = [coze_bin(), "emulator", "--json", "--listen", "127.0.0.1:0"]
    if pace is not None:
        args += ["--pace", pace]
    proc = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    stderr.close()
    lines: "queue.Queue[Optional[str]]" = queue.Queue()

    def pump() -> None:
        # Keep draining stdout after the first line so the emulator can never block on a full pipe.
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    emu = Emulator(info={}, proc=proc, stderr_path=stderr.name)
    try:
        first = lines.get(timeout=START_TIMEOUT_S)
    except queue.Empty:
        emu.stop()
        pytest.fail(f"`coze emulator --json` printed nothing within {START_TIMEOUT_S}s")
    if first is None:
        code = proc.wait(timeout=5)
        log = emu.stderr()
        emu.stop()
        pytest.fail(f"`coze emulator --json` exited with {code} before printing its line:\n{log}")
    try:
        info = json.loads(first)
    except json.JSONDecodeError:
        emu.stop()
        pytest.fail(f"`coze emulator --json` printed a line that is not JSON: {first!r}")
    emu.info = info
    check_info_line(emu)
    return emu


def check_info_line(emu: Emulator) -> None:
    """The documented shape of the `--json` line (issue 2, section 3)."""
    info = emu.info
    missing = [k for k in ("base_url", "pat", "workspace_id", "bots") if k not in info]
    if missing:
        emu.stop()
        pytest.fail(f"`coze emulator --json` line lacks {missing}: {info}")
    if not info["base_url"].startswith("http://127.0.0.1:") or info["base_url"].endswith(":0"):
        emu.stop()
        pytest.fail(f"base_url must carry the real port on 127.0.0.1: {info['base_url']}")
    for bot in ("echo", "tool", "failing", "unpublished", "reasoning"):
        if not isinstance(info["bots"].get(bot), str) or not info["bots"][bot]:
            emu.stop()
            pytest.fail(f"bots.{bot} missing or not a string id: {info['bots']}")


@pytest.fixture(scope="session")
def emulator():
    emu = start_emulator()
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def paced_emulator():
    """An emulator at its default (realistic) pace, for the tests of timing."""
    emu = start_emulator(pace=None)
    yield emu
    emu.stop()


@pytest.fixture
def fresh_emulator():
    """An emulator of this test's own: empty store, and faults die with it."""
    emu = start_emulator()
    yield emu
    emu.stop()


@pytest.fixture
def coze(emulator: Emulator) -> Coze:
    return emulator.client()


@pytest.fixture
def bots(emulator: Emulator) -> Dict[str, str]:
    return emulator.bots


@pytest.fixture
def user_id(request) -> str:
    # Unique per test: the emulator keys context and memory by user.
    return f"conf-{request.node.name[:40]}-{uuid.uuid4().hex[:8]}"


def pytest_sessionfinish(session, exitstatus):
    """The schema check over every JSON response the run recorded (see schema_check.py)."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_sep("-", "schema check")
    write = reporter.write_line if reporter else print
    skipped, outside, notes = schema_check.check()
    if skipped:
        write(skipped)
        return
    for note in notes:
        write(note)
    for violation in outside[:50]:
        write(f"schema violation: {violation.line()}")
    if outside:
        write(f"schema check FAILED: {len(outside)} violations outside conformance/schema/allowlist.yaml")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

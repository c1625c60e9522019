"""The Glif chain of issue 5 as the official SDK sees it:
cozepy -> emulated Coze `plugin` bot -> our bridge (`coze serve`) -> the emulator's fake Glif.
"""

from __future__ import annotations

import json
import socket
import subprocess

import httpx
import pytest
from cozepy import ChatEventType, Message, MessageType

from conftest import REQUEST_TIMEOUT, coze_bin
from support import completed_messages, only

SERVICE_TOKEN = "conformance-service-token-0123456789"


def free_port() -> int:
    # The bridge must know its public URL before it listens, so pick the port here.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def bridge(fresh_emulator, tmp_path):
    glif = fresh_emulator.info.get("glif")
    assert isinstance(glif, dict), "`coze emulator --json` has no glif key"
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    config = tmp_path / "bridge.toml"
    config.write_text(
        f'public_base_url = "{public}"\n'
        f'service_token = "{SERVICE_TOKEN}"\n'
        f'glif_token = "{glif["token"]}"\n'
        f'glif_base_url = "{glif["base_url"]}"\n'
        "\n[[tools]]\n"
        'name = "write_poem"\n'
        'description = "Writes a tiny poem about a topic"\n'
        'glif_id = "glif-text"\n'
    )
    proc = subprocess.Popen(
        [coze_bin(), "serve", "--json", "--config", str(config), "--listen", f"127.0.0.1:{port}"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        if not line:
            pytest.fail(f"`coze serve` exited: {proc.wait(timeout=5)} {proc.stderr.read()}")
        info = json.loads(line)
        assert "write_poem" in info["tools"]
        yield fresh_emulator, info
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_plugin_bot_answers_through_the_bridge_and_fake_glif(bridge, user_id):
    emu, info = bridge
    with httpx.Client(timeout=REQUEST_TIMEOUT, trust_env=False) as http:
        doc = http.get(info["openapi_json"]).json()
        (server,) = doc["servers"]
        paths = [p for p, ops in doc["paths"].items() for op in ops.values() if op["operationId"] == "write_poem"]
        (path,) = paths
        # Without the service token the bridge runs nothing; the emulator sends it as imported.
        assert http.post(server["url"] + path, json={"topic": "x"}).status_code == 401
        imported = http.post(
            f"{emu.base_url}/_emulator/plugins/import",
            json={"url": info["openapi_json"], "service_token": f"Bearer {SERVICE_TOKEN}"},
        ).json()
    assert imported["code"] == 0, imported
    assert "write_poem" in {t["name"] for t in imported["data"]["tools"]}

    coze = emu.client()
    events = list(
        coze.chat.stream(
            bot_id=emu.bots["plugin"],
            user_id=user_id,
            additional_messages=[Message.build_user_question_text("write_poem: foxes in the snow")],
        )
    )
    assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    answer = only(completed_messages(events, MessageType.ANSWER), "answer").content
    assert "foxes in the snow" in answer, answer
    assert "roses bloom" in answer, "the fake Glif's output should reach the answer"

    # As on Coze, the tool call shows as completed function_call and tool_response messages.
    call = only(completed_messages(events, MessageType.FUNCTION_CALL), "function_call message")
    assert json.loads(call.content)["name"] == "write_poem"
    response = only(completed_messages(events, MessageType.TOOL_RESPONSE), "tool_response message")
    assert "roses bloom" in response.content

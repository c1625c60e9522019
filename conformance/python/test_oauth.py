"""cozepy's OAuth apps (PKCE, web, device, JWT) get working tokens from the emulator (issue 3).

The emulator's apps are in its `--json` line under "oauth". The browser step is done by an
HTTP client reading the consent page and posting its form, as a browser would, so the
emulator's global consent mode stays "ask" and the tests can share the session's emulator.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from cozepy import (
    Coze,
    CozeAPIError,
    CozePKCEAuthError,
    CozePKCEAuthErrorType,
    DeviceOAuthApp,
    JWTAuth,
    JWTOAuthApp,
    PKCEOAuthApp,
    WebOAuthApp,
)
from cozepy.request import SyncHTTPClient

from conftest import REQUEST_TIMEOUT, make_coze
from support import chat


@pytest.fixture
def emu(emulator):
    assert isinstance(emulator.info.get("oauth"), dict), "`coze emulator --json` has no oauth key"
    return emulator


@pytest.fixture
def oauth(emu):
    return emu.info["oauth"]


def browse(emu, authorize_url: str, decision: str = "approve") -> dict:
    """Open the authorize URL, answer the consent form, return the redirect's query."""
    assert authorize_url.startswith(emu.base_url + "/api/permission/oauth2/"), authorize_url
    with emu.http() as http:
        page = http.get(authorize_url)
        assert page.status_code == 200, page.text
        key = re.search(r'name="authorize_key" value="([^"]+)"', page.text)
        assert key, f"no consent form on the authorize page: {page.text[:300]}"
        answer = http.post("/_emulator/oauth/consent", data={"authorize_key": key.group(1), "decision": decision})
    assert answer.status_code in (302, 303), answer.text
    location = urlsplit(answer.headers["location"])
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def assert_token_works(emu, access_token: str):
    """A chat with the echo bot under the token."""
    events = chat(make_coze(emu.base_url, access_token), emu.bots["echo"], "oauth-user", "hi")
    assert events[-1].chat.status == "completed"


def assert_fresh(token, now=None):
    now = now or int(time.time())
    # expires_in is an absolute Unix time on Coze, not a duration.
    assert token.expires_in > now + 60, token.expires_in


def test_pkce_s256_login_refresh_and_rotation(emu, oauth):
    app = PKCEOAuthApp(client_id=oauth["pkce_client_id"], base_url=emu.base_url)
    verifier = "conformance-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
    url = app.get_oauth_url(oauth["redirect_uri"], verifier, code_challenge_method="S256", state="st-42")
    query = browse(emu, url)
    assert query["state"] == "st-42"

    token = app.get_access_token(oauth["redirect_uri"], query["code"], verifier)
    assert token.access_token and token.refresh_token
    assert_fresh(token)
    assert_token_works(emu, token.access_token)

    # The code was used up.
    with pytest.raises(CozeAPIError):
        app.get_access_token(oauth["redirect_uri"], query["code"], verifier)

    refreshed = app.refresh_access_token(token.refresh_token)
    assert refreshed.access_token != token.access_token
    assert refreshed.refresh_token != token.refresh_token
    assert_token_works(emu, refreshed.access_token)
    # Refresh tokens rotate: the old one is dead after use.
    with pytest.raises(CozeAPIError) as err:
        app.refresh_access_token(token.refresh_token)
    assert err.value.msg


def test_pkce_plain_and_a_wrong_verifier(emu, oauth):
    app = PKCEOAuthApp(client_id=oauth["pkce_client_id"], base_url=emu.base_url)
    verifier = "plain-verifier-for-the-conformance-suite-000000000000"
    url = app.get_oauth_url(oauth["redirect_uri"], verifier)  # cozepy's default method is plain
    assert "code_challenge_method=plain" in url
    with pytest.raises(CozeAPIError) as err:
        app.get_access_token(oauth["redirect_uri"], browse(emu, url)["code"], verifier + "x")
    assert "verifier" in err.value.msg

    token = app.get_access_token(oauth["redirect_uri"], browse(emu, url)["code"], verifier)
    assert_token_works(emu, token.access_token)


def test_consent_denied_redirects_with_access_denied(emu, oauth):
    app = PKCEOAuthApp(client_id=oauth["pkce_client_id"], base_url=emu.base_url)
    query = browse(emu, app.get_oauth_url(oauth["redirect_uri"], "v" * 43, state="s"), decision="deny")
    assert query["error"] == "access_denied" and query["state"] == "s" and "code" not in query


def test_web_app_with_client_secret(emu, oauth):
    app = WebOAuthApp(client_id=oauth["web_client_id"], client_secret=oauth["web_client_secret"], base_url=emu.base_url)
    query = browse(emu, app.get_oauth_url(oauth["redirect_uri"], state="web"))
    token = app.get_access_token(oauth["redirect_uri"], query["code"])
    assert_fresh(token)
    assert_token_works(emu, token.access_token)
    refreshed = app.refresh_access_token(token.refresh_token)
    assert_token_works(emu, refreshed.access_token)

    wrong = WebOAuthApp(client_id=oauth["web_client_id"], client_secret="not-the-secret", base_url=emu.base_url)
    query = browse(emu, wrong.get_oauth_url(oauth["redirect_uri"]))
    with pytest.raises(CozeAPIError):
        wrong.get_access_token(oauth["redirect_uri"], query["code"])


def test_device_code_approved_in_the_browser(emu, oauth):
    app = DeviceOAuthApp(client_id=oauth["device_client_id"], base_url=emu.base_url)
    code = app.get_device_code()
    assert code.device_code and code.user_code
    assert code.interval >= 1 and code.expires_in > 0
    assert code.verification_url == f"{code.verification_uri}?user_code={code.user_code}"

    with emu.http() as http:
        page = http.get(code.verification_url)
        assert page.status_code == 200 and code.user_code in page.text
        done = http.post(urlsplit(code.verification_uri).path, data={"user_code": code.user_code, "decision": "approve"})
        assert done.status_code == 200, done.text

    # Approved before the first poll, so cozepy's poll loop returns without sleeping.
    token = app.get_access_token(code.device_code, poll=True)
    assert token.refresh_token
    assert_fresh(token)
    assert_token_works(emu, token.access_token)
    assert_token_works(emu, app.refresh_access_token(token.refresh_token).access_token)


def test_device_code_pending_slow_down_and_denied(emu, oauth):
    app = DeviceOAuthApp(client_id=oauth["device_client_id"], base_url=emu.base_url)
    code = app.get_device_code()
    with pytest.raises(CozePKCEAuthError) as err:
        app.get_access_token(code.device_code)
    assert err.value.error == CozePKCEAuthErrorType.AUTHORIZATION_PENDING
    with pytest.raises(CozePKCEAuthError) as err:
        app.get_access_token(code.device_code)  # again at once: faster than `interval`
    assert err.value.error == CozePKCEAuthErrorType.SLOW_DOWN

    denied = app.get_device_code()
    with emu.http() as http:
        assert http.post("/_emulator/oauth/device/deny", json={"user_code": denied.user_code}).status_code == 200
    with pytest.raises(CozePKCEAuthError) as err:
        app.get_access_token(denied.device_code)
    assert err.value.error == CozePKCEAuthErrorType.ACCESS_DENIED


def jwt_app(emu, oauth, key_id=None):
    private_key = Path(oauth["jwt_private_key_path"]).read_text()
    return JWTOAuthApp(
        client_id=oauth["jwt_app_id"],
        private_key=private_key,
        public_key_id=key_id or oauth["jwt_key_id"],
        base_url=emu.base_url,
    )


def test_jwt_app_token(emu, oauth):
    app = jwt_app(emu, oauth)
    now = int(time.time())
    token = app.get_access_token(ttl=600)
    assert token.access_token and not token.refresh_token, "the JWT grant has no refresh token"
    assert now + 590 <= token.expires_in <= now + 610 + 5
    assert_token_works(emu, token.access_token)

    # JWTAuth: cozepy's auto-refreshing auth built on the same app.
    http_client = SyncHTTPClient(timeout=REQUEST_TIMEOUT, trust_env=False)
    coze = Coze(auth=JWTAuth(oauth_app=app, ttl=900), base_url=emu.base_url, http_client=http_client)
    assert coze.users.me().user_id == oauth["user_id"]


def test_jwt_with_an_unknown_key_id_is_refused(emu, oauth):
    with pytest.raises(CozeAPIError) as err:
        jwt_app(emu, oauth, key_id="not-the-key-id").get_access_token()
    assert err.value.msg


def test_team_workspace_needs_the_app_installed(emu, oauth):
    app = DeviceOAuthApp(client_id=oauth["device_client_id"], base_url=emu.base_url)
    code = app.get_device_code(workspace_id=oauth["team_workspace_id"])
    with emu.http() as http:
        assert http.post("/_emulator/oauth/device/approve", json={"user_code": code.user_code}).status_code == 200
    token = app.get_access_token(code.device_code)
    coze = make_coze(emu.base_url, token.access_token)

    with pytest.raises(CozeAPIError) as err:
        chat(coze, oauth["team_bot_id"], "team-user", "hi")
    assert err.value.code == 4101
    with emu.http() as http:
        resp = http.post(f"/_emulator/workspaces/{oauth['team_workspace_id']}/install", json={"client_id": oauth["device_client_id"]})
        assert resp.status_code == 200, resp.text
    assert chat(coze, oauth["team_bot_id"], "team-user", "hi")[-1].chat.status == "completed"

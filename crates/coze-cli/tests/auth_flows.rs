//! `coze auth login` end to end against the emulator: each flow, with the browser step done
//! by an HTTP client that follows the printed authorize URL, and the ways a login fails.

mod auth_common;

use auth_common::Env;
use serde_json::json;

/// Follows `url` as a browser would: consent page (when the emulator asks), then the
/// redirect to coze's loopback listener. Returns the final status and body.
async fn browse(env: &Env, url: &str) -> (u16, String) {
    let resp = env.http.get(url).send().await.expect("authorize page");
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    if let Some(key) = body
        .split("name=\"authorize_key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
    {
        // The consent page: press "Authorize".
        let resp = env
            .http
            .post(format!("{}/_emulator/oauth/consent", env.emu.base_url()))
            .form(&[("authorize_key", key), ("decision", "approve")])
            .send()
            .await
            .expect("consent form");
        let status = resp.status().as_u16();
        return (status, resp.text().await.unwrap_or_default());
    }
    (status, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn pkce_login_through_the_consent_page_then_status_token_whoami() {
    let env = Env::start().await;
    let redirect = env.redirect_uri().await;
    let client_id = env.oauth("pkce_client_id");
    let login = env
        .start_browser_login(&[
            "auth",
            "login",
            "--pkce",
            "--no-browser",
            "--client-id",
            &client_id,
            "--redirect-uri",
            &redirect,
        ])
        .await;
    assert!(
        login.url.contains("code_challenge_method=S256"),
        "{}",
        login.url
    );
    let (status, page) = browse(&env, &login.url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("close this tab"), "{page}");
    let run = login.finish().await;
    run.assert_ok().assert_stderr("Logged in to");
    // The listener served one login and is gone.
    assert!(
        env.http.get(&redirect).send().await.is_err(),
        "listener still open"
    );

    let stored = env.stored("default");
    assert_eq!(stored["method"], "pkce");
    assert_eq!(stored["client_id"], client_id.as_str());
    assert!(stored["refresh_token"].is_string(), "{stored}");
    let access = stored["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    assert!(access.starts_with("czu_"), "{access}");
    assert!(
        stored["account"]["user_id"].is_string(),
        "account recorded: {stored}"
    );

    let status = env.run(&["auth", "status"]).await;
    status.assert_ok();
    assert!(
        status.stdout.contains("pkce") && status.stdout.contains("access token:"),
        "{}",
        status.stdout
    );
    assert!(
        !status.stdout.contains(&access) && !status.stderr.contains(&access),
        "status shows the token"
    );

    let token = env.run(&["auth", "token"]).await;
    token.assert_ok();
    assert_eq!(token.stdout.trim(), access);

    let whoami = env.run(&["whoami", "--json"]).await;
    whoami.assert_ok();
    assert_eq!(whoami.json()["user_id"], stored["account"]["user_id"]);

    // The app settings went to config.toml, without any secret.
    let config = std::fs::read_to_string(env.dir().join("config.toml")).expect("config.toml");
    assert!(
        config.contains("auth = \"pkce\"") && config.contains(&redirect),
        "{config}"
    );
    assert!(!config.contains(&access));
    #[cfg(unix)]
    {
        assert_eq!(auth_common::mode(&env.credentials_path()), 0o600);
        assert_eq!(auth_common::mode(&env.dir()), 0o700);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn device_login_and_workspace_scoped_device_login() {
    let env = Env::start().await;
    let run = env.device_login().await;
    assert!(run.stderr.contains("enter the code"), "{}", run.stderr);
    assert_eq!(env.stored("default")["method"], "device");
    env.run(&["whoami"]).await.assert_ok();

    // A team-workspace login in another profile; the note explains the owner's part.
    let ws = env.oauth("team_workspace_id");
    let id = env.oauth("device_client_id");
    let run = env
        .run(&[
            "--profile",
            "team",
            "auth",
            "login",
            "--device",
            "--client-id",
            &id,
            "--workspace",
            &ws,
        ])
        .await;
    run.assert_ok()
        .assert_stderr("workspace owner must authorize");
    assert_eq!(env.stored("team")["workspace_id"], ws.as_str());

    // Its bots answer only once the workspace owner installed the app.
    let bot = env.oauth("team_bot_id");
    let chat = [
        "--profile",
        "team",
        "chat",
        "--bot",
        &bot,
        "-m",
        "hello team",
    ];
    env.run(&chat)
        .await
        .assert_code(1)
        .assert_stderr("4101")
        .assert_stderr(&format!(
            "authorised for team workspace {ws}: its owner must authorise the OAuth app {id}"
        ));
    env.post(
        &format!("/_emulator/workspaces/{ws}/install"),
        json!({ "client_id": id }),
    )
    .await;
    let run = env.run(&chat).await;
    run.assert_ok();
    assert!(run.stdout.contains("hello team"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn web_app_login_uses_the_secret_and_refreshes_with_it() {
    let env = Env::start().await;
    let redirect = env.redirect_uri().await;
    env.consent("approve").await;
    let id = env.oauth("web_client_id");
    let mut cmd = env.coze(&[
        "auth",
        "login",
        "--web",
        "--no-browser",
        "--client-id",
        &id,
        "--redirect-uri",
        &redirect,
    ]);
    cmd.env("COZE_CLIENT_SECRET", env.oauth("web_client_secret"));
    let mut child = cmd.spawn().expect("coze starts");
    // Read the URL from stderr, follow it, then collect the rest.
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(stderr));
    let url = loop {
        let line = lines
            .next_line()
            .await
            .expect("stderr")
            .expect("URL before EOF");
        if line.trim().starts_with("http") {
            break line.trim().to_owned();
        }
    };
    assert!(
        !url.contains("code_challenge"),
        "a web app sends no PKCE challenge: {url}"
    );
    let (status, _) = browse(&env, &url).await;
    assert_eq!(status, 200);
    let out = child.wait_with_output().await.expect("coze exits");
    assert!(out.status.success());
    let stored = env.stored("default");
    assert_eq!(stored["method"], "web");
    assert!(
        stored["client_secret"].is_string(),
        "the secret is kept for refreshes"
    );
    env.run(&["auth", "refresh"]).await.assert_ok();
    assert_eq!(env.refreshes().await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn jwt_login_and_renewal_signs_a_new_jwt() {
    let env = Env::start().await;
    let key = env.oauth("jwt_private_key_path");
    let (app, kid) = (env.oauth("jwt_app_id"), env.oauth("jwt_key_id"));
    env.run(&[
        "auth",
        "login",
        "--jwt",
        "--client-id",
        &app,
        "--key-id",
        &kid,
        "--private-key",
        &key,
    ])
    .await
    .assert_ok();
    let first = env.stored("default")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert!(first.starts_with("czs_"), "{first}");
    env.run(&["auth", "refresh"]).await.assert_ok();
    let second = env.stored("default")["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_ne!(first, second);
    let jwt_grants = env
        .token_requests("urn:ietf:params:oauth:grant-type:jwt-bearer")
        .await;
    assert_eq!(jwt_grants, 2);
    env.run(&["whoami"]).await.assert_ok();

    // The same app from a coze_oauth_config.json (the PEM inside the file): the profile
    // remembers the file and renews from it.
    let pem = std::fs::read_to_string(&key).expect("emulator key file");
    let cfg = env.home.path().join("jwt_oauth_config.json");
    let config = json!({
        "client_type": "jwt", "client_id": app, "public_key_id": kid,
        "private_key": pem, "coze_api_base": env.emu.base_url(),
    });
    std::fs::write(&cfg, config.to_string()).expect("write");
    let cfg = cfg.to_str().expect("utf-8");
    env.run(&["--profile", "svc", "auth", "login", "--config", cfg])
        .await
        .assert_ok();
    env.run(&["--profile", "svc", "auth", "refresh"])
        .await
        .assert_ok();
    assert_eq!(
        env.token_requests("urn:ietf:params:oauth:grant-type:jwt-bearer")
            .await,
        4
    );
    let settings = std::fs::read_to_string(env.dir().join("config.toml")).expect("config.toml");
    assert!(
        !settings.contains("PRIVATE KEY"),
        "the key stays out of config.toml"
    );

    // config.toml loses a field the renewal needs: a one-line error that names it.
    let edited: String = settings
        .lines()
        .filter(|l| !l.starts_with("key_id"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(env.dir().join("config.toml"), edited).expect("write");
    env.run(&["auth", "refresh"])
        .await
        .assert_code(2)
        .assert_stderr("profile `default` has no key_id for its JWT app")
        .assert_stderr("hint: run `coze auth login --jwt");
}

#[tokio::test(flavor = "multi_thread")]
async fn pat_login_reads_stdin_and_warns_before_expiry() {
    let env = Env::start().await;
    // Tomorrow (UTC), as `--expires` takes it.
    let soon = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date()
        .tomorrow()
        .expect("tomorrow is a date")
        .to_string();
    let run = env
        .run_with_stdin(
            &["auth", "login", "--pat", "--expires", &soon],
            &format!("{}\n", env.emu.pat()),
        )
        .await;
    run.assert_ok()
        .assert_stderr("warning: the personal access token of profile `default` expires in");
    assert_eq!(env.stored("default")["method"], "pat");
    env.run(&["whoami"])
        .await
        .assert_ok()
        .assert_stderr("expires in");

    // A wrong PAT is not stored.
    let run = env
        .run_with_stdin(
            &["--profile", "bad", "auth", "login", "--pat"],
            "pat_wrong\n",
        )
        .await;
    run.assert_code(1).assert_stderr("refused the token");
    assert!(env.stored("bad").is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn callback_state_mismatch_exchanges_nothing() {
    let env = Env::start().await;
    let redirect = env.redirect_uri().await;
    let id = env.oauth("pkce_client_id");
    let login = env
        .start_browser_login(&[
            "auth",
            "login",
            "--pkce",
            "--no-browser",
            "--client-id",
            &id,
            "--redirect-uri",
            &redirect,
        ])
        .await;
    // Another page (not the consent we started) sends the browser back with its own state.
    let resp = env
        .http
        .get(format!("{redirect}?code=code_forged&state=forged"))
        .send()
        .await
        .expect("listener");
    assert_eq!(resp.status().as_u16(), 400);
    let run = login.finish().await;
    run.assert_code(1).assert_stderr("different `state`");
    assert_eq!(env.token_requests("authorization_code").await, 0);
    assert!(!env.credentials_path().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn callback_denial_and_timeout() {
    let env = Env::start().await;
    let redirect = env.redirect_uri().await;
    let id = env.oauth("pkce_client_id");
    env.consent("deny").await;
    let login = env
        .start_browser_login(&[
            "auth",
            "login",
            "--pkce",
            "--no-browser",
            "--client-id",
            &id,
            "--redirect-uri",
            &redirect,
        ])
        .await;
    let (_, page) = browse(&env, &login.url).await;
    assert!(page.contains("close this tab"), "{page}");
    login.finish().await.assert_code(1).assert_stderr("denied");

    let login = env
        .start_browser_login(&[
            "auth",
            "login",
            "--pkce",
            "--no-browser",
            "--timeout",
            "1",
            "--client-id",
            &id,
            "--redirect-uri",
            &redirect,
        ])
        .await;
    login
        .finish()
        .await
        .assert_code(1)
        .assert_stderr("no answer from the browser within 1s");
    // Other paths on the listener are not answered with a login.
    assert_eq!(env.token_requests("authorization_code").await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn busy_port_and_unregistered_redirect_uri() {
    let env = Env::start().await;
    let id = env.oauth("pkce_client_id");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let uri = format!(
        "http://127.0.0.1:{}/callback",
        taken.local_addr().expect("addr").port()
    );
    let run = env
        .run(&[
            "auth",
            "login",
            "--pkce",
            "--no-browser",
            "--client-id",
            &id,
            "--redirect-uri",
            &uri,
        ])
        .await;
    run.assert_code(2)
        .assert_stderr("already in use")
        .assert_stderr("--redirect-uri");

    // A redirect URI the app does not have: the authorize page refuses, nothing comes back.
    let uri = format!("http://127.0.0.1:{}/callback", auth_common::free_port());
    let login = env
        .start_browser_login(&[
            "auth",
            "login",
            "--pkce",
            "--no-browser",
            "--timeout",
            "2",
            "--client-id",
            &id,
            "--redirect-uri",
            &uri,
        ])
        .await;
    let (status, page) = browse(&env, &login.url).await;
    assert!(
        status >= 400 && page.contains("redirect_uri"),
        "{status} {page}"
    );
    login.finish().await.assert_code(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_app_settings_get_one_line_errors() {
    let env = Env::start().await;
    env.consent("approve").await;
    // Unknown client id (device flow fails at the first request).
    let run = env
        .run(&["auth", "login", "--device", "--client-id", "404.app.coze"])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("error:") && run.stderr.contains("hint:"),
        "{}",
        run.stderr
    );

    // No client id at all.
    env.run(&["auth", "login", "--device"])
        .await
        .assert_code(2)
        .assert_stderr("--client-id");

    // A private key that is not PEM.
    let not_pem = env.home.path().join("key.txt");
    std::fs::write(&not_pem, "hello").expect("write");
    let run = env
        .run(&[
            "auth",
            "login",
            "--jwt",
            "--client-id",
            "1",
            "--key-id",
            "k",
            "--private-key",
            not_pem.to_str().expect("utf-8"),
        ])
        .await;
    run.assert_code(2)
        .assert_stderr("private key")
        .assert_stderr("hint:");

    // A coze_oauth_config.json without client_id.
    let cfg = env.home.path().join("coze_oauth_config.json");
    std::fs::write(
        &cfg,
        json!({"client_type": "device", "coze_api_base": env.emu.base_url()}).to_string(),
    )
    .expect("write");
    let run = env
        .run(&["auth", "login", "--config", cfg.to_str().expect("utf-8")])
        .await;
    run.assert_code(2).assert_stderr("client_id");

    // The same file, complete: the config decides the flow (device) and the app.
    let device = env.oauth("device_client_id");
    env.post("/_emulator/oauth/settings", json!({ "device_interval": 1 }))
        .await;
    std::fs::write(
        &cfg,
        json!({"client_type": "device", "client_id": device, "coze_api_base": env.emu.base_url()})
            .to_string(),
    )
    .expect("write");
    env.run(&["auth", "login", "--config", cfg.to_str().expect("utf-8")])
        .await
        .assert_ok();
    assert_eq!(env.stored("default")["method"], "device");
}

//! `coze emulator`: run the local Coze until Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use clap::Args;
use coze_emulator::{Emulator, EmulatorConfig, Pace};
use serde_json::Value;

use crate::error::CliError;
use crate::output::{Output, Style};
use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port (the one printed is the real one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// How fast the bots answer: realistic (800 ms to the first token, then a delta every
    /// 50 ms, like a fast real model), fast (20 ms / 2 ms, for tests), instant (benchmarks),
    /// or FIRST_TOKEN_MS,DELTA_INTERVAL_MS
    #[arg(long, value_name = "PACE", default_value = "realistic")]
    pub pace: Pace,
}

/// # Errors
/// Fails when the address cannot be bound or stdout is closed before the banner is out.
pub async fn run(args: EmulatorArgs, settings: &Settings) -> anyhow::Result<()> {
    // Thousands of concurrent streams need as many sockets: raise the soft open-file limit
    // to the hard one (best effort; the default soft limit is often 1024).
    #[cfg(unix)]
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let emulator = start(EmulatorConfig {
        listen: args.listen,
        pace: args.pace,
        ..EmulatorConfig::default()
    })
    .await?;
    let shutdown = Shutdown::install();
    let out = &settings.output;
    if out.json() {
        out.json_line(&emulator.info())?;
    } else {
        print_banner(&emulator, out)?;
        out.dim("Press Ctrl-C to stop.");
    }
    emulator.serve_until(shutdown.wait()).await
}

/// Starts the emulator, with a usage error when the address cannot be bound.
///
/// # Errors
/// A usage error (exit status 2) when the address cannot be bound.
pub async fn start(config: EmulatorConfig) -> anyhow::Result<Emulator> {
    let listen = config.listen;
    Emulator::start_with(config).await.map_err(|e| {
        CliError::usage(format!("cannot listen on {listen}: {}", e.root_cause()))
            .with_hint("pick another address, or port 0 for a free one: --listen 127.0.0.1:0")
            .into()
    })
}

fn print_banner(emulator: &Emulator, out: &Output) -> std::io::Result<()> {
    out.write(&banner(&emulator.info(), out.out_style()))
}

/// Everything a user can try, from the same object `--json` prints: the token, every bot and
/// workflow, the OAuth apps and the fake Glif, with a command for each. Keys this code does
/// not know yet are still listed at the end, so a new feature shows up without a change here.
fn banner(info: &Value, s: Style) -> String {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let base = text(&info["base_url"]);
    let pat = text(&info["pat"]);
    let mut lines = vec![
        format!("{} on {}", s.accent("Coze emulator running"), s.bold(&base)),
        String::new(),
        format!("  base URL     {base}"),
        format!("  token (PAT)  {pat}"),
        format!("  workspace    {} (personal)", text(&info["workspace_id"])),
    ];
    let mut known = vec!["base_url", "pat", "workspace_id"];
    if let Some(bots) = info["bots"].as_object() {
        known.push("bots");
        lines.push(format!("  bots         {}", pairs(bots)));
    }
    if let Some(flows) = info["workflows"].as_object() {
        known.push("workflows");
        lines.push(format!("  workflows    {}", pairs(flows)));
    }
    let oauth = &info["oauth"];
    if oauth.is_object() {
        known.push("oauth");
        lines.push(format!(
            "  team         workspace {}, bot {} (OAuth tokens for it need the app installed there)",
            text(&oauth["team_workspace_id"]),
            text(&oauth["team_bot_id"])
        ));
        lines.push(String::new());
        lines.push(
            s.dim("OAuth apps (redirect URI ") + &text(&oauth["redirect_uri"]) + &s.dim("):"),
        );
        lines.push(format!(
            "  PKCE         client id {}",
            text(&oauth["pkce_client_id"])
        ));
        lines.push(format!(
            "  device code  client id {}",
            text(&oauth["device_client_id"])
        ));
        lines.push(format!(
            "  web app      client id {}  secret {}",
            text(&oauth["web_client_id"]),
            text(&oauth["web_client_secret"])
        ));
        lines.push(format!(
            "  JWT app      app id {}  key id {}  private key {}",
            text(&oauth["jwt_app_id"]),
            text(&oauth["jwt_key_id"]),
            text(&oauth["jwt_private_key_path"])
        ));
    }
    let glif = &info["glif"];
    if glif.is_object() {
        known.push("glif");
        let glifs: Vec<String> = glif["glifs"]
            .as_array()
            .map(|ids| ids.iter().map(&text).collect())
            .unwrap_or_default();
        lines.push(String::new());
        lines.push(s.dim("Fake Glif (glif.app) for `coze glif` and the plugin bridge:"));
        lines.push(format!("  base URL     {}", text(&glif["base_url"])));
        lines.push(format!("  token        {}", text(&glif["token"])));
        lines.push(format!("  glifs        {}", glifs.join(", ")));
    }
    if let Some(object) = info.as_object() {
        for (key, value) in object.iter().filter(|(k, _)| !known.contains(&k.as_str())) {
            lines.push(format!("  {key}: {value}"));
        }
    }
    lines.push(String::new());
    lines.push(s.dim("Try:"));
    let target = format!("--base-url {base} --token {pat}");
    if let Some(echo) = info["bots"]["echo"].as_str() {
        lines.push(format!("  coze chat {target} --bot {echo}"));
    }
    if let Some(flow) = info["workflows"]["greeting"].as_str() {
        lines.push(format!(
            "  coze workflow run {target} {flow} --param input=Ada"
        ));
    }
    if let Some(client) = oauth["device_client_id"].as_str() {
        lines.push(format!(
            "  coze auth login --base-url {base} --device --client-id {client}"
        ));
    }
    if glif.is_object() {
        lines.push(format!(
            "  GLIF_API_TOKEN={} coze glif run --glif-base-url {} glif-text \"the sea\" cheerful",
            text(&glif["token"]),
            text(&glif["base_url"])
        ));
    }
    lines.push(s.dim("Or point an SDK at it:"));
    lines.push(format!(
        "  export COZE_API_BASE={base} COZE_API_TOKEN={pat}"
    ));
    let mut banner = lines.join("\n");
    banner.push('\n');
    banner
}

/// `name id  name id ...` for an object of ids.
fn pairs(ids: &serde_json::Map<String, Value>) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|(name, id)| format!("{name} {}", id.as_str().unwrap_or_default()))
        .collect();
    items.join("  ")
}

/// Ctrl-C (SIGINT) or SIGTERM. Closing stdin does not stop the emulator: CI runs it without
/// a stdin.
///
/// The handlers are installed when this is created, not when it is first awaited: a harness
/// that reads the `--json` line and signals at once must not hit the default handler.
pub struct Shutdown {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Shutdown {
    pub fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let signals = signal(SignalKind::interrupt())
                .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
                .ok();
            Self { signals }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Resolves when a stop signal arrives (never, if no handler could be installed).
    pub async fn wait(self) {
        #[cfg(unix)]
        match self.signals {
            Some((mut int, mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            None => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl std::fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Shutdown")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn banner_lists_everything_the_emulator_offers() {
        let emulator = Emulator::start().await.expect("emulator starts");
        let mut info = emulator.info();
        info["future_feature"] = serde_json::json!({"id": "42"});
        let text = banner(&info, Style::plain());
        let mut expected: Vec<String> = vec![emulator.base_url().into(), emulator.pat().into()];
        for group in ["bots", "workflows"] {
            let ids = info[group].as_object().expect(group);
            expected.extend(ids.values().map(|v| v.as_str().expect("id").to_string()));
        }
        for key in [
            "pkce_client_id",
            "device_client_id",
            "web_client_id",
            "web_client_secret",
            "jwt_app_id",
            "jwt_key_id",
            "jwt_private_key_path",
            "team_bot_id",
        ] {
            expected.push(info["oauth"][key].as_str().expect(key).to_string());
        }
        expected.push(
            info["glif"]["token"]
                .as_str()
                .expect("glif token")
                .to_string(),
        );
        expected.push("glif-text".into());
        expected.push("future_feature".into());
        for item in expected {
            assert!(text.contains(&item), "banner lacks {item}:\n{text}");
        }
        assert!(text.contains("plugin "), "{text}");
    }
}

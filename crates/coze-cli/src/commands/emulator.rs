//! `coze emulator`: run the local Coze until Ctrl-C or SIGTERM.

use std::net::SocketAddr;

use clap::Args;
use coze_emulator::{Emulator, EmulatorConfig};

use crate::error::CliError;
use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port (the one printed is the real one)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
}

/// # Errors
/// Fails when the address cannot be bound or stdout is closed before the banner is out.
pub async fn run(args: EmulatorArgs, settings: &Settings) -> anyhow::Result<()> {
    let emulator = start(EmulatorConfig {
        listen: args.listen,
        ..EmulatorConfig::default()
    })
    .await?;
    let out = &settings.output;
    if out.json() {
        out.json_line(&emulator.info())?;
    } else {
        print_banner(&emulator, out)?;
        out.dim("Press Ctrl-C to stop.");
    }
    emulator.serve_until(shutdown_signal()).await
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
    let s = out.out_style();
    let bots = emulator.bots();
    let base = emulator.base_url();
    let pat = emulator.pat();
    out.line(&format!(
        "{} on {}",
        s.accent("Coze emulator running"),
        s.bold(base)
    ))?;
    out.line("")?;
    out.line(&format!("  base URL   {base}"))?;
    out.line(&format!("  token      {pat}"))?;
    out.line(&format!(
        "  bots       echo {}  tool {}  failing {}  unpublished {}",
        bots.echo, bots.tool, bots.failing, bots.unpublished
    ))?;
    out.line("")?;
    out.line(&s.dim("Chat with the echo bot:"))?;
    out.line(&format!(
        "  coze chat --base-url {base} --token {pat} --bot {}",
        bots.echo
    ))?;
    out.line(&s.dim("Or point an SDK at it:"))?;
    out.line(&format!(
        "  export COZE_API_BASE={base} COZE_API_TOKEN={pat}"
    ))?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. Closing stdin does not stop the emulator: CI runs it
/// without a stdin.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

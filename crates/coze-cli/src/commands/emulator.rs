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

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed on the first poll; print a
/// "ready" line only after that, or use [`Shutdown::install`] first.
pub async fn shutdown_signal() {
    Shutdown::install().wait().await;
}

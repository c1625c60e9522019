//! Release builds of `coze` on x86_64 Linux: the functions that start-up and a one-shot
//! `coze chat -m` run are laid out together at the front of the binary (`link-order.txt`, read
//! by LLD, Rust's default linker there). The kernel maps a program's code in 64 KiB blocks
//! around each first use; scattered over 17 MiB, those few hundred KiB of start-up code kept
//! about 7 MiB of the binary resident, side by side they keep well under one. Figures and how
//! to regenerate the list: docs/benchmarks.md ("Start-up and memory of `coze`").
//!
//! Only where LLD links by default (x86_64-unknown-linux-gnu since Rust 1.90);
//! `COZE_NO_LINK_ORDER=1` turns it off (another linker that does not know the flag).
//! `COZE_LINK_MAP=FILE` writes the linker's map (every function's address) to FILE, for
//! scripts/link-order.sh, which regenerates the list.

fn main() {
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-env-changed=COZE_NO_LINK_ORDER");
    println!("cargo:rerun-if-env-changed=COZE_LINK_MAP");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let lld_by_default = var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && rustc_minor().is_some_and(|minor| minor >= 90);
    if var("PROFILE") != "release" || !lld_by_default || !var("COZE_NO_LINK_ORDER").is_empty() {
        return;
    }
    let order = std::path::Path::new(&var("CARGO_MANIFEST_DIR")).join("link-order.txt");
    if order.is_file() {
        println!(
            "cargo:rustc-link-arg-bin=coze=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Names that a later change removed or renamed are skipped, not an error.
        println!("cargo:rustc-link-arg-bin=coze=-Wl,--no-warn-symbol-ordering");
    }
    let map = var("COZE_LINK_MAP");
    if !map.is_empty() {
        println!("cargo:rustc-link-arg-bin=coze=-Wl,-Map={map}");
    }
}

/// The `1.x` of the compiler building us (`rustc --version`: `rustc 1.95.0 (…)`).
fn rustc_minor() -> Option<u32> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    version.split('.').nth(1)?.parse().ok()
}

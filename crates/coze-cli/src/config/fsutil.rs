//! Private directories and atomic file replacement.
//!
//! Why atomic: a `coze` killed mid-write (Ctrl-C, OOM, power loss) must leave either the old
//! credentials or the new ones, never half a file. We write a temp file in the same
//! directory, fsync it, rename it over the target and fsync the directory so the rename
//! itself is durable.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// Prefix of temp files, so leftovers of a killed writer can be recognised and removed.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Creates `dir` (and parents) if missing; on Unix makes it 0700, warning when it was wider.
pub(crate) fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    if !dir.exists() {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
    }
    restrict(dir, 0o700)
}

/// On Unix: if `path` is readable or writable by group or others, warn once and set `mode`.
pub(crate) fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let current = fs::metadata(path)?.permissions().mode() & 0o777;
        if current & 0o077 != 0 {
            crate::output::stderr_line(&format!(
                "warning: {} had permissions {current:o}, which lets other users read it; \
                 changing to {mode:o}",
                path.display()
            ));
            fs::set_permissions(path, fs::Permissions::from_mode(mode))?;
        }
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// Replaces `target` with `contents` atomically, the new file readable by the owner only.
pub(crate) fn atomic_write(target: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = target
        .parent()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "target has no directory"))?;
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    let temp = dir.join(format!(
        "{TEMP_PREFIX}{name}.{}.{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = write_synced(&temp, contents).and_then(|()| fs::rename(&temp, target));
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result?;
    sync_dir(dir);
    Ok(())
}

fn write_synced(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Makes a rename durable. Best effort: some platforms cannot open a directory.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes temp files a killed writer left behind in `dir` for `name`.
pub(crate) fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = format!("{TEMP_PREFIX}{name}.");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix))
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let target = dir.path().join("c.json");
        atomic_write(&target, b"one")?;
        atomic_write(&target, b"two")?;
        assert_eq!(fs::read(&target)?, b"two");
        let names: Vec<_> = fs::read_dir(dir.path())?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&target)?.permissions().mode() & 0o777, 0o600);
        }
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn restrict_fixes_wide_permissions() -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let sub = dir.path().join("coze");
        fs::create_dir(&sub)?;
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755))?;
        ensure_private_dir(&sub)?;
        assert_eq!(fs::metadata(&sub)?.permissions().mode() & 0o777, 0o700);
        Ok(())
    }

    #[test]
    fn stale_temps_are_removed() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        fs::write(dir.path().join(".tmp-c.json.1.0"), b"{\"half")?;
        fs::write(dir.path().join("other"), b"x")?;
        remove_stale_temps(dir.path(), "c.json");
        let names: Vec<_> = fs::read_dir(dir.path())?
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("other")]);
        Ok(())
    }
}

//! Keeping the state in a file: loaded at start, rewritten after every acknowledged change
//! with an atomic replace (temporary file in the same directory, fsync, rename, fsync of
//! the directory), so that a crash leaves either the old or the new state, never a mix.

use crate::random::Rng;
use crate::state::{Store, FORMAT};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Reads the state from `path`; a missing file is an empty state.
///
/// A `path` that is a symbolic link is refused (the emulator would replace the link by a
/// file on its first write, which is rarely what was meant). A file that others may read
/// or write is reported on stderr; the first write at start replaces it by an owner-only
/// one.
pub(crate) fn load(path: &Path) -> io::Result<Store> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is a symbolic link; give the path of the file itself", path.display()),
            ))
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Store { format: FORMAT.to_owned(), ..Store::default() })
        }
        Err(e) => return Err(e),
    }
    let mut file = open_options_no_follow().read(true).open(path)?;
    if let Some(mode) = group_or_other_access(&file.metadata()?) {
        eprintln!(
            "csms-emulator: warning: the data file {} holds secret values and was open to others (mode {mode:03o}); \
             it is rewritten owner-only (600)",
            path.display()
        );
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let store: Store = serde_json::from_slice(&bytes).map_err(|e| {
        io::Error::new(io::ErrorKind::InvalidData, format!("{} is not an emulator data file: {e}", path.display()))
    })?;
    if !store.format.is_empty() && store.format != FORMAT {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} has format `{}`; this emulator reads `{FORMAT}`", path.display(), store.format),
        ));
    }
    Ok(store)
}

/// The permission bits of a file that its group or others may use (`None` when only the
/// owner may, or where the platform has no such bits).
fn group_or_other_access(meta: &fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// Options that never follow a symbolic link at the last component of the path, and
/// create files owner-only (0600, before the umask), on unix.
fn open_options_no_follow() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc_o_nofollow());
    }
    options
}

/// `O_NOFOLLOW` of the platform (std has no constant for it, and the crate takes no `libc`).
#[cfg(unix)]
fn libc_o_nofollow() -> i32 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        if cfg!(any(target_arch = "aarch64", target_arch = "arm", target_arch = "powerpc", target_arch = "powerpc64")) {
            0o100000
        } else {
            0o400000
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // macOS, iOS and the BSDs.
        0x0100
    }
}

/// Serializes the state for [`write_atomic`].
pub(crate) fn encode(store: &Store) -> io::Result<Vec<u8>> {
    serde_json::to_vec(store).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Replaces `path` with `bytes` atomically: the bytes go to a new owner-only file with an
/// unpredictable name in the same directory (created exclusively, never through a
/// symbolic link), which is fsynced and renamed over `path`. The rename replaces a
/// symbolic link at `path` rather than writing through it.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
    let rng = Rng::from_os();
    let (temp, mut file) = {
        let mut attempt = 0;
        loop {
            let temp = dir.join(format!(".{file_name}.{}.tmp", rng.hex32()));
            match open_options_no_follow().write(true).create_new(true).open(&temp) {
                Ok(file) => break (temp, file),
                // Somebody else's file (or link) under that name: draw another name.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    };
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        sync_dir(&dir);
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Makes the rename durable where the platform allows opening a directory.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("csms-emulator-persist-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn round_trips_through_a_file() {
        let dir = scratch("round-trip");
        let path = dir.join("state.json");
        assert!(load(&path).unwrap().projects.is_empty());
        let mut store = Store { format: FORMAT.into(), ..Default::default() };
        store.projects.entry("p".into()).or_default().checking_secret_strength = true;
        write_atomic(&path, &encode(&store).unwrap()).unwrap();
        assert!(load(&path).unwrap().projects["p"].checking_secret_strength);
        fs::write(&path, b"not json").unwrap();
        assert!(load(&path).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_owner_only_and_no_link_is_followed() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let dir = scratch("private");
        let path = dir.join("state.json");
        let victim = dir.join("victim");
        fs::write(&victim, b"untouched").unwrap();
        // A link planted under the name the temporary file used to have (pid-based).
        symlink(&victim, dir.join(format!(".state.json.{}.tmp", std::process::id()))).unwrap();
        write_atomic(&path, b"{}").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(fs::read(&victim).unwrap(), b"untouched");
        // No temporary file is left behind; the planted link is still there, unused.
        let names: Vec<String> =
            fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names.iter().filter(|n| n.ends_with(".tmp")).count(), 1, "{names:?}");

        // A link at the data file's own path: the write replaces the link, not its target.
        let linked = dir.join("linked.json");
        symlink(&victim, &linked).unwrap();
        write_atomic(&linked, b"{}").unwrap();
        assert!(!fs::symlink_metadata(&linked).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&victim).unwrap(), b"untouched");

        // Reading a data file that is a link is refused, and O_NOFOLLOW is the right flag.
        fs::remove_file(&linked).unwrap();
        symlink(&path, &linked).unwrap();
        let error = load(&linked).unwrap_err();
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert!(open_options_no_follow().read(true).open(&linked).is_err());
        assert!(open_options_no_follow().read(true).open(&path).is_ok());

        // A file open to others is rewritten owner-only.
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(load(&path).is_ok());
        write_atomic(&path, b"{}").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! Keeping the state in a file: loaded at start, rewritten after every acknowledged change
//! with an atomic replace (temporary file in the same directory, fsync, rename, fsync of
//! the directory), so that a crash leaves either the old or the new state, never a mix.

use crate::state::{Store, FORMAT};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Reads the state from `path`; a missing file is an empty state.
pub(crate) fn load(path: &Path) -> io::Result<Store> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Store { format: FORMAT.to_owned(), ..Store::default() })
        }
        Err(e) => return Err(e),
    };
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

/// Serializes the state for [`write_atomic`].
pub(crate) fn encode(store: &Store) -> io::Result<Vec<u8>> {
    serde_json::to_vec(store).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Replaces `path` with `bytes` atomically.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create(true).truncate(true).open(&temp)?;
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

    #[test]
    fn round_trips_through_a_file() {
        let dir = std::env::temp_dir().join(format!("csms-emulator-persist-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
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
}

//! Writes that survive a crash at any instant.
//!
//! A file is replaced atomically by writing a temporary file in the same directory,
//! fsyncing it, renaming it over the target and fsyncing the directory: a reader (or a
//! process started after a kill -9 or a power cut) sees either the old file or the whole
//! new one. Appends are fsynced one record at a time; a crash can leave the last record
//! torn, which the readers of appended files tolerate.
//!
//! Crash tests set `WGZERO_CRASH_TEST_PAUSE_MICROS` to pause that long after each
//! file creation, each 64 KiB written, each rename and each removal: the steps of a write then last long
//! enough for a kill -9 at a random moment to land inside them, so a test would catch a
//! write that is not atomic or steps done in the wrong order. Unset, nothing pauses.
//!
//! On Unix the directory's own fsync makes the rename durable; elsewhere directories
//! cannot be opened for syncing, and the rename is as durable as the platform makes it.
//!
//! Every file operation goes through [`crate::storage`]: `std::fs` natively, and in a
//! browser an in-memory file tree whose fsyncs (of a file, of a directory) and removals
//! store the changed files in IndexedDB, so the same steps in the same order make a run
//! directory survive a closed tab as they survive a kill -9.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use super::RunDirError;
use crate::storage::{self, File};

/// The environment variable that makes every durable step pause, for crash tests.
pub const CRASH_TEST_PAUSE_ENV: &str = "WGZERO_CRASH_TEST_PAUSE_MICROS";

/// Bytes written between two pauses.
const CHUNK_BYTES: usize = 64 * 1024;

/// Pauses as long as [`CRASH_TEST_PAUSE_ENV`] asks (read once); normally not at all.
fn pause_for_crash_tests() {
    static PAUSE: OnceLock<Option<Duration>> = OnceLock::new();
    let pause = PAUSE.get_or_init(|| {
        let micros: u64 = std::env::var(CRASH_TEST_PAUSE_ENV).ok()?.parse().ok()?;
        Some(Duration::from_micros(micros))
    });
    if let Some(pause) = pause {
        std::thread::sleep(*pause);
    }
}

/// Marks the temporary files of [`write_atomically`]: `.<file name>.tmp-<process id>`.
const TEMPORARY_MARK: &str = ".tmp-";

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> RunDirError {
    let path = path.to_path_buf();
    move |source| RunDirError::Io {
        action,
        path,
        source,
    }
}

/// The file's bytes, or `None` when it does not exist.
pub fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, RunDirError> {
    match storage::read_file(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(RunDirError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Replaces `path` with `bytes` atomically: temporary file in the same directory, fsync,
/// rename, fsync of the directory. When it returns, the new content is durable; if the
/// process dies before, `path` still holds its previous content (or still does not exist).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RunDirError> {
    let directory = parent_directory(path);
    let temporary = temporary_path(path);
    let result = (|| {
        let mut file = File::create(&temporary).map_err(io_error("create", &temporary))?;
        pause_for_crash_tests();
        for chunk in bytes.chunks(CHUNK_BYTES) {
            file.write_all(chunk)
                .map_err(io_error("write", &temporary))?;
            pause_for_crash_tests();
        }
        file.sync_all().map_err(io_error("fsync", &temporary))?;
        drop(file);
        storage::rename(&temporary, path).map_err(io_error("rename a temporary file to", path))
    })();
    if result.is_err() {
        // A failed write (disk full...) should not leave its temporary file behind.
        let _ = storage::remove_file(&temporary);
    }
    result?;
    pause_for_crash_tests();
    sync_directory(&directory)
}

/// Makes the directory's entries (creations, renames, removals) durable.
pub fn sync_directory(directory: &Path) -> Result<(), RunDirError> {
    storage::sync_directory(directory).map_err(io_error("fsync the directory", directory))
}

/// Creates `directory` and its missing parents, and makes their creation durable.
pub fn create_directory(directory: &Path) -> Result<(), RunDirError> {
    if storage::is_dir(directory) {
        return Ok(());
    }
    let missing: Vec<PathBuf> = directory
        .ancestors()
        .take_while(|ancestor| !ancestor.as_os_str().is_empty() && !storage::exists(ancestor))
        .map(Path::to_path_buf)
        .collect();
    storage::create_dir_all(directory).map_err(io_error("create the directory", directory))?;
    for created in &missing {
        sync_directory(&parent_directory(created))?;
    }
    Ok(())
}

/// Opens `path` for appending, creating it if needed.
pub fn open_for_append(path: &Path) -> Result<File, RunDirError> {
    let existed = storage::exists(path);
    let file = File::open_append(path).map_err(io_error("open for appending", path))?;
    if !existed {
        sync_directory(&parent_directory(path))?;
    }
    Ok(file)
}

/// Appends `bytes` with one write and fsyncs the file's data: when it returns, the record
/// is durable; a crash during the call leaves a prefix of it at the end of the file.
pub fn append(file: &mut File, path: &Path, bytes: &[u8]) -> Result<(), RunDirError> {
    file.write_all(bytes).map_err(io_error("append to", path))?;
    file.sync_data().map_err(io_error("fsync", path))
}

/// Shortens `path` to `length` bytes durably (drops a torn last record).
pub fn truncate(path: &Path, length: u64) -> Result<(), RunDirError> {
    let file = File::open_write(path).map_err(io_error("open for truncating", path))?;
    file.set_len(length).map_err(io_error("truncate", path))?;
    file.sync_all().map_err(io_error("fsync", path))
}

/// Removes `path` if it exists (a missing file is not an error: removal is what a crash
/// may already have done). Call [`sync_directory`] after a batch of removals.
pub fn remove_file(path: &Path) -> Result<(), RunDirError> {
    let result = match storage::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(RunDirError::Io {
            action: "remove",
            path: path.to_path_buf(),
            source: error,
        }),
        _ => Ok(()),
    };
    pause_for_crash_tests();
    result
}

/// True for the name of a temporary file left by [`write_atomically`].
pub fn is_temporary(file_name: &str) -> bool {
    file_name.starts_with('.') && file_name.contains(TEMPORARY_MARK)
}

/// Removes the temporary files a killed writer left in `directory`. Only one process may
/// write a run directory at a time: this would remove a live writer's temporary file.
pub fn remove_temporaries(directory: &Path) -> Result<(), RunDirError> {
    let entries = storage::read_dir(directory).map_err(io_error("list", directory))?;
    let mut removed = false;
    for entry in entries {
        let name = entry.file_name().and_then(|name| name.to_str());
        if name.is_some_and(is_temporary) {
            remove_file(&entry)?;
            removed = true;
        }
    }
    if removed {
        sync_directory(directory)?;
    }
    Ok(())
}

fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}{TEMPORARY_MARK}{}", process_id()))
}

/// This process's id; 0 in a browser tab, which has none (`std::process::id` panics
/// there) and is the only writer of its files.
fn process_id() -> u32 {
    #[cfg(not(target_arch = "wasm32"))]
    return std::process::id();
    #[cfg(target_arch = "wasm32")]
    return 0;
}

fn parent_directory(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

//! Files, natively and in a browser tab: the one place the library reads and writes
//! files (run directories, the Ramsey archive, tree files; the command line uses
//! `std::fs` itself).
//!
//! - **Native** (`native.rs`): each function is the `std::fs` call of the same name, with
//!   its behaviour, errors and durability; [`sync_directory`] fsyncs the directory on
//!   Unix.
//! - **Browser** (wasm32, `browser.rs`): `std::fs` answers "unsupported" there, so the
//!   files live in a [`MemoryTree`] (path → bytes, and a set of directories) with the
//!   same semantics, and are mirrored into IndexedDB (`indexed_db.rs`, `web/storage.js`)
//!   at the points where a native program would fsync: [`File::sync_all`] and
//!   [`File::sync_data`] store the file, [`sync_directory`] stores the directory's
//!   changed entries (creations, renames, removals), and removals and whole-file writes
//!   ([`write_file`]) are stored at once. Each store is an IndexedDB transaction of its
//!   own, started at once and not waited for; a failure (a full quota) is logged to the
//!   console and kept for [`take_persistence_error`]. At page start, before the app
//!   touches a file, `restore()` loads everything back:
//!
//! ```ignore
//! // The wasm entry point (wasm32 only):
//! wasm_bindgen_futures::spawn_local(async {
//!     if let Err(error) = wgzero::storage::restore().await {
//!         log::warn!("{error}"); // the files of earlier visits are missing; carry on
//!     }
//!     // ... then start eframe's WebRunner.
//! });
//! ```
//!
//! Paths in a browser are normalised lexically (`/runs/a` = `runs/a`: the root is also
//! the working directory). An open [`File`] names its path there, not an inode: a file
//! renamed or removed while open is not written through it.

mod file;
mod memory_tree;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod indexed_db;
#[cfg(not(target_arch = "wasm32"))]
mod native;

#[cfg(target_arch = "wasm32")]
use browser as backend;
#[cfg(not(target_arch = "wasm32"))]
use native as backend;

use std::io;
use std::path::{Path, PathBuf};

use web_time::SystemTime;

#[cfg(target_arch = "wasm32")]
pub use browser::restore;
pub use file::File;
pub use memory_tree::{MemoryTree, MirrorRecord};

/// What [`metadata`] says of a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    /// A directory (else a file).
    pub is_dir: bool,
    /// The file's length in bytes (a directory's is whatever the platform says).
    pub len: u64,
    /// The last change of a file's content; `None` where the platform does not say.
    pub modified: Option<SystemTime>,
}

/// The whole file (`std::fs::read`).
pub fn read_file(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    backend::read_file(path.as_ref())
}

/// The whole file as UTF-8 text (`std::fs::read_to_string`; not UTF-8: `InvalidData`).
pub fn read_text(path: impl AsRef<Path>) -> io::Result<String> {
    backend::read_text(path.as_ref())
}

/// Creates or replaces the file with `bytes` (`std::fs::write`: not atomic, not synced).
/// In a browser it is stored in IndexedDB at once, as one transaction: what the app uses
/// to keep a file a user uploaded.
pub fn write_file(path: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
    backend::write_file(path.as_ref(), bytes)
}

/// Moves a file or a directory, replacing a file or an empty directory at `to`
/// (`std::fs::rename`). Durable after [`sync_directory`] of both parents.
pub fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    backend::rename(from.as_ref(), to.as_ref())
}

/// Removes a file (`std::fs::remove_file`).
pub fn remove_file(path: impl AsRef<Path>) -> io::Result<()> {
    backend::remove_file(path.as_ref())
}

/// Creates a directory and its missing ancestors (`std::fs::create_dir_all`). Durable
/// after [`sync_directory`] of each created directory's parent.
pub fn create_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    backend::create_dir_all(path.as_ref())
}

/// Removes an empty directory (`std::fs::remove_dir`).
pub fn remove_dir(path: impl AsRef<Path>) -> io::Result<()> {
    backend::remove_dir(path.as_ref())
}

/// Removes a directory and everything in it (`std::fs::remove_dir_all`).
pub fn remove_dir_all(path: impl AsRef<Path>) -> io::Result<()> {
    backend::remove_dir_all(path.as_ref())
}

/// The paths of the directory's entries, each `path` joined with a name, in no
/// particular order (`std::fs::read_dir`; an entry that cannot be read fails the whole
/// listing).
pub fn read_dir(path: impl AsRef<Path>) -> io::Result<Vec<PathBuf>> {
    backend::read_dir(path.as_ref())
}

/// What `path` is, its length and modification time (`std::fs::metadata`).
pub fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    backend::metadata(path.as_ref())
}

/// True if something exists at `path` (`Path::exists`).
pub fn exists(path: impl AsRef<Path>) -> bool {
    backend::exists(path.as_ref())
}

/// True if `path` is a file (`Path::is_file`).
pub fn is_file(path: impl AsRef<Path>) -> bool {
    backend::is_file(path.as_ref())
}

/// True if `path` is a directory (`Path::is_dir`).
pub fn is_dir(path: impl AsRef<Path>) -> bool {
    backend::is_dir(path.as_ref())
}

/// Makes the directory's entries durable: creations, renames and removals in it.
/// Natively an fsync of the directory on Unix (elsewhere directories cannot be opened
/// for syncing: nothing); in a browser, its changed entries are stored in IndexedDB.
pub fn sync_directory(directory: impl AsRef<Path>) -> io::Result<()> {
    backend::sync_directory(directory.as_ref())
}

/// The latest failure to store a change in the browser's IndexedDB (its quota full, or
/// IndexedDB unavailable), cleared by the call, for the app to show: the files are still
/// in memory but will be missing after a reload. Natively always `None`.
pub fn take_persistence_error() -> Option<String> {
    backend::take_persistence_error()
}

/// How many changes are on their way to IndexedDB (started, not yet stored): files written
/// now would be lost to a reload until this is 0. Natively always 0 (writes are done when
/// they return).
pub fn pending_stores() -> usize {
    backend::pending_stores()
}

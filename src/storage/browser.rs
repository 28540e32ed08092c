//! The browser backend of `storage`: one [`MemoryTree`] for the page, mirrored into
//! IndexedDB at the sync points (see the module documentation of `storage`).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::indexed_db;
use super::{MemoryTree, Metadata};

/// The page's files. A tab is one process: every writer shares this tree.
static TREE: Mutex<MemoryTree> = Mutex::new(MemoryTree::new());

/// The latest failure to store a change in IndexedDB, until the app takes it.
static PERSISTENCE_ERROR: Mutex<Option<String>> = Mutex::new(None);

fn tree() -> MutexGuard<'static, MemoryTree> {
    TREE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Remembers a failed store for [`take_persistence_error`] (the JavaScript side has
/// logged it to the console already).
pub(super) fn record_persistence_error(message: String) {
    *PERSISTENCE_ERROR
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(message);
}

pub fn pending_stores() -> usize {
    indexed_db::pending()
}

pub fn take_persistence_error() -> Option<String> {
    PERSISTENCE_ERROR
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}

/// Loads every file and directory stored in IndexedDB by earlier visits into memory.
/// Call it once when the page starts, and let it finish before anything reads or
/// writes a file (before starting the app). An `Err` says what could not be loaded; the
/// page can go on without those files, and the rest are loaded.
pub async fn restore() -> Result<(), String> {
    let entries = indexed_db::load_all().await?;
    let mut tree = tree();
    let mut failures = Vec::new();
    for entry in entries {
        if let Err(error) = tree.restore(Path::new(&entry.path), entry.content, entry.modified) {
            failures.push(format!("{}: {error}", entry.path));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "could not restore {} of the files stored in the browser: {}",
            failures.len(),
            failures.join("; ")
        ))
    }
}

pub fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    tree().read(path)
}

pub fn read_text(path: &Path) -> io::Result<String> {
    String::from_utf8(read_file(path)?).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tree = tree();
    tree.write(path, bytes)?;
    tree.mirror_path(path, &mut indexed_db::store)
}

pub fn rename(from: &Path, to: &Path) -> io::Result<()> {
    tree().rename(from, to)
}

pub fn remove_file(path: &Path) -> io::Result<()> {
    let mut tree = tree();
    tree.remove_file(path)?;
    tree.mirror_path(path, &mut indexed_db::store)
}

pub fn create_dir_all(path: &Path) -> io::Result<()> {
    tree().create_dir_all(path)
}

pub fn remove_dir(path: &Path) -> io::Result<()> {
    let mut tree = tree();
    tree.remove_dir(path)?;
    tree.mirror_path(path, &mut indexed_db::store)
}

pub fn remove_dir_all(path: &Path) -> io::Result<()> {
    let mut tree = tree();
    tree.remove_dir_all(path)?;
    tree.mirror_path(path, &mut indexed_db::store)
}

pub fn read_dir(path: &Path) -> io::Result<Vec<PathBuf>> {
    tree().read_dir(path)
}

pub fn metadata(path: &Path) -> io::Result<Metadata> {
    tree().metadata(path)
}

pub fn exists(path: &Path) -> bool {
    tree().exists(path)
}

pub fn is_file(path: &Path) -> bool {
    tree().is_file(path)
}

pub fn is_dir(path: &Path) -> bool {
    tree().is_dir(path)
}

pub fn sync_directory(directory: &Path) -> io::Result<()> {
    let mut tree = tree();
    // What opening it natively would say of a missing path.
    tree.metadata(directory)?;
    tree.mirror_entries(directory, &mut indexed_db::store)
}

/// An open file: its path in the tree, and where the next write goes.
#[derive(Debug)]
pub struct FileHandle {
    path: PathBuf,
    /// Every write goes to the end (opened for appending).
    appending: bool,
    /// The byte offset of the next write when not appending.
    position: u64,
}

impl FileHandle {
    pub fn create(path: &Path) -> io::Result<Self> {
        tree().create(path)?;
        Ok(Self::at(path, false))
    }

    pub fn open_append(path: &Path) -> io::Result<Self> {
        tree().create_if_missing(path)?;
        Ok(Self::at(path, true))
    }

    pub fn open_write(path: &Path) -> io::Result<Self> {
        tree().check_writable_file(path)?;
        Ok(Self::at(path, false))
    }

    fn at(path: &Path, appending: bool) -> Self {
        Self {
            path: path.to_path_buf(),
            appending,
            position: 0,
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut tree = tree();
        if self.appending {
            tree.append(&self.path, bytes)
        } else {
            tree.write_at(&self.path, self.position, bytes)?;
            self.position += u64::try_from(bytes.len()).unwrap_or(u64::MAX);
            Ok(())
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    pub fn sync_all(&self) -> io::Result<()> {
        tree().mirror_path(&self.path, &mut indexed_db::store)
    }

    pub fn sync_data(&self) -> io::Result<()> {
        self.sync_all()
    }

    pub fn set_len(&self, length: u64) -> io::Result<()> {
        tree().set_len(&self.path, length)
    }
}

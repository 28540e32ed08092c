//! An open file, for the writes that are not whole-file: appends to a log, a file
//! written in chunks before its sync, a truncation.

use std::io;
use std::path::Path;

use super::backend::FileHandle;

/// An open file (`std::fs::File` natively; in a browser, a path in the memory tree and a
/// position). Writes go to memory in a browser; [`sync_all`](Self::sync_all) and
/// [`sync_data`](Self::sync_data) store the file in IndexedDB.
#[derive(Debug)]
pub struct File {
    handle: FileHandle,
}

impl File {
    /// Creates the file, or empties an existing one, for writing (`File::create`).
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        FileHandle::create(path.as_ref()).map(|handle| Self { handle })
    }

    /// Opens the file for appending, creating it empty if it does not exist
    /// (`OpenOptions::new().create(true).append(true)`). Every write goes to its end.
    pub fn open_append(path: impl AsRef<Path>) -> io::Result<Self> {
        FileHandle::open_append(path.as_ref()).map(|handle| Self { handle })
    }

    /// Opens an existing file for writing from its start, without emptying it
    /// (`OpenOptions::new().write(true)`): for [`set_len`](Self::set_len).
    pub fn open_write(path: impl AsRef<Path>) -> io::Result<Self> {
        FileHandle::open_write(path.as_ref()).map(|handle| Self { handle })
    }

    /// Makes the file's content and metadata durable (`File::sync_all`); in a browser,
    /// stores the file in IndexedDB.
    pub fn sync_all(&self) -> io::Result<()> {
        self.handle.sync_all()
    }

    /// Makes the file's content durable (`File::sync_data`); in a browser, as
    /// [`sync_all`](Self::sync_all).
    pub fn sync_data(&self) -> io::Result<()> {
        self.handle.sync_data()
    }

    /// Cuts the file to `length` bytes or extends it with zeros (`File::set_len`).
    pub fn set_len(&self, length: u64) -> io::Result<()> {
        self.handle.set_len(length)
    }
}

impl io::Write for File {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.handle.write(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.handle.write_all(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.handle.flush()
    }
}

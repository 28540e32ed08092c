//! A file tree in memory, with the semantics of `std::fs` on Linux for the operations the
//! library uses (the same results, the same `io::ErrorKind`s): the browser's file system,
//! where `std::fs` answers "unsupported" to everything. A plain struct, built and tested
//! on every target (`memory_tree/tests.rs` runs every operation on it and on a real
//! directory and compares).
//!
//! Paths are normalised lexically: `/runs/a`, `runs/a` and `./runs/x/../a` are the same
//! entry (the tree's root is also the working directory; `..` is resolved without
//! looking at the tree). There are no links and no permissions.
//!
//! It also remembers which paths changed since they were last *mirrored* (handed to
//! [`MirrorRecord`] receivers: the browser copies them into IndexedDB), so that a sync
//! sends only what changed.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, ErrorKind};
use std::ops::Bound;
use std::path::{Component, Path, PathBuf};

use web_time::SystemTime;

use super::Metadata;

/// A file or a directory of a [`MemoryTree`].
#[derive(Clone, Debug)]
enum Node {
    File(Vec<u8>),
    Directory,
}

#[derive(Clone, Debug)]
struct Entry {
    node: Node,
    /// Files: the last change of their content. Directories: their creation.
    modified: SystemTime,
}

/// The state of one path, handed to a mirror ([`MemoryTree::mirror_path`]). Each record
/// replaces what the mirror holds at its path **and under it**: a mirror applying the
/// records in order holds what the tree holds at the paths it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MirrorRecord<'a> {
    /// The file at `path` (normalised: `runs/a/metrics.jsonl`) holds `bytes`.
    File {
        path: &'a str,
        bytes: &'a [u8],
        modified: SystemTime,
    },
    /// `path` is a directory; its entries follow, each as its own record.
    Directory { path: &'a str, modified: SystemTime },
    /// Nothing is at `path`, nor under it.
    Removed { path: &'a str },
}

/// Files (path → bytes) and directories in memory; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    /// Every file and directory but the root (`""`), by normalised path (`runs/a/b`).
    entries: BTreeMap<String, Entry>,
    /// Paths created, written, renamed or removed since they were last mirrored.
    unmirrored: BTreeSet<String>,
}

/// What a [`MemoryTree`] holds at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Directory,
}

fn error(kind: ErrorKind) -> io::Error {
    let message = match kind {
        ErrorKind::NotFound => "no such file or directory",
        ErrorKind::NotADirectory => "not a directory",
        ErrorKind::IsADirectory => "is a directory",
        ErrorKind::AlreadyExists => "file exists",
        ErrorKind::DirectoryNotEmpty => "directory not empty",
        ErrorKind::ResourceBusy => "the root directory cannot be moved or removed",
        ErrorKind::InvalidInput => "a directory cannot move into itself",
        _ => "file system error",
    };
    io::Error::new(kind, message)
}

/// The normalised form of `path`: its names joined by `/`, the root being `""`.
fn key(path: &Path) -> io::Result<String> {
    let mut names: Vec<&str> = Vec::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::CurDir => {}
            Component::ParentDir => {
                names.pop();
            }
            Component::Normal(name) => names.push(name.to_str().ok_or_else(|| {
                io::Error::new(ErrorKind::InvalidInput, "a path in memory must be UTF-8")
            })?),
        }
    }
    Ok(names.join("/"))
}

/// The range of the keys strictly under `directory` in the map's order, and their common
/// prefix: `("runs/"..."runs0", "runs/")` for `runs` (`'0'` follows `'/'`).
fn subtree(directory: &str) -> ((Bound<String>, Bound<String>), String) {
    if directory.is_empty() {
        ((Bound::Unbounded, Bound::Unbounded), String::new())
    } else {
        let prefix = format!("{directory}/");
        let range = (
            Bound::Included(prefix.clone()),
            Bound::Excluded(format!("{directory}0")),
        );
        (range, prefix)
    }
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn to_u64(length: usize) -> u64 {
    u64::try_from(length).unwrap_or(u64::MAX)
}

fn to_usize(length: u64) -> io::Result<usize> {
    usize::try_from(length)
        .map_err(|_| io::Error::new(ErrorKind::FileTooLarge, "does not fit in memory"))
}

impl MemoryTree {
    /// An empty tree: the root directory alone.
    pub const fn new() -> Self {
        Self {
            entries: BTreeMap::new(),
            unmirrored: BTreeSet::new(),
        }
    }

    fn kind(&self, key: &str) -> Option<Kind> {
        if key.is_empty() {
            return Some(Kind::Directory);
        }
        self.entries.get(key).map(|entry| match entry.node {
            Node::File(_) => Kind::File,
            Node::Directory => Kind::Directory,
        })
    }

    /// Fails as the kernel does when a proper ancestor of `key` is missing (`NotFound`)
    /// or a file (`NotADirectory`), the nearest to the root deciding.
    fn check_ancestors(&self, key: &str) -> io::Result<()> {
        for (slash, _) in key.match_indices('/') {
            match self.kind(&key[..slash]) {
                None => return Err(error(ErrorKind::NotFound)),
                Some(Kind::File) => return Err(error(ErrorKind::NotADirectory)),
                Some(Kind::Directory) => {}
            }
        }
        Ok(())
    }

    fn lookup(&self, key: &str) -> io::Result<Kind> {
        self.check_ancestors(key)?;
        self.kind(key).ok_or_else(|| error(ErrorKind::NotFound))
    }

    fn file_bytes(&self, key: &str) -> io::Result<&Vec<u8>> {
        match self.lookup(key)? {
            Kind::Directory => Err(error(ErrorKind::IsADirectory)),
            Kind::File => match &self.entries[key].node {
                Node::File(bytes) => Ok(bytes),
                Node::Directory => unreachable!("looked up as a file"),
            },
        }
    }

    /// The bytes of an existing file, to change them; marks the file unmirrored.
    fn file_bytes_mut(&mut self, key: &str) -> io::Result<&mut Vec<u8>> {
        self.file_bytes(key)?;
        self.unmirrored.insert(key.to_owned());
        let entry = self.entries.get_mut(key).expect("looked up");
        entry.modified = now();
        match &mut entry.node {
            Node::File(bytes) => Ok(bytes),
            Node::Directory => unreachable!("looked up as a file"),
        }
    }

    fn insert(&mut self, key: String, node: Node) {
        self.unmirrored.insert(key.clone());
        self.entries.insert(
            key,
            Entry {
                node,
                modified: now(),
            },
        );
    }

    /// The keys strictly under `directory`, in order.
    fn subtree_keys(&self, directory: &str) -> Vec<String> {
        self.entries
            .range(subtree(directory).0)
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// True if something exists at `path` (like `Path::exists`).
    pub fn exists(&self, path: &Path) -> bool {
        key(path).is_ok_and(|key| self.lookup(&key).is_ok())
    }

    /// True if `path` is a file (like `Path::is_file`).
    pub fn is_file(&self, path: &Path) -> bool {
        key(path).is_ok_and(|key| self.lookup(&key).ok() == Some(Kind::File))
    }

    /// True if `path` is a directory (like `Path::is_dir`).
    pub fn is_dir(&self, path: &Path) -> bool {
        key(path).is_ok_and(|key| self.lookup(&key).ok() == Some(Kind::Directory))
    }

    /// What `path` is, its length and its modification time (like `std::fs::metadata`;
    /// a directory's length is 0).
    pub fn metadata(&self, path: &Path) -> io::Result<Metadata> {
        let key = key(path)?;
        self.lookup(&key)?;
        let (is_dir, len, modified) = match self.entries.get(&key) {
            None => (true, 0, None),
            Some(Entry {
                node: Node::Directory,
                modified,
            }) => (true, 0, Some(*modified)),
            Some(Entry {
                node: Node::File(bytes),
                modified,
            }) => (false, to_u64(bytes.len()), Some(*modified)),
        };
        Ok(Metadata {
            is_dir,
            len,
            modified,
        })
    }

    /// The whole file (like `std::fs::read`).
    pub fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.file_bytes(&key(path)?).cloned()
    }

    /// Creates the file or empties it (like `File::create`).
    pub fn create(&mut self, path: &Path) -> io::Result<()> {
        self.write(path, &[])
    }

    /// Replaces the file's content with `bytes`, creating it if needed (like
    /// `std::fs::write`).
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let key = key(path)?;
        self.check_ancestors(&key)?;
        match self.kind(&key) {
            Some(Kind::Directory) => Err(error(ErrorKind::IsADirectory)),
            Some(Kind::File) | None => {
                self.insert(key, Node::File(bytes.to_vec()));
                Ok(())
            }
        }
    }

    /// Creates the file empty if it does not exist, keeping an existing one (like opening
    /// it with `OpenOptions::new().create(true).append(true)`).
    pub fn create_if_missing(&mut self, path: &Path) -> io::Result<()> {
        let key = key(path)?;
        self.check_ancestors(&key)?;
        match self.kind(&key) {
            Some(Kind::Directory) => Err(error(ErrorKind::IsADirectory)),
            Some(Kind::File) => Ok(()),
            None => {
                self.insert(key, Node::File(Vec::new()));
                Ok(())
            }
        }
    }

    /// Checks that `path` is an existing file that can be opened for writing (like
    /// `OpenOptions::new().write(true).open`).
    pub fn check_writable_file(&self, path: &Path) -> io::Result<()> {
        self.file_bytes(&key(path)?).map(|_| ())
    }

    /// Writes `bytes` at byte `offset`, past the end filling the gap with zeros (like a
    /// seek and a write on an open file).
    pub fn write_at(&mut self, path: &Path, offset: u64, bytes: &[u8]) -> io::Result<()> {
        let offset = to_usize(offset)?;
        let end = offset
            .checked_add(bytes.len())
            .ok_or_else(|| io::Error::new(ErrorKind::FileTooLarge, "does not fit in memory"))?;
        let key = key(path)?;
        if bytes.is_empty() {
            // Nothing written: a position past the end does not extend the file.
            return self.file_bytes(&key).map(|_| ());
        }
        let file = self.file_bytes_mut(&key)?;
        if file.len() < end {
            file.resize(end, 0);
        }
        file[offset..end].copy_from_slice(bytes);
        Ok(())
    }

    /// Appends `bytes` to the end of the file (like a write to a file opened for
    /// appending).
    pub fn append(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.file_bytes_mut(&key(path)?)?.extend_from_slice(bytes);
        Ok(())
    }

    /// Cuts the file to `length` bytes, or extends it with zeros (like `File::set_len`).
    pub fn set_len(&mut self, path: &Path, length: u64) -> io::Result<()> {
        let length = to_usize(length)?;
        self.file_bytes_mut(&key(path)?)?.resize(length, 0);
        Ok(())
    }

    /// Moves a file or a directory (like `std::fs::rename`): a file replaces a file, a
    /// directory replaces an empty directory.
    pub fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        let (from, to) = (key(from)?, key(to)?);
        // The kernel's order: both parents, the source, then the two ancestry checks,
        // then the kinds.
        self.check_ancestors(&from)?;
        self.check_ancestors(&to)?;
        let from_kind = self.kind(&from).ok_or_else(|| error(ErrorKind::NotFound))?;
        if from.is_empty() || to.is_empty() {
            return Err(error(ErrorKind::ResourceBusy));
        }
        if from == to {
            return Ok(());
        }
        if to.starts_with(&format!("{from}/")) {
            return Err(error(ErrorKind::InvalidInput));
        }
        if from.starts_with(&format!("{to}/")) {
            return Err(error(ErrorKind::DirectoryNotEmpty));
        }
        match (from_kind, self.kind(&to)) {
            (Kind::File, Some(Kind::Directory)) => return Err(error(ErrorKind::IsADirectory)),
            (Kind::Directory, Some(Kind::File)) => {
                return Err(error(ErrorKind::NotADirectory));
            }
            (Kind::Directory, Some(Kind::Directory)) if !self.subtree_keys(&to).is_empty() => {
                return Err(error(ErrorKind::DirectoryNotEmpty));
            }
            _ => {}
        }
        let moved = self.subtree_keys(&from);
        let entry = self.entries.remove(&from).expect("looked up");
        self.entries.insert(to.clone(), entry);
        for old in moved {
            let entry = self.entries.remove(&old).expect("listed");
            self.entries
                .insert(format!("{to}{}", &old[from.len()..]), entry);
        }
        self.unmirrored.insert(from);
        self.unmirrored.insert(to);
        Ok(())
    }

    /// Removes a file (like `std::fs::remove_file`).
    pub fn remove_file(&mut self, path: &Path) -> io::Result<()> {
        let key = key(path)?;
        match self.lookup(&key)? {
            Kind::Directory => Err(error(ErrorKind::IsADirectory)),
            Kind::File => {
                self.entries.remove(&key);
                self.unmirrored.insert(key);
                Ok(())
            }
        }
    }

    /// Creates one directory whose parent exists (like `std::fs::create_dir`).
    pub fn create_dir(&mut self, path: &Path) -> io::Result<()> {
        let key = key(path)?;
        self.check_ancestors(&key)?;
        if self.kind(&key).is_some() {
            return Err(error(ErrorKind::AlreadyExists));
        }
        self.insert(key, Node::Directory);
        Ok(())
    }

    /// Creates the directory and its missing ancestors (like `std::fs::create_dir_all`).
    pub fn create_dir_all(&mut self, path: &Path) -> io::Result<()> {
        let key = key(path)?;
        if key.is_empty() {
            return Ok(());
        }
        let ends = key
            .match_indices('/')
            .map(|(slash, _)| slash)
            .chain([key.len()]);
        for end in ends {
            let prefix = &key[..end];
            match self.kind(prefix) {
                Some(Kind::Directory) => {}
                Some(Kind::File) if end == key.len() => {
                    return Err(error(ErrorKind::AlreadyExists));
                }
                Some(Kind::File) => return Err(error(ErrorKind::NotADirectory)),
                None => self.insert(prefix.to_owned(), Node::Directory),
            }
        }
        Ok(())
    }

    /// Removes an empty directory (like `std::fs::remove_dir`).
    pub fn remove_dir(&mut self, path: &Path) -> io::Result<()> {
        let key = key(path)?;
        match self.lookup(&key)? {
            Kind::File => Err(error(ErrorKind::NotADirectory)),
            Kind::Directory if key.is_empty() => Err(error(ErrorKind::ResourceBusy)),
            Kind::Directory if !self.subtree_keys(&key).is_empty() => {
                Err(error(ErrorKind::DirectoryNotEmpty))
            }
            Kind::Directory => {
                self.entries.remove(&key);
                self.unmirrored.insert(key);
                Ok(())
            }
        }
    }

    /// Removes a directory and everything under it (like `std::fs::remove_dir_all`).
    pub fn remove_dir_all(&mut self, path: &Path) -> io::Result<()> {
        let key = key(path)?;
        match self.lookup(&key)? {
            Kind::File => Err(error(ErrorKind::NotADirectory)),
            Kind::Directory if key.is_empty() => Err(error(ErrorKind::ResourceBusy)),
            Kind::Directory => {
                for inner in self.subtree_keys(&key) {
                    self.entries.remove(&inner);
                }
                self.entries.remove(&key);
                self.unmirrored.insert(key);
                Ok(())
            }
        }
    }

    /// The paths of the directory's entries (`path` joined with each name), sorted by
    /// name (like `std::fs::read_dir`, which lists in no particular order).
    pub fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let key = key(path)?;
        if self.lookup(&key)? == Kind::File {
            return Err(error(ErrorKind::NotADirectory));
        }
        let (range, prefix) = subtree(&key);
        let names = self
            .entries
            .range(range)
            .map(|(inner, _)| &inner[prefix.len()..])
            .filter(|name| !name.contains('/'));
        Ok(names.map(|name| path.join(name)).collect())
    }

    /// Hands `send` the state of `path` and of everything under it, if `path` changed
    /// since it was last mirrored (a file's sync, or a whole-file write); marks them
    /// mirrored. A removed path is one [`MirrorRecord::Removed`], which covers what was
    /// under it.
    pub fn mirror_path(
        &mut self,
        path: &Path,
        send: &mut dyn FnMut(MirrorRecord<'_>),
    ) -> io::Result<()> {
        let key = key(path)?;
        if self.unmirrored.contains(&key) {
            self.mirror_key(&key, send);
        }
        Ok(())
    }

    /// [`mirror_path`](Self::mirror_path) for every changed entry of `directory` (a
    /// directory's sync makes its entries durable: creations, renames, removals).
    pub fn mirror_entries(
        &mut self,
        directory: &Path,
        send: &mut dyn FnMut(MirrorRecord<'_>),
    ) -> io::Result<()> {
        let directory = key(directory)?;
        let (range, prefix) = subtree(&directory);
        let changed: Vec<String> = self
            .unmirrored
            .range(range)
            .filter(|changed| !changed[prefix.len()..].contains('/'))
            .cloned()
            .collect();
        for changed in changed {
            self.mirror_key(&changed, send);
        }
        Ok(())
    }

    fn mirror_key(&mut self, key: &str, send: &mut dyn FnMut(MirrorRecord<'_>)) {
        self.unmirrored.remove(key);
        let under: Vec<String> = self.unmirrored.range(subtree(key).0).cloned().collect();
        for inner in under {
            self.unmirrored.remove(&inner);
        }
        let Some(entry) = self.entries.get(key) else {
            send(MirrorRecord::Removed { path: key });
            return;
        };
        send(record(key, entry));
        if matches!(entry.node, Node::Directory) {
            for (inner, entry) in self.entries.range(subtree(key).0) {
                send(record(inner, entry));
            }
        }
    }

    /// True if something changed at `path` (or under it) since it was last mirrored.
    pub fn is_unmirrored(&self, path: &Path) -> bool {
        key(path).is_ok_and(|key| {
            self.unmirrored.contains(&key)
                || self.unmirrored.range(subtree(&key).0).next().is_some()
        })
    }

    /// Puts back an entry read from a mirror: a file with `Some(bytes)`, a directory with
    /// `None`, creating missing ancestors. Restored entries count as mirrored.
    pub fn restore(
        &mut self,
        path: &Path,
        content: Option<Vec<u8>>,
        modified: SystemTime,
    ) -> io::Result<()> {
        let key = key(path)?;
        if key.is_empty() {
            return Ok(());
        }
        let ancestors = key.match_indices('/').map(|(slash, _)| &key[..slash]);
        for ancestor in ancestors {
            match self.kind(ancestor) {
                Some(Kind::Directory) => {}
                Some(Kind::File) => return Err(error(ErrorKind::NotADirectory)),
                None => {
                    let entry = Entry {
                        node: Node::Directory,
                        modified,
                    };
                    self.entries.insert(ancestor.to_owned(), entry);
                }
            }
        }
        let node = match content {
            Some(bytes) => Node::File(bytes),
            None => Node::Directory,
        };
        match (self.kind(&key), &node) {
            (Some(Kind::Directory), Node::File(_)) => Err(error(ErrorKind::IsADirectory)),
            (Some(Kind::File), Node::Directory) => Err(error(ErrorKind::AlreadyExists)),
            _ => {
                self.entries.insert(key, Entry { node, modified });
                Ok(())
            }
        }
    }
}

fn record<'a>(key: &'a str, entry: &'a Entry) -> MirrorRecord<'a> {
    match &entry.node {
        Node::File(bytes) => MirrorRecord::File {
            path: key,
            bytes,
            modified: entry.modified,
        },
        Node::Directory => MirrorRecord::Directory {
            path: key,
            modified: entry.modified,
        },
    }
}

#[cfg(test)]
mod tests;

//! The memory tree against the reference: the same operations on a real directory
//! through `std::fs`, the same observable results (values, error kinds, and the whole
//! tree after each step). Then its mirror: the records, applied to a map as IndexedDB
//! applies them, and restored into a new tree, give back the tree.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::{self, ErrorKind, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::{MemoryTree, MirrorRecord};

/// One operation, at paths relative to the tree's root (and to the reference directory).
#[derive(Clone, Debug)]
enum Operation {
    Write(String, Vec<u8>),
    /// A write through a file opened for appending (the file must exist).
    Append(String, Vec<u8>),
    /// A write at a byte offset through a file opened for writing (it must exist).
    WriteAt(String, u64, Vec<u8>),
    SetLen(String, u64),
    /// Opening for appending with creation.
    CreateIfMissing(String),
    /// `File::create`: creates or empties.
    Create(String),
    Read(String),
    Rename(String, String),
    RemoveFile(String),
    CreateDir(String),
    CreateDirAll(String),
    RemoveDir(String),
    RemoveDirAll(String),
    ReadDir(String),
    Metadata(String),
    /// `exists`, `is_file`, `is_dir`.
    Probe(String),
}

/// What an operation gave, comparable between the tree and the disk.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Bytes(Vec<u8>),
    Names(Vec<String>),
    /// Whether a directory, and a file's length.
    Metadata(bool, Option<u64>),
    Probe(bool, bool, bool),
    Failed(ErrorKind),
}

fn outcome<T>(result: io::Result<T>, value: impl FnOnce(T) -> Outcome) -> Outcome {
    match result {
        Ok(done) => value(done),
        Err(error) => Outcome::Failed(error.kind()),
    }
}

fn done(result: io::Result<()>) -> Outcome {
    outcome(result, |()| Outcome::Done)
}

fn names(paths: Vec<PathBuf>) -> Outcome {
    let mut names: Vec<String> = paths
        .iter()
        .map(|path| path.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    names.sort();
    Outcome::Names(names)
}

fn on_disk(root: &Path, operation: &Operation) -> Outcome {
    let at = |path: &str| root.join(path);
    let write_mode = |path: &str| OpenOptions::new().write(true).open(at(path));
    match operation {
        Operation::Write(path, bytes) => done(fs::write(at(path), bytes)),
        Operation::Append(path, bytes) => done(
            OpenOptions::new()
                .append(true)
                .open(at(path))
                .and_then(|mut file| file.write_all(bytes)),
        ),
        Operation::WriteAt(path, offset, bytes) => done(write_mode(path).and_then(|mut file| {
            file.seek(SeekFrom::Start(*offset))?;
            file.write_all(bytes)
        })),
        Operation::SetLen(path, length) => {
            done(write_mode(path).and_then(|file| file.set_len(*length)))
        }
        Operation::CreateIfMissing(path) => done(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(at(path))
                .map(drop),
        ),
        Operation::Create(path) => done(fs::File::create(at(path)).map(drop)),
        Operation::Read(path) => outcome(fs::read(at(path)), Outcome::Bytes),
        Operation::Rename(from, to) => done(fs::rename(at(from), at(to))),
        Operation::RemoveFile(path) => done(fs::remove_file(at(path))),
        Operation::CreateDir(path) => done(fs::create_dir(at(path))),
        Operation::CreateDirAll(path) => done(fs::create_dir_all(at(path))),
        Operation::RemoveDir(path) => done(fs::remove_dir(at(path))),
        Operation::RemoveDirAll(path) => done(fs::remove_dir_all(at(path))),
        Operation::ReadDir(path) => outcome(
            fs::read_dir(at(path)).and_then(|entries| {
                entries
                    .map(|entry| entry.map(|entry| entry.path()))
                    .collect()
            }),
            names,
        ),
        Operation::Metadata(path) => outcome(fs::metadata(at(path)), |metadata| {
            Outcome::Metadata(
                metadata.is_dir(),
                metadata.is_file().then_some(metadata.len()),
            )
        }),
        Operation::Probe(path) => {
            let path = at(path);
            Outcome::Probe(path.exists(), path.is_file(), path.is_dir())
        }
    }
}

fn in_memory(tree: &mut MemoryTree, operation: &Operation) -> Outcome {
    let at = Path::new;
    match operation {
        Operation::Write(path, bytes) => done(tree.write(at(path), bytes)),
        Operation::Append(path, bytes) => done(tree.append(at(path), bytes)),
        Operation::WriteAt(path, offset, bytes) => done(
            tree.check_writable_file(at(path))
                .and_then(|()| tree.write_at(at(path), *offset, bytes)),
        ),
        Operation::SetLen(path, length) => done(
            tree.check_writable_file(at(path))
                .and_then(|()| tree.set_len(at(path), *length)),
        ),
        Operation::CreateIfMissing(path) => done(tree.create_if_missing(at(path))),
        Operation::Create(path) => done(tree.create(at(path))),
        Operation::Read(path) => outcome(tree.read(at(path)), Outcome::Bytes),
        Operation::Rename(from, to) => done(tree.rename(at(from), at(to))),
        Operation::RemoveFile(path) => done(tree.remove_file(at(path))),
        Operation::CreateDir(path) => done(tree.create_dir(at(path))),
        Operation::CreateDirAll(path) => done(tree.create_dir_all(at(path))),
        Operation::RemoveDir(path) => done(tree.remove_dir(at(path))),
        Operation::RemoveDirAll(path) => done(tree.remove_dir_all(at(path))),
        Operation::ReadDir(path) => outcome(tree.read_dir(at(path)), names),
        Operation::Metadata(path) => outcome(tree.metadata(at(path)), |metadata| {
            Outcome::Metadata(metadata.is_dir, (!metadata.is_dir).then_some(metadata.len))
        }),
        Operation::Probe(path) => {
            let path = at(path);
            Outcome::Probe(tree.exists(path), tree.is_file(path), tree.is_dir(path))
        }
    }
}

/// Every entry under `root` on disk: file → `Some(bytes)`, directory → `None`.
fn disk_snapshot(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(root: &Path, directory: &Path, into: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in fs::read_dir(directory).unwrap() {
            let path = entry.unwrap().path();
            let key = path
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            if path.is_dir() {
                into.insert(key, None);
                walk(root, &path, into);
            } else {
                into.insert(key, Some(fs::read(&path).unwrap()));
            }
        }
    }
    let mut snapshot = BTreeMap::new();
    walk(root, root, &mut snapshot);
    snapshot
}

/// Every entry of the tree, found through its own listing.
fn memory_snapshot(tree: &MemoryTree) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(tree: &MemoryTree, directory: &Path, into: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for path in tree.read_dir(directory).unwrap() {
            let key = path.to_str().unwrap().to_owned();
            if tree.is_dir(&path) {
                into.insert(key, None);
                walk(tree, &path, into);
            } else {
                into.insert(key, Some(tree.read(&path).unwrap()));
            }
        }
    }
    let mut snapshot = BTreeMap::new();
    walk(tree, Path::new(""), &mut snapshot);
    snapshot
}

/// A tree and a reference directory that have seen the same operations.
struct Twins {
    tree: MemoryTree,
    directory: tempfile::TempDir,
}

impl Twins {
    fn new() -> Self {
        Self {
            tree: MemoryTree::new(),
            directory: tempfile::tempdir().unwrap(),
        }
    }

    /// Runs `operation` on both, checks they agree (result and whole tree), returns the
    /// result.
    fn run(&mut self, operation: &Operation) -> Outcome {
        let expected = on_disk(self.directory.path(), operation);
        let got = in_memory(&mut self.tree, operation);
        assert_eq!(got, expected, "{operation:?}");
        assert_eq!(
            memory_snapshot(&self.tree),
            disk_snapshot(self.directory.path()),
            "the whole tree after {operation:?}"
        );
        got
    }

    /// Runs each operation and checks the result is the one expected too (so that a
    /// scripted test proves what it names, not only agreement).
    fn expect(&mut self, script: &[(Operation, Outcome)]) {
        for (operation, expected) in script {
            assert_eq!(&self.run(operation), expected, "{operation:?}");
        }
    }
}

fn s(text: &str) -> String {
    text.to_owned()
}

#[test]
fn missing_paths_are_not_found() {
    use Operation::*;
    let not_found = || Outcome::Failed(ErrorKind::NotFound);
    Twins::new().expect(&[
        (Read(s("a")), not_found()),
        (Read(s("a/b")), not_found()),
        (Metadata(s("a")), not_found()),
        (ReadDir(s("a")), not_found()),
        (RemoveFile(s("a")), not_found()),
        (RemoveDir(s("a")), not_found()),
        (RemoveDirAll(s("a")), not_found()),
        (Rename(s("a"), s("b")), not_found()),
        (Append(s("a"), b"x".to_vec()), not_found()),
        (SetLen(s("a"), 0), not_found()),
        (Write(s("a/b"), b"x".to_vec()), not_found()),
        (CreateDir(s("a/b")), not_found()),
        (Probe(s("a")), Outcome::Probe(false, false, false)),
    ]);
}

#[test]
fn files_read_back_what_was_written_appended_and_truncated() {
    use Operation::*;
    Twins::new().expect(&[
        (Write(s("log"), b"one\n".to_vec()), Outcome::Done),
        (Append(s("log"), b"two\n".to_vec()), Outcome::Done),
        (Read(s("log")), Outcome::Bytes(b"one\ntwo\n".to_vec())),
        (SetLen(s("log"), 4), Outcome::Done),
        (Read(s("log")), Outcome::Bytes(b"one\n".to_vec())),
        (SetLen(s("log"), 6), Outcome::Done),
        (Read(s("log")), Outcome::Bytes(b"one\n\0\0".to_vec())),
        (WriteAt(s("log"), 8, b"!".to_vec()), Outcome::Done),
        (Read(s("log")), Outcome::Bytes(b"one\n\0\0\0\0!".to_vec())),
        (WriteAt(s("log"), 1, b"NE".to_vec()), Outcome::Done),
        (Read(s("log")), Outcome::Bytes(b"oNE\n\0\0\0\0!".to_vec())),
        (CreateIfMissing(s("log")), Outcome::Done),
        (Metadata(s("log")), Outcome::Metadata(false, Some(9))),
        (Create(s("log")), Outcome::Done),
        (Read(s("log")), Outcome::Bytes(Vec::new())),
        (CreateIfMissing(s("new")), Outcome::Done),
        (Probe(s("new")), Outcome::Probe(true, true, false)),
        (Rename(s("log"), s("new")), Outcome::Done),
        (Probe(s("log")), Outcome::Probe(false, false, false)),
        (RemoveFile(s("new")), Outcome::Done),
        (ReadDir(s("")), Outcome::Names(Vec::new())),
    ]);
}

#[test]
fn directories_behave_as_on_disk() {
    use Operation::*;
    let failed = Outcome::Failed;
    Twins::new().expect(&[
        (CreateDirAll(s("a/b/c")), Outcome::Done),
        (CreateDirAll(s("a/b")), Outcome::Done),
        (CreateDir(s("a/b")), failed(ErrorKind::AlreadyExists)),
        (Write(s("a/f"), b"file".to_vec()), Outcome::Done),
        (ReadDir(s("a")), Outcome::Names(vec![s("b"), s("f")])),
        (ReadDir(s("a/f")), failed(ErrorKind::NotADirectory)),
        (Read(s("a")), failed(ErrorKind::IsADirectory)),
        (
            Write(s("a/b"), b"x".to_vec()),
            failed(ErrorKind::IsADirectory),
        ),
        (
            Write(s("a/f/x"), b"x".to_vec()),
            failed(ErrorKind::NotADirectory),
        ),
        (CreateDirAll(s("a/f")), failed(ErrorKind::AlreadyExists)),
        (CreateDirAll(s("a/f/g")), failed(ErrorKind::NotADirectory)),
        (Metadata(s("a/f/g")), failed(ErrorKind::NotADirectory)),
        (RemoveFile(s("a/b")), failed(ErrorKind::IsADirectory)),
        (RemoveDir(s("a/f")), failed(ErrorKind::NotADirectory)),
        (RemoveDir(s("a")), failed(ErrorKind::DirectoryNotEmpty)),
        (RemoveDirAll(s("a/f")), failed(ErrorKind::NotADirectory)),
        (Rename(s("a/f"), s("a/b")), failed(ErrorKind::IsADirectory)),
        (Rename(s("a/b"), s("a/f")), failed(ErrorKind::NotADirectory)),
        (Rename(s("a"), s("a/b/d")), failed(ErrorKind::InvalidInput)),
        (
            Rename(s("a/b"), s("a")),
            failed(ErrorKind::DirectoryNotEmpty),
        ),
        (CreateDir(s("e")), Outcome::Done),
        (Rename(s("e"), s("a")), failed(ErrorKind::DirectoryNotEmpty)),
        // A directory moves with its content, and may replace an empty directory.
        (Rename(s("a"), s("e")), Outcome::Done),
        (Read(s("e/f")), Outcome::Bytes(b"file".to_vec())),
        (Probe(s("e/b/c")), Outcome::Probe(true, false, true)),
        (Rename(s("e/b"), s("e/b")), Outcome::Done),
        (RemoveDirAll(s("e/b")), Outcome::Done),
        (ReadDir(s("e")), Outcome::Names(vec![s("f")])),
        (RemoveFile(s("e/f")), Outcome::Done),
        (RemoveDir(s("e")), Outcome::Done),
        (ReadDir(s("")), Outcome::Names(Vec::new())),
    ]);
}

/// A path of one to three names among `a`, `b`, `c`: few enough that operations meet.
fn random_path(random: &mut StdRng) -> String {
    let depth = random.random_range(1..=3);
    (0..depth)
        .map(|_| ["a", "b", "c"][random.random_range(0..3)])
        .collect::<Vec<_>>()
        .join("/")
}

fn random_bytes(random: &mut StdRng) -> Vec<u8> {
    (0..random.random_range(0..6))
        .map(|_| random.random_range(b'0'..=b'9'))
        .collect()
}

fn random_operation(random: &mut StdRng) -> Operation {
    let path = random_path(random);
    match random.random_range(0..20) {
        0..=2 => Operation::Write(path, random_bytes(random)),
        3 => Operation::Append(path, random_bytes(random)),
        4 => Operation::WriteAt(path, random.random_range(0..8), random_bytes(random)),
        5 => Operation::SetLen(path, random.random_range(0..8)),
        6 => Operation::CreateIfMissing(path),
        7 => Operation::Create(path),
        8 => Operation::Read(path),
        9 | 10 => Operation::Rename(path, random_path(random)),
        11 => Operation::RemoveFile(path),
        12 => Operation::CreateDir(path),
        13 | 14 => Operation::CreateDirAll(path),
        15 => Operation::RemoveDir(path),
        16 => Operation::RemoveDirAll(path),
        17 => Operation::ReadDir(path),
        18 => Operation::Metadata(path),
        _ => Operation::Probe(path),
    }
}

#[test]
fn random_operations_match_the_disk() {
    for seed in 0..6 {
        let mut random = StdRng::seed_from_u64(seed);
        let mut twins = Twins::new();
        let mut failures = 0;
        for _ in 0..400 {
            let operation = random_operation(&mut random);
            if matches!(twins.run(&operation), Outcome::Failed(_)) {
                failures += 1;
            }
        }
        // Both kinds of step were exercised, and the tree was not left empty.
        assert!(
            (40..360).contains(&failures),
            "seed {seed}: {failures} failures"
        );
        assert!(!memory_snapshot(&twins.tree).is_empty(), "seed {seed}");
    }
}

/// What IndexedDB holds after applying mirror records (`web/storage.js`): each record
/// replaces its path and everything under it.
#[derive(Default)]
struct Mirror {
    entries: BTreeMap<String, Option<Vec<u8>>>,
    records: usize,
}

impl Mirror {
    fn apply(&mut self, record: MirrorRecord<'_>) {
        self.records += 1;
        let path = match record {
            MirrorRecord::File { path, .. }
            | MirrorRecord::Directory { path, .. }
            | MirrorRecord::Removed { path } => path,
        };
        let prefix = format!("{path}/");
        self.entries
            .retain(|key, _| key != path && !key.starts_with(&prefix));
        match record {
            MirrorRecord::File { path, bytes, .. } => {
                self.entries.insert(path.to_owned(), Some(bytes.to_vec()));
            }
            MirrorRecord::Directory { path, .. } => {
                self.entries.insert(path.to_owned(), None);
            }
            MirrorRecord::Removed { .. } => {}
        }
    }
}

#[test]
fn the_mirror_restores_the_tree_once_every_change_is_synced() {
    let universe: Vec<String> = {
        let names = ["a", "b", "c"];
        let mut paths = Vec::new();
        for first in names {
            paths.push(first.to_owned());
            for second in names {
                paths.push(format!("{first}/{second}"));
                for third in names {
                    paths.push(format!("{first}/{second}/{third}"));
                }
            }
        }
        paths
    };
    for seed in 0..6 {
        let mut random = StdRng::seed_from_u64(100 + seed);
        let mut tree = MemoryTree::new();
        let mut mirror = Mirror::default();
        for _ in 0..300 {
            in_memory(&mut tree, &random_operation(&mut random));
            // Syncs now and then, as the durable writes do: a file, or a directory's
            // entries.
            match random.random_range(0..4) {
                0 => tree
                    .mirror_path(Path::new(&random_path(&mut random)), &mut |record| {
                        mirror.apply(record)
                    })
                    .unwrap(),
                1 => {
                    let directory = match random.random_range(0..3) {
                        0 => String::new(),
                        _ => random_path(&mut random),
                    };
                    tree.mirror_entries(Path::new(&directory), &mut |record| mirror.apply(record))
                        .unwrap();
                }
                _ => {}
            }
        }
        assert!(mirror.records > 0, "seed {seed}: nothing was mirrored");
        // Sync every path, in an order unrelated to the tree's.
        for path in universe.iter().rev() {
            tree.mirror_path(Path::new(path), &mut |record| mirror.apply(record))
                .unwrap();
        }
        assert!(!tree.is_unmirrored(Path::new("")), "seed {seed}");
        assert_eq!(mirror.entries, memory_snapshot(&tree), "seed {seed}");

        let mut restored = MemoryTree::new();
        for (path, content) in &mirror.entries {
            restored
                .restore(
                    Path::new(path),
                    content.clone(),
                    web_time::SystemTime::now(),
                )
                .unwrap();
        }
        assert_eq!(
            memory_snapshot(&restored),
            memory_snapshot(&tree),
            "seed {seed}"
        );
        assert!(!restored.is_unmirrored(Path::new("")), "seed {seed}");
    }
}

#[test]
fn a_sync_sends_only_what_changed_since_the_last() {
    let mut tree = MemoryTree::new();
    let mut sent: Vec<String> = Vec::new();
    let mut record = |record: MirrorRecord<'_>| {
        sent.push(match record {
            MirrorRecord::File { path, bytes, .. } => {
                format!("file {path} {}", String::from_utf8_lossy(bytes))
            }
            MirrorRecord::Directory { path, .. } => format!("directory {path}"),
            MirrorRecord::Removed { path } => format!("removed {path}"),
        });
    };
    tree.create_dir_all(Path::new("run/checkpoints")).unwrap();
    tree.write(Path::new("run/metrics.jsonl"), b"1\n").unwrap();
    tree.mirror_entries(Path::new("."), &mut record).unwrap();
    tree.append(Path::new("run/metrics.jsonl"), b"2\n").unwrap();
    tree.mirror_path(Path::new("run/metrics.jsonl"), &mut record)
        .unwrap();
    // Unchanged since: nothing to send.
    tree.mirror_path(Path::new("run/metrics.jsonl"), &mut record)
        .unwrap();
    tree.mirror_entries(Path::new("run"), &mut record).unwrap();
    // An atomic replacement: the temporary file's removal and the new file, at the
    // directory's sync.
    tree.write(Path::new("run/.x.tmp"), b"new").unwrap();
    tree.rename(Path::new("run/.x.tmp"), Path::new("run/x"))
        .unwrap();
    tree.mirror_entries(Path::new("run"), &mut record).unwrap();
    assert_eq!(
        sent,
        [
            "directory run",
            "directory run/checkpoints",
            "file run/metrics.jsonl 1\n",
            "file run/metrics.jsonl 1\n2\n",
            "removed run/.x.tmp",
            "file run/x new",
        ]
    );
}

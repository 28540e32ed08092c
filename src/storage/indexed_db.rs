//! The IndexedDB mirror of the browser's files, through `web/storage.js` (wasm-bindgen
//! copies it into the package's `snippets/`). One object store keyed by the normalised
//! path (`runs/a/metrics.jsonl`), holding `{data: Uint8Array | null (a directory),
//! modified: milliseconds since 1970}`; each record replaces what is stored at its path and
//! under it ([`MirrorRecord`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_time::{SystemTime, UNIX_EPOCH};

use super::MirrorRecord;

#[wasm_bindgen(module = "/web/storage.js")]
extern "C" {
    /// Stores a file in place of what was at and under `path`; `bytes` is copied before
    /// the call returns.
    #[wasm_bindgen(js_name = putFile)]
    fn put_file(path: &str, bytes: &[u8], modified_ms: f64) -> Promise;

    /// Stores a directory in place of what was at and under `path`.
    #[wasm_bindgen(js_name = putDirectory)]
    fn put_directory(path: &str, modified_ms: f64) -> Promise;

    /// Removes the entry at `path` and every entry under it.
    #[wasm_bindgen(js_name = remove)]
    fn remove(path: &str) -> Promise;

    /// Every stored entry: an array of `[path, Uint8Array | null, modified_ms]`.
    #[wasm_bindgen(js_name = loadAll)]
    fn load_all_entries() -> Promise;
}

/// An entry read back from IndexedDB.
pub struct StoredEntry {
    pub path: String,
    /// A file's bytes; `None` for a directory.
    pub content: Option<Vec<u8>>,
    pub modified: SystemTime,
}

fn unix_ms(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64() * 1000.0)
}

fn from_unix_ms(milliseconds: f64) -> SystemTime {
    let seconds = (milliseconds / 1000.0).max(0.0);
    UNIX_EPOCH + Duration::try_from_secs_f64(seconds).unwrap_or_default()
}

/// A JavaScript error (a rejected promise's reason) as text.
fn describe(error: &JsValue) -> String {
    if let Some(text) = error.as_string() {
        text
    } else if let Some(error) = error.dyn_ref::<js_sys::Error>() {
        String::from(error.message())
    } else {
        format!("{error:?}")
    }
}

/// Records sent to IndexedDB whose transaction has not finished yet.
static PENDING: AtomicUsize = AtomicUsize::new(0);

/// How many stores are in flight ([`store`] started them; their transactions have not
/// completed or failed yet).
pub fn pending() -> usize {
    PENDING.load(Ordering::SeqCst)
}

/// Sends one record to IndexedDB without waiting: the transaction starts now, its
/// failure is recorded for `storage::take_persistence_error` when it comes; [`pending`]
/// counts it until then.
pub fn store(record: MirrorRecord<'_>) {
    let promise = match record {
        MirrorRecord::File {
            path,
            bytes,
            modified,
        } => put_file(path, bytes, unix_ms(modified)),
        MirrorRecord::Directory { path, modified } => put_directory(path, unix_ms(modified)),
        MirrorRecord::Removed { path } => remove(path),
    };
    PENDING.fetch_add(1, Ordering::SeqCst);
    wasm_bindgen_futures::spawn_local(async move {
        let stored = JsFuture::from(promise).await;
        PENDING.fetch_sub(1, Ordering::SeqCst);
        if let Err(error) = stored {
            super::browser::record_persistence_error(describe(&error));
        }
    });
}

/// Every entry stored in IndexedDB, parents before children.
pub async fn load_all() -> Result<Vec<StoredEntry>, String> {
    let rows = JsFuture::from(load_all_entries())
        .await
        .map_err(|error| describe(&error))?;
    let rows: Array = rows
        .dyn_into()
        .map_err(|_| "the stored files did not load as a list".to_owned())?;
    rows.iter()
        .map(|row| {
            let row: Array = row
                .dyn_into()
                .map_err(|_| "a stored entry is not a list".to_owned())?;
            let path = row
                .get(0)
                .as_string()
                .ok_or_else(|| "a stored entry has no path".to_owned())?;
            let data = row.get(1);
            let content = if data.is_null() || data.is_undefined() {
                None
            } else {
                let bytes: Uint8Array = data
                    .dyn_into()
                    .map_err(|_| format!("the stored {path} is not bytes"))?;
                Some(bytes.to_vec())
            };
            let modified = from_unix_ms(row.get(2).as_f64().unwrap_or(0.0));
            Ok(StoredEntry {
                path,
                content,
                modified,
            })
        })
        .collect()
}

//! Checkpoints in and out of the app as their two files (`ckpt-<iteration>.json` and the
//! `.safetensors` it names), the pair `wgzero train` writes: an uploaded pair becomes a run
//! directory of its own (Search and Play load it, Train resumes it), and a run's latest
//! pair is handed out as files. In the browser the files come from a file picker and leave
//! as downloads (the wasm-only module `browser`); the checks and the layout are the same on every platform.

use std::path::{Path, PathBuf};

use crate::run_dir::checkpoint::{CHECKPOINTS_DIRECTORY, Checkpoint, locate};
use crate::run_dir::durable;
use crate::run_dir::replay::REPLAY_FILE;

/// One file: its name and bytes.
pub type NamedFile = (String, Vec<u8>);

/// Checks an uploaded checkpoint pair (one `.json`, one `.safetensors`, verified as a
/// checkpoint is on load) and stores it as the run directory `<runs>/uploaded-<name>`
/// (`-2`, `-3`… when taken). Returns that directory.
pub fn import_pair(files: &[NamedFile], runs: &Path) -> Result<PathBuf, String> {
    // A run's saved replay lies beside its checkpoints: picking the whole folder works.
    let with_extension = |extension: &str| {
        let found: Vec<&NamedFile> = files
            .iter()
            .filter(|(name, _)| name.ends_with(extension) && !name.ends_with(REPLAY_FILE))
            .collect();
        match found.as_slice() {
            [one] => Ok(*one),
            _ => Err(format!(
                "pick the two files of one checkpoint, ckpt-<iteration>.json and its \
                 .safetensors (got: {})",
                names(files)
            )),
        }
    };
    let (json_name, json) = with_extension(".json")?;
    let (_, tensors) = with_extension(".safetensors")?;
    let checkpoint = Checkpoint::from_bytes(json_name, json, tensors).map_err(|error| {
        format!(
            "{} is not a checkpoint wgzero can load: {error}",
            names(files)
        )
    })?;
    let tensors_name = checkpoint.record().tensors_file.clone();
    let stem = tensors_name.trim_end_matches(".safetensors").to_owned();
    let run_dir = free_directory(runs, &format!("uploaded-{stem}"));
    let directory = run_dir.join(CHECKPOINTS_DIRECTORY);
    let store = || -> Result<(), crate::run_dir::RunDirError> {
        durable::create_directory(&directory)?;
        durable::write_atomically(&directory.join(&tensors_name), tensors)?;
        durable::write_atomically(&directory.join(format!("{stem}.json")), json)
    };
    store().map_err(|error| format!("the checkpoint could not be stored: {error}"))?;
    Ok(run_dir)
}

/// The two files of the checkpoint `path` names (a run directory's latest, or a file of
/// one), under the names a run gives them.
pub fn export_pair(path: &Path) -> Result<[NamedFile; 2], String> {
    let json_path = locate(path).map_err(|error| error.to_string())?;
    let checkpoint = Checkpoint::load(&json_path).map_err(|error| error.to_string())?;
    let tensors_name = checkpoint.record().tensors_file.clone();
    let tensors_path = json_path.with_file_name(&tensors_name);
    let read = |path: &Path| match durable::read_bytes(path) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(format!("{} is missing", path.display())),
        Err(error) => Err(error.to_string()),
    };
    let json_name = json_path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok([
        (json_name, read(&json_path)?),
        (tensors_name, read(&tensors_path)?),
    ])
}

fn names(files: &[NamedFile]) -> String {
    if files.is_empty() {
        return "no files".to_owned();
    }
    files
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `<parent>/<name>`, or with `-2`, `-3`… appended when that exists.
fn free_directory(parent: &Path, name: &str) -> PathBuf {
    let mut candidate = parent.join(name);
    let mut suffix = 2;
    while crate::storage::exists(&candidate) {
        candidate = parent.join(format!("{name}-{suffix}"));
        suffix += 1;
    }
    candidate
}

/// The browser's side: a file picker whose files arrive later, and downloads.
#[cfg(target_arch = "wasm32")]
pub mod browser {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    use super::NamedFile;

    /// Where the picked files arrive once read: filled by the input's change handler.
    type Arrival = Rc<RefCell<Option<Result<Vec<NamedFile>, String>>>>;

    /// Files the user is picking; [`Upload::take`] returns them once read.
    pub struct Upload {
        received: Arrival,
    }

    impl Upload {
        /// Opens the browser's file picker for several files with the extensions in
        /// `accept` (such as `.json,.safetensors`).
        pub fn pick(accept: &str) -> Result<Self, String> {
            let received: Arrival = Rc::new(RefCell::new(None));
            let input: web_sys::HtmlInputElement = element("input")?;
            input.set_type("file");
            input.set_multiple(true);
            input.set_accept(accept);
            let target = Rc::clone(&received);
            let chosen = input.clone();
            let on_change = Closure::once(move || {
                wasm_bindgen_futures::spawn_local(async move {
                    let result = read_all(&chosen).await;
                    *target.borrow_mut() = Some(result);
                });
            });
            input.set_onchange(Some(on_change.as_ref().unchecked_ref()));
            on_change.forget();
            input.click();
            Ok(Self { received })
        }

        /// The picked files once they are read (then never again).
        pub fn take(&self) -> Option<Result<Vec<NamedFile>, String>> {
            self.received.borrow_mut().take()
        }
    }

    async fn read_all(input: &web_sys::HtmlInputElement) -> Result<Vec<NamedFile>, String> {
        let list = input.files().ok_or("no files were picked")?;
        let mut files = Vec::new();
        for index in 0..list.length() {
            let Some(file) = list.get(index) else {
                continue;
            };
            let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
                .await
                .map_err(js_message)?;
            files.push((file.name(), js_sys::Uint8Array::new(&buffer).to_vec()));
        }
        Ok(files)
    }

    /// Hands `bytes` to the browser as a download named `name`.
    pub fn download(name: &str, bytes: &[u8]) -> Result<(), String> {
        let array = js_sys::Uint8Array::from(bytes);
        let parts = js_sys::Array::of1(&array);
        let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(js_message)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js_message)?;
        let anchor: web_sys::HtmlAnchorElement = element("a")?;
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
        web_sys::Url::revoke_object_url(&url).map_err(js_message)
    }

    /// A new, detached `<tag>` element of the page.
    fn element<T: JsCast>(tag: &str) -> Result<T, String> {
        web_sys::window()
            .and_then(|window| window.document())
            .ok_or("no document")?
            .create_element(tag)
            .map_err(js_message)?
            .dyn_into()
            .map_err(|_| format!("<{tag}> is not the element expected"))
    }

    fn js_message(value: JsValue) -> String {
        value
            .as_string()
            .or_else(|| {
                value
                    .dyn_ref::<js_sys::Error>()
                    .map(|error| String::from(error.message()))
            })
            .unwrap_or_else(|| format!("{value:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pair exported from a run and imported again is a run directory whose checkpoint
    /// loads with the same iteration and tensors; a single file or a broken pair is refused
    /// with a message naming the files.
    #[test]
    fn a_pair_round_trips_and_bad_uploads_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let original = crate::bundled::NETWORKS[0].checkpoint().unwrap();
        let exported = root.path().join("exported");
        original.export_for_inference(&exported).unwrap();
        let pair = export_pair(&exported).unwrap();
        let runs = root.path().join("runs");
        let first = import_pair(&pair, &runs).unwrap();
        let second = import_pair(&pair, &runs).unwrap();
        assert_ne!(first, second, "a second upload gets its own directory");
        let loaded = Checkpoint::load(&first).unwrap();
        assert_eq!(loaded.record().iteration, original.record().iteration);
        assert_eq!(loaded.tensors().len(), original.tensors().len());

        // The whole checkpoints folder of a run, its saved replay included, imports too.
        let mut folder = pair.to_vec();
        folder.push((REPLAY_FILE.to_owned(), b"not a checkpoint".to_vec()));
        let third = import_pair(&folder, &runs).unwrap();
        assert_eq!(
            Checkpoint::load(&third).unwrap().record().iteration,
            original.record().iteration
        );

        let error = import_pair(&pair[..1], &runs).unwrap_err();
        assert!(error.contains("pick the two files"), "{error}");
        let mut broken = pair.clone();
        broken[1].1[100] ^= 0xff;
        let error = import_pair(&broken, &runs).unwrap_err();
        assert!(error.contains("is not a checkpoint"), "{error}");
    }
}

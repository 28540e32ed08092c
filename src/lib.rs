//! wgzero: AlphaZero training with the network, the game rules and the tree search on the
//! GPU through WebGPU (wgpu), and a CPU backend that computes the same things where no GPU
//! exists. See `docs/ARCHITECTURE.md` for the layers and the data flow: `games` → `search`
//! → `selfplay` → `train`, with `evaluate` and `run_dir` beside the trainer, and `bundled`
//! holding the trained networks shipped inside the library; `storage` is the file system
//! (`std::fs` natively, memory mirrored into IndexedDB in a browser). `ramsey` searches for
//! Ramsey witnesses (colourings of K_n without monochromatic cliques) by local search.

#[cfg(feature = "app")]
pub mod app;
#[cfg(not(target_arch = "wasm32"))]
pub mod arena;
pub mod backend;
pub mod bundled;
pub mod evaluate;
pub mod games;
pub mod gpu;
pub mod graph;
pub mod nn;
pub mod ramsey;
pub mod run_dir;
pub mod search;
pub mod selfplay;
pub mod storage;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;
pub mod train;
#[cfg(not(target_arch = "wasm32"))]
pub mod uci;

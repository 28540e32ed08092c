//! Games as the GPU search sees them: each implements [`super::gpu::SearchGame`] with a
//! WGSL adapter from `shaders/search/<game>_adapter.wgsl` over the game's rules library.

pub mod clique;

//! Self-play's data on the GPU: the replay ring buffer that finished games' trajectories
//! are appended to (placed by a prefix scan over the games), and the sampler that draws
//! augmented training batches from it into the training program's inputs.

pub mod gpu_replay;

// Shape of a dispatch over a batch of states, shared by the batch kernels.
struct BatchParams {
    // States in the batch.
    batch: u32,
    // Moves each thread of random_playout plays per dispatch.
    steps: u32,
    unused0: u32,
    unused1: u32,
}

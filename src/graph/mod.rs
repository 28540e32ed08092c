//! The tensor-graph compiler: the IR, autodiff, fusion, planning and the kernels it emits.
pub mod kernels;

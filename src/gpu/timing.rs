//! GPU timestamps: marks written between dispatches inside a compute pass
//! (TIMESTAMP_QUERY_INSIDE_PASSES), resolved and read back as labelled intervals.

use std::cell::RefCell;

use super::{Gpu, GpuError};

/// Up to `capacity` timestamps; interval `i` runs from mark `i` to mark `i + 1` and carries
/// the label given to mark `i + 1`.
pub struct Timestamps {
    query_set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    capacity: u32,
    labels: RefCell<Vec<String>>,
}

impl Timestamps {
    /// `None` when the device lacks timestamps inside passes.
    pub fn new(gpu: &Gpu, capacity: u32) -> Option<Self> {
        let needed =
            wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_PASSES;
        if !gpu.features.contains(needed) {
            return None;
        }
        let capacity = capacity.clamp(2, wgpu::QUERY_SET_MAX_QUERIES);
        // A set of GPU clock readings, written by the passes, resolved into a buffer.
        let query_set = gpu.device.create_query_set(&wgpu::QuerySetDescriptor {
            label: Some("timestamps"),
            ty: wgpu::QueryType::Timestamp,
            count: capacity,
        });
        let resolve = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("timestamp resolve"),
            size: u64::from(capacity) * 8,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        Some(Self {
            query_set,
            resolve,
            capacity,
            labels: RefCell::new(Vec::new()),
        })
    }

    /// Writes the next timestamp; `label` names the interval that ends here. Marks past the
    /// capacity are dropped.
    pub fn mark(&self, pass: &mut wgpu::ComputePass, label: impl Into<String>) {
        let mut labels = self.labels.borrow_mut();
        let index = labels.len() as u32;
        if index < self.capacity {
            pass.write_timestamp(&self.query_set, index);
            labels.push(label.into());
        }
    }

    /// Resolves the marks written so far (call after the pass ends, before submitting).
    pub fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        let count = self.labels.borrow().len() as u32;
        if count > 0 {
            encoder.resolve_query_set(&self.query_set, 0..count, &self.resolve, 0);
        }
    }

    /// Seconds of every interval with its label, then forgets the marks.
    pub fn read(&self, gpu: &Gpu) -> Result<Vec<(String, f64)>, GpuError> {
        let labels = std::mem::take(&mut *self.labels.borrow_mut());
        if labels.len() < 2 {
            return Ok(Vec::new());
        }
        let ticks: Vec<u64> = gpu.read(&self.resolve, labels.len())?;
        let period = f64::from(gpu.queue.get_timestamp_period()) * 1e-9;
        Ok(ticks
            .windows(2)
            .zip(&labels[1..])
            .map(|(pair, label)| {
                (
                    label.clone(),
                    pair[1].saturating_sub(pair[0]) as f64 * period,
                )
            })
            .collect())
    }
}

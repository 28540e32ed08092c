//! Copies of GPU buffers on their way back to the host, without blocking.
//!
//! A [`Readback`] is recorded into an encoder (copies of byte ranges of storage buffers into
//! one host-visible staging buffer), submitted with the work that produces the data, and
//! then mapped asynchronously. The caller asks [`Readback::try_take`] again later: it polls
//! the device once without waiting (on the web the browser's event loop runs the mapping
//! callbacks instead) and hands over the bytes once the map is done. Nothing here waits,
//! except [`Readback::wait`], which is for tools and tests.

use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use web_time::Instant;

use super::{Gpu, GpuError, wait_timeout_seconds};

/// A byte range of a buffer to bring back: `bytes` bytes from `offset` (both multiples of 4).
#[derive(Clone, Copy, Debug)]
pub struct ReadRange<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub offset: u64,
    pub bytes: u64,
}

impl<'a> ReadRange<'a> {
    /// The first `count` elements of `T` in `buffer`.
    pub fn elements<T>(buffer: &'a wgpu::Buffer, count: usize) -> Self {
        Self {
            buffer,
            offset: 0,
            bytes: (count * std::mem::size_of::<T>()) as u64,
        }
    }
}

/// Where the mapping of a staging buffer stands.
#[derive(Debug, Default)]
enum MapState {
    /// Not submitted yet, or submitted and not mapped yet.
    #[default]
    Pending,
    Mapped(Result<(), String>),
}

/// Data being copied back from the GPU. Dropping it abandons the copy.
pub struct Readback {
    staging: wgpu::Buffer,
    /// Byte range of each requested part inside `staging`.
    parts: Vec<Range<u64>>,
    state: Arc<Mutex<MapState>>,
    submission: Option<wgpu::SubmissionIndex>,
    started: Instant,
}

impl Gpu {
    /// Records into `encoder` copies of `ranges` into a new staging buffer. Submit the
    /// encoder, then hand the submission to [`Readback::submitted`].
    pub fn record_readback(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        ranges: &[ReadRange<'_>],
    ) -> Result<Readback, GpuError> {
        let mut parts = Vec::with_capacity(ranges.len());
        let mut size = 0u64;
        for range in ranges {
            if range.offset % wgpu::COPY_BUFFER_ALIGNMENT != 0
                || range.bytes % wgpu::COPY_BUFFER_ALIGNMENT != 0
            {
                return Err(GpuError::Readback(format!(
                    "a readback of {} bytes at offset {} is not 4-byte aligned",
                    range.bytes, range.offset
                )));
            }
            if range.offset + range.bytes > range.buffer.size() {
                return Err(GpuError::Readback(format!(
                    "asked for bytes {}..{} of a {}-byte buffer",
                    range.offset,
                    range.offset + range.bytes,
                    range.buffer.size()
                )));
            }
            parts.push(size..size + range.bytes);
            size += range.bytes;
        }
        // A host-visible copy target: storage buffers themselves cannot be mapped.
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback staging"),
            size: size.max(8).next_multiple_of(8),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        for (range, part) in ranges.iter().zip(&parts) {
            if range.bytes > 0 {
                encoder.copy_buffer_to_buffer(
                    range.buffer,
                    range.offset,
                    &staging,
                    part.start,
                    range.bytes,
                );
            }
        }
        Ok(Readback {
            staging,
            parts,
            state: Arc::new(Mutex::new(MapState::Pending)),
            submission: None,
            started: Instant::now(),
        })
    }

    /// Submits copies of `ranges` on their own and starts mapping them.
    pub fn start_readback(&self, ranges: &[ReadRange<'_>]) -> Result<Readback, GpuError> {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("readback"),
            });
        let mut readback = self.record_readback(&mut encoder, ranges)?;
        let submission = self.queue.submit([encoder.finish()]);
        readback.submitted(submission);
        Ok(readback)
    }
}

impl Readback {
    /// Starts mapping once the encoder holding the copies was submitted as `submission`.
    pub fn submitted(&mut self, submission: wgpu::SubmissionIndex) {
        let state = Arc::clone(&self.state);
        self.staging
            .map_async(wgpu::MapMode::Read, .., move |result| {
                let result = result.map_err(|error| error.to_string());
                *state.lock().unwrap_or_else(|e| e.into_inner()) = MapState::Mapped(result);
            });
        self.submission = Some(submission);
        self.started = Instant::now();
    }

    /// The submission the copies went with (what a blocking driver may wait for).
    pub fn submission(&self) -> Option<&wgpu::SubmissionIndex> {
        self.submission.as_ref()
    }

    /// The parts, once the copies have landed; `None` while they are still on their way.
    /// Never blocks: it polls the device once (native) and looks. A readback pending for
    /// longer than `WGZERO_GPU_TIMEOUT_S` (default 600 s) is a [`GpuError::Timeout`].
    pub fn try_take(&mut self, gpu: &Gpu) -> Result<Option<Vec<Vec<u8>>>, GpuError> {
        if self.submission.is_none() {
            return Err(GpuError::Readback(
                "a readback was polled before its copies were submitted".into(),
            ));
        }
        if !self.is_mapped() {
            // Runs the callbacks of finished work (a no-op on the web, where the browser runs
            // them between frames).
            let _ = gpu.device.poll(wgpu::PollType::Poll);
        }
        gpu.check()?;
        let state = std::mem::take(&mut *self.state.lock().unwrap_or_else(|e| e.into_inner()));
        match state {
            MapState::Pending => {
                let seconds = wait_timeout_seconds();
                if self.started.elapsed() > Duration::from_secs(seconds) {
                    return Err(GpuError::Timeout { seconds });
                }
                Ok(None)
            }
            MapState::Mapped(Err(message)) => Err(GpuError::Readback(message)),
            MapState::Mapped(Ok(())) => Ok(Some(self.copy_out()?)),
        }
    }

    fn is_mapped(&self) -> bool {
        matches!(
            *self.state.lock().unwrap_or_else(|e| e.into_inner()),
            MapState::Mapped(_)
        )
    }

    fn copy_out(&self) -> Result<Vec<Vec<u8>>, GpuError> {
        let view = self
            .staging
            .get_mapped_range(..)
            .map_err(|error| GpuError::Readback(error.to_string()))?;
        let parts = self
            .parts
            .iter()
            .map(|part| view[part.start as usize..part.end as usize].to_vec())
            .collect();
        drop(view);
        self.staging.unmap();
        Ok(parts)
    }

    /// Blocks until the parts are back (tools and tests; the training path never waits).
    pub fn wait(mut self, gpu: &Gpu) -> Result<Vec<Vec<u8>>, GpuError> {
        loop {
            if let Some(parts) = self.try_take(gpu)? {
                return Ok(parts);
            }
            let submission = self.submission.clone();
            gpu.wait_for(submission)?;
        }
    }
}

/// The elements of `T` in `bytes` (a part of a readback).
pub fn elements<T: bytemuck::Pod>(bytes: &[u8]) -> Vec<T> {
    bytemuck::pod_collect_to_vec(bytes)
}

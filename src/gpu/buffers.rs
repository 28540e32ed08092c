//! Storage buffers: creation, upload and on-request readback.

use wgpu::util::DeviceExt;

use super::{Gpu, GpuError, ReadRange};

/// Usage of every compute buffer: bound as storage, copied in and out.
pub const STORAGE_USAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl Gpu {
    /// A zero-filled storage buffer of `bytes` bytes (rounded up to 4).
    pub fn storage_buffer(&self, label: &str, bytes: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size: bytes.max(4).next_multiple_of(4),
            usage: STORAGE_USAGE,
            mapped_at_creation: false,
        })
    }

    /// A storage buffer holding `data`.
    pub fn upload<T: bytemuck::Pod>(&self, label: &str, data: &[T]) -> wgpu::Buffer {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        if bytes.is_empty() {
            return self.storage_buffer(label, 4);
        }
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytes,
                usage: STORAGE_USAGE,
            })
    }

    /// A uniform buffer holding `value`.
    pub fn uniform<T: bytemuck::Pod>(&self, label: &str, value: &T) -> wgpu::Buffer {
        self.device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::bytes_of(value),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            })
    }

    /// Copies `count` elements of `T` from `buffer`, starting at element 0, back to the
    /// host. Waits for all submitted work first: for tools and tests (the training path
    /// uses [`Gpu::start_readback`] and polls).
    pub fn read<T: bytemuck::Pod>(
        &self,
        buffer: &wgpu::Buffer,
        count: usize,
    ) -> Result<Vec<T>, GpuError> {
        if count == 0 {
            return Ok(Vec::new());
        }
        let parts = self
            .start_readback(&[ReadRange::elements::<T>(buffer, count)])?
            .wait(self)?;
        Ok(super::readback::elements(&parts[0]))
    }
}

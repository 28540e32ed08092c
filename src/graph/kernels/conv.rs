//! 2-D convolution as implicit GEMM through the matmul template: loaders that read an
//! NHWC image as its im2col matrix without materialising it.
//!
//! Layouts: input `[batch, height, width, in_channels]`, weight `[kernel, kernel,
//! in_channels, out_channels]`, output `[batch, height, width, out_channels]`; stride 1,
//! 'same' zero padding of `kernel / 2`. With `pixels = batch * height * width` and
//! `taps = kernel * kernel`:
//! - forward: `out[pixels, cout] = im2col(input)[pixels, taps * cin] x weight[taps * cin, cout]`;
//! - grad input: the forward of grad_output with the weight flipped in space and its
//!   channel axes swapped: `im2col(grad_out)[pixels, taps * cout] x flip(weight)[taps * cout, cin]`;
//! - grad weight: `im2col(input)^T[taps * cin, pixels] x grad_out[pixels, cout]`, optionally
//!   split over `splits` slices of the pixels (batch elements of the product) so that a long
//!   reduction still fills the GPU; the slices' partial sums are then summed.

use std::fmt::Write;

use super::KernelError;
use super::loaders::{divide, remainder};
use super::spec::{Epilogue, MatmulSpec, Operand};

/// The shape of one convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConvShape {
    pub batch: u32,
    pub height: u32,
    pub width: u32,
    pub in_channels: u32,
    pub out_channels: u32,
    /// Kernel side, 1 or 3.
    pub kernel: u32,
}

impl ConvShape {
    /// Output positions: `batch * height * width`.
    pub fn pixels(&self) -> u32 {
        self.batch * self.height * self.width
    }

    /// Kernel positions: `kernel * kernel`.
    pub fn taps(&self) -> u32 {
        self.kernel * self.kernel
    }

    /// Floats of the input (and of grad input).
    pub fn input_len(&self) -> u64 {
        self.pixels() as u64 * self.in_channels as u64
    }

    /// Floats of the output (and of grad output).
    pub fn output_len(&self) -> u64 {
        self.pixels() as u64 * self.out_channels as u64
    }

    /// Floats of the weight.
    pub fn weight_len(&self) -> u64 {
        self.taps() as u64 * self.in_channels as u64 * self.out_channels as u64
    }

    /// Multiply-adds of the forward pass counted as two operations, zero padding included.
    pub fn flops(&self) -> f64 {
        2.0 * self.pixels() as f64 * self.weight_len() as f64
    }

    /// Rejects shapes the loaders do not handle.
    pub fn check(&self) -> Result<(), KernelError> {
        if ![1, 3].contains(&self.kernel) {
            return Err(KernelError::InvalidConv {
                reason: format!("kernel {} is not supported; use 1 or 3", self.kernel),
            });
        }
        if [
            self.batch,
            self.height,
            self.width,
            self.in_channels,
            self.out_channels,
        ]
        .contains(&0)
        {
            return Err(KernelError::InvalidConv {
                reason: format!("shape {self:?} has an empty extent"),
            });
        }
        let largest = self.input_len().max(self.output_len());
        if largest * self.taps() as u64 > u32::MAX as u64 {
            return Err(KernelError::InvalidConv {
                reason: format!("shape {self:?} is too large for u32 indices; split the batch"),
            });
        }
        Ok(())
    }
}

/// The im2col loader of an NHWC image with `channels` channels as `[pixels, taps *
/// channels]` (row = pixel, column = tap * channels + channel). With `transposed` the
/// function takes (column, row): the loader of `im2col^T` for grad weight. Vectorized
/// (four consecutive channels of one tap) when `channels % 4 == 0`.
fn im2col_loader(
    operand: char,
    shape: &ConvShape,
    channels: u32,
    transposed: bool,
    pixel_slice: u32,
) -> Operand {
    let vectorized = channels.is_multiple_of(4);
    let pad = shape.kernel / 2;
    let (height, width, kernel) = (shape.height, shape.width, shape.kernel);
    let pixels = shape.pixels();
    let columns = shape.taps() * channels;
    let (arguments, function) = match (transposed, vectorized) {
        (false, false) => (
            "batch: u32, pixel_in_slice: u32, column: u32",
            format!("load_{operand}"),
        ),
        (false, true) => (
            "batch: u32, pixel_in_slice: u32, column: u32",
            format!("load_{operand}4"),
        ),
        (true, false) => (
            "batch: u32, column: u32, pixel_in_slice: u32",
            format!("load_{operand}"),
        ),
        (true, true) => (
            "batch: u32, column: u32, pixel_in_slice: u32",
            format!("load_{operand}4"),
        ),
    };
    let (value_type, zero, read) = if vectorized {
        (
            "vec4<f32>",
            "vec4<f32>(0.0)",
            format!(
                "{operand}_data[{}]",
                divide(&format!("source * {channels}u + channel"), 4)
            ),
        )
    } else {
        (
            "f32",
            "0.0",
            format!("{operand}_data[source * {channels}u + channel]"),
        )
    };
    let slice_offset = if pixel_slice == pixels {
        String::new()
    } else {
        format!(" + batch * {pixel_slice}u")
    };
    let mut wgsl = String::new();
    let _ = writeln!(
        wgsl,
        "// im2col of an NHWC image {height}x{width}x{channels}, {kernel}x{kernel} taps, 'same' padding.\n\
         fn {function}({arguments}) -> {value_type} {{\n    \
         let pixel = pixel_in_slice{slice_offset};\n    \
         if (pixel_in_slice >= {pixel_slice}u || pixel >= {pixels}u || column >= {columns}u) {{ return {zero}; }}\n    \
         let tap = {tap};\n    \
         let channel = {channel};\n    \
         let x = {x};\n    \
         let y = {y};\n    \
         let image = {image};\n    \
         // Source coordinates shifted by +pad so they stay unsigned.\n    \
         let sy = y + tap / {kernel}u;\n    \
         let sx = x + tap % {kernel}u;\n    \
         if (sy < {pad}u || sy >= {height_end}u || sx < {pad}u || sx >= {width_end}u) {{ return {zero}; }}\n    \
         let source = (image * {height}u + sy - {pad}u) * {width}u + sx - {pad}u;\n    \
         return {read};\n}}",
        tap = divide("column", channels),
        channel = remainder("column", channels),
        x = remainder("pixel", width),
        y = remainder(&divide("pixel", width), height),
        image = divide("pixel", height * width),
        height_end = height + pad,
        width_end = width + pad,
    );
    Operand::Custom {
        wgsl,
        transposed,
        vectorized,
    }
}

/// Forward convolution: A = im2col(input) (binding 0), B = weight as a `[taps * cin,
/// cout]` matrix (binding 1), C = output `[pixels, cout]` (binding 2). Fused bias or
/// activation go in `spec.epilogue` (column = output channel).
pub fn conv2d_forward(shape: &ConvShape) -> Result<MatmulSpec, KernelError> {
    shape.check()?;
    Ok(MatmulSpec {
        batch: 1,
        m: shape.pixels(),
        n: shape.out_channels,
        k: shape.taps() * shape.in_channels,
        a: im2col_loader('a', shape, shape.in_channels, false, shape.pixels()),
        b: Operand::strided(false, 0),
        epilogue: Epilogue::identity(),
        accumulate: false,
    })
}

/// Gradient of the input: A = im2col(grad_output) (binding 0), B = the weight (binding 1,
/// stored as for the forward pass, read flipped and channel-swapped), C = grad input
/// `[pixels, cin]` (binding 2). Set `accumulate` to add into an existing gradient.
pub fn conv2d_grad_input(shape: &ConvShape) -> Result<MatmulSpec, KernelError> {
    shape.check()?;
    let (cin, cout, taps) = (shape.in_channels, shape.out_channels, shape.taps());
    let vectorized = cout % 4 == 0;
    let k = taps * cout;
    // B[tap * cout + co, ci] = weight[taps - 1 - tap, ci, co]: consecutive k are
    // consecutive output channels, adjacent in the weight.
    let (function, value_type, zero, read) = if vectorized {
        (
            "load_b4",
            "vec4<f32>",
            "vec4<f32>(0.0)",
            "b_data[(((taps_last - tap) * CIN + col) * COUT + channel) >> 2u]",
        )
    } else {
        (
            "load_b",
            "f32",
            "0.0",
            "b_data[((taps_last - tap) * CIN + col) * COUT + channel]",
        )
    };
    let read = read
        .replace("taps_last", &format!("{}u", taps - 1))
        .replace("CIN", &format!("{cin}u"))
        .replace("COUT", &format!("{cout}u"));
    let wgsl = format!(
        "// The weight flipped in space with in/out channels swapped, as a [{k}, {cin}] matrix.\n\
         fn {function}(batch: u32, row: u32, col: u32) -> {value_type} {{\n    \
         if (row >= {k}u || col >= {cin}u) {{ return {zero}; }}\n    \
         let tap = {tap};\n    \
         let channel = {channel};\n    \
         return {read};\n}}",
        tap = divide("row", cout),
        channel = remainder("row", cout),
    );
    Ok(MatmulSpec {
        batch: 1,
        m: shape.pixels(),
        n: cin,
        k,
        a: im2col_loader('a', shape, cout, false, shape.pixels()),
        b: Operand::Custom {
            wgsl,
            transposed: true,
            vectorized,
        },
        epilogue: Epilogue::identity(),
        accumulate: false,
    })
}

/// A split count for [`conv2d_grad_weight`] on an adapter with `caps`: enough slices for
/// about 512 workgroups of 64x64 output tiles on a hardware GPU (4 on a software one),
/// each slice at least 256 pixels deep. (Unsplit, the few output tiles would leave most of
/// the GPU idle: docs/kernel-archetypes.md, "Convolution as implicit GEMM".)
pub fn grad_weight_splits(shape: &ConvShape, caps: &super::AdapterCaps) -> u32 {
    let workgroups: u32 = if caps.software { 4 } else { 512 };
    let output_tiles =
        (shape.taps() * shape.in_channels).div_ceil(64) * shape.out_channels.div_ceil(64);
    let wanted = workgroups.div_ceil(output_tiles.max(1));
    let deepest = (shape.pixels() / 256).max(1);
    wanted.clamp(1, deepest)
}

/// Gradient of the weight: A = im2col(input)^T (binding 0), B = grad_output `[pixels,
/// cout]` (binding 1), C = `[splits, taps * cin, cout]` (binding 2): with `splits == 1`
/// exactly the weight gradient in the weight's layout, else one partial sum per slice of
/// `pixels.div_ceil(splits)` pixels, to be summed over the first axis. (The board template,
/// [`super::board`], cuts the same spec's slices along its own steps: only their sum is the
/// same.)
pub fn conv2d_grad_weight(shape: &ConvShape, splits: u32) -> Result<MatmulSpec, KernelError> {
    shape.check()?;
    if splits == 0 || splits > shape.pixels() {
        return Err(KernelError::InvalidConv {
            reason: format!(
                "grad weight splits {splits} must be between 1 and the pixel count {}",
                shape.pixels()
            ),
        });
    }
    let (cout, pixels) = (shape.out_channels, shape.pixels());
    let slice = pixels.div_ceil(splits);
    let b = if splits == 1 {
        Operand::strided(false, 0)
    } else {
        let vectorized = cout % 4 == 0;
        let (function, value_type, zero, read) = if vectorized {
            (
                "load_b4",
                "vec4<f32>",
                "vec4<f32>(0.0)",
                format!("b_data[(pixel * {cout}u + col) >> 2u]"),
            )
        } else {
            (
                "load_b",
                "f32",
                "0.0",
                format!("b_data[pixel * {cout}u + col]"),
            )
        };
        let wgsl = format!(
            "// grad_output [{pixels}, {cout}], pixel slice `batch` of {slice} rows.\n\
             fn {function}(batch: u32, row: u32, col: u32) -> {value_type} {{\n    \
             let pixel = row + batch * {slice}u;\n    \
             if (row >= {slice}u || pixel >= {pixels}u || col >= {cout}u) {{ return {zero}; }}\n    \
             return {read};\n}}"
        );
        Operand::Custom {
            wgsl,
            transposed: false,
            vectorized,
        }
    };
    Ok(MatmulSpec {
        batch: splits,
        m: shape.taps() * shape.in_channels,
        n: cout,
        k: slice,
        a: im2col_loader('a', shape, shape.in_channels, true, slice),
        b,
        epilogue: Epilogue::identity(),
        accumulate: false,
    })
}

//! Static buffer planning: which tensors share storage.
//!
//! Every materialised tensor has a lifetime (the step that writes it, the last step that
//! reads it). Tensors whose lifetimes do not overlap may share a slot; pinned tensors
//! (inputs, outputs, persistent values) get slots of their own. Slots are handed out
//! best-fit, so the plan's peak is the sum of slot sizes.

use super::ir::TensorId;

/// When a tensor is alive, in execution steps, and how large it is.
#[derive(Clone, Copy, Debug)]
pub struct Lifetime {
    pub tensor: TensorId,
    pub bytes: u64,
    /// The step that writes it.
    pub first: usize,
    /// The last step that reads it (≥ `first`).
    pub last: usize,
    /// Never shares its slot.
    pub pinned: bool,
}

/// The result of planning: a slot per tensor and the size of each slot.
#[derive(Clone, Debug, Default)]
pub struct BufferPlan {
    /// Slot of each planned tensor, indexed like the `lifetimes` given to [`plan`].
    pub slot_of: Vec<usize>,
    pub slot_bytes: Vec<u64>,
}

impl BufferPlan {
    /// Bytes of all slots together: the memory the plan needs at its peak.
    pub fn peak_bytes(&self) -> u64 {
        self.slot_bytes.iter().sum()
    }
}

/// Assigns slots so that no two tensors alive at the same step share one.
pub fn plan(lifetimes: &[Lifetime]) -> BufferPlan {
    let mut order: Vec<usize> = (0..lifetimes.len()).collect();
    order.sort_by_key(|&i| (lifetimes[i].first, lifetimes[i].last));
    let mut result = BufferPlan {
        slot_of: vec![usize::MAX; lifetimes.len()],
        slot_bytes: Vec::new(),
    };
    // Slots in use: (slot, last step of its current tenant).
    let mut busy: Vec<(usize, usize)> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    for index in order {
        let lifetime = lifetimes[index];
        busy.retain(|&(slot, last)| {
            if last < lifetime.first {
                free.push(slot);
                false
            } else {
                true
            }
        });
        let reuse = if lifetime.pinned {
            None
        } else {
            free.iter()
                .enumerate()
                .filter(|(_, slot)| result.slot_bytes[**slot] >= lifetime.bytes)
                .min_by_key(|(_, slot)| result.slot_bytes[**slot])
                .map(|(position, _)| position)
        };
        let slot = match reuse {
            Some(position) => free.swap_remove(position),
            None => {
                result.slot_bytes.push(lifetime.bytes);
                result.slot_bytes.len() - 1
            }
        };
        result.slot_of[index] = slot;
        if lifetime.pinned {
            // A pinned slot is never freed.
            continue;
        }
        busy.push((slot, lifetime.last));
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime(id: u32, bytes: u64, first: usize, last: usize) -> Lifetime {
        Lifetime {
            tensor: TensorId(id),
            bytes,
            first,
            last,
            pinned: false,
        }
    }

    #[test]
    fn dead_tensors_are_reused_and_live_ones_are_not() {
        // A chain a → b → c → d: at most two alive at once.
        let chain = [
            lifetime(0, 100, 0, 1),
            lifetime(1, 100, 1, 2),
            lifetime(2, 100, 2, 3),
            lifetime(3, 100, 3, 4),
        ];
        let result = plan(&chain);
        assert_eq!(result.peak_bytes(), 200);
        for pair in chain.windows(2).enumerate() {
            let (i, _) = pair;
            assert_ne!(result.slot_of[i], result.slot_of[i + 1]);
        }
    }

    #[test]
    fn pinned_tensors_keep_their_own_slots() {
        let mut pinned = lifetime(0, 50, 0, 0);
        pinned.pinned = true;
        let result = plan(&[pinned, lifetime(1, 50, 1, 2), lifetime(2, 50, 3, 4)]);
        assert_ne!(result.slot_of[0], result.slot_of[1]);
        assert_eq!(result.slot_of[1], result.slot_of[2]);
        assert_eq!(result.peak_bytes(), 100);
    }

    #[test]
    fn best_fit_picks_the_smallest_slot_that_fits() {
        let result = plan(&[
            lifetime(0, 1000, 0, 0),
            lifetime(1, 10, 0, 0),
            lifetime(2, 8, 1, 1),
        ]);
        assert_eq!(result.slot_of[2], result.slot_of[1]);
    }
}

// Vertex sets for boards of at most 32 vertices: one u32, bit v for vertex v.
// Bitwise operators (&, |, ~) work on CliqueMask directly; these functions do the rest.
// mask64.wgsl offers the same functions over vec2<u32> for 33..64 vertices.

alias CliqueMask = u32;

const CLIQUE_MASK_EMPTY: CliqueMask = 0u;

fn mask_bit(v: u32) -> CliqueMask {
    return 1u << v;
}

fn mask_has(m: CliqueMask, v: u32) -> bool {
    return ((m >> v) & 1u) != 0u;
}

fn mask_is_empty(m: CliqueMask) -> bool {
    return m == 0u;
}

fn mask_count(m: CliqueMask) -> u32 {
    return countOneBits(m);
}

// The smallest vertex of a non-empty set.
fn mask_lowest(m: CliqueMask) -> u32 {
    return countTrailingZeros(m);
}

// Vertices w > v of the board.
fn mask_above(v: u32) -> CliqueMask {
    // v = 31: 2 << 31 wraps to 0, and 0 - 1 keeps every bit, so nothing lies above.
    return CLIQUE_ALL_VERTICES & ~((2u << v) - 1u);
}

// The index of the set bit of rank `rank` (0 = lowest) of a 32-bit word holding more than
// `rank` set bits: a binary search on the bit counts of the lower halves.
fn bits_select(word: u32, rank: u32) -> u32 {
    var bits = word;
    var remaining = rank;
    var base = 0u;
    for (var width = 16u; width > 0u; width = width >> 1u) {
        let low = bits & ((1u << width) - 1u);
        let count = countOneBits(low);
        if remaining >= count {
            remaining -= count;
            bits = bits >> width;
            base += width;
        } else {
            bits = low;
        }
    }
    return base;
}

fn mask_select(m: CliqueMask, rank: u32) -> u32 {
    return bits_select(m, rank);
}

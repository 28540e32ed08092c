// Vertex sets for boards of 33..64 vertices: vec2<u32>, x holding vertices 0..31 and y
// vertices 32..63. Bitwise operators (&, |, ~) work componentwise on CliqueMask; these
// functions do the rest, with the same names as in mask32.wgsl.

alias CliqueMask = vec2<u32>;

const CLIQUE_MASK_EMPTY: CliqueMask = vec2<u32>(0u, 0u);

fn mask_bit(v: u32) -> CliqueMask {
    let bit = 1u << (v & 31u);
    return select(vec2<u32>(bit, 0u), vec2<u32>(0u, bit), v >= 32u);
}

fn mask_has(m: CliqueMask, v: u32) -> bool {
    let word = select(m.x, m.y, v >= 32u);
    return ((word >> (v & 31u)) & 1u) != 0u;
}

fn mask_is_empty(m: CliqueMask) -> bool {
    return (m.x | m.y) == 0u;
}

fn mask_count(m: CliqueMask) -> u32 {
    return countOneBits(m.x) + countOneBits(m.y);
}

// The smallest vertex of a non-empty set.
fn mask_lowest(m: CliqueMask) -> u32 {
    return select(32u + countTrailingZeros(m.y), countTrailingZeros(m.x), m.x != 0u);
}

// Vertices w > v of the board.
fn mask_above(v: u32) -> CliqueMask {
    // Bits 0..=v cleared; 2 << 31 wraps to 0, and 0 - 1 keeps every bit.
    let upto = (2u << (v & 31u)) - 1u;
    let cleared = select(vec2<u32>(upto, 0u), vec2<u32>(0xffffffffu, upto), v >= 32u);
    return CLIQUE_ALL_VERTICES & ~cleared;
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
    let low_count = countOneBits(m.x);
    if rank < low_count {
        return bits_select(m.x, rank);
    }
    return 32u + bits_select(m.y, rank - low_count);
}

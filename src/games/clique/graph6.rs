//! graph6, the text format of undirected graphs used by nauty and by McKay's Ramsey graph
//! data (nauty's formats.txt).
//!
//! A string is N(n) then R(x): N(n) is the byte n + 63 for n ≤ 62, else 126 and three
//! bytes of 6 bits each (n < 2^18); x lists the upper triangle column by column — (0,1),
//! (0,2), (1,2), (0,3), (1,3), (2,3), … — one bit per pair, packed 6 bits per byte (most
//! significant first, zero padded), each byte plus 63. Graphs here have at most 64
//! vertices (u64 adjacency bitsets).

/// A graph6 string that cannot be read, with what is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Graph6Error {
    #[error("graph6 {0:?}: empty")]
    Empty(String),
    #[error("graph6 {text:?}: byte {byte} is outside 63..=126")]
    BadByte { text: String, byte: u8 },
    #[error("graph6 {text:?}: {n} vertices; this program handles graphs of at most 64")]
    TooLarge { text: String, n: u32 },
    #[error("graph6 {text:?}: {found} bytes of edges, {expected} expected for {n} vertices")]
    Length {
        text: String,
        n: u32,
        expected: usize,
        found: usize,
    },
    #[error("graph6 {0:?}: the padding bits of the last byte are not zero")]
    Padding(String),
}

/// The graph6 string of the graph on vertices 0..n given by `adjacency` (`[n]` bitsets).
pub fn encode(n: u32, adjacency: &[u64]) -> String {
    let mut bytes = Vec::new();
    if n <= 62 {
        bytes.push(n as u8 + 63);
    } else {
        bytes.extend([
            126,
            (n >> 12) as u8 + 63,
            (n >> 6 & 63) as u8 + 63,
            (n & 63) as u8 + 63,
        ]);
    }
    let mut group = 0u8;
    let mut filled = 0;
    for j in 1..n as usize {
        for row in &adjacency[..j] {
            group = group << 1 | (row >> j & 1) as u8;
            filled += 1;
            if filled == 6 {
                bytes.push(group + 63);
                group = 0;
                filled = 0;
            }
        }
    }
    if filled > 0 {
        bytes.push((group << (6 - filled)) + 63);
    }
    bytes.into_iter().map(char::from).collect()
}

/// Reads a graph6 string (surrounding whitespace ignored) into (n, `[n]` adjacency bitsets).
pub fn decode(text: &str) -> Result<(u32, Vec<u64>), Graph6Error> {
    let owned = || text.to_owned();
    let bytes = text.trim().as_bytes();
    if bytes.is_empty() {
        return Err(Graph6Error::Empty(owned()));
    }
    if let Some(&byte) = bytes.iter().find(|&&b| !(63..=126).contains(&b)) {
        return Err(Graph6Error::BadByte {
            text: owned(),
            byte,
        });
    }
    let values: Vec<u32> = bytes.iter().map(|&b| u32::from(b - 63)).collect();
    let (n, body) = if values[0] < 63 {
        (values[0], &values[1..])
    } else if values.len() >= 4 && values[1] < 63 {
        (values[1] << 12 | values[2] << 6 | values[3], &values[4..])
    } else {
        // 126 126 starts the 6-byte size of graphs with 2^18 vertices or more.
        return Err(Graph6Error::TooLarge {
            text: owned(),
            n: u32::MAX,
        });
    };
    if n > 64 {
        return Err(Graph6Error::TooLarge { text: owned(), n });
    }
    let pairs = (n as usize * (n as usize).saturating_sub(1)) / 2;
    let expected = pairs.div_ceil(6);
    if body.len() != expected {
        return Err(Graph6Error::Length {
            text: owned(),
            n,
            expected,
            found: body.len(),
        });
    }
    let bit = |index: usize| body[index / 6] >> (5 - index % 6) & 1 == 1;
    if (pairs..expected * 6).any(bit) {
        return Err(Graph6Error::Padding(owned()));
    }
    let mut adjacency = vec![0u64; n as usize];
    let mut index = 0;
    for j in 1..n as usize {
        for i in 0..j {
            if bit(index) {
                adjacency[i] |= 1 << j;
                adjacency[j] |= 1 << i;
            }
            index += 1;
        }
    }
    Ok((n, adjacency))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: u32, edges: &[(u32, u32)]) -> Vec<u64> {
        let mut adjacency = vec![0u64; n as usize];
        for &(u, v) in edges {
            adjacency[u as usize] |= 1 << v;
            adjacency[v as usize] |= 1 << u;
        }
        adjacency
    }

    #[test]
    fn the_example_of_the_format_description_encodes_and_decodes() {
        // formats.txt: n = 5 with edges 0-2, 0-4, 1-3, 3-4 is "DQc".
        let example = graph(5, &[(0, 2), (0, 4), (1, 3), (3, 4)]);
        assert_eq!(encode(5, &example), "DQc");
        assert_eq!(decode("DQc").unwrap(), (5, example));
    }

    #[test]
    fn small_known_strings() {
        assert_eq!(encode(1, &[0]), "@");
        assert_eq!(encode(2, &graph(2, &[(0, 1)])), "A_");
        assert_eq!(encode(3, &graph(3, &[(0, 1), (0, 2), (1, 2)])), "Bw");
        let k4: Vec<(u32, u32)> = (0..4)
            .flat_map(|u| (u + 1..4).map(move |v| (u, v)))
            .collect();
        assert_eq!(encode(4, &graph(4, &k4)), "C~");
        assert_eq!(encode(0, &[]), "?");
    }

    #[test]
    fn the_petersen_graph_string_decodes_to_a_cubic_graph_of_girth_five() {
        let (n, adjacency) = decode("IheA@GUAo").unwrap();
        assert_eq!(n, 10);
        assert!(adjacency.iter().all(|set| set.count_ones() == 3));
        // No triangle and no 4-cycle: girth 5.
        for u in 0..10 {
            for v in u + 1..10 {
                let common = (adjacency[u] & adjacency[v]).count_ones();
                let adjacent = adjacency[u] >> v & 1 == 1;
                assert!(if adjacent { common == 0 } else { common <= 1 });
            }
        }
        assert_eq!(encode(n, &adjacency), "IheA@GUAo");
    }

    #[test]
    fn large_sizes_use_the_four_byte_header_and_round_trip() {
        let mut seed = 3u64;
        for n in [61u32, 62, 63, 64] {
            let mut adjacency = vec![0u64; n as usize];
            for u in 0..n {
                for v in u + 1..n {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    if seed >> 63 == 1 {
                        adjacency[u as usize] |= 1 << v;
                        adjacency[v as usize] |= 1 << u;
                    }
                }
            }
            let text = encode(n, &adjacency);
            if n >= 63 {
                assert_eq!(
                    text.as_bytes()[..4],
                    [126, 63, 63 + (n >> 6) as u8, 63 + (n & 63) as u8]
                );
            }
            assert_eq!(decode(&text).unwrap(), (n, adjacency));
        }
    }

    #[test]
    fn malformed_strings_are_errors() {
        assert!(matches!(decode(""), Err(Graph6Error::Empty(_))));
        assert!(matches!(decode("D Qc"), Err(Graph6Error::BadByte { .. })));
        assert!(matches!(decode("DQ"), Err(Graph6Error::Length { .. })));
        assert!(matches!(decode("DQd"), Err(Graph6Error::Padding(_))));
        assert!(matches!(
            decode("~?@@"),
            Err(Graph6Error::TooLarge { n: 65, .. })
        ));
    }
}

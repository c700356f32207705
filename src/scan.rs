//! Skipping runs of plain bytes, 32 at a time.
//!
//! The JSON reader ([`crate::gojson`]) and writer ([`crate::jsonout`]) both
//! walk strings looking for the few bytes that need attention (quotes,
//! backslashes, control bytes, ...). [`plain_prefix`] tests whole 32-byte
//! blocks with a test the compiler turns into vector compares, so long
//! plain runs (message bodies) cost a few instructions per block. Callers
//! still look at every byte after the prefix one at a time, so the prefix
//! only has to be exact: every byte in it is plain, and the block after it
//! (if whole) holds a special byte.

/// Bytes per block.
const BLOCK: usize = 32;

/// The length of the longest prefix of `bytes` made of whole blocks of
/// [`BLOCK`] bytes none of which is special. `special` must be a cheap,
/// branch-free test (`|` rather than `||`) for the compiler to vectorize
/// it.
#[inline(always)]
pub(crate) fn plain_prefix(bytes: &[u8], special: impl Fn(u8) -> bool) -> usize {
    let blocks = whole_blocks::<BLOCK>(bytes, &special);
    // Short strings (most keys and ids) and the rest of long ones: words
    // of eight.
    blocks + whole_blocks::<WORD>(bytes.get(blocks..).unwrap_or_default(), &special)
}

/// Bytes per word, for what is left after the blocks.
const WORD: usize = 8;

/// The plain prefix of whole `N`-byte blocks.
#[inline(always)]
fn whole_blocks<const N: usize>(bytes: &[u8], special: &impl Fn(u8) -> bool) -> usize {
    let mut len = 0;
    for block in bytes.chunks_exact(N) {
        let mut any = false;
        for &b in block {
            any |= special(b);
        }
        if any {
            break;
        }
        len += N;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_stops_at_the_block_or_word_holding_the_first_special_byte() {
        let special = |b: u8| b == b'"';
        // Whole blocks of 32, then whole words of 8, all plain.
        let plain_len = |len: usize| {
            let blocks = len / BLOCK * BLOCK;
            blocks + (len - blocks) / WORD * WORD
        };
        for len in 0..100 {
            let plain = vec![b'a'; len];
            assert_eq!(plain_prefix(&plain, special), plain_len(len), "len {len}");
            for at in 0..len {
                let mut bytes = plain.clone();
                bytes[at] = b'"';
                // The blocks before the special byte's block, then the
                // words before its word.
                let blocks = (at / BLOCK * BLOCK).min(len / BLOCK * BLOCK);
                let want = blocks + (at - blocks) / WORD * WORD;
                let got = plain_prefix(&bytes, special);
                assert_eq!(got, want, "len {len} at {at}");
                assert!(got <= at && bytes[..got].iter().all(|&b| !special(b)));
            }
        }
    }
}

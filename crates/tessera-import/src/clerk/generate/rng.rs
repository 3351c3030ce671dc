//! A tiny seeded generator (SplitMix64): the same seed gives the same export on every machine and
//! every version of every dependency, which a fixture needs and a crate's "std" RNG does not promise.

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// An independent stream for one purpose, so adding draws to one part of the generator does
    /// not shift every value of another.
    pub fn fork(&self, purpose: u64) -> Rng {
        let mut forked = Rng(self.0 ^ purpose.wrapping_mul(0xA076_1D64_78BD_642F));
        forked.next_u64();
        forked
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; 0 gives 0). The modulo bias is irrelevant for test data.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        // 53 random bits → [0, 1).
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let n = items.len() as u64;
        items.get(usize::try_from(self.below(n)).unwrap_or(0))
    }

    /// `len` characters drawn from `alphabet` (ASCII).
    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(*self.pick(alphabet).unwrap_or(&b'x')))
            .collect()
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            for (o, w) in chunk.iter_mut().zip(word) {
                *o = w;
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let a: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..5)
            .map({
                let mut r = Rng::new(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        assert_ne!(Rng::new(8).next_u64(), a[0]);
    }

    #[test]
    fn forks_are_independent_streams() {
        let root = Rng::new(1);
        assert_ne!(root.fork(1).next_u64(), root.fork(2).next_u64());
        assert_eq!(root.fork(1).next_u64(), root.fork(1).next_u64());
    }

    #[test]
    fn draws_stay_in_range_and_chance_follows_p() {
        let mut r = Rng::new(3);
        assert!((0..1000).all(|_| r.below(10) < 10));
        let hits = (0..10_000).filter(|_| r.chance(0.3)).count();
        assert!((2700..3300).contains(&hits), "{hits}");
        assert_eq!(r.string(b"ab", 8).len(), 8);
    }
}

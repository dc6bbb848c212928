//! Bounded discrete logarithm by baby-step giant-step (`docs/protocol.md`, §9.4).
//!
//! Decryption yields `t·G`; the count `t` is at most (ballots counted × the option's maximum),
//! so a table of `m` baby steps `j·G` and at most `⌈bound/m⌉` giant steps recover it. Only the
//! first 8 bytes of each encoding are stored (a candidate is confirmed by recomputing `t·G`),
//! and both the table and the giant steps compress points in batches with one shared inversion:
//! `double_and_compress_batch` applied to `j·(G/2)` yields the encodings of `j·G`.

use crate::generators::g;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use std::collections::hash_map::{Entry, HashMap};

/// Most baby steps a table holds (2²² entries ≈ 100 MiB would be too much; 2²⁰ ≈ 24 MiB).
pub const MAX_BABY_STEPS: u64 = 1 << 20;
/// Baby steps used even for small bounds, so that one table serves a whole tally.
pub const DEFAULT_BABY_STEPS: u64 = 1 << 16;
const BATCH: u64 = 256;

/// A baby-step table.
#[derive(Debug, Clone)]
pub struct DlogTable {
    m: u64,
    table: HashMap<u64, u32>,
    /// Baby steps whose 8-byte key collided with an earlier one (almost always empty).
    collisions: Vec<(u64, u32)>,
}

fn key(bytes: &[u8; 32]) -> u64 {
    let mut k = [0u8; 8];
    k.copy_from_slice(&bytes[..8]);
    u64::from_le_bytes(k)
}

impl DlogTable {
    /// A table suited to values up to `bound`: `m = max(√(bound+1), 2¹⁶)`, capped.
    pub fn for_bound(bound: u64) -> Self {
        let sqrt = ((bound as f64) + 1.0).sqrt().ceil() as u64;
        let m = sqrt
            .max(DEFAULT_BABY_STEPS)
            .min(bound.saturating_add(1))
            .clamp(1, MAX_BABY_STEPS);
        DlogTable::with_baby_steps(m)
    }

    /// A table of exactly `m` baby steps `0·G … (m−1)·G`.
    pub fn with_baby_steps(m: u64) -> Self {
        let m = m.clamp(1, MAX_BABY_STEPS);
        let half_g = g() * Scalar::from(2u64).invert();
        let mut table = HashMap::with_capacity(m as usize);
        let mut collisions = Vec::new();
        let mut p = RistrettoPoint::identity();
        let mut j = 0u64;
        while j < m {
            let n = BATCH.min(m - j);
            let mut pts = Vec::with_capacity(n as usize);
            for _ in 0..n {
                pts.push(p);
                p += half_g;
            }
            for (i, c) in RistrettoPoint::double_and_compress_batch(&pts)
                .iter()
                .enumerate()
            {
                let (k, step) = (key(c.as_bytes()), (j + i as u64) as u32);
                match table.entry(k) {
                    Entry::Vacant(e) => {
                        e.insert(step);
                    }
                    Entry::Occupied(_) => collisions.push((k, step)),
                }
            }
            j += n;
        }
        DlogTable {
            m,
            table,
            collisions,
        }
    }

    /// Number of baby steps.
    pub fn baby_steps(&self) -> u64 {
        self.m
    }

    /// Approximate heap size of the table in bytes.
    pub fn memory_bytes(&self) -> usize {
        // hashbrown: one control byte and one (u64, u32) slot (16 bytes aligned) per bucket.
        self.table.capacity() * (16 + 1)
    }

    /// Finds `t ∈ [0, bound]` with `t·G = target`, if there is one.
    pub fn solve(&self, target: &RistrettoPoint, bound: u64) -> Option<u64> {
        let half = Scalar::from(2u64).invert();
        let mut cur = target * half; // giant steps on halves, for batched compression
        let step = -(g() * Scalar::from(self.m)) * half;
        let giants = bound / self.m + 1;
        let mut i = 0u64;
        while i < giants {
            let n = BATCH.min(giants - i);
            let mut pts = Vec::with_capacity(n as usize);
            for _ in 0..n {
                pts.push(cur);
                cur += step;
            }
            for (k, c) in RistrettoPoint::double_and_compress_batch(&pts)
                .iter()
                .enumerate()
            {
                let kk = key(c.as_bytes());
                let extra = self.collisions.iter().filter(|(c, _)| *c == kk);
                let candidates = self.table.get(&kk).into_iter().chain(extra.map(|(_, j)| j));
                for &j in candidates {
                    let t = (i + k as u64) * self.m + u64::from(j);
                    if t <= bound && g() * Scalar::from(t) == *target {
                        return Some(t);
                    }
                }
            }
            i += n;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_within_the_bound_and_not_beyond() {
        let table = DlogTable::with_baby_steps(100);
        for t in [0u64, 1, 99, 100, 101, 12_345, 99_999] {
            assert_eq!(table.solve(&(g() * Scalar::from(t)), 100_000), Some(t));
        }
        assert_eq!(
            table.solve(&(g() * Scalar::from(100_001u64)), 100_000),
            None
        );
        assert_eq!(table.solve(&(g() * -Scalar::ONE), 100_000), None);
    }
}

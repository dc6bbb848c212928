//! The Schulze method, winning votes (§13.10.5): the pairwise preferences `d`, the strongest
//! paths `p` by Floyd–Warshall, and a full ranking in which `i` precedes `j` when
//! `p[i][j] > p[j][i]`; candidates the rule leaves unordered are ordered by the seed order.

use super::ties::{LookAt, Tiebreaker};
use super::transcript::{CountTranscript, SchulzeRecord};
use super::{Method, Preferences};

pub(super) fn count(candidates: u32, ballots: &[Preferences], order: Vec<u32>) -> CountTranscript {
    let n = candidates as usize;
    let mut seqs: Vec<&[u32]> = ballots.iter().map(|b| b.0.as_slice()).collect();
    let blank = seqs.iter().filter(|s| s.is_empty()).count() as u64;
    seqs.retain(|s| !s.is_empty());
    seqs.sort_unstable();

    // d[i][j]: ballots ranking i above j. A ranked candidate is above every unranked one; the
    // unranked are tied with each other. Identical ballots are counted once, with their weight.
    let mut d = vec![vec![0u64; n]; n];
    let mut i = 0;
    while i < seqs.len() {
        let mut j = i + 1;
        while j < seqs.len() && seqs[j] == seqs[i] {
            j += 1;
        }
        let weight = (j - i) as u64;
        let mut above = 0u64; // candidates ranked so far (at most 64: a bit set)
        for &x in seqs[i] {
            above |= 1 << x;
            let row = &mut d[x as usize];
            for (y, cell) in row.iter_mut().enumerate() {
                if above & (1 << y) == 0 {
                    *cell += weight;
                }
            }
        }
        i = j;
    }

    // Strongest paths, winning votes: a link i→j is d[i][j] when i beats j, else absent (0).
    let mut p = vec![vec![0u64; n]; n];
    for a in 0..n {
        for b in 0..n {
            if a != b && d[a][b] > d[b][a] {
                p[a][b] = d[a][b];
            }
        }
    }
    for k in 0..n {
        for a in 0..n {
            if a == k {
                continue;
            }
            for b in 0..n {
                if b != a && b != k {
                    let via = p[a][k].min(p[k][b]);
                    if via > p[a][b] {
                        p[a][b] = via;
                    }
                }
            }
        }
    }

    // The ranking: repeatedly the candidates beaten by no one left; the earliest in the seed
    // order among them takes the next place (no rounds to look at: only the seed order).
    let ties = Tiebreaker::new(order, LookAt::MostRecent);
    let mut left: Vec<u32> = ties.order.clone();
    let mut ranking = Vec::with_capacity(n);
    let mut tied = Vec::with_capacity(n);
    while !left.is_empty() {
        let unbeaten: Vec<u32> = left
            .iter()
            .copied()
            .filter(|&a| {
                left.iter()
                    .all(|&b| p[b as usize][a as usize] <= p[a as usize][b as usize])
            })
            .collect();
        // `left` is in seed order, so the first unbeaten is the earliest. The relation is a
        // strict partial order (Schulze 2011, §4.1), so some candidate is unbeaten; were none,
        // the seed order alone would decide.
        let next = unbeaten.first().copied().unwrap_or(left[0]);
        tied.push(unbeaten.len() != 1);
        ranking.push(next);
        left.retain(|&c| c != next);
    }

    CountTranscript {
        method: Method::Schulze,
        candidates,
        ballots: ballots.len() as u64,
        blank,
        seed_order: ties.order,
        quota: None,
        rounds: Vec::new(),
        elected: ranking,
        schulze: Some(SchulzeRecord { d, p, tied }),
    }
}

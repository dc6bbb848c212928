//! Shared fixtures of the criterion benches: an election of a given shape with a simulated key,
//! and ready-made ballots.

use psephos_core::ballot::{encrypt_ballot, EncryptedBallot};
use psephos_core::credential::CredentialSecret;
use psephos_core::election::{Election, Manifest};
use psephos_core::sim;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

/// A deterministic RNG for fixtures (benchmarks measure speed, not secrecy).
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// An election of `manifest`'s shape with a freshly simulated 3-of-2 key.
pub fn election(manifest: Manifest) -> Election {
    let mut r = rng(1);
    let c = sim::ceremony(&manifest.hash(), 3, 2, &mut r);
    Election::new(manifest, c.joint_key).unwrap_or_else(|e| panic!("fixture: {e}"))
}

/// `n` valid random ballots from distinct credentials.
pub fn ballots(election: &Election, n: usize, seed: u64) -> Vec<EncryptedBallot> {
    let mut r = rng(seed);
    let m = election.manifest();
    (0..n)
        .map(|_| {
            let cred =
                CredentialSecret::from_scalar(psephos_core::transcript::random_scalar(&mut r));
            let p = sim::random_ballot(m, &m.ballot_styles[0].id, &mut r)
                .unwrap_or_else(|| panic!("fixture: no style"));
            encrypt_ballot(election, &cred, &p, &mut r)
                .unwrap_or_else(|e| panic!("fixture: {e}"))
                .0
        })
        .collect()
}

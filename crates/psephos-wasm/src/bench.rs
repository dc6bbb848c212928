//! The browser's side of `psephos bench`: the same ballot shapes (`psephos_core::sim::shapes`)
//! encrypted and verified by the wasm build, with the primitive floors they are judged against,
//! so that `tests/browser/bench.js` can put the figures of Chromium beside the native ones
//! (BENCHMARKS.md, "In the browser").
//!
//! The page times each call with `performance.now()` (wasm has no clock of its own); every call
//! does one whole unit of work, as the native benchmark times it: encrypting a ballot, decoding
//! and batch-verifying a set of ballots from their canonical bytes, a run of fixed-base
//! multiplications, a run of decompressions. Nothing here touches a real election: the key comes
//! from an in-process ceremony of the simulation module and is thrown away.

use crate::Error;
use curve25519_dalek::ristretto::CompressedRistretto;
use psephos_core::ballot::{cost, encrypt_ballot, verify_ballot, verify_ballots, EncryptedBallot};
use psephos_core::credential::CredentialSecret;
use psephos_core::election::{Election, Rule};
use psephos_core::encoding::Canonical;
use psephos_core::generators::g_table;
use psephos_core::sim::{self, shapes};
use psephos_core::transcript::random_scalar;
use psephos_core::Scalar;
use rand_core::{CryptoRng, RngCore};

fn shape_error(detail: String) -> Error {
    Error::Malformed {
        what: "benchmark shape",
        detail,
    }
}

/// One ballot shape with its election and the ballots encrypted so far.
#[derive(Debug)]
pub struct Shape {
    election: Election,
    credential: CredentialSecret,
    ballots: Vec<Vec<u8>>,
    scalars: Vec<Scalar>,
    points: Vec<CompressedRistretto>,
}

/// What the page needs to compute the floors: how many fixed-base multiplications encryption
/// is judged against (none for shapes with range proofs) and how many points one ballot decodes.
#[derive(Debug, serde::Serialize)]
pub struct ShapeInfo {
    pub options: usize,
    pub encrypt_fixed_base: Option<usize>,
    pub decompressions: usize,
    pub bytes: usize,
}

impl Shape {
    /// `contests` contests of `kind` with `options` options each (`max`: the score/cumulative
    /// maximum), as `psephos bench --kind` builds them.
    pub fn new<R: RngCore + CryptoRng>(
        kind: &str,
        contests: usize,
        options: usize,
        max: u64,
        rng: &mut R,
    ) -> Result<Self, Error> {
        if !(1..=16).contains(&contests) || !(1..=64).contains(&options) {
            return Err(shape_error(
                "a shape has 1–16 contests of 1–64 options".into(),
            ));
        }
        let manifest = shapes::of_kind(kind, contests, options, max)
            .ok_or_else(|| shape_error(format!("unknown contest kind {kind:?}")))?;
        let ceremony = sim::ceremony(&manifest.hash(), 3, 2, rng);
        let election = Election::new(manifest, ceremony.joint_key)
            .map_err(|e| Error::Election(e.to_string()))?;
        Ok(Shape {
            election,
            credential: CredentialSecret::from_scalar(random_scalar(rng)),
            ballots: Vec::new(),
            scalars: Vec::new(),
            points: Vec::new(),
        })
    }

    /// Encrypts one random valid ballot of the shape (every proof and the signature) and keeps
    /// its canonical bytes for [`Shape::verify_batch`].
    pub fn encrypt<R: RngCore + CryptoRng>(&mut self, rng: &mut R) -> Result<(), Error> {
        let plaintext = sim::random_ballot(self.election.manifest(), "all", rng)
            .ok_or_else(|| shape_error("the shape has no style \"all\"".into()))?;
        let (ballot, _) = encrypt_ballot(&self.election, &self.credential, &plaintext, rng)?;
        self.ballots.push(ballot.to_canonical_bytes());
        Ok(())
    }

    /// Decodes every kept ballot from its bytes and verifies them in batches, as the server and
    /// the verifier do (one thread here). Returns how many were verified.
    pub fn verify_batch(&self) -> Result<usize, Error> {
        let decoded = self.decode_all()?;
        let n = decoded.len();
        if verify_ballots(&self.election, decoded)
            .iter()
            .any(Result::is_err)
        {
            return Err(Error::Verify("a benchmark ballot did not verify".into()));
        }
        Ok(n)
    }

    /// Decodes and verifies every kept ballot alone.
    pub fn verify_each(&self) -> Result<usize, Error> {
        let decoded = self.decode_all()?;
        let n = decoded.len();
        for b in decoded {
            verify_ballot(&self.election, b).map_err(|e| Error::Verify(e.to_string()))?;
        }
        Ok(n)
    }

    fn decode_all(&self) -> Result<Vec<EncryptedBallot>, Error> {
        self.ballots
            .iter()
            .map(|b| {
                EncryptedBallot::from_canonical_bytes(b).map_err(|e| Error::Malformed {
                    what: "ballot",
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    /// The shape's floor figures' sizes; needs one ballot encrypted.
    pub fn info(&self) -> Result<ShapeInfo, Error> {
        let bytes = self.ballots.first().ok_or(Error::NoBallot)?;
        let ballot =
            EncryptedBallot::from_canonical_bytes(bytes).map_err(|e| Error::Malformed {
                what: "ballot",
                detail: e.to_string(),
            })?;
        let m = self.election.manifest();
        let options: usize = m.contests.iter().map(|c| c.options.len()).sum();
        let zero_one = m.contests.iter().all(|c| {
            matches!(c.rule, Rule::Selection { min, max }
                if psephos_core::ballot::limit_implied(min, max, c.options.len()))
        });
        Ok(ShapeInfo {
            options,
            encrypt_fixed_base: zero_one.then_some(8 * options + 1),
            decompressions: cost::decompressions(&ballot),
            bytes: bytes.len(),
        })
    }

    /// Prepares `n` random scalars and `n` compressed points for the floor runs.
    pub fn prepare_floors<R: RngCore + CryptoRng>(&mut self, n: usize, rng: &mut R) {
        self.scalars = (0..n).map(|_| random_scalar(rng)).collect();
        self.points = self
            .scalars
            .iter()
            .map(|s| (g_table() * s).compress())
            .collect();
    }

    /// The fixed-base floor: one multiplication by `G`'s table per prepared scalar.
    pub fn fixed_base(&self) -> usize {
        for s in &self.scalars {
            std::hint::black_box(g_table() * s);
        }
        self.scalars.len()
    }

    /// The decoding floor: one decompression per prepared point.
    pub fn decompress(&self) -> usize {
        for p in &self.points {
            std::hint::black_box(p.decompress());
        }
        self.points.len()
    }

    /// Forgets the kept ballots.
    pub fn clear(&mut self) {
        self.ballots.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn every_shape_encrypts_and_verifies() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for (kind, n) in [
            ("approval", 1),
            ("plurality", 5),
            ("score", 3),
            ("ranked", 4),
        ] {
            let mut s = Shape::new(kind, 1, n, 10, &mut rng).unwrap();
            for _ in 0..3 {
                s.encrypt(&mut rng).unwrap();
            }
            assert_eq!(s.verify_batch().unwrap(), 3, "{kind}");
            assert_eq!(s.verify_each().unwrap(), 3, "{kind}");
            let info = s.info().unwrap();
            assert_eq!(info.options, n);
            assert_eq!(
                info.encrypt_fixed_base.is_some(),
                kind == "approval",
                "{kind}"
            );
            assert!(info.decompressions > 0);
        }
    }

    #[test]
    fn a_tampered_ballot_fails_the_batch() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let mut s = Shape::new("approval", 1, 2, 0, &mut rng).unwrap();
        s.encrypt(&mut rng).unwrap();
        let last = s.ballots[0].len() - 1;
        s.ballots[0][last - 40] ^= 1;
        assert!(s.verify_batch().is_err());
    }

    #[test]
    fn bad_shapes_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        assert!(Shape::new("quadratic", 1, 2, 0, &mut rng).is_err());
        assert!(Shape::new("approval", 0, 2, 0, &mut rng).is_err());
        assert!(Shape::new("approval", 1, 65, 0, &mut rng).is_err());
        assert!(Shape::new("approval", 1, 1, 0, &mut rng)
            .unwrap()
            .info()
            .is_err());
    }
}

//! Property tests: homomorphism, threshold decryption of sums, encode/decode round trips, and
//! arbitrary bytes into every decoder (which must return an error, never panic).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use proptest::prelude::*;
use psephos_core::ballot::{encrypt_ballot, verify_ballot, EncryptedBallot};
use psephos_core::challenge::ChallengeReveal;
use psephos_core::credential::{CredentialCode, CredentialSecret};
use psephos_core::dlog::DlogTable;
use psephos_core::election::{Election, Manifest};
use psephos_core::elgamal::{Ciphertext, ElectionKey};
use psephos_core::encoding::Canonical;
use psephos_core::generators::g;
use psephos_core::group::Point;
use psephos_core::proofs::{
    ChaumPedersenProof, DisjunctiveProof, LinkProof, RangeProof, SchnorrProof,
};
use psephos_core::sim::{self, shapes};
use psephos_core::tally::{DecryptionShare, EncryptedTally, TallyResult};
use psephos_core::threshold::{lagrange_at_zero, SecretPolynomial};
use psephos_core::transcript::random_scalar;
use psephos_core::Scalar;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::sync::OnceLock;

fn table() -> &'static DlogTable {
    static T: OnceLock<DlogTable> = OnceLock::new();
    T.get_or_init(|| DlogTable::with_baby_steps(1 << 10))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sum_of_ciphertexts_decrypts_to_sum_of_values(values in prop::collection::vec(0u64..1000, 1..20), seed: u64) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let s = random_scalar(&mut rng);
        let key = ElectionKey::new(Point::from_point(g() * s)).unwrap();
        let cts: Vec<Ciphertext> = values
            .iter()
            .map(|&m| Ciphertext::encrypt(&key, &Scalar::from(m), &random_scalar(&mut rng)))
            .collect();
        let total = Ciphertext::sum(&cts);
        let expected: u64 = values.iter().sum();
        prop_assert_eq!(table().solve(&total.decrypt_to_point(&s), 20_000), Some(expected));
    }

    #[test]
    fn any_k_of_n_shares_decrypt(n in 1u32..8, k_off in 0u32..8, seed: u64, m in 0u64..500) {
        let k = 1 + k_off % n;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let polys: Vec<SecretPolynomial> = (0..n).map(|_| SecretPolynomial::random(k, &mut rng)).collect();
        let key: Scalar = polys.iter().map(|p| *p.evaluate(0).scalar()).sum();
        let ek = ElectionKey::new(Point::from_point(g() * key)).unwrap();
        let ct = Ciphertext::encrypt(&ek, &Scalar::from(m), &random_scalar(&mut rng));
        // A rotating subset of k trustees.
        let start = (seed % u64::from(n)) as u32;
        let subset: Vec<u32> = (0..k).map(|i| 1 + (start + i) % n).collect();
        let s_alpha = subset.iter().map(|&j| {
            let share: Scalar = polys.iter().map(|p| *p.evaluate(j).scalar()).sum();
            ct.alpha.point() * (share * lagrange_at_zero(&subset, j).unwrap())
        }).fold(psephos_core::RistrettoPoint::default(), |a, b| a + b);
        prop_assert_eq!(table().solve(&(ct.beta.point() - s_alpha), 1000), Some(m));
    }

    #[test]
    fn credential_codes_round_trip(seed: u64) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let code = CredentialCode::generate(&mut rng);
        let parsed = CredentialCode::parse(&code.expose()).unwrap();
        prop_assert_eq!(parsed.expose(), code.expose());
    }

    #[test]
    fn random_bytes_never_panic_a_decoder(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        // Each decoder either errs or yields a value that re-encodes to the same bytes.
        fn check<T: Canonical>(b: &[u8]) {
            if let Ok(v) = T::from_canonical_bytes(b) {
                assert_eq!(v.to_canonical_bytes(), b);
            }
        }
        check::<Point>(&bytes);
        check::<Scalar>(&bytes);
        check::<Ciphertext>(&bytes);
        check::<SchnorrProof>(&bytes);
        check::<ChaumPedersenProof>(&bytes);
        check::<DisjunctiveProof>(&bytes);
        check::<LinkProof>(&bytes);
        check::<RangeProof>(&bytes);
        check::<EncryptedBallot>(&bytes);
        check::<ChallengeReveal>(&bytes);
        check::<EncryptedTally>(&bytes);
        check::<DecryptionShare>(&bytes);
        check::<TallyResult>(&bytes);
        check::<Manifest>(&bytes);
        let _ = CredentialCode::parse(&String::from_utf8_lossy(&bytes));
        let _ = Manifest::from_toml(&String::from_utf8_lossy(&bytes));
        let _ = serde_json::from_slice::<EncryptedBallot>(&bytes);
    }
}

fn fixture() -> &'static (Election, Vec<u8>) {
    static F: OnceLock<(Election, Vec<u8>)> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let m = shapes::score(3, 4);
        let c = sim::ceremony(&m.hash(), 3, 2, &mut rng);
        let e = Election::new(m, c.joint_key).unwrap();
        let cred = CredentialSecret::from_scalar(random_scalar(&mut rng));
        let p = sim::random_ballot(e.manifest(), "all", &mut rng).unwrap();
        let (b, _) = encrypt_ballot(&e, &cred, &p, &mut rng).unwrap();
        (e, b.to_canonical_bytes())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A valid ballot with random byte edits: decoding and verification return errors, never
    /// panic, and an edited ballot never verifies.
    #[test]
    fn mutated_ballot_bytes_are_rejected(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let (e, bytes) = fixture();
        let mut b = bytes.clone();
        for (i, x) in &edits {
            let i = i.index(b.len());
            b[i] ^= x | 1;
        }
        if let Ok(ballot) = EncryptedBallot::from_canonical_bytes(&b) {
            prop_assert!(verify_ballot(e, ballot).is_err());
        }
    }

    #[test]
    fn manifests_round_trip(contests in 1usize..4, options in 1usize..6) {
        let m = shapes::approval(contests, options);
        prop_assert_eq!(Manifest::from_canonical_bytes(&m.to_canonical_bytes()).unwrap(), m);
    }
}

#[test]
fn ballot_round_trips_through_bytes_and_json() {
    let (e, bytes) = fixture();
    let b = EncryptedBallot::from_canonical_bytes(bytes).unwrap();
    let json = serde_json::to_string(&b).unwrap();
    let from_json: EncryptedBallot = serde_json::from_str(&json).unwrap();
    assert_eq!(from_json, b);
    assert_eq!(from_json.to_canonical_bytes(), *bytes);
    assert!(verify_ballot(e, from_json).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A shuffle decrypts to the same multiset of rows as its input, its proof verifies, and
    /// the witness's permutation maps every output row to the input row it re-encrypts.
    #[test]
    fn shuffle_decrypts_to_the_same_multiset(
        values in prop::collection::vec(0u64..20, 0..24),
        width in 1usize..4,
        seed: u64,
    ) {
        use psephos_core::mix::{shuffle, CiphertextList, MixGenerators, MixStatement};
        use psephos_core::proofs::ShuffleProof;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let s = random_scalar(&mut rng);
        let key = ElectionKey::new(Point::from_point(g() * s)).unwrap();
        let n = values.len() / width;
        let rows: Vec<Vec<u64>> = values.chunks_exact(width).take(n).map(<[u64]>::to_vec).collect();
        let items = rows
            .iter()
            .flatten()
            .map(|m| Ciphertext::encrypt(&key, &Scalar::from(*m), &random_scalar(&mut rng)))
            .collect();
        let inputs = CiphertextList::new(width, items).unwrap();
        let (outputs, witness) = shuffle(&key, &inputs, &mut rng);
        let decrypt = |l: &CiphertextList| -> Vec<Vec<u64>> {
            l.rows()
                .map(|r| r.iter().map(|c| table().solve(&c.decrypt_to_point(&s), 20).unwrap()).collect())
                .collect()
        };
        let out_rows = decrypt(&outputs);
        for (i, &p) in witness.permutation().iter().enumerate() {
            prop_assert_eq!(&out_rows[i], &rows[p as usize]);
        }
        let (mut a, mut b) = (rows.clone(), out_rows);
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
        // Fresh randomness: no output ciphertext equals an input ciphertext.
        for c in outputs.ciphertexts() {
            prop_assert!(!inputs.ciphertexts().contains(c));
        }
        let gens = MixGenerators::standard(n).unwrap();
        let election = psephos_core::hash::Digest::of(b"test", b"shuffle");
        let st = MixStatement { election_hash: &election, key: &key, generators: &gens, mixer: 1, inputs: &inputs, outputs: &outputs };
        let proof = ShuffleProof::prove(&st, &witness, &mut rng).unwrap();
        prop_assert!(proof.verify(&st).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_mix_decoders(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = psephos_core::proofs::ShuffleProof::from_canonical_bytes(&bytes);
        let _ = psephos_core::mix::CiphertextList::from_canonical_bytes(&bytes);
    }
}

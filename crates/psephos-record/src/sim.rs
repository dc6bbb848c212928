//! A simulated election, payload by payload, for `psephos demo`, the scale benchmark and the
//! verifier's tests: a real key ceremony among in-process trustees
//! ([`psephos_core::sim::run_ceremony`]), credentials derived from a seed, voters casting
//! random valid ballots (some challenge first, some vote twice), and the trustees' decryption
//! shares. It only *makes* payloads; the caller posts them through [`crate::Rules`] and
//! a board, exactly as a server would. Nothing here is used by a real election.

use psephos_core::ballot::{encrypt_ballot, EncryptedBallot};
use psephos_core::ceremony::CeremonyError;
use psephos_core::credential::CredentialSecret;
use psephos_core::election::{Election, Manifest};
use psephos_core::error::{DecodeError, PlaintextError, TallyError};
use psephos_core::hash::Digest;
use psephos_core::sim::{random_ballot, run_ceremony, CeremonyRun};
use psephos_core::tally::{combine, DecryptionShare, EncryptedTally, TallyResult};
use rand_core::{CryptoRng, RngCore};
use thiserror::Error;

use crate::credentials::{CredentialList, ListedCredential};
use crate::payload::{Challenged, Control, Definition, KeyAnnouncement, Payload};

/// Why a simulation step failed (a bug in the simulation or an invalid manifest).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SimError {
    #[error("ceremony: {0}")]
    Ceremony(#[from] CeremonyError),
    #[error("election: {0}")]
    Decode(#[from] DecodeError),
    #[error("ballot: {0}")]
    Plaintext(#[from] PlaintextError),
    #[error("tally: {0}")]
    Tally(#[from] TallyError),
    #[error("{0}")]
    Other(String),
}

/// One simulated voter's plan: challenge a ballot first, then cast one or two.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VotePlan {
    pub challenge: bool,
    pub ballots: usize,
}

/// A simulated election.
#[derive(Debug)]
pub struct Simulation {
    pub manifest: Manifest,
    pub election: Election,
    /// The ceremony's parameters, ceremony log and each trustee's outcome (secret share).
    pub ceremony: CeremonyRun,
    pub voters: usize,
    seed: [u8; 32],
}

impl Simulation {
    /// Runs the key ceremony for `manifest` and prepares `voters` credentials from `seed`.
    pub fn new<R: RngCore + CryptoRng>(
        manifest: Manifest,
        voters: usize,
        rng: &mut R,
    ) -> Result<Self, SimError> {
        let t = manifest.trustees;
        let ceremony = run_ceremony(manifest.hash(), t.count, t.threshold, rng)?;
        let outcome = ceremony
            .outcomes
            .first()
            .ok_or_else(|| SimError::Other("no trustee".into()))?;
        let election = Election::new(manifest.clone(), outcome.joint_key)?;
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Ok(Simulation {
            manifest,
            election,
            ceremony,
            voters,
            seed,
        })
    }

    /// Voter `i`'s credential (derived from the simulation's seed; a real voter types a code).
    pub fn credential(&self, i: usize) -> CredentialSecret {
        let mut data = self.seed.to_vec();
        data.extend_from_slice(&(i as u64).to_be_bytes());
        let lo = Digest::of(b"psephos/sim-credential/0", &data);
        let hi = Digest::of(b"psephos/sim-credential/1", &data);
        let mut wide = [0u8; 64];
        wide[..32].copy_from_slice(lo.as_bytes());
        wide[32..].copy_from_slice(hi.as_bytes());
        CredentialSecret::from_scalar(curve25519_dalek::scalar::Scalar::from_bytes_mod_order_wide(
            &wide,
        ))
    }

    /// Voter `i`'s ballot style.
    pub fn style(&self, i: usize) -> &str {
        let styles = &self.manifest.ballot_styles;
        styles
            .get(i % styles.len().max(1))
            .map_or("", |s| s.id.as_str())
    }

    /// Voter `i`'s weight: 2 for every tenth voter in a weighted election, else 1.
    pub fn weight(&self, i: usize) -> u64 {
        if self.manifest.weighted && i % 10 == 0 {
            2
        } else {
            1
        }
    }

    /// Voter `i`'s plan: every tenth (from the fourth) challenges first, every seventh votes twice.
    pub fn plan(&self, i: usize) -> VotePlan {
        VotePlan {
            challenge: i % 10 == 3,
            ballots: if i % 7 == 0 { 2 } else { 1 },
        }
    }

    /// The election definition.
    pub fn definition(&self) -> Payload {
        Payload::Definition(Definition {
            manifest: self.manifest.clone(),
            ceremony: self.ceremony.params.clone(),
        })
    }

    /// Every ceremony message, in board order.
    pub fn ceremony_messages(&self) -> Vec<Payload> {
        self.ceremony
            .log
            .iter()
            .cloned()
            .map(Payload::Ceremony)
            .collect()
    }

    /// The public credential list, as board entries.
    pub fn credential_lists(&self) -> Vec<Payload> {
        let one = |i: usize| ListedCredential {
            credential: self.credential(i).public(),
            style: self.style(i).to_owned(),
            weight: self.weight(i),
        };
        #[cfg(feature = "parallel")]
        let listed: Vec<ListedCredential> = {
            use rayon::prelude::*;
            (0..self.voters).into_par_iter().map(one).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let listed: Vec<ListedCredential> = (0..self.voters).map(one).collect();
        CredentialList::new(&self.manifest, listed)
            .chunks()
            .into_iter()
            .map(Payload::Credentials)
            .collect()
    }

    /// The key announcement the ceremony's outcome gives (recomputed from the ceremony log, as
    /// the rules and every observer do).
    pub fn key_announcement(&self) -> Result<Payload, SimError> {
        let outcome =
            psephos_core::ceremony::verify_ceremony(&self.ceremony.params, &self.ceremony.log)
                .map_err(|e| SimError::Other(e.to_string()))?;
        Ok(Payload::Control(Control::CeremonyComplete(
            KeyAnnouncement::from_outcome(&outcome, self.election.manifest()),
        )))
    }

    /// The entries that open voting: the booth manifest of a service that serves no booth,
    /// then `control: open` ([`crate::booth::opening`]).
    pub fn opening(&self) -> [Payload; 2] {
        crate::booth::opening(crate::booth::no_booth())
    }

    /// One random valid ballot of voter `i`.
    pub fn ballot<R: RngCore + CryptoRng>(
        &self,
        i: usize,
        rng: &mut R,
    ) -> Result<EncryptedBallot, SimError> {
        let style = self.style(i);
        let p = random_ballot(&self.manifest, style, rng)
            .ok_or_else(|| SimError::Other(format!("unknown style {style:?}")))?;
        let (b, _) = encrypt_ballot(&self.election, &self.credential(i), &p, rng)?;
        Ok(b)
    }

    /// What voter `i` posts, in order: a challenged ballot (if planned), then its ballots.
    pub fn votes<R: RngCore + CryptoRng>(
        &self,
        i: usize,
        rng: &mut R,
    ) -> Result<Vec<Payload>, SimError> {
        let plan = self.plan(i);
        let mut out = Vec::with_capacity(plan.ballots + 1);
        if plan.challenge {
            let style = self.style(i);
            let p = random_ballot(&self.manifest, style, rng)
                .ok_or_else(|| SimError::Other(format!("unknown style {style:?}")))?;
            let (ballot, secrets) = encrypt_ballot(&self.election, &self.credential(i), &p, rng)?;
            let reveal = secrets.reveal(&ballot);
            out.push(Payload::Challenge(Challenged { ballot, reveal }));
        }
        for _ in 0..plan.ballots {
            out.push(Payload::Ballot(self.ballot(i, rng)?));
        }
        Ok(out)
    }

    /// Trustee `j`'s decryption share of `tally`.
    pub fn share<R: RngCore + CryptoRng>(
        &self,
        tally: &EncryptedTally,
        j: u32,
        rng: &mut R,
    ) -> Result<DecryptionShare, SimError> {
        let outcome = self
            .ceremony
            .outcomes
            .iter()
            .find(|o| o.index.get() == j)
            .ok_or_else(|| SimError::Other(format!("no trustee {j}")))?;
        Ok(DecryptionShare::compute(
            tally,
            j,
            &outcome.secret_share,
            rng,
        ))
    }

    /// The result `shares` decrypt `tally` to.
    pub fn result(
        &self,
        tally: &EncryptedTally,
        shares: &[DecryptionShare],
    ) -> Result<TallyResult, SimError> {
        let outcome = self
            .ceremony
            .outcomes
            .first()
            .ok_or_else(|| SimError::Other("no trustee".into()))?;
        Ok(combine(&self.election, tally, shares, |j| {
            outcome
                .verification_keys
                .iter()
                .find(|(i, _)| i.get() == j)
                .map(|(_, v)| *v)
        })?)
    }

    /// The trustees who decrypt: every trustee but the first (absent), as many as needed.
    pub fn present_trustees(&self) -> Vec<u32> {
        let t = self.manifest.trustees;
        let mut present: Vec<u32> = (2..=t.count).take(t.threshold as usize).collect();
        if present.len() < t.threshold as usize {
            present = (1..=t.threshold).collect();
        }
        present
    }
}

/// A board without a database: seals `entries` into blocks ending after each size in
/// `block_sizes` (strictly increasing, the last one `entries.len()`), signs each checkpoint with
/// `board`, has every `witnesses` key cosign it, and writes the record. For tests and tools
/// that need a record without a server (e.g. re-sealing a deliberately tampered board).
pub fn seal_record(
    entries: &[psephos_board::Entry],
    block_sizes: &[u64],
    board: &psephos_board::note::NoteSigner,
    witnesses: &[psephos_board::checkpoint::Cosigner],
    witness_quorum: u32,
) -> Result<Vec<u8>, SimError> {
    use crate::format::{RecordBlock, RecordHeader, RecordWriter};
    use psephos_board::block::{Block, BlockHeader};
    use psephos_board::checkpoint::{Checkpoint, SignedCheckpoint};
    use psephos_board::merkle::Hash;

    let err = |e: &dyn std::fmt::Display| SimError::Other(e.to_string());
    let origin = board.verifier_key().name().to_owned();
    let header = RecordHeader {
        origin: origin.clone(),
        board_key: board.verifier_key().clone(),
        witnesses: witnesses.iter().map(|w| w.verifier_key().clone()).collect(),
        witness_quorum,
        entries: entries.len() as u64,
        blocks: block_sizes.len() as u64,
    };
    let mut w = RecordWriter::new(Vec::new(), header).map_err(|e| err(&e))?;
    let mut frontier = crate::verify::MerkleFrontier::default();
    let mut prev: Option<Block> = None;
    let mut sizes = block_sizes.iter().peekable();
    let seal = |w: &mut RecordWriter<Vec<u8>>,
                frontier: &crate::verify::MerkleFrontier,
                prev: &mut Option<Block>|
     -> Result<(), SimError> {
        let size = frontier.size();
        let root = frontier.root();
        let note = Checkpoint::new(origin.clone(), size, root)
            .sign(board)
            .map_err(|e| err(&e))?;
        let text = note.encode().map_err(|e| err(&e))?;
        let number = prev.as_ref().map_or(0, |b| b.header.number + 1);
        let header = BlockHeader {
            number,
            prev_hash: prev.as_ref().map_or(Hash([0; 32]), |b| b.hash),
            time_ms: 1_700_000_000_000 + number * 1000,
            tree_size: size,
            root,
            checkpoint: text.clone(),
        };
        let opened = SignedCheckpoint::open(text.as_bytes(), &origin, board.verifier_key(), &[])
            .map_err(|e| err(&e))?;
        let mut cosignatures = Vec::new();
        for c in witnesses {
            let line = c
                .cosign(&opened, 1_700_000_000 + number)
                .map_err(|e| err(&e))?;
            cosignatures.push(line.to_string().trim_end_matches('\n').to_owned());
        }
        w.block(&RecordBlock {
            header: header.clone(),
            cosignatures,
        })
        .map_err(|e| err(&e))?;
        *prev = Some(Block::new(header).map_err(|e| err(&e))?);
        Ok(())
    };
    for (i, e) in entries.iter().enumerate() {
        w.entry(i as u64, e).map_err(|e| err(&e))?;
        frontier.push(e.leaf_hash().map_err(|e| err(&e))?);
        if sizes.peek() == Some(&&frontier.size()) {
            sizes.next();
            seal(&mut w, &frontier, &mut prev)?;
        }
    }
    w.finish().map_err(|e| err(&e))
}

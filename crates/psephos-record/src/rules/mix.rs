//! The rules of mixing (`docs/protocol.md` §11.5, §13.7–13.9): the mix input, the shuffles, the
//! decryption shares of the final lists and the mix result, each posted as consecutive parts
//! ([`crate::payload::Part`]) and judged once its last part is on the board.
//!
//! Order: after `Close`, the mix input (its rows are the caller's to check against the ballots,
//! as the encrypted tally's sums are); then shuffles by qualified trustees in increasing index
//! order, each of the lists the previous one produced; the encrypted tally freezes the lists
//! once at least `min_mixers` have shuffled; then, with the tally's shares, any trustee's share of
//! the final lists; once `k` are on the board the mix result, before the result.
//!
//! The shuffle proofs and the shares' Chaum–Pedersen proofs are verified here (batched, across
//! cores) unless the caller says it verified them (the server, off its async workers, before it
//! takes the write lock; or replaying its own board).

use std::collections::BTreeMap;
use std::sync::Arc;

use psephos_board::EntryKind;
use psephos_core::ceremony::TrusteeIndex;
use psephos_core::encoding::Canonical;
use psephos_core::error::TallyError;
use psephos_core::hash::Digest;
use psephos_core::mix::MixGenerators;
use psephos_core::mixnet::{
    combine_mixed, MixInput, MixResult, MixShare, MixedList, Shuffle, ShuffleError,
};
use thiserror::Error;

use super::{election_threshold, Applied, Phase, RuleError, Rules};
use crate::payload::Part;

/// A mix object being received part by part.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    kind: EntryKind,
    count: u32,
    next: u32,
    bytes: Vec<u8>,
}

/// The state of the mix once its input is on the board.
#[derive(Debug, Clone)]
pub struct MixState {
    input: MixInput,
    input_at: u64,
    /// The lists the next mixer shuffles (the final lists once the tally is posted).
    current: Vec<MixedList>,
    current_digest: Digest,
    /// The mixers so far, with the index of each shuffle's first part.
    mixers: Vec<(u32, u64)>,
    shares: BTreeMap<u32, MixShare>,
    combined: Option<Result<MixResult, MixRuleError>>,
    result: Option<(MixResult, u64)>,
    generators: Option<Arc<MixGenerators>>,
}

impl MixState {
    pub fn input(&self) -> &MixInput {
        &self.input
    }
    /// Board index of the mix input's first part.
    pub fn input_at(&self) -> u64 {
        self.input_at
    }
    /// The current (after the tally: final) lists and their digest.
    pub fn current(&self) -> (&[MixedList], &Digest) {
        (&self.current, &self.current_digest)
    }
    /// `(mixer, index of its shuffle's first part)` in board order.
    pub fn mixers(&self) -> &[(u32, u64)] {
        &self.mixers
    }
    pub fn shares(&self) -> impl Iterator<Item = &MixShare> {
        self.shares.values()
    }
    /// The posted mix result and its first part's index.
    pub fn result(&self) -> Option<&(MixResult, u64)> {
        self.result.as_ref()
    }
}

/// Why a mix entry is refused ([`RuleError::Mix`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MixRuleError {
    #[error("part {got} of a {kind} came where {expected}")]
    PartOrder {
        kind: &'static str,
        got: u32,
        expected: String,
    },
    #[error("the election has no contest counted by the mixnet")]
    NothingMixed,
    #[error("the mix input is already on the board")]
    InputPosted,
    #[error("the mix input is for another election")]
    WrongElection,
    #[error(
        "the mix input asks for {min_mixers} mixers; it must be between k = {threshold} and the {qualified} qualified trustees"
    )]
    MinMixers {
        min_mixers: u32,
        threshold: u32,
        qualified: usize,
    },
    #[error("the mix input's list {position} is not that of mixed contest {contest:?} with {rows} rows of width {width}")]
    InputShape {
        position: usize,
        contest: String,
        rows: u64,
        width: usize,
    },
    #[error("no mix input is on the board")]
    NoInput,
    #[error("shuffle of mixer {mixer} rejected: not a qualified trustee of this election")]
    NotQualified { mixer: u32 },
    #[error(
        "shuffle of mixer {mixer} rejected: mixers go in increasing index order and trustee {last} has already mixed"
    )]
    MixerOrder { mixer: u32, last: u32 },
    #[error(
        "shuffle of mixer {mixer} rejected: with it, at most {reachable} trustees could mix, fewer than the {min_mixers} the mix input asks for"
    )]
    SkipsNeeded {
        mixer: u32,
        reachable: usize,
        min_mixers: u32,
    },
    #[error("shuffle of mixer {mixer} rejected: {reason}")]
    Shuffle { mixer: u32, reason: ShuffleError },
    #[error(
        "the mixing is not complete: {mixers} of the {min_mixers} mixers required have shuffled"
    )]
    TooFewMixers { mixers: usize, min_mixers: u32 },
    #[error("mixed decryption share of trustee {trustee} rejected: not a qualified trustee")]
    ShareNotQualified { trustee: u32 },
    #[error("mixed decryption share of trustee {trustee} rejected: already posted")]
    ShareAlreadyPosted { trustee: u32 },
    #[error("mixed decryption share of trustee {trustee} rejected: {reason}")]
    Share { trustee: u32, reason: TallyError },
    #[error("need mixed decryption shares from at least {needed} trustees, got {got}")]
    TooFewShares { needed: usize, got: usize },
    #[error("the mixed shares do not combine: {0}")]
    Combine(TallyError),
    #[error("the mix result differs from the decryption of the final lists by the posted shares")]
    ResultDiffers,
    #[error("the mix result is already on the board")]
    ResultPosted,
    #[error("the result needs the mix result on the board first")]
    NoMixResult,
}

impl MixRuleError {
    /// The trustee this error blames, if any (what a 422 names).
    pub fn blames(&self) -> Option<u32> {
        match self {
            MixRuleError::NotQualified { mixer }
            | MixRuleError::MixerOrder { mixer, .. }
            | MixRuleError::SkipsNeeded { mixer, .. }
            | MixRuleError::Shuffle { mixer, .. } => Some(*mixer),
            MixRuleError::ShareNotQualified { trustee }
            | MixRuleError::ShareAlreadyPosted { trustee }
            | MixRuleError::Share { trustee, .. } => Some(*trustee),
            _ => None,
        }
    }

    /// Not wrong, only not now or not again (HTTP 409).
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            MixRuleError::PartOrder { .. }
                | MixRuleError::InputPosted
                | MixRuleError::NoInput
                | MixRuleError::MixerOrder { .. }
                | MixRuleError::TooFewMixers { .. }
                | MixRuleError::ShareAlreadyPosted { .. }
                | MixRuleError::TooFewShares { .. }
                | MixRuleError::ResultPosted
                | MixRuleError::NoMixResult
                | MixRuleError::Shuffle {
                    reason: ShuffleError::WrongInput { .. },
                    ..
                }
        )
    }
}

fn mix_err(e: MixRuleError) -> RuleError {
    RuleError::Mix(e)
}

impl Rules {
    /// The mix, once its input is on the board.
    pub fn mix(&self) -> Option<&MixState> {
        self.mix.as_deref()
    }

    /// Whether the manifest counts any contest by the mixnet.
    pub fn has_mixed_contests(&self) -> bool {
        self.manifest()
            .is_some_and(|m| m.contests.iter().any(|c| c.is_mixed()))
    }

    /// `(contest id, width, rows)` of each mixed contest, in manifest order: the shape of the
    /// mix input the rules expect after voting closes.
    pub fn expected_mix_shape(&self) -> Vec<(String, usize, u64)> {
        let Some(m) = self.manifest() else {
            return Vec::new();
        };
        let counts = self.expected_tally_counts();
        m.contests
            .iter()
            .zip(counts)
            .filter(|(c, _)| c.is_mixed())
            .map(|(c, (ballots, _))| (c.id.clone(), c.width(), ballots))
            .collect()
    }

    /// Whether mixing is done as far as the tally is concerned: nothing to mix, or at least
    /// `min_mixers` shuffles are on the board.
    pub(super) fn check_mix_complete(&self) -> Result<(), RuleError> {
        if !self.has_mixed_contests() {
            return Ok(());
        }
        let mix = self.mix().ok_or(mix_err(MixRuleError::NoInput))?;
        if mix.mixers.len() < mix.input.min_mixers as usize {
            return Err(mix_err(MixRuleError::TooFewMixers {
                mixers: mix.mixers.len(),
                min_mixers: mix.input.min_mixers,
            }));
        }
        Ok(())
    }

    /// The result needs the mix result first when anything is mixed.
    pub(super) fn check_mix_result(&self) -> Result<(), RuleError> {
        if self.has_mixed_contests() && self.mix().and_then(|m| m.result.as_ref()).is_none() {
            return Err(mix_err(MixRuleError::NoMixResult));
        }
        Ok(())
    }

    /// The mix result the shares on the board decrypt the final lists to (what the server
    /// posts), once `k` are there.
    pub fn combined_mix_result(&self) -> Result<MixResult, RuleError> {
        let mix = self.mix().ok_or(mix_err(MixRuleError::NoInput))?;
        match &mix.combined {
            Some(r) => r.clone().map_err(mix_err),
            None => Err(mix_err(MixRuleError::TooFewShares {
                needed: election_threshold(self.definition.as_ref()),
                got: mix.shares.len(),
            })),
        }
    }

    /// Applies one part of a mix object. `verify_proofs`: whether to verify the shuffle and
    /// share proofs here (false when the caller has).
    pub(super) fn apply_part(
        &mut self,
        kind: EntryKind,
        part: &Part,
        verify_proofs: bool,
    ) -> Result<Applied, RuleError> {
        let kind_name = kind.name();
        let expected = match &self.pending {
            Some(p) if p.kind != kind || part.index != p.next || part.count != p.count => {
                Some(format!(
                    "part {} of {} of a {} was expected",
                    p.next,
                    p.count,
                    p.kind.name()
                ))
            }
            None if part.index != 0 => Some("a first part was expected".into()),
            _ => None,
        };
        if let Some(expected) = expected {
            return Err(mix_err(MixRuleError::PartOrder {
                kind: kind_name,
                got: part.index,
                expected,
            }));
        }
        if part.index == 0 {
            // The phase and the cheap rules are judged on the first part, so that a part
            // that can never stand is refused at once.
            self.precheck(kind)?;
        }
        if part.index + 1 < part.count {
            let pending = self.pending.get_or_insert_with(|| Pending {
                kind,
                count: part.count,
                next: 0,
                bytes: Vec::new(),
            });
            pending.bytes.extend_from_slice(&part.bytes);
            pending.next += 1;
            return Ok(Applied::MixPart {
                kind,
                index: part.index,
            });
        }
        let (bytes, first_at) = match self.pending.take() {
            Some(mut p) => {
                p.bytes.extend_from_slice(&part.bytes);
                (p.bytes, self.size - u64::from(p.count - 1))
            }
            None => (part.bytes.clone(), self.size),
        };
        let outcome = self.apply_object(kind, &bytes, first_at, verify_proofs);
        if outcome.is_err() {
            // The parts stay on the board but the object is refused: nothing of it counts.
            self.pending = None;
        }
        outcome
    }

    fn precheck(&self, kind: EntryKind) -> Result<(), RuleError> {
        match kind {
            EntryKind::MixInput => {
                self.require(Phase::Closed, "post the mix input")?;
                if !self.has_mixed_contests() {
                    return Err(mix_err(MixRuleError::NothingMixed));
                }
                if self.mix.is_some() {
                    return Err(mix_err(MixRuleError::InputPosted));
                }
            }
            EntryKind::Shuffle => {
                self.require(Phase::Closed, "post a shuffle")?;
                if self.mix.is_none() {
                    return Err(mix_err(MixRuleError::NoInput));
                }
            }
            EntryKind::MixShare => {
                self.require(Phase::Tallying, "post a mixed decryption share")?;
                if self.mix.is_none() {
                    return Err(mix_err(MixRuleError::NoInput));
                }
            }
            _ => {
                self.require(Phase::Tallying, "post the mix result")?;
                if self.mix.as_ref().is_some_and(|m| m.result.is_some()) {
                    return Err(mix_err(MixRuleError::ResultPosted));
                }
            }
        }
        Ok(())
    }

    fn apply_object(
        &mut self,
        kind: EntryKind,
        bytes: &[u8],
        first_at: u64,
        verify_proofs: bool,
    ) -> Result<Applied, RuleError> {
        let decode = |source| RuleError::Decode {
            kind: kind.name(),
            source,
        };
        match kind {
            EntryKind::MixInput => {
                let input = MixInput::from_canonical_bytes(bytes).map_err(decode)?;
                self.apply_mix_input(input, first_at)
            }
            EntryKind::Shuffle => {
                let s = Shuffle::from_canonical_bytes(bytes).map_err(decode)?;
                self.apply_shuffle(&s, first_at, verify_proofs)
            }
            EntryKind::MixShare => {
                let s = MixShare::from_canonical_bytes(bytes).map_err(decode)?;
                self.apply_mix_share(s, verify_proofs)
            }
            _ => {
                let r = MixResult::from_canonical_bytes(bytes).map_err(decode)?;
                self.apply_mix_result(r, first_at)
            }
        }
    }

    fn apply_mix_input(&mut self, input: MixInput, first_at: u64) -> Result<Applied, RuleError> {
        let (Some(election), Some(key)) = (&self.election, &self.key) else {
            return Err(RuleError::Phase {
                action: "post the mix input",
                phase: self.phase,
            });
        };
        if &input.election != election.hash() {
            return Err(mix_err(MixRuleError::WrongElection));
        }
        let threshold = election_threshold(self.definition.as_ref()) as u32;
        if input.min_mixers < threshold || input.min_mixers as usize > key.qualified.len() {
            return Err(mix_err(MixRuleError::MinMixers {
                min_mixers: input.min_mixers,
                threshold,
                qualified: key.qualified.len(),
            }));
        }
        let shape = self.expected_mix_shape();
        let shape_err = |position: usize, (contest, width, rows): &(String, usize, u64)| {
            mix_err(MixRuleError::InputShape {
                position,
                contest: contest.clone(),
                rows: *rows,
                width: *width,
            })
        };
        if input.lists.len() != shape.len() {
            let position = input.lists.len().min(shape.len());
            return Err(match shape.get(position) {
                Some(s) => shape_err(position, s),
                None => mix_err(MixRuleError::InputShape {
                    position,
                    contest: String::new(),
                    rows: 0,
                    width: 0,
                }),
            });
        }
        for (position, (l, s)) in input.lists.iter().zip(&shape).enumerate() {
            if l.contest != s.0 || l.list.width() != s.1 || l.list.len() as u64 != s.2 {
                return Err(shape_err(position, s));
            }
        }
        let digest = input.digest();
        self.mix = Some(Box::new(MixState {
            current: input.lists.clone(),
            current_digest: digest,
            input,
            input_at: first_at,
            mixers: Vec::new(),
            shares: BTreeMap::new(),
            combined: None,
            result: None,
            generators: None,
        }));
        Ok(Applied::MixInput)
    }

    fn apply_shuffle(
        &mut self,
        s: &Shuffle,
        first_at: u64,
        verify_proofs: bool,
    ) -> Result<Applied, RuleError> {
        let (Some(election), Some(key), Some(def), Some(mix)) =
            (&self.election, &self.key, &self.definition, &self.mix)
        else {
            return Err(mix_err(MixRuleError::NoInput));
        };
        let mixer = s.mixer;
        if !key.qualified.contains(&mixer) {
            return Err(mix_err(MixRuleError::NotQualified { mixer }));
        }
        if let Some(&(last, _)) = mix.mixers.last() {
            if mixer <= last {
                return Err(mix_err(MixRuleError::MixerOrder { mixer, last }));
            }
        }
        // The mixers this one leaves possible: those before it, itself, and every qualified
        // trustee after it.
        let reachable = mix.mixers.len() + 1 + key.qualified.iter().filter(|&&q| q > mixer).count();
        if reachable < mix.input.min_mixers as usize {
            return Err(mix_err(MixRuleError::SkipsNeeded {
                mixer,
                reachable,
                min_mixers: mix.input.min_mixers,
            }));
        }
        let signing_key = TrusteeIndex::new(mixer)
            .and_then(|i| def.ceremony.trustee(i))
            .map(|t| t.signing_key)
            .ok_or(mix_err(MixRuleError::NotQualified { mixer }))?;
        let reason = |reason| mix_err(MixRuleError::Shuffle { mixer, reason });
        s.check_statement(election.hash(), &mix.current, &signing_key)
            .map_err(reason)?;
        if verify_proofs {
            let generators = self.mix_generators()?;
            s.verify_proofs(election.key(), &generators, &mix.current)
                .map_err(reason)?;
        }
        let Some(mix) = self.mix.as_mut() else {
            return Err(mix_err(MixRuleError::NoInput));
        };
        mix.current = s.outputs();
        mix.current_digest = s.output_digest();
        mix.mixers.push((mixer, first_at));
        Ok(Applied::Shuffle { mixer })
    }

    /// The shuffle proofs' generators for the mix's longest list (derived once).
    pub fn mix_generators(&self) -> Result<Arc<MixGenerators>, RuleError> {
        let mix = self.mix().ok_or(mix_err(MixRuleError::NoInput))?;
        if let Some(g) = &mix.generators {
            return Ok(g.clone());
        }
        let rows = mix.current.iter().map(|l| l.list.len()).max().unwrap_or(0);
        MixGenerators::standard(rows).map(Arc::new).map_err(|e| {
            mix_err(MixRuleError::Shuffle {
                mixer: 0,
                reason: ShuffleError::Proof {
                    contest: String::new(),
                    source: e,
                },
            })
        })
    }

    /// Keeps the generators derived for a verification (they cost a hash to the group a row).
    pub fn keep_mix_generators(&mut self, g: Arc<MixGenerators>) {
        if let Some(mix) = self.mix.as_mut() {
            mix.generators = Some(g);
        }
    }

    fn apply_mix_share(&mut self, s: MixShare, verify_proofs: bool) -> Result<Applied, RuleError> {
        let (Some(election), Some(key), Some(mix)) = (&self.election, &self.key, &self.mix) else {
            return Err(mix_err(MixRuleError::NoInput));
        };
        let trustee = s.trustee;
        let vk = key
            .verification_key(trustee)
            .ok_or(mix_err(MixRuleError::ShareNotQualified { trustee }))?;
        if mix.shares.contains_key(&trustee) {
            return Err(mix_err(MixRuleError::ShareAlreadyPosted { trustee }));
        }
        if verify_proofs {
            s.verify(election.hash(), &mix.current, &vk)
                .map_err(|reason| mix_err(MixRuleError::Share { trustee, reason }))?;
        } else if s.lists != mix.current_digest {
            return Err(mix_err(MixRuleError::Share {
                trustee,
                reason: TallyError::InvalidShare {
                    trustee,
                    detail: "it decrypts other lists than the final mixed lists".into(),
                },
            }));
        }
        let threshold = election_threshold(self.definition.as_ref());
        let bounds: Vec<u64> = self
            .manifest()
            .map(|m| {
                m.contests
                    .iter()
                    .filter(|c| c.is_mixed())
                    .map(|c| (0..c.width()).map(|o| c.option_max(o)).max().unwrap_or(1))
                    .collect()
            })
            .unwrap_or_default();
        let election_hash = *election.hash();
        let Some(mix) = self.mix.as_mut() else {
            return Err(mix_err(MixRuleError::NoInput));
        };
        mix.shares.insert(trustee, s);
        if mix.shares.len() >= threshold && !matches!(mix.combined, Some(Ok(_))) {
            let shares: Vec<&MixShare> = mix.shares.values().collect();
            mix.combined = Some(
                combine_mixed(&election_hash, &mix.current, &shares, &bounds)
                    .map_err(MixRuleError::Combine),
            );
        }
        Ok(Applied::MixShare { trustee })
    }

    fn apply_mix_result(&mut self, r: MixResult, first_at: u64) -> Result<Applied, RuleError> {
        let expected = self.combined_mix_result()?;
        if expected != r {
            return Err(mix_err(MixRuleError::ResultDiffers));
        }
        if let Some(mix) = self.mix.as_mut() {
            mix.result = Some((r, first_at));
        }
        Ok(Applied::MixResult)
    }
}

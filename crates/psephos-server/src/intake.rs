//! How a ballot (or a challenge) gets from raw bytes to a decoded value: what costs nothing is
//! checked first, on the bytes; decoding, which costs, runs off the HTTP workers and a bounded
//! number at a time.
//!
//! Why: decoding a ballot decompresses every point in it (a 2 MiB ballot holds ~27,000, over
//! 100 ms of CPU). Decoding first and checking the credential afterwards let anyone with no
//! credential at all spend that CPU on the HTTP workers for each request, and slow every voter
//! and `/health` with it (issue [2/10] item 2). So, in this order:
//!
//! 1. **The head, from the raw JSON**: only `election`, `style` and `credential` are read (the
//!    rest is skipped as text, a linear scan with no point decoded), and checked against the
//!    election's rules — voting open (409 `wrong_phase`), this election (422 `invalid_ballot`), a
//!    listed credential (one point decoded; 403 `unknown_credential`), the credential's own
//!    ballot style (422 `invalid_ballot`).
//! 2. **The size the style allows**: a ballot's JSON size is fixed by its style's shape (hex of
//!    fixed-width points, scalars and proofs), so a body more than twice the size of a
//!    well-formed ballot of that style (plus 64 KiB of slack for spelling) is refused with 413
//!    `too_large` before decoding; the CPU one request can cost is bounded by its style.
//!    The size of a well-formed ballot is measured once per style, by encrypting a random
//!    ballot with a throwaway credential, when voting opens ([`Intake::ready`]); after a
//!    restart, in the background from the first ballot on, the route's 2 MiB limit holding
//!    until then.
//! 3. **The decoding**, on the blocking pool, at most one per core at a time
//!    ([`Intake::decode`]); the HTTP workers only await it.
//!
//! The election's rules still check everything again on the decoded ballot
//! ([`psephos_record::Rules::check_ballot`]) and once more under the write lock: this
//! module only refuses early what would be refused anyway.

use crate::election::{rule_error, ElectionService};
use crate::ApiError;
use actix_web::http::StatusCode;
use psephos_core::election::Election;
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_record::{Phase, RuleError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

type Sizes = HashMap<(Digest, String), usize>;
use tokio::sync::Semaphore;

/// Slack over twice a well-formed ballot's size (whitespace, key order, an unknown field that
/// the decoder will name).
const SLACK: usize = 64 * 1024;

/// What is being taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `POST /api/v1/ballots`: an `EncryptedBallot`.
    Ballot,
    /// `POST /api/v1/challenges`: `{ballot, reveal}`; the reveal (a value and a nonce per
    /// option) is smaller than the ballot's ciphertexts and proofs, so twice the ballot's
    /// budget bounds it.
    Challenge,
}

/// The part of a ballot read before decoding (every other field is skipped unread).
#[derive(Deserialize)]
struct Head {
    election: Digest,
    style: String,
    credential: String,
}

#[derive(Deserialize)]
struct ChallengeHead {
    ballot: Head,
}

/// The ballot intake of one election: the per-style size budgets and the decoding slots.
#[derive(Debug)]
pub struct Intake {
    /// (election hash, style id) → the JSON size of a well-formed ballot of that style.
    sizes: Arc<Mutex<Sizes>>,
    /// Elections whose styles are measured or being measured.
    warming: Mutex<HashSet<Digest>>,
    decoders: Semaphore,
}

impl Default for Intake {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Intake::new(cores)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl Intake {
    /// An intake decoding at most `parallel` bodies at a time.
    pub fn new(parallel: usize) -> Self {
        Intake {
            sizes: Arc::new(Mutex::new(HashMap::new())),
            warming: Mutex::new(HashSet::new()),
            decoders: Semaphore::new(parallel.max(1)),
        }
    }

    /// The cheap checks of steps 1 and 2 (see the module documentation) on the raw body.
    pub async fn precheck(
        &self,
        election: &ElectionService,
        body: &[u8],
        kind: Kind,
    ) -> Result<(), ApiError> {
        let head = match kind {
            Kind::Ballot => serde_json::from_slice::<Head>(body),
            Kind::Challenge => serde_json::from_slice::<ChallengeHead>(body).map(|c| c.ballot),
        }
        .map_err(crate::body::json_error)?;
        let action = match kind {
            Kind::Ballot => "cast a ballot",
            Kind::Challenge => "challenge a ballot",
        };
        let el = {
            let s = election.read().await;
            let phase = s.phase();
            let el = match (phase, s.election()) {
                (Phase::Open, Some(el)) => el.clone(),
                _ => return Err(rule_error(RuleError::Phase { action, phase })),
            };
            if &head.election != el.hash() {
                return Err(rule_error(RuleError::WrongElection));
            }
            let credential = Point::from_hex(&head.credential).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_encoding",
                    format!("a value in the body does not decode: credential: {e}"),
                )
            })?;
            let listed = s
                .eligibility(&credential)
                .ok_or_else(|| rule_error(RuleError::UnknownCredential))?;
            let listed = el
                .manifest()
                .ballot_styles
                .get(listed.style)
                .map(|st| st.id.clone())
                .unwrap_or_default();
            if listed != head.style {
                return Err(rule_error(RuleError::WrongStyle {
                    listed,
                    got: head.style,
                }));
            }
            el
        };
        let Some(budget) = self.budget(&el, &head.style) else {
            // Not measured yet (the first ballots after a restart): measured in the background,
            // the route's limit holds meanwhile.
            self.warm(el);
            return Ok(());
        };
        let budget = budget
            * match kind {
                Kind::Ballot => 1,
                Kind::Challenge => 2,
            };
        if body.len() > budget {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "a {} of ballot style {:?} is at most {budget} bytes of JSON; this one is {}",
                    match kind {
                        Kind::Ballot => "ballot",
                        Kind::Challenge => "challenge",
                    },
                    head.style,
                    body.len()
                ),
            ));
        }
        Ok(())
    }

    /// The most bytes a ballot of `style` may take (twice a well-formed one, plus the slack), if
    /// measured.
    fn budget(&self, election: &Election, style: &str) -> Option<usize> {
        lock(&self.sizes)
            .get(&(*election.hash(), style.to_string()))
            .map(|&n| 2 * n + SLACK)
    }

    /// Measures every ballot style of `election` in the background, once.
    pub fn warm(&self, election: Election) {
        if !lock(&self.warming).insert(*election.hash()) {
            return;
        }
        let sizes = self.sizes.clone();
        tokio::task::spawn_blocking(move || measure(&election, &sizes));
    }

    /// Measures every ballot style of the election on `service`, if it has a key; when this
    /// returns, its ballots are held to their styles' sizes. Called when voting opens (and by
    /// tests).
    pub async fn ready(&self, service: &ElectionService) {
        let Some(el) = service.read().await.election().cloned() else {
            return;
        };
        lock(&self.warming).insert(*el.hash());
        let sizes = self.sizes.clone();
        let _ = tokio::task::spawn_blocking(move || measure(&el, &sizes)).await;
    }

    /// Step 3: decodes `body` as `T` ([`crate::body::parse`]) on the blocking pool, at most one
    /// body per core at a time.
    pub async fn decode<T>(&self, body: actix_web::web::Bytes) -> Result<T, ApiError>
    where
        T: DeserializeOwned + Serialize + Send + 'static,
    {
        let _slot = self.decoders.acquire().await.map_err(|_| busy())?;
        tokio::task::spawn_blocking(move || crate::body::parse::<T>(&body))
            .await
            .map_err(|_| busy())?
    }
}

fn busy() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the ballot could not be decoded now; nothing was stored — send it again shortly",
    )
}

/// Measures every style of `election` into `sizes`.
fn measure(election: &Election, sizes: &Mutex<Sizes>) {
    for style in &election.manifest().ballot_styles {
        let key = (*election.hash(), style.id.clone());
        if lock(sizes).contains_key(&key) {
            continue;
        }
        match template_size(election, &style.id) {
            Some(n) => {
                lock(sizes).insert(key, n);
            }
            None => tracing::warn!(style = %style.id, "could not measure a ballot of this style"),
        }
    }
}

/// The JSON size of a well-formed ballot of `style` (a random one, from a throwaway
/// credential).
fn template_size(election: &Election, style: &str) -> Option<usize> {
    let mut rng = rand_core_std::OsRng;
    let plaintext = psephos_core::sim::random_ballot(election.manifest(), style, &mut rng)?;
    let credential = psephos_core::credential::CredentialSecret::from_scalar(
        psephos_core::transcript::random_scalar(&mut rng),
    );
    let (ballot, _) =
        psephos_core::ballot::encrypt_ballot(election, &credential, &plaintext, &mut rng).ok()?;
    serde_json::to_vec(&ballot).ok().map(|v| v.len())
}

//! The election service: the board plus the election's rules ([`ElectionState`]), kept in step.
//!
//! Every write goes through [`ElectionService::post`] (or, for ballots, the batched cast
//! pipeline): the rules decide under the write lock whether the entry may be the board's next
//! entry, the board appends it durably, and only then is the client answered. Because the state
//! is the same replayable machine the verifier runs ([`psephos_record::state`]), the server
//! cannot accept an entry that an observer replaying the board would reject.
//!
//! On start the state is rebuilt by replaying every entry of the board; an entry the rules
//! reject there means the database was edited, and the service refuses to start.

use crate::ApiError;
use actix_web::http::StatusCode;
use psephos_board::{Board, BoardError, Entry};
use psephos_record::{Applied, ElectionState, Payload, RuleError, RuleErrorKind};
use tokio::sync::RwLock;

/// Entries read per page when replaying the board at start.
const REPLAY_PAGE: u64 = 1024;

/// One election's board and rules.
#[derive(Debug)]
pub struct ElectionService {
    board: Board,
    state: RwLock<ElectionState>,
}

/// Why the board could not be replayed into an election at start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Board(#[from] BoardError),
    #[error("board entry {index} breaks the election's rules: {source}")]
    Rule {
        index: u64,
        #[source]
        source: RuleError,
    },
}

impl ElectionService {
    /// Replays `board` into the election's state. Ballot proofs are not re-verified here (they
    /// were verified before they were appended, and `psephos verify` re-checks them all).
    pub async fn load(board: Board) -> Result<Self, ReplayError> {
        let state = replay(&board).await?;
        Ok(ElectionService {
            board,
            state: RwLock::new(state),
        })
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    /// The state, for reading (status pages, cheap pre-checks).
    pub async fn read(&self) -> tokio::sync::RwLockReadGuard<'_, ElectionState> {
        self.state.read().await
    }

    /// The state, for writing. Hold it across "apply to the state, append to the board" so that
    /// the state's next index is the board's; see [`ElectionService::post`].
    pub async fn write(&self) -> tokio::sync::RwLockWriteGuard<'_, ElectionState> {
        self.state.write().await
    }

    /// Applies `payloads` to the rules in order and appends them to the board as one durable
    /// batch. All or nothing: if any is rejected nothing is appended and the error names it;
    /// if the append fails, the state is rebuilt from the board.
    pub async fn post_all(&self, payloads: &[Payload]) -> Result<Vec<(u64, Applied)>, ApiError> {
        let mut state = self.state.write().await;
        let mut scratch: Option<ElectionState> = None;
        if payloads.len() > 1 {
            // Rejection of a later payload must leave no trace of the earlier ones.
            scratch = Some(state.clone());
        }
        let mut applied = Vec::with_capacity(payloads.len());
        let mut entries = Vec::with_capacity(payloads.len());
        for p in payloads {
            let index = state.size();
            match state.apply(p) {
                Ok(a) => applied.push((index, a)),
                Err(e) => {
                    if let Some(s) = scratch {
                        *state = s;
                    }
                    return Err(rule_error(e));
                }
            }
            entries.push(Entry::new(p.kind(), p.to_bytes()).map_err(|e| {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", e.to_string())
            })?);
        }
        if let Err(e) = self.board.append_all(entries).await {
            tracing::error!(error = %e, "append failed; rebuilding the election state from the board");
            match replay(&self.board).await {
                Ok(s) => *state = s,
                Err(re) => tracing::error!(error = %re, "replay after a failed append failed"),
            }
            return Err(e.into());
        }
        Ok(applied)
    }

    /// [`ElectionService::post_all`] for one payload.
    pub async fn post(&self, payload: Payload) -> Result<(u64, Applied), ApiError> {
        let mut v = self.post_all(std::slice::from_ref(&payload)).await?;
        v.pop()
            .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "empty"))
    }
}

/// Rebuilds the state from every entry on the board.
pub async fn replay(board: &Board) -> Result<ElectionState, ReplayError> {
    let mut state = ElectionState::new();
    let size = board.size();
    let mut start = 0;
    while start < size {
        let page = board.entries(start, REPLAY_PAGE.min(size - start)).await?;
        for (i, entry) in page.iter().enumerate() {
            let index = start + i as u64;
            state
                .apply_bytes(entry.kind, &entry.payload)
                .map_err(|source| ReplayError::Rule { index, source })?;
        }
        start += page.len() as u64;
        if page.is_empty() {
            break;
        }
    }
    Ok(state)
}

/// The HTTP answer for a rejected entry: 409 for "not now / not again", 403 for an unknown
/// credential, 422 for content that does not verify, 400 for bytes that do not decode.
pub fn rule_error(e: RuleError) -> ApiError {
    let (status, code) = match (&e, e.kind()) {
        (RuleError::Decode { .. }, _) => (StatusCode::BAD_REQUEST, "bad_encoding"),
        (RuleError::Phase { .. }, _) => (StatusCode::CONFLICT, "wrong_phase"),
        (RuleError::Replayed { .. }, _) => (StatusCode::CONFLICT, "replayed"),
        (_, RuleErrorKind::Conflict) => (StatusCode::CONFLICT, "conflict"),
        (_, RuleErrorKind::Forbidden) => (StatusCode::FORBIDDEN, "unknown_credential"),
        (_, RuleErrorKind::Invalid) => (StatusCode::UNPROCESSABLE_ENTITY, "rejected"),
    };
    ApiError::new(status, code, e.to_string())
}

//! The board explorer's pages (`/api/v1/elections/{election}/explorer/…`, `E` below): what the
//! observer page shows of a board of any size — blocks newest first with their signed
//! checkpoints, entries by index or of one kind, each with a readable summary, and the tracking
//! codes of every ballot with its status.
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `E/explorer/blocks?before&limit` | `{blocks, next_before}`: blocks numbered below `before` (default: all), newest first, each with its first entry and its checkpoint note with cosignatures |
//! | GET | `E/explorer/entries?from\|before&kind&limit` | `{entries: [{index, kind, summary}], next_from, next_before}` |
//!
//! Every page is one range read of an index: entries by index (the primary key), entries of
//! one kind (`board_entries_kind`, on SQLite and PostgreSQL), blocks by number; no page reads
//! more than `limit` rows, so a page costs the same on a board of ten entries or of a million.
//! `limit` is 1–[`MAX_PAGE`] (blocks 1–[`MAX_BLOCK_PAGE`]); anything else, an unknown kind or
//! both `from` and `before`, is a 400 that says so.
//!
//! Summaries are decoded from the entries' canonical bytes; a ballot's status (cast, or
//! superseded by a later ballot of the same credential) comes from the election's rules, as
//! `GET E/ballots/{tracking_code}` answers it.

use crate::auth::ThisElection;
use crate::routes::sorted;
use crate::ApiError;
use actix_web::{web, HttpResponse};
use psephos_api::ballots::BallotStatus;
use psephos_api::explorer::{
    BlockPageQuery, BlockView, BlocksPage, ContestCounts, ControlEvent, EntriesPage,
    EntryPageQuery, EntrySummary, Summary,
};
use psephos_board::{Entry, EntryKind};
use psephos_core::ballot::TrackingCode;
use psephos_core::ceremony::Message;
use psephos_core::encoding::Canonical;
use psephos_record::{Control, Payload, Rules};

/// Most entries on one page.
pub const MAX_PAGE: u64 = 200;
/// Most blocks on one page (each carries its checkpoint note and cosignatures).
pub const MAX_BLOCK_PAGE: u64 = 50;
const DEFAULT_PAGE: u64 = 50;
const DEFAULT_BLOCK_PAGE: u64 = 20;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/explorer/blocks").route(web::get().to(blocks)))
        .service(web::resource("/explorer/entries").route(web::get().to(entries)));
}

type Result<T> = std::result::Result<T, ApiError>;

fn limit(given: Option<u64>, default: u64, max: u64) -> Result<u64> {
    match given {
        None => Ok(default),
        Some(l) if (1..=max).contains(&l) => Ok(l),
        Some(l) => Err(ApiError::bad_request(format!(
            "limit {l}: a page holds 1 to {max} items"
        ))),
    }
}

#[utoipa::path(
    get,
    path = "/explorer/blocks",
    tag = "board",
    summary = "Blocks newest first, each with its first entry index and its signed checkpoint note with cosignatures: {blocks: [{number, first_index, tree_size, time_ms, root, checkpoint}], next_before}.",
    params(psephos_api::explorer::BlockPageQuery),
    responses(
        (status = 200, description = "a page of blocks", body = psephos_api::explorer::BlocksPage),
        (status = 400, description = "a bad parameter: limit out of range, an unknown kind, both from and before, an unknown parameter", body = psephos_api::ErrorBody),
    ),
)]
async fn blocks(state: ThisElection, q: web::Query<BlockPageQuery>) -> Result<HttpResponse> {
    let limit = limit(q.limit, DEFAULT_BLOCK_PAGE, MAX_BLOCK_PAGE)?;
    let before = q.before.unwrap_or(u64::MAX);
    // One more block than shown: the oldest shown needs its predecessor's tree size.
    let mut list = state.board.blocks_before(before, limit + 1).await?;
    let more = list.len() as u64 > limit;
    let oldest_prev = if more { list.pop() } else { None };
    let mut out = Vec::with_capacity(list.len());
    for (i, b) in list.iter().enumerate() {
        let h = &b.header;
        let first_index = match list.get(i + 1).or(oldest_prev.as_ref()) {
            Some(prev) => prev.header.tree_size,
            None => 0,
        };
        let checkpoint = match state.board.checkpoint_for_size(h.tree_size).await? {
            Some(c) => c.note,
            None => h.checkpoint.clone(),
        };
        out.push(BlockView {
            number: h.number,
            first_index,
            tree_size: h.tree_size,
            time_ms: h.time_ms,
            root: hex::encode(h.root.0),
            checkpoint,
        });
    }
    let next_before = if more {
        out.last().map(|b| b.number)
    } else {
        None
    };
    Ok(sorted(
        HttpResponse::Ok(),
        &BlocksPage {
            blocks: out,
            next_before,
        },
    ))
}

fn kind_named(name: &str) -> Result<EntryKind> {
    EntryKind::ALL
        .iter()
        .copied()
        .find(|k| k.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = EntryKind::ALL.iter().map(|k| k.name()).collect();
            ApiError::bad_request(format!(
                "kind {name:?}: not an entry kind (one of {})",
                names.join(", ")
            ))
        })
}

#[utoipa::path(
    get,
    path = "/explorer/entries",
    tag = "board",
    summary = "Entries with a readable summary each (a ballot's tracking code and status: cast, superseded; a challenge's tracking code; a ceremony message's round and sender; …): {entries: [{index, kind, summary}], next_from, next_before, board_size}. By index, or of one kind; oldest first from `from`, else newest first before `before`.",
    params(psephos_api::explorer::EntryPageQuery),
    responses(
        (status = 200, description = "a page of entries", body = psephos_api::explorer::EntriesPage),
        (status = 400, description = "a bad parameter: limit out of range, an unknown kind, both from and before, an unknown parameter", body = psephos_api::ErrorBody),
        (status = 404, description = "no such election", body = psephos_api::ErrorBody),
    ),
)]
async fn entries(state: ThisElection, q: web::Query<EntryPageQuery>) -> Result<HttpResponse> {
    let limit = limit(q.limit, DEFAULT_PAGE, MAX_PAGE)?;
    if q.from.is_some() && q.before.is_some() {
        return Err(ApiError::bad_request(
            "give from (oldest first) or before (newest first), not both",
        ));
    }
    let size = state.board.size();
    let page: Vec<(u64, Entry)> = match q.kind.as_deref().map(kind_named).transpose()? {
        Some(kind) => {
            let before = q.before.unwrap_or(u64::MAX);
            // Newest first unless `from` is given.
            state
                .board
                .entries_of_kind(kind, q.from, before, limit)
                .await?
        }
        None => {
            let (start, end) = match (q.from, q.before) {
                (Some(from), _) => (from, from.saturating_add(limit)),
                (None, before) => {
                    let end = before.unwrap_or(size).min(size);
                    (end.saturating_sub(limit), end)
                }
            };
            if start > size {
                return Err(ApiError::bad_request(format!(
                    "from {start}: the board has {size} entries"
                )));
            }
            let list = state.board.entries(start, end - start).await?;
            let mut v: Vec<(u64, Entry)> = (start..).zip(list).collect();
            if q.from.is_none() {
                v.reverse();
            }
            v
        }
    };
    let rules = state.election.read().await;
    let out: Vec<EntrySummary> = page
        .iter()
        .map(|(index, e)| EntrySummary {
            index: *index,
            kind: e.kind,
            summary: summary(&rules, *index, e),
        })
        .collect();
    drop(rules);
    let ascending = q.from.is_some();
    let (next_from, next_before) = match (ascending, out.last()) {
        (true, Some(last)) if out.len() as u64 == limit => (Some(last.index + 1), None),
        (false, Some(last)) if out.len() as u64 == limit && last.index > 0 => {
            (None, Some(last.index))
        }
        _ => (None, None),
    };
    Ok(sorted(
        HttpResponse::Ok(),
        &EntriesPage {
            entries: out,
            next_from,
            next_before,
            board_size: size,
        },
    ))
}

/// An entry's summary, decoded from its canonical bytes.
fn summary(rules: &Rules, index: u64, e: &Entry) -> Summary {
    let payload = match Payload::decode(e.kind, &e.payload) {
        Ok(p) => p,
        Err(err) => {
            return Summary::Undecodable {
                undecodable: err.to_string(),
            }
        }
    };
    match payload {
        Payload::Definition(d) => Summary::Definition {
            manifest_id: d.manifest.id.clone(),
            name: d.manifest.name.clone(),
            contests: d.manifest.contests.len(),
            ballot_styles: d.manifest.ballot_styles.len(),
            trustees: d.ceremony.count(),
            threshold: d.ceremony.threshold(),
            manifest_hash: d.manifest.hash(),
        },
        Payload::Ceremony(m) => {
            let (mut against, mut reason, mut to) = (None, None, None);
            match &m.message {
                Message::Complaint(c) => {
                    against = Some(c.against.get());
                    reason = Some(c.reason.to_string());
                }
                Message::Reveal(r) => to = Some(r.to.get()),
                _ => {}
            }
            Summary::Ceremony {
                round: m.message.round() as u8,
                from: m.message.from().get(),
                against,
                reason,
                to,
            }
        }
        Payload::Credentials(list) => Summary::Credentials {
            credentials: list.credentials.len(),
            total_weight: list.credentials.iter().map(|c| c.weight).sum::<u64>(),
        },
        Payload::Ballot(b) => {
            let status = match rules.last_ballot(&b.credential) {
                Some(i) if i != index => BallotStatus::Superseded,
                _ => BallotStatus::Cast,
            };
            Summary::Ballot {
                tracking_code: TrackingCode::of(&b.hash()).to_string(),
                style: b.style.clone(),
                credential: b.credential,
                status,
            }
        }
        Payload::Challenge(c) => Summary::Challenge {
            tracking_code: TrackingCode::of(&c.ballot.hash()).to_string(),
            style: c.ballot.style.clone(),
            status: BallotStatus::Challenged,
        },
        Payload::Control(c) => match c {
            Control::Open => control(ControlEvent::Open),
            Control::Close => control(ControlEvent::Close),
            Control::CeremonyComplete(k) => Summary::Control {
                event: ControlEvent::CeremonyComplete,
                qualified: Some(k.qualified),
                joint_key: Some(k.joint_key),
                election_hash: Some(k.election_hash),
            },
        },
        Payload::Tally(t) => Summary::Tally {
            contests: t.contests.len(),
            bytes: t.to_canonical_bytes().len(),
        },
        Payload::Share(s) => Summary::Share { trustee: s.trustee },
        Payload::Result(r) => Summary::Result {
            contests: r
                .contests
                .iter()
                .map(|c| ContestCounts {
                    contest: c.contest.clone(),
                    counts: c.counts.clone(),
                })
                .collect(),
        },
        Payload::BoothManifest(m) => Summary::BoothManifest {
            files: m.files.len(),
            index: m.index.clone(),
            hash: m.hash(),
        },
        Payload::MixInput(p)
        | Payload::Shuffle(p)
        | Payload::MixShare(p)
        | Payload::MixResult(p) => Summary::Part {
            part: p.index,
            parts: p.count,
            bytes: p.bytes.len(),
        },
        Payload::MixedCount(m) => Summary::MixedCount {
            ranked_contests: m.ranked.into_iter().map(|(contest, _)| contest).collect(),
        },
    }
}

fn control(event: ControlEvent) -> Summary {
    Summary::Control {
        event,
        qualified: None,
        joint_key: None,
        election_hash: None,
    }
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(blocks, entries))]
pub(crate) struct Api;

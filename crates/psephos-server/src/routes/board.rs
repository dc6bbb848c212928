//! An election's board's public API (`/api/v1/elections/{election}/board/…`): what witnesses
//! and observers follow. Each election is its own board (its own origin, tree, checkpoints).
//!
//! | method | path | answer |
//! |---|---|---|
//! | GET | `/checkpoint` | latest signed checkpoint with cosignatures (`text/plain`, C2SP signed note) |
//! | GET | `/checkpoints/{size}` | the signed checkpoint of that tree size |
//! | GET | `/size` | `{ size, sealed_size }` |
//! | GET | `/entries?start&limit` | entries `{ index, kind, payload }` (payload base64) |
//! | GET | `/entries/{index}` | one entry |
//! | GET | `/receipts/{index}` | the sealed receipt (inclusion proof and checkpoint), 202 until sealed |
//! | GET | `/proofs/inclusion?index&size` | RFC 9162 inclusion proof |
//! | GET | `/proofs/consistency?old&new` | RFC 9162 consistency proof |
//! | GET | `/blocks/latest`, `/blocks/{number}`, `/blocks?start&limit` | block headers |
//! | POST | `/cosignatures` | `{ size, signature }`: a witness cosignature line for that checkpoint |
//!
//! With a read replica (`psephos serve --read-database`) every GET but `/size` reads from it
//! ([`psephos_board::Board::for_readers`]): bounded by what the replica holds, so that what it
//! has not replayed yet is answered 404 `not_replicated` with `Retry-After` (a receipt: 202
//! with `Retry-After`), never with an older answer in place of the one asked for.

use crate::auth::ThisElection;
use crate::ApiError;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use psephos_board::store::MAX_ENTRIES_PAGE;
use psephos_board::{Block, Entry};
use serde::{Deserialize, Serialize};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get_checkpoint)
        .service(get_checkpoint_for_size)
        .service(get_size)
        .service(list_entries)
        .service(get_entry)
        .service(get_receipt)
        .service(get_inclusion)
        .service(get_consistency)
        .service(get_latest_block)
        .service(get_block)
        .service(list_blocks)
        .service(post_cosignature);
}

type Result<T> = std::result::Result<T, ApiError>;

fn note(text: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

#[get("/checkpoint")]
async fn get_checkpoint(state: ThisElection) -> Result<HttpResponse> {
    match state.board.for_readers().latest_checkpoint().await? {
        Some(c) => Ok(note(c.note)),
        None => Err(ApiError::not_found("no checkpoint has been published yet")),
    }
}

#[get("/checkpoints/{size}")]
async fn get_checkpoint_for_size(
    state: ThisElection,
    size: web::Path<(String, u64)>,
) -> Result<HttpResponse> {
    let size = size.1;
    match state.board.for_readers().checkpoint_for_size(size).await? {
        Some(c) => Ok(note(c.note)),
        None => Err(ApiError::not_found(format!(
            "no checkpoint of size {size} was published"
        ))),
    }
}

#[derive(Serialize)]
struct Size {
    size: u64,
    sealed_size: u64,
}

#[get("/size")]
async fn get_size(state: ThisElection) -> HttpResponse {
    HttpResponse::Ok().json(Size {
        size: state.board.size(),
        sealed_size: state.board.sealed_size(),
    })
}

/// An entry as served: its index, kind and payload (base64 of the payload bytes).
#[derive(Debug, Serialize, Deserialize)]
pub struct EntryView {
    pub index: u64,
    #[serde(flatten)]
    pub entry: Entry,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    start: u64,
    #[serde(default = "default_limit")]
    limit: u64,
}

fn default_limit() -> u64 {
    100
}

#[get("/entries")]
async fn list_entries(state: ThisElection, page: web::Query<Page>) -> Result<HttpResponse> {
    let limit = page.limit.min(MAX_ENTRIES_PAGE);
    let list = state.board.for_readers().entries(page.start, limit).await?;
    let views: Vec<EntryView> = list
        .into_iter()
        .enumerate()
        .map(|(i, entry)| EntryView {
            index: page.start + i as u64,
            entry,
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

#[get("/entries/{index}")]
async fn get_entry(state: ThisElection, index: web::Path<(String, u64)>) -> Result<HttpResponse> {
    let index = index.1;
    let entry = state.board.for_readers().entry(index).await?;
    Ok(HttpResponse::Ok().json(EntryView { index, entry }))
}

#[get("/receipts/{index}")]
async fn get_receipt(state: ThisElection, index: web::Path<(String, u64)>) -> Result<HttpResponse> {
    let index = index.1;
    match state.board.for_readers().receipt(index).await? {
        Some(r) => Ok(HttpResponse::Ok().json(r)),
        None => Ok(not_sealed(index)),
    }
}

#[derive(Deserialize)]
struct InclusionQuery {
    index: u64,
    size: u64,
}

#[get("/proofs/inclusion")]
async fn get_inclusion(state: ThisElection, q: web::Query<InclusionQuery>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .board
            .for_readers()
            .inclusion_proof(q.index, q.size)
            .await?,
    ))
}

#[derive(Deserialize)]
struct ConsistencyQuery {
    old: u64,
    new: u64,
}

#[get("/proofs/consistency")]
async fn get_consistency(
    state: ThisElection,
    q: web::Query<ConsistencyQuery>,
) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .board
            .for_readers()
            .consistency_proof(q.old, q.new)
            .await?,
    ))
}

/// The answer for a receipt that is not sealed yet (or, read from a replica, not sealed there
/// yet): 202 with `Retry-After`.
pub(crate) fn not_sealed(index: u64) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header(("retry-after", "1"))
        .json(serde_json::json!({
            "index": index,
            "sealed": false,
            "detail": "appended; not yet sealed into a block — retry shortly",
        }))
}

fn block_json(b: Block) -> HttpResponse {
    HttpResponse::Ok().json(b)
}

#[get("/blocks/latest")]
async fn get_latest_block(state: ThisElection) -> Result<HttpResponse> {
    match state.board.for_readers().latest_block().await? {
        Some(b) => Ok(block_json(b)),
        None => Err(ApiError::not_found("no block has been sealed yet")),
    }
}

#[get("/blocks/{number}")]
async fn get_block(state: ThisElection, number: web::Path<(String, u64)>) -> Result<HttpResponse> {
    let number = number.1;
    match state.board.for_readers().block(number).await? {
        Some(b) => Ok(block_json(b)),
        None => Err(ApiError::not_found(format!("no block number {number}"))),
    }
}

#[get("/blocks")]
async fn list_blocks(state: ThisElection, page: web::Query<Page>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        state
            .board
            .for_readers()
            .blocks(page.start, page.limit)
            .await?,
    ))
}

/// A witness's cosignature of the checkpoint of tree size `size`: one C2SP signature line
/// (`— <name> <base64>`), as the witness's `cosignature/v1` key produced it.
#[derive(Debug, Serialize, Deserialize)]
pub struct CosignatureRequest {
    pub size: u64,
    pub signature: String,
}

#[post("/cosignatures")]
async fn post_cosignature(
    state: ThisElection,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let body: CosignatureRequest =
        crate::body::json(&req, payload, crate::startup::MAX_BODY).await?;
    state
        .board
        .add_cosignature(body.size, &body.signature)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

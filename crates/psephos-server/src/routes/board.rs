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
use psephos_api::ballots::NotSealed;
use psephos_api::board::{
    BoardSize, ConsistencyQuery, CosignatureRequest, EntryView, InclusionQuery, Page,
};
use psephos_board::store::MAX_ENTRIES_PAGE;
use psephos_board::Block;

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

#[utoipa::path(
    get,
    path = "/checkpoint",
    tag = "board",
    summary = "Latest signed checkpoint with cosignatures (C2SP signed note).",
    responses(
        (status = 200, description = "note", body = String, content_type = "text/plain"),
        (status = 404, description = "none yet", body = psephos_api::ErrorBody),
    ),
)]
#[get("/checkpoint")]
async fn get_checkpoint(state: ThisElection) -> Result<HttpResponse> {
    match state.board.for_readers().latest_checkpoint().await? {
        Some(c) => Ok(note(c.note)),
        None => Err(ApiError::not_found("no checkpoint has been published yet")),
    }
}

#[utoipa::path(
    get,
    path = "/checkpoints/{size}",
    tag = "board",
    summary = "The signed checkpoint of that tree size.",
    params(("size" = u64, Path, description = "tree size")),
    responses(
        (status = 200, description = "note", body = String, content_type = "text/plain"),
        (status = 404, description = "none", body = psephos_api::ErrorBody),
    ),
)]
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

#[utoipa::path(
    get,
    path = "/size",
    tag = "board",
    summary = "{size, sealed_size}",
    responses(
        (status = 200, description = "sizes", body = psephos_api::board::BoardSize),
    ),
)]
#[get("/size")]
async fn get_size(state: ThisElection) -> HttpResponse {
    HttpResponse::Ok().json(BoardSize {
        size: state.board.size(),
        sealed_size: state.board.sealed_size(),
    })
}

/// An entry as served: its index, kind and payload (base64 of the payload bytes).
#[utoipa::path(
    get,
    path = "/entries",
    tag = "board",
    summary = "Entries {index, kind, payload (base64)}.",
    params(psephos_api::board::Page),
    responses(
        (status = 200, description = "entries", body = Vec<psephos_api::board::EntryView>),
        (status = 400, description = "bad query", body = psephos_api::ErrorBody),
    ),
)]
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

#[utoipa::path(
    get,
    path = "/entries/{index}",
    tag = "board",
    summary = "One entry.",
    params(("index" = u64, Path, description = "board index")),
    responses(
        (status = 200, description = "entry", body = psephos_api::board::EntryView),
        (status = 404, description = "no such entry", body = psephos_api::ErrorBody),
    ),
)]
#[get("/entries/{index}")]
async fn get_entry(state: ThisElection, index: web::Path<(String, u64)>) -> Result<HttpResponse> {
    let index = index.1;
    let entry = state.board.for_readers().entry(index).await?;
    Ok(HttpResponse::Ok().json(EntryView { index, entry }))
}

#[utoipa::path(
    get,
    path = "/receipts/{index}",
    tag = "board",
    summary = "The sealed receipt; 202 until sealed.",
    params(("index" = u64, Path, description = "board index")),
    responses(
        (status = 200, description = "SealedReceipt", body = Object, content_type = "application/json"),
        (status = 202, description = "not yet sealed", body = psephos_api::ballots::NotSealed),
        (status = 404, description = "no such entry", body = psephos_api::ErrorBody),
    ),
)]
#[get("/receipts/{index}")]
async fn get_receipt(state: ThisElection, index: web::Path<(String, u64)>) -> Result<HttpResponse> {
    let index = index.1;
    match state.board.for_readers().receipt(index).await? {
        Some(r) => Ok(HttpResponse::Ok().json(r)),
        None => Ok(not_sealed(index)),
    }
}

#[utoipa::path(
    get,
    path = "/proofs/inclusion",
    tag = "board",
    summary = "RFC 9162 inclusion proof.",
    params(psephos_api::board::InclusionQuery),
    responses(
        (status = 200, description = "proof", body = Object, content_type = "application/json"),
        (status = 400, description = "bad query", body = psephos_api::ErrorBody),
        (status = 404, description = "out of range", body = psephos_api::ErrorBody),
    ),
)]
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

#[utoipa::path(
    get,
    path = "/proofs/consistency",
    tag = "board",
    summary = "RFC 9162 consistency proof.",
    params(psephos_api::board::ConsistencyQuery),
    responses(
        (status = 200, description = "proof", body = Object, content_type = "application/json"),
        (status = 400, description = "bad query", body = psephos_api::ErrorBody),
    ),
)]
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
    let mut answer = HttpResponse::Accepted();
    answer.insert_header(("retry-after", "1"));
    crate::routes::sorted(
        answer,
        &NotSealed {
            index,
            sealed: false,
            detail: "appended; not yet sealed into a block — retry shortly".into(),
        },
    )
}

fn block_json(b: Block) -> HttpResponse {
    HttpResponse::Ok().json(b)
}

#[utoipa::path(
    get,
    path = "/blocks/latest",
    tag = "board",
    summary = "Latest block header.",
    responses(
        (status = 200, description = "block", body = Object, content_type = "application/json"),
        (status = 404, description = "none yet", body = psephos_api::ErrorBody),
    ),
)]
#[get("/blocks/latest")]
async fn get_latest_block(state: ThisElection) -> Result<HttpResponse> {
    match state.board.for_readers().latest_block().await? {
        Some(b) => Ok(block_json(b)),
        None => Err(ApiError::not_found("no block has been sealed yet")),
    }
}

#[utoipa::path(
    get,
    path = "/blocks/{number}",
    tag = "board",
    summary = "Block header by block number.",
    params(("number" = u64, Path, description = "block number")),
    responses(
        (status = 200, description = "block", body = Object, content_type = "application/json"),
        (status = 404, description = "none", body = psephos_api::ErrorBody),
    ),
)]
#[get("/blocks/{number}")]
async fn get_block(state: ThisElection, number: web::Path<(String, u64)>) -> Result<HttpResponse> {
    let number = number.1;
    match state.board.for_readers().block(number).await? {
        Some(b) => Ok(block_json(b)),
        None => Err(ApiError::not_found(format!("no block number {number}"))),
    }
}

#[utoipa::path(
    get,
    path = "/blocks",
    tag = "board",
    summary = "Block headers.",
    params(psephos_api::board::Page),
    responses(
        (status = 200, description = "blocks", body = Object, content_type = "application/json"),
    ),
)]
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
#[utoipa::path(
    post,
    path = "/cosignatures",
    tag = "board",
    summary = "A witness cosignature line for a published checkpoint.",
    request_body(content = psephos_api::board::CosignatureRequest, content_type = "application/json"),
    responses(
        (status = 204, description = "stored"),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 404, description = "no such checkpoint", body = psephos_api::ErrorBody),
        (status = 413, description = "body too large", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
)]
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

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    get_checkpoint,
    get_checkpoint_for_size,
    get_size,
    list_entries,
    get_entry,
    get_receipt,
    get_inclusion,
    get_consistency,
    get_latest_block,
    get_block,
    list_blocks,
    post_cosignature
))]
pub(crate) struct Api;

//! The service's elections (`/api/v1/elections`): the list, and what the operator does.
//!
//! | method | path | who | answer |
//! |---|---|---|---|
//! | GET | `/api/v1/elections` | all | `[{id, origin, verifier_key, phase, status}]`: the public elections, in id order |
//! | POST | `/api/v1/elections` | operator | `{id, visibility?}` → 201 `{id, origin, verifier_key, officials_token}` |
//! | POST | `/api/v1/elections/{election}/officials-token` | operator | a new officials' token for that election, every other one revoked → 200 `{id, officials_token}` |
//! | GET | `/api/v1/elections/{election}/officials/tokens` | operator | `{id, tokens: [{token_id, label, created_ms, revoked_ms}]}`: every officials' token issued, never the token |
//! | POST | `/api/v1/elections/{election}/officials/tokens` | operator | `{label?}` → 201 `{id, token_id, label, officials_token}`: one more token, the others kept |
//! | DELETE | `/api/v1/elections/{election}/officials/tokens/{token_id}` | operator | revokes that token → 200 `{id, token: {token_id, label, created_ms, revoked_ms}}` |
//!
//! An election is created empty: its board exists (its origin `<service origin>/<id>`, its key
//! derived from the service's, `docs/protocol.md` §10.16) and its officials then define it
//! (`POST …/definition`). Each officials' token is shown once, in the answer, and stored only
//! as its SHA-256 in the catalog, where every officials' request looks it up: a revoked token is
//! refused at once, on every node.

use crate::auth::{NewToken, Operator, TokenHash};
use crate::routes::sorted;
use crate::state::{AppState, Slot, Visibility};
use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use psephos_api::service::{
    AddOfficialsToken, CreateElection, ElectionCreated, ListedElection, ListedStatus,
    OfficialsToken, OfficialsTokenIssued, OfficialsTokenRevoked, OfficialsTokens,
};
use psephos_board::election_key::ElectionSlug;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/v1/elections")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/api/v1/elections/{election}/officials-token")
            .route(web::post().to(officials_token)),
    )
    .service(
        web::resource("/api/v1/elections/{election}/officials/tokens")
            .route(web::get().to(list_officials_tokens))
            .route(web::post().to(add_officials_token)),
    )
    .service(
        web::resource("/api/v1/elections/{election}/officials/tokens/{token_id}")
            .route(web::delete().to(revoke_officials_token)),
    );
}

#[utoipa::path(
    get,
    path = "/api/v1/elections",
    tag = "service",
    summary = "The public elections of this service, in id order, each with its board origin, verifier key, phase and status.",
    responses(
        (status = 200, description = "[{id, origin, verifier_key, phase, status}]", body = Vec<psephos_api::service::ListedElection>),
    ),
)]
async fn list(state: web::Data<AppState>) -> HttpResponse {
    let mut out = Vec::new();
    for (slug, slot) in state.registry.all() {
        match slot {
            Slot::Open(e) if e.visibility == Visibility::Public => {
                let phase = e.election.read().await.phase();
                out.push(ListedElection {
                    id: slug.to_string(),
                    origin: e.board.origin().to_owned(),
                    verifier_key: e.board.verifier_key().to_string(),
                    phase: Some(phase),
                    status: ListedStatus::Ok,
                });
            }
            Slot::Failed {
                origin,
                verifier_key,
                visibility: Visibility::Public,
                ..
            } => out.push(ListedElection {
                id: slug.to_string(),
                origin,
                verifier_key,
                phase: None,
                status: ListedStatus::Failed,
            }),
            _ => {}
        }
    }
    sorted(HttpResponse::Ok(), &out)
}

#[utoipa::path(
    post,
    path = "/api/v1/elections",
    tag = "service",
    summary = "(operator) Create an election: its board (origin <service origin>/<id>, key derived from the service key) and its officials' token, shown once.",
    request_body(content = psephos_api::service::CreateElection, content_type = "application/json"),
    responses(
        (status = 201, description = "{id, origin, verifier_key, visibility, officials_token}", body = psephos_api::service::ElectionCreated),
        (status = 400, description = "bad id or body", body = psephos_api::ErrorBody),
        (status = 401, description = "missing or wrong operator token", body = psephos_api::ErrorBody),
        (status = 403, description = "no operator token on this service", body = psephos_api::ErrorBody),
        (status = 409, description = "the id is taken", body = psephos_api::ErrorBody),
    ),
    security(("operatorToken" = [])),
)]
async fn create(
    state: web::Data<AppState>,
    _: Operator,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: CreateElection = crate::body::json(&req, payload, crate::startup::MAX_BODY).await?;
    let slug = ElectionSlug::new(&body.id)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("id: {e}")))?;
    let token = NewToken::generate();
    let e = state
        .create(slug, body.visibility, TokenHash::of(&token))
        .await?;
    tracing::info!(election = %e.slug, origin = e.board.origin(), "election created");
    Ok(sorted(
        HttpResponse::Created(),
        &ElectionCreated {
            id: e.slug.to_string(),
            origin: e.board.origin().to_owned(),
            verifier_key: e.board.verifier_key().to_string(),
            visibility: e.visibility,
            officials_token: token.expose().to_owned(),
        },
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/elections/{election}/officials-token",
    tag = "service",
    summary = "(operator) Issue a new officials' token for the election (replaces the old one), shown once.",
    responses(
        (status = 200, description = "{id, officials_token}", body = psephos_api::service::OfficialsToken),
        (status = 401, description = "missing or wrong operator token", body = psephos_api::ErrorBody),
        (status = 403, description = "no operator token on this service", body = psephos_api::ErrorBody),
        (status = 404, description = "no such election", body = psephos_api::ErrorBody),
    ),
    security(("operatorToken" = [])),
)]
async fn officials_token(
    state: web::Data<AppState>,
    _: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let e = state.election(&path)?;
    let Some(catalog) = &state.catalog else {
        return Err(crate::error::ServiceError::FixedElections.into());
    };
    let token = NewToken::generate();
    let hash = TokenHash::of(&token);
    let row = catalog
        .set_officials(&e.slug, &hash)
        .await
        .map_err(crate::error::ServiceError::from)?;
    tracing::info!(election = %e.slug, token_id = row.token_id, "a new officials' token was issued, every other one revoked");
    Ok(sorted(
        HttpResponse::Ok(),
        &OfficialsToken {
            id: e.slug.to_string(),
            officials_token: token.expose().to_owned(),
        },
    ))
}

/// The catalog holding the officials' tokens of the election the path names (404 for an
/// unknown election, 403 on a service of fixed elections).
fn officials_catalog<'a>(
    state: &'a AppState,
    election: &str,
) -> Result<
    (
        std::sync::Arc<crate::state::HostedElection>,
        &'a crate::catalog::Catalog,
    ),
    ApiError,
> {
    let e = state.election(election)?;
    let catalog = state
        .catalog
        .as_ref()
        .ok_or(crate::error::ServiceError::FixedElections)?;
    Ok((e, catalog))
}

#[utoipa::path(
    get,
    path = "/api/v1/elections/{election}/officials/tokens",
    tag = "service",
    summary = "(operator) Every officials' token issued for the election: id, label, when issued and revoked; never the token.",
    responses(
        (status = 200, description = "{id, tokens: [{token_id, label, created_ms, revoked_ms}]}", body = psephos_api::service::OfficialsTokens),
        (status = 401, description = "missing or wrong operator token", body = psephos_api::ErrorBody),
        (status = 403, description = "no operator token, or a service of fixed elections", body = psephos_api::ErrorBody),
        (status = 404, description = "no such election", body = psephos_api::ErrorBody),
    ),
    security(("operatorToken" = [])),
)]
async fn list_officials_tokens(
    state: web::Data<AppState>,
    _: Operator,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (e, catalog) = officials_catalog(&state, &path)?;
    let tokens = catalog
        .officials(&e.slug)
        .await
        .map_err(crate::error::ServiceError::from)?;
    Ok(sorted(
        HttpResponse::Ok(),
        &OfficialsTokens {
            id: e.slug.to_string(),
            tokens,
        },
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/elections/{election}/officials/tokens",
    tag = "service",
    summary = "(operator) Issue one more officials' token for the election, the others kept; shown once.",
    request_body(content = psephos_api::service::AddOfficialsToken, content_type = "application/json"),
    responses(
        (status = 201, description = "{id, token_id, label, officials_token}", body = psephos_api::service::OfficialsTokenIssued),
        (status = 400, description = "bad label or body", body = psephos_api::ErrorBody),
        (status = 401, description = "missing or wrong operator token", body = psephos_api::ErrorBody),
        (status = 403, description = "no operator token, or a service of fixed elections", body = psephos_api::ErrorBody),
        (status = 404, description = "no such election", body = psephos_api::ErrorBody),
    ),
    security(("operatorToken" = [])),
)]
async fn add_officials_token(
    state: web::Data<AppState>,
    _: Operator,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (e, catalog) = officials_catalog(&state, &path)?;
    let body: AddOfficialsToken =
        crate::body::json(&req, payload, crate::startup::MAX_BODY).await?;
    let label = crate::catalog::check_label(&body.label).map_err(ApiError::bad_request)?;
    let token = NewToken::generate();
    let row = catalog
        .add_officials(&e.slug, &TokenHash::of(&token), &label)
        .await
        .map_err(crate::error::ServiceError::from)?;
    tracing::info!(election = %e.slug, token_id = row.token_id, "an officials' token was issued");
    Ok(sorted(
        HttpResponse::Created(),
        &OfficialsTokenIssued {
            id: e.slug.to_string(),
            token_id: row.token_id,
            label: row.label,
            officials_token: token.expose().to_owned(),
        },
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/elections/{election}/officials/tokens/{token_id}",
    tag = "service",
    summary = "(operator) Revoke one officials' token: refused at once on every node. Revoking again keeps the first time.",
    params(("token_id" = String, Path, description = "the token's id from the list")),
    responses(
        (status = 200, description = "{id, token: {token_id, label, created_ms, revoked_ms}}", body = psephos_api::service::OfficialsTokenRevoked),
        (status = 401, description = "missing or wrong operator token", body = psephos_api::ErrorBody),
        (status = 403, description = "no operator token, or a service of fixed elections", body = psephos_api::ErrorBody),
        (status = 404, description = "no such election or token", body = psephos_api::ErrorBody),
    ),
    security(("operatorToken" = [])),
)]
async fn revoke_officials_token(
    state: web::Data<AppState>,
    _: Operator,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (election, token_id) = path.into_inner();
    let (e, catalog) = officials_catalog(&state, &election)?;
    // Ids are positive integers: anything else names no token (404, like an unknown id).
    let no_token = || {
        ApiError::not_found(format!(
            "election {} has no officials' token {token_id:?}",
            e.slug
        ))
    };
    let id: i64 = token_id.parse().map_err(|_| no_token())?;
    let row = catalog
        .revoke_officials(&e.slug, id)
        .await
        .map_err(crate::error::ServiceError::from)?;
    tracing::info!(election = %e.slug, token_id = row.token_id, "an officials' token was revoked");
    Ok(sorted(
        HttpResponse::Ok(),
        &OfficialsTokenRevoked {
            id: e.slug.to_string(),
            token: row,
        },
    ))
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    create,
    officials_token,
    list_officials_tokens,
    add_officials_token,
    revoke_officials_token
))]
pub(crate) struct Api;

//! An election's lifecycle (`/api/v1/elections/{election}…`, written `E` below): what its
//! officials do, and what everybody reads about it.
//!
//! | method | path | who | answer |
//! |---|---|---|---|
//! | GET | `E` | all | definition, ceremony, key, counts, board |
//! | POST | `E/definition` | officials | defines the election: manifest TOML + trustee keys → 201 |
//! | GET | `E/status` | all | phase, counts, ceremony progress, board size |
//! | GET | `E/officials` | officials | `{id, phase}`: whether the token is this election's officials' (the console's sign-in) |
//! | POST | `E/credentials` | officials | publishes the public credential list (chunked) |
//! | GET | `E/credentials/{credential}` | all | a listed credential's style and weight |
//! | GET | `E/booth` | all | the booth manifest on the board and the one this service serves |
//! | POST | `E/booth` | officials | posts the served booth's manifest (optionally: only if its hash is `hash`) |
//! | POST | `E/open` | officials | the served booth's manifest if the board lacks it, then `Control::Open` |
//! | POST | `E/close` | officials | `Control::Close` |
//! | POST | `E/ceremony/complete` | officials | `Control::CeremonyComplete` from the board |
//! | POST | `E/tally` | officials | the encrypted tally from the board (`routes::tally`) |
//!
//! Every write is one board entry (or, for credentials, a few) posted through
//! [`crate::election::ElectionService`]; whether it may be posted now is for the election's
//! rules to say ([`psephos_record::Rules`]), never for this module: an illegal
//! transition comes back from the rules as 409 with their reason.

use crate::auth::{Official, ThisElection};
use crate::body;
use crate::events::announcement;
use crate::routes::sorted;
use crate::state::{AppState, HostedElection};
use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use psephos_api::election::{
    AwaitingByRound, BoardSummary, BoothPosted, BoothView, CeremonyCompleted, CeremonyProgress,
    CeremonySummary, CredentialView, CredentialsPosted, DefineElection, Defined, ElectionStatus,
    ElectionView, OfficialsView, PostBooth, Posted, PostedBooth, TrusteeView,
};
use psephos_core::ceremony::{CeremonyParams, Round, TrusteeIndex, TrusteePublic, VerifyingKey};
use psephos_core::election::Manifest;
use psephos_core::group::Point;
use psephos_record::credentials::MAX_CREDENTIALS_PER_ENTRY;
use psephos_record::{Control, CredentialList, Definition, Payload, Rules};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("").route(web::get().to(get_election)))
        .service(web::resource("/definition").route(web::post().to(create)))
        .service(web::resource("/status").route(web::get().to(status)))
        .service(web::resource("/officials").route(web::get().to(officials)))
        .service(web::resource("/credentials").route(web::post().to(credentials)))
        .service(web::resource("/credentials/{credential}").route(web::get().to(credential)))
        .service(
            web::resource("/booth")
                .route(web::get().to(get_booth))
                .route(web::post().to(post_booth)),
        )
        .service(web::resource("/open").route(web::post().to(open)))
        .service(web::resource("/close").route(web::post().to(close)))
        .service(web::resource("/ceremony/complete").route(web::post().to(complete_ceremony)));
}

type Result<T> = std::result::Result<T, ApiError>;

fn invalid(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
}

/// The election definition a create request asks for.
pub fn definition(req: &DefineElection) -> Result<Definition> {
    let manifest = Manifest::from_toml(&req.manifest_toml).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_manifest",
            format!("manifest: {e}"),
        )
    })?;
    let mut trustees = Vec::with_capacity(req.trustees.len());
    for (i, t) in req.trustees.iter().enumerate() {
        let n = i as u32 + 1;
        let bad = |what: &str| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_encoding",
                format!("trustee {n} ({:?}): {what}", t.name),
            )
        };
        let sk: [u8; 32] = hex::decode(&t.signing_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| bad("signing_key is not 32 bytes of hex"))?;
        let signing_key = VerifyingKey::from_bytes(&sk)
            .map_err(|_| bad("signing_key is not an Ed25519 public key"))?;
        let ceremony_key =
            Point::from_hex(&t.ceremony_key).map_err(|e| bad(&format!("ceremony_key: {e}")))?;
        trustees.push(TrusteePublic {
            index: TrusteeIndex::new(n).ok_or_else(|| bad("index"))?,
            name: t.name.clone(),
            signing_key,
            ceremony_key,
        });
    }
    let ceremony = CeremonyParams::for_manifest(&manifest, trustees)
        .map_err(|e| invalid("invalid_definition", format!("trustees: {e}")))?;
    let d = Definition { manifest, ceremony };
    d.check()
        .map_err(|e| invalid("invalid_definition", e.to_string()))?;
    Ok(d)
}

#[utoipa::path(
    post,
    path = "/definition",
    tag = "election",
    summary = "Define the election: manifest TOML + trustee public keys (index order).",
    request_body(content = psephos_api::election::DefineElection, content_type = "application/json"),
    responses(
        (status = 201, description = "{index, manifest_hash, ceremony_id}", body = psephos_api::election::Defined),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 401, description = "missing or wrong officials' token", body = psephos_api::ErrorBody),
        (status = 409, description = "illegal transition", body = psephos_api::ErrorBody),
        (status = 413, description = "body too large", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "does not verify / invalid", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
    security(("officialsToken" = [])),
)]
async fn create(
    state: Official,
    app: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let body: DefineElection = body::json_denying(&req, payload, body::DEFINITION_BODY).await?;
    let d = definition(&body)?;
    let manifest_hash = d.manifest.hash();
    let ceremony_id = *d.ceremony.id();
    // No two elections of the service share a key ceremony (`AppState::reserve_ceremony`).
    let _reserved = app.reserve_ceremony(&state.slug, &ceremony_id).await?;
    let (index, _) = state.election.post(Payload::Definition(d)).await?;
    tracing::info!(index, %manifest_hash, "election defined");
    Ok(sorted(
        HttpResponse::Created(),
        &Defined {
            index,
            manifest_hash,
            ceremony_id,
        },
    ))
}

/// The trustees of the definition, as `GET E` and `GET E/ceremony` show them.
pub(crate) fn trustee_views(p: &CeremonyParams) -> Vec<TrusteeView> {
    p.trustees()
        .iter()
        .map(|t| TrusteeView {
            index: t.index.get(),
            name: t.name.clone(),
            signing_key: hex::encode(t.signing_key.as_bytes()),
            ceremony_key: t.ceremony_key.to_hex(),
        })
        .collect()
}

fn ceremony_progress(s: &Rules) -> Option<CeremonyProgress> {
    let indices = |v: Vec<TrusteeIndex>| v.iter().map(|i| i.get()).collect::<Vec<_>>();
    match s.ceremony() {
        Some(c) if s.phase() == psephos_record::Phase::Ceremony => {
            let round = c.phase();
            Some(CeremonyProgress {
                round: round as u8,
                accepted: c.accepted(),
                awaiting: indices(c.awaiting(round)),
                awaiting_by_round: AwaitingByRound {
                    commitments: indices(c.awaiting(Round::Commitments)),
                    shares: indices(c.awaiting(Round::Shares)),
                    reveals: indices(c.awaiting(Round::Reveals)),
                },
            })
        }
        _ => None,
    }
}

#[utoipa::path(
    get,
    path = "",
    tag = "election",
    summary = "The election: phase, manifest, ceremony, key, counts, board.",
    responses(
        (status = 200, description = "election", body = psephos_api::election::ElectionView),
        (status = 404, description = "not defined yet", body = psephos_api::ErrorBody),
    ),
)]
async fn get_election(state: ThisElection) -> Result<HttpResponse> {
    let s = state.election.read().await;
    let Some(d) = s.definition() else {
        return Err(ApiError::not_found(
            "no election is defined on this board yet",
        ));
    };
    let body = ElectionView {
        phase: s.phase(),
        manifest: d.manifest.clone(),
        manifest_hash: d.manifest.hash(),
        ceremony: CeremonySummary {
            id: *d.ceremony.id(),
            count: d.ceremony.count(),
            threshold: d.ceremony.threshold(),
            trustees: trustee_views(&d.ceremony),
        },
        key: s.key().cloned(),
        counts: s.counts(),
        board: BoardSummary {
            origin: state.board.origin().to_owned(),
            size: state.board.size(),
            verifier_key: state.board.verifier_key().to_string(),
        },
    };
    Ok(sorted(HttpResponse::Ok(), &body))
}

#[utoipa::path(
    get,
    path = "/status",
    tag = "election",
    summary = "Phase, counts, ceremony progress, board size.",
    responses(
        (status = 200, description = "status", body = psephos_api::election::ElectionStatus),
    ),
)]
async fn status(state: ThisElection) -> HttpResponse {
    let s = state.election.read().await;
    sorted(
        HttpResponse::Ok(),
        &ElectionStatus {
            phase: s.phase(),
            counts: s.counts(),
            ceremony: ceremony_progress(&s),
            board_size: state.board.size(),
        },
    )
}

/// The console's sign-in: answers only to this election's officials' token, and changes nothing.
#[utoipa::path(
    get,
    path = "/officials",
    tag = "election",
    summary = "The console's sign-in: {id, phase} if the bearer token is this election's officials' token; changes nothing.",
    responses(
        (status = 200, description = "the token is this election's officials' token", body = psephos_api::election::OfficialsView),
        (status = 401, description = "no token, or another token"),
        (status = 404, description = "no such election"),
    ),
    security(("officialsToken" = [])),
)]
async fn officials(state: Official) -> HttpResponse {
    let phase = state.election.read().await.phase();
    sorted(
        HttpResponse::Ok(),
        &OfficialsView {
            id: state.slug.to_string(),
            phase,
        },
    )
}

#[utoipa::path(
    post,
    path = "/credentials",
    tag = "election",
    summary = "Publish the public credential list (split into entries of at most 16384).",
    request_body(content = Object, description = "CredentialList JSON (psephos_record::CredentialList)", content_type = "application/json"),
    responses(
        (status = 200, description = "{entries, credentials, per_entry}", body = psephos_api::election::CredentialsPosted),
        (status = 400, description = "undecodable", body = psephos_api::ErrorBody),
        (status = 401, description = "missing or wrong officials' token", body = psephos_api::ErrorBody),
        (status = 409, description = "illegal transition", body = psephos_api::ErrorBody),
        (status = 413, description = "body too large", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "does not verify / invalid", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
    security(("officialsToken" = [])),
)]
async fn credentials(
    state: Official,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    // `CredentialList` refuses unknown fields itself: one pass over up to 128 MiB.
    let list: CredentialList = body::json_denying(&req, payload, body::CREDENTIALS_BODY).await?;
    if list.credentials.is_empty() {
        return Err(invalid(
            "rejected",
            "credential list rejected: the list has no credentials",
        ));
    }
    let n = list.credentials.len();
    let chunks: Vec<Payload> = list
        .chunks()
        .into_iter()
        .map(Payload::Credentials)
        .collect();
    let mut indices = Vec::with_capacity(chunks.len());
    // Entries of at most 16,384 credentials and just under 1 MiB each
    // (`CredentialList::chunks`); as many of them per commit as the board's batch limits allow
    // (by default 16 MiB: a list of up to ~150,000 credentials goes on the board atomically),
    // a longer list in several commits, each checked by the rules (sorted across entries).
    let limits = state.board.batch_limits();
    for group in crate::election::split_batches(chunks, |p| p.to_bytes().len(), limits) {
        let posted = state.election.post_all(group).await?;
        indices.extend(posted.into_iter().map(|(i, _)| i));
    }
    tracing::info!(
        credentials = n,
        entries = indices.len(),
        "credential list published"
    );
    Ok(sorted(
        HttpResponse::Ok(),
        &CredentialsPosted {
            entries: indices,
            credentials: n,
            per_entry: MAX_CREDENTIALS_PER_ENTRY,
        },
    ))
}

#[utoipa::path(
    get,
    path = "/credentials/{credential}",
    tag = "election",
    summary = "A listed credential's ballot style and weight.",
    params(("credential" = String, Path, description = "public credential, hex")),
    responses(
        (status = 200, description = "{style, weight}", body = psephos_api::election::CredentialView),
        (status = 400, description = "not a point", body = psephos_api::ErrorBody),
        (status = 404, description = "not listed", body = psephos_api::ErrorBody),
    ),
)]
async fn credential(
    state: ThisElection,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse> {
    let point = Point::from_hex(&path.1).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_encoding",
            format!("credential: {e}"),
        )
    })?;
    let s = state.election.read().await;
    match (s.eligibility(&point), s.manifest()) {
        (Some(e), Some(m)) => {
            let style = m
                .ballot_styles
                .get(e.style)
                .map(|s| s.id.clone())
                .unwrap_or_default();
            Ok(sorted(
                HttpResponse::Ok(),
                &CredentialView {
                    style,
                    weight: e.weight,
                },
            ))
        }
        _ => Err(ApiError::not_found("this credential is not listed")),
    }
}

async fn control(state: &HostedElection, c: Control) -> Result<HttpResponse> {
    let what = match c {
        Control::Open => "voting opened",
        Control::Close => "voting closed",
        Control::CeremonyComplete(_) => "ceremony completed",
    };
    let (index, _) = state.election.post(Payload::Control(c)).await?;
    tracing::info!(election = %state.slug, index, "{what}");
    Ok(sorted(HttpResponse::Ok(), &Posted { index }))
}

/// `GET E/booth`: the booth manifest on the board (with its index) and the one served here.
#[utoipa::path(
    get,
    path = "/booth",
    tag = "election",
    summary = "The booth manifest on the board ({index, manifest} or null), the one this service serves, and whether they are equal (docs/protocol.md §11.6).",
    responses(
        (status = 200, description = "{posted, served, matches}", body = psephos_api::election::BoothView),
        (status = 404, description = "no such election", body = psephos_api::ErrorBody),
        (status = 503, description = "this service's booth could not be read (booth_unavailable)", body = psephos_api::ErrorBody),
    ),
)]
async fn get_booth(state: ThisElection, app: web::Data<AppState>) -> Result<HttpResponse> {
    let served = app.booth()?.manifest();
    let s = state.election.read().await;
    let posted = s.booth().map(|(m, index)| PostedBooth {
        index,
        manifest: m.to_json(),
    });
    let matches = s.booth().map(|(m, _)| m == served);
    Ok(sorted(
        HttpResponse::Ok(),
        &BoothView {
            posted,
            served: served.to_json(),
            matches,
        },
    ))
}

/// Posts the served booth's manifest unless the board already holds exactly it. `expected`:
/// the hash the officials want; another served booth is refused (409 `booth_mismatch`).
async fn post_served_booth(
    state: &HostedElection,
    app: &AppState,
    expected: Option<&str>,
) -> Result<Option<u64>> {
    let served = app.booth()?.manifest().clone();
    if let Some(want) = expected {
        if want != served.hash().to_hex() {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "booth_mismatch",
                format!(
                    "this service serves the booth with manifest hash {}, not {want}",
                    served.hash().to_hex()
                ),
            ));
        }
    }
    if state.election.read().await.booth().map(|(m, _)| m) == Some(&served) {
        return Ok(None);
    }
    let hash = served.hash().to_hex();
    let (index, _) = state.election.post(Payload::BoothManifest(served)).await?;
    tracing::info!(election = %state.slug, index, manifest = %hash, "booth manifest posted");
    Ok(Some(index))
}

#[utoipa::path(
    post,
    path = "/booth",
    tag = "election",
    summary = "Post the served booth's manifest (officials), unless the board already holds it. Body {} or {\"hash\": hex}: only if the served manifest has that hash.",
    request_body(content = psephos_api::election::PostBooth, content_type = "application/json"),
    responses(
        (status = 200, description = "{index, posted, hash}", body = psephos_api::election::BoothPosted),
        (status = 400, description = "bad body", body = psephos_api::ErrorBody),
        (status = 401, description = "missing or wrong officials' token", body = psephos_api::ErrorBody),
        (status = 409, description = "not before voting opens (wrong_phase), or another booth is served than the hash given (booth_mismatch)", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
        (status = 503, description = "this service's booth could not be read (booth_unavailable)", body = psephos_api::ErrorBody),
    ),
)]
async fn post_booth(
    state: Official,
    app: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse> {
    let raw = body::read(&req, payload, crate::startup::MAX_BODY).await?;
    let want: PostBooth = if raw.is_empty() {
        PostBooth::default()
    } else {
        body::parse(&raw)?
    };
    let index = post_served_booth(&state, &app, want.hash.as_deref()).await?;
    let s = state.election.read().await;
    let (m, at) = s.booth().ok_or_else(|| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the booth manifest is not on the board",
        )
    })?;
    Ok(sorted(
        HttpResponse::Ok(),
        &BoothPosted {
            index: at,
            posted: index.is_some(),
            hash: m.hash().to_hex(),
        },
    ))
}

#[utoipa::path(
    post,
    path = "/open",
    tag = "election",
    summary = "Open voting: posts the served booth's manifest first if the board lacks it (docs/protocol.md §11.6), then Control::Open.",
    responses(
        (status = 200, description = "{index}", body = psephos_api::election::Posted),
        (status = 401, description = "missing or wrong officials' token", body = psephos_api::ErrorBody),
        (status = 409, description = "illegal transition", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "does not verify / invalid", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
    security(("officialsToken" = [])),
)]
async fn open(state: Official, app: web::Data<AppState>) -> Result<HttpResponse> {
    // The booth manifest first (§11.6): voting cannot open without it. Before the key is ready
    // the rules refuse opening anyway, and the manifest waits (a manifest is posted only with
    // the opening it precedes or by `POST E/booth`).
    if state.election.read().await.phase() == psephos_record::Phase::KeyReady {
        post_served_booth(&state, &app, None).await?;
    }
    let answer = control(&state, Control::Open).await?;
    // Every ballot style's size, before the first ballot (`crate::intake`).
    state.intake.ready(&state.election).await;
    Ok(answer)
}

#[utoipa::path(
    post,
    path = "/close",
    tag = "election",
    summary = "Close voting (Control::Close).",
    responses(
        (status = 200, description = "{index}", body = psephos_api::election::Posted),
        (status = 401, description = "missing or wrong officials' token", body = psephos_api::ErrorBody),
        (status = 409, description = "illegal transition", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
    security(("officialsToken" = [])),
)]
async fn close(state: Official) -> Result<HttpResponse> {
    control(&state, Control::Close).await
}

#[utoipa::path(
    post,
    path = "/ceremony/complete",
    tag = "election",
    summary = "Post Control::CeremonyComplete computed from the ceremony on the board.",
    responses(
        (status = 200, description = "{index, key}", body = psephos_api::election::CeremonyCompleted),
        (status = 401, description = "missing or wrong officials' token", body = psephos_api::ErrorBody),
        (status = 409, description = "outside the ceremony phase, or too_early: the schedule has not reached round 4 with nobody awaited (the complaint window is still open)", body = psephos_api::ErrorBody),
        (status = 415, description = "a request body in a content coding (Content-Encoding other than identity)", body = psephos_api::ErrorBody),
        (status = 422, description = "does not verify / invalid", body = psephos_api::ErrorBody),
        (status = 429, description = "rate limited", body = psephos_api::ErrorBody),
    ),
    security(("officialsToken" = [])),
)]
async fn complete_ceremony(state: Official) -> Result<HttpResponse> {
    {
        let s = state.election.read().await;
        if let (psephos_record::Phase::Ceremony, Some(cs)) = (s.phase(), s.ceremony()) {
            if !state.ceremony.may_complete(cs) {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "too_early",
                    "the key ceremony cannot be completed yet: the schedule has not reached \
                     round 4 (reveals) with nobody awaited — the complaint window must pass and \
                     every accused dealer answer, or round 4 time out (see GET …/ceremony)",
                ));
            }
        }
    }
    let (index, _, payload) = state
        .election
        .post_with(|s| {
            // Outside the ceremony phase the rules refuse the entry (409) when it is applied.
            announcement(s)
                .map(|k| Payload::Control(Control::CeremonyComplete(k)))
                .map_err(crate::error::ServiceError::from)
        })
        .await?;
    let key = match payload {
        Payload::Control(Control::CeremonyComplete(k)) => Some(k),
        _ => None,
    };
    tracing::info!(index, "key ceremony completed by the officials");
    Ok(sorted(
        HttpResponse::Ok(),
        &CeremonyCompleted { index, key },
    ))
}

/// This module's routes in the OpenAPI document ([`crate::openapi`]): every handler above,
/// each with its `#[utoipa::path]`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    get_election,
    create,
    status,
    officials,
    credentials,
    credential,
    get_booth,
    post_booth,
    open,
    close,
    complete_ceremony
))]
pub(crate) struct Api;

//! The OpenAPI 3.1 document of the API, generated rather than written: every handler carries a
//! `#[utoipa::path]` (method, path, summary, answers), every body is a type of `psephos-api`
//! with its derived schema, and each route module lists its handlers in a `utoipa::OpenApi`
//! (`Api`). Here they are put together with the mount points of `routes::configure`, the
//! `{election}` path parameter and the two bearer tokens.
//!
//! Served at `GET /api/openapi.json` and printed by `psephos openapi`. A test checks that the
//! document lists exactly the routes of the route table, and that it is valid OpenAPI.

use crate::routes::{self, ELECTION_SCOPE};
use std::sync::OnceLock;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ObjectBuilder, Required, Type};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "psephos election service",
        version = "1",
        description = "One psephos serve process hosts many elections, each on its own bulletin \
            board under /api/v1/elections/{election}. JSON bodies are the types of the \
            psephos-api crate; nested protocol objects use the serde forms of the core types \
            (points, scalars and digests as lowercase hex). Errors are JSON {error, detail}. \
            See docs/api.md.",
        license(name = "Apache-2.0"),
    ),
    nest(
        (path = "/api/v1/elections/{election}", api = routes::election::Api),
        (path = "/api/v1/elections/{election}/board", api = routes::board::Api),
        (path = "/api/v1/elections/{election}", api = routes::ballots::Api),
        (path = "/api/v1/elections/{election}", api = routes::ceremony::Api),
        (path = "/api/v1/elections/{election}", api = routes::tally::Api),
        (path = "/api/v1/elections/{election}", api = routes::mix::Api),
        (path = "/api/v1/elections/{election}", api = routes::observers::Api),
        (path = "/api/v1/elections/{election}", api = routes::explorer::Api),
    ),
    components(schemas(
        psephos_api::ErrorBody,
        psephos_api::events::PhaseEvent,
        psephos_api::events::CheckpointEvent,
    )),
    modifiers(&Tokens),
)]
struct Document;

/// The two bearer tokens: the officials' (one per election) and the operator's.
struct Tokens;

impl Modify for Tokens {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(what))
                    .build(),
            )
        };
        components.add_security_scheme(
            "officialsToken",
            bearer(
                "The election's officials' token, shown once when the operator creates the \
                 election (or issues a new one).",
            ),
        );
        components.add_security_scheme(
            "operatorToken",
            bearer("The service operator's token (psephos serve --operator-token-file)."),
        );
    }
}

/// The `{election}` parameter, on every path under [`ELECTION_SCOPE`].
fn election_parameter() -> Parameter {
    ParameterBuilder::new()
        .name("election")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(
            "the election's id in the service (a-z, 0-9, -; at most 40)",
        ))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = Document::openapi();
    doc.merge(routes::elections::Api::openapi());
    doc.merge(routes::service::Api::openapi());
    let scope = ELECTION_SCOPE;
    for (path, item) in doc.paths.paths.iter_mut() {
        if path.starts_with(scope) {
            item.parameters = Some(vec![election_parameter()]);
        }
    }
    doc
}

/// The document as served: pretty JSON, built once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        document()
            .to_pretty_json()
            .unwrap_or_else(|e| format!("{{\"error\":\"internal\",\"detail\":\"{e}\"}}"))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

    use super::*;
    use serde_json::Value;

    fn json() -> Value {
        serde_json::from_str(document_json()).unwrap()
    }

    /// Every `"$ref"` in `v`, at any depth.
    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_document_is_valid_openapi_3_1_read_by_another_library() {
        let text = document_json();
        let spec = oas3::from_json(text).expect("an OpenAPI 3.1 document oas3 can read");
        assert!(spec.openapi.starts_with("3.1"), "{}", spec.openapi);
        let paths = spec.paths.expect("paths");
        assert!(paths.len() > 40, "{} paths", paths.len());
        // Every operation says what it answers, and each of its path templates is declared.
        for (path, item) in &paths {
            let declared: Vec<String> = item
                .parameters
                .iter()
                .chain(
                    item.methods()
                        .into_iter()
                        .flat_map(|(_, op)| op.parameters.iter()),
                )
                .filter_map(|p| match p {
                    oas3::spec::ObjectOrReference::Object(p) => Some(p.name.clone()),
                    _ => None,
                })
                .collect();
            for piece in path.split('{').skip(1) {
                let name = piece.split('}').next().unwrap();
                assert!(
                    declared.iter().any(|d| d == name),
                    "{path}: {{{name}}} undeclared"
                );
            }
            for (method, op) in item.methods() {
                assert!(
                    !op.responses.as_ref().is_none_or(|r| r.is_empty()),
                    "{method} {path}"
                );
                assert!(op.summary.is_some(), "{method} {path} has no summary");
            }
        }
    }

    #[test]
    fn every_reference_resolves() {
        let doc = json();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 50, "{} references", all.len());
        for r in all {
            let name = r.strip_prefix("#/components/schemas/").expect(r);
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} does not resolve"
            );
        }
    }

    #[test]
    fn the_error_schema_lists_every_error_code() {
        let doc = json();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Error"]["properties"]["error"]["$ref"],
            "#/components/schemas/ErrorCode"
        );
        let listed: Vec<&str> = schemas["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let all: Vec<&str> = psephos_api::ErrorCode::ALL
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(listed, all);
    }

    #[test]
    fn officials_routes_name_the_officials_token_and_election_paths_their_parameter() {
        let doc = json();
        let close = &doc["paths"]["/api/v1/elections/{election}/close"];
        assert_eq!(
            close["post"]["security"][0]["officialsToken"],
            serde_json::json!([])
        );
        assert_eq!(close["parameters"][0]["name"], "election");
        let create = &doc["paths"]["/api/v1/elections"]["post"];
        assert_eq!(
            create["security"][0]["operatorToken"],
            serde_json::json!([])
        );
        assert_eq!(
            create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/CreateElection"
        );
        assert!(doc["paths"]["/api/v1/elections"]
            .get("parameters")
            .is_none());
    }
}

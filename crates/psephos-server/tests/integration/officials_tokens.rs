//! The officials' tokens over real HTTP, on SQLite and PostgreSQL: the operator issues several
//! for one election, lists them (never the token nor its hash), and revokes one; the revoked
//! token is refused at once (401) while the others keep working; the catalog another node reads
//! refuses it too (nothing is cached in a node); an official cannot list, issue or revoke; an
//! unknown or malformed token id is 404 and changes nothing; reissuing the officials' token
//! revokes every other.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_board::election_key::ElectionSlug;
use psephos_server::catalog::Catalog;
use psephos_testkit::server as common;

use common::{expect_error, start, Backend, Server};
use serde_json::{json, Value};

const E: &str = "/api/v1/elections/psephos-2026";

/// The console's sign-in with `token`: 200 if it is a valid officials' token, else 401.
async fn sign_in(s: &Server, prefix: &str, token: &str) -> u16 {
    s.client
        .get(format!("{}{prefix}/officials", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn get_as(s: &Server, path: &str, token: &str) -> (u16, Value) {
    let r = s
        .client
        .get(format!("{}{path}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn delete_as(s: &Server, path: &str, token: &str) -> (u16, Value) {
    let r = s
        .client
        .delete(format!("{}{path}", s.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn revoke_then_refused(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let tokens = format!("{E}/officials/tokens");

    // Two more tokens, labelled; the first (from the test's start) stays valid.
    let (st, alice) = s
        .post_as(&tokens, &json!({ "label": "alice, laptop" }), &s.operator)
        .await;
    assert_eq!(st, 201, "{alice}");
    let (st, bob) = s
        .post_as(&tokens, &json!({ "label": "bob" }), &s.operator)
        .await;
    assert_eq!(st, 201, "{bob}");
    let alice_token = alice["officials_token"].as_str().unwrap().to_owned();
    let bob_token = bob["officials_token"].as_str().unwrap().to_owned();
    assert_ne!(alice_token, bob_token);
    for t in [&s.token, &alice_token, &bob_token] {
        assert_eq!(sign_in(&s, E, t).await, 200);
    }

    // The list: ids, labels, times; never a token or a hash.
    let (st, list) = get_as(&s, &tokens, &s.operator).await;
    assert_eq!(st, 200, "{list}");
    let rows = list["tokens"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{list}");
    let labels: Vec<&str> = rows.iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(labels[1..], ["alice, laptop", "bob"]);
    assert!(rows.iter().all(|r| r["revoked_ms"].is_null()));
    let text = list.to_string();
    for t in [&s.token, &alice_token, &bob_token] {
        assert!(!text.contains(t.as_str()), "the list shows a token");
        let hash = hex::encode(psephos_server::auth::TokenHash::hash_token(t));
        assert!(!text.contains(&hash), "the list shows a token's hash");
    }

    // An official cannot list, issue or revoke (not even their own token).
    let alice_id = alice["token_id"].as_i64().unwrap();
    let one = format!("{tokens}/{alice_id}");
    for t in [&s.token, &alice_token] {
        expect_error(&get_as(&s, &tokens, t).await, 401);
        expect_error(&s.post_as(&tokens, &json!({}), t).await, 401);
        expect_error(&delete_as(&s, &one, t).await, 401);
    }
    assert_eq!(sign_in(&s, E, &alice_token).await, 200);

    // Unknown and malformed ids: 404, nothing revoked.
    for bad in ["999999", "0", "-1", "abc", "1e3"] {
        let got = delete_as(&s, &format!("{tokens}/{bad}"), &s.operator).await;
        expect_error(&got, 404);
    }
    // Another election's token id is unknown here.
    let other_token = s.create_election("other").await;
    let (_, other_list) = get_as(&s, "/api/v1/elections/other/officials/tokens", &s.operator).await;
    let other_id = other_list["tokens"][0]["token_id"].as_i64().unwrap();
    expect_error(
        &delete_as(&s, &format!("{tokens}/{other_id}"), &s.operator).await,
        404,
    );
    assert_eq!(
        sign_in(&s, "/api/v1/elections/other", &other_token).await,
        200
    );
    // An unknown election: 404.
    expect_error(
        &delete_as(&s, "/api/v1/elections/nope/officials/tokens/1", &s.operator).await,
        404,
    );
    for t in [&s.token, &alice_token, &bob_token] {
        assert_eq!(
            sign_in(&s, E, t).await,
            200,
            "a refused revocation changed something"
        );
    }

    // Revoke alice: refused at once, on reads and writes; the others keep working.
    let (st, revoked) = delete_as(&s, &one, &s.operator).await;
    assert_eq!(st, 200, "{revoked}");
    assert_eq!(revoked["token"]["token_id"], alice_id);
    assert!(revoked["token"]["revoked_ms"].as_i64().is_some());
    assert_eq!(sign_in(&s, E, &alice_token).await, 401);
    let before = s.size();
    let got = s
        .post_as(&format!("{E}/open"), &json!({}), &alice_token)
        .await;
    assert_eq!(expect_error(&got, 401), "unauthorized");
    assert_eq!(
        s.size(),
        before,
        "a revoked token's write changed the board"
    );
    assert_eq!(sign_in(&s, E, &s.token).await, 200);
    assert_eq!(sign_in(&s, E, &bob_token).await, 200);
    assert_eq!(
        sign_in(&s, "/api/v1/elections/other", &other_token).await,
        200
    );

    // Another node's catalog over the same database refuses it as well: nothing is cached.
    let other_node = Catalog::open(&s.db.url).await.unwrap();
    let slug = ElectionSlug::new("psephos-2026").unwrap();
    assert!(!other_node
        .accepts_official(&slug, &alice_token)
        .await
        .unwrap());
    assert!(other_node
        .accepts_official(&slug, &bob_token)
        .await
        .unwrap());
    other_node.close().await;

    // Revoking again is harmless: the first revocation time stays.
    let (st, again) = delete_as(&s, &one, &s.operator).await;
    assert_eq!(st, 200, "{again}");
    assert_eq!(again["token"]["revoked_ms"], revoked["token"]["revoked_ms"]);
    let (_, list) = get_as(&s, &tokens, &s.operator).await;
    let revoked_now: Vec<i64> = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["revoked_ms"].is_null())
        .map(|r| r["token_id"].as_i64().unwrap())
        .collect();
    assert_eq!(revoked_now, [alice_id]);

    // A bad label is refused and issues nothing.
    let long = "x".repeat(101);
    for label in [long.as_str(), "two\nlines"] {
        expect_error(
            &s.post_as(&tokens, &json!({ "label": label }), &s.operator)
                .await,
            400,
        );
    }
    let (_, list) = get_as(&s, &tokens, &s.operator).await;
    assert_eq!(list["tokens"].as_array().unwrap().len(), 3);

    // Reissuing the officials' token revokes every other one.
    let (st, fresh) = s
        .post_as(&format!("{E}/officials-token"), &json!({}), &s.operator)
        .await;
    assert_eq!(st, 200, "{fresh}");
    let fresh = fresh["officials_token"].as_str().unwrap();
    assert_eq!(sign_in(&s, E, fresh).await, 200);
    for t in [&s.token, &bob_token] {
        assert_eq!(sign_in(&s, E, t).await, 401);
    }
    assert_eq!(
        sign_in(&s, "/api/v1/elections/other", &other_token).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_then_refused_sqlite() {
    Box::pin(revoke_then_refused(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoke_then_refused_postgres() {
    Box::pin(revoke_then_refused(Backend::Postgres)).await;
}

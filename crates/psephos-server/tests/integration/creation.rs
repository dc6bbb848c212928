//! Creating an election is all or nothing, on SQLite and PostgreSQL: a creation that fails
//! after the election's log was made (forced here by a trigger that refuses the election's
//! officials' token, the catalog's last write) leaves no catalog row, no token and no log, and
//! the same id can then be created; at start, an empty log no election names is removed once it
//! is old enough, while a recent one, one with entries and one outside the service's origin are
//! kept; and on PostgreSQL a log a board has open is never removed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_board::store::{remove_empty_log, stored_logs};
use psephos_board::{Board, BoardConfig};
use psephos_testkit::db::{exec, Arg};
use psephos_testkit::server as common;

use common::{expect_error, service_board, start, Backend, Server};
use serde_json::json;

async fn origins(s: &Server) -> Vec<String> {
    stored_logs(&s.db.url)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.origin)
        .collect()
}

async fn refuse_tokens(s: &Server, backend: Backend) {
    match backend {
        Backend::Sqlite => {
            exec(
                &s.db.url,
                "CREATE TRIGGER psephos_fail BEFORE INSERT ON psephos_officials_tokens \
                 BEGIN SELECT RAISE(ABORT, 'forced failure'); END",
                &[],
            )
            .await;
        }
        Backend::Postgres => {
            exec(
                &s.db.url,
                "CREATE FUNCTION psephos_fail() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$",
                &[],
            )
            .await;
            exec(
                &s.db.url,
                "CREATE TRIGGER psephos_fail BEFORE INSERT ON psephos_officials_tokens \
                 FOR EACH ROW EXECUTE FUNCTION psephos_fail()",
                &[],
            )
            .await;
        }
    }
}

async fn accept_tokens(s: &Server, backend: Backend) {
    let sql = match backend {
        Backend::Sqlite => "DROP TRIGGER psephos_fail",
        Backend::Postgres => "DROP TRIGGER psephos_fail ON psephos_officials_tokens",
    };
    exec(&s.db.url, sql, &[]).await;
}

async fn a_failed_creation_leaves_nothing(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let before = origins(&s).await;
    assert_eq!(before, ["board.test/psephos-2026"]);

    refuse_tokens(&s, backend).await;
    let got = s
        .post_as("/api/v1/elections", &json!({ "id": "broken" }), &s.operator)
        .await;
    assert_eq!(expect_error(&got, 500), "internal");
    // No log, no election: not hosted, not listed, not in the catalog.
    assert_eq!(origins(&s).await, before, "the failed creation left a log");
    assert!(!s
        .state
        .registry
        .contains(&psephos_board::election_key::ElectionSlug::new("broken").unwrap()));
    let catalog = s.state.catalog.as_ref().unwrap();
    let listed: Vec<String> = catalog
        .elections()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.slug.to_string())
        .collect();
    assert_eq!(listed, ["psephos-2026"]);
    let (st, list) = s.get("/api/v1/elections").await;
    assert_eq!(st, 200);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    expect_error(&s.get("/api/v1/elections/broken/status").await, 404);

    // The same id, once the database takes tokens again: created, and its token works.
    accept_tokens(&s, backend).await;
    let token = s.create_election("broken").await;
    let r = s
        .client
        .get(format!("{}/api/v1/elections/broken/officials", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        origins(&s).await,
        ["board.test/psephos-2026", "board.test/broken"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_creation_leaves_nothing_sqlite() {
    Box::pin(a_failed_creation_leaves_nothing(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_creation_leaves_nothing_postgres() {
    Box::pin(a_failed_creation_leaves_nothing(Backend::Postgres)).await;
}

async fn orphan_logs_at_start(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let insert_log = |origin: &str, created_ms: i64| {
        let url = s.db.url.clone();
        let origin = origin.to_owned();
        async move {
            exec(
                &url,
                "INSERT INTO board_logs (origin, board_key, created_ms) VALUES ($1, 'k', $2)",
                &[Arg::T(origin), Arg::I(created_ms)],
            )
            .await;
        }
    };
    insert_log("board.test/stale", 0).await;
    insert_log("board.test/recent", now).await;
    insert_log("board.test/with-entries", 0).await;
    insert_log("elsewhere.test/stale", 0).await;
    let with_entries = stored_logs(&s.db.url)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.origin == "board.test/with-entries")
        .unwrap();
    exec(
        &s.db.url,
        "INSERT INTO board_entries (log_id, idx, kind, payload) VALUES ($1, 0, 1, $2)",
        &[Arg::I(with_entries.log_id), Arg::B(vec![1, 2, 3])],
    )
    .await;

    let rows = s.state.catalog.as_ref().unwrap().elections().await.unwrap();
    let mut swept = psephos_server::state::sweep_orphan_logs(&service_board(&s.db), &rows).await;
    swept.sort();
    assert_eq!(
        swept,
        [
            ("board.test/recent".to_owned(), false),
            ("board.test/stale".to_owned(), true),
            ("board.test/with-entries".to_owned(), false),
        ]
    );
    let mut left = origins(&s).await;
    left.sort();
    assert_eq!(
        left,
        [
            "board.test/psephos-2026",
            "board.test/recent",
            "board.test/with-entries",
            "elsewhere.test/stale",
        ]
    );
    // The served election is untouched and still serves.
    assert_eq!(s.get("/api/v1/elections/psephos-2026/status").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_logs_at_start_sqlite() {
    Box::pin(orphan_logs_at_start(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_logs_at_start_postgres() {
    Box::pin(orphan_logs_at_start(Backend::Postgres)).await;
}

/// On PostgreSQL an empty log that a board has open (another node creating that election right
/// now) is not removed, however old the caller thinks it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_log_is_never_removed_postgres() {
    let db = psephos_testkit::TestDb::new(Backend::Postgres).await;
    let origin = "board.test/being-created";
    let config = BoardConfig::new(origin, psephos_testkit::board_key());
    let board = Board::open(&db.url, config).await.unwrap();
    assert!(!remove_empty_log(&db.url, origin, i64::MAX).await.unwrap());
    board.close().await.unwrap();
    assert!(remove_empty_log(&db.url, origin, i64::MAX).await.unwrap());
    assert!(stored_logs(&db.url).await.unwrap().is_empty());
    // Nothing there: nothing removed.
    assert!(!remove_empty_log(&db.url, origin, i64::MAX).await.unwrap());
}

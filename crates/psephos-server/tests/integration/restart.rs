//! Coming back after a stop or a crash, and after a failed commit (issue 12, item 4): the
//! state rebuilt from the board at start is exactly the state the live service had, and a
//! commit that fails is taken back and the state caught up with the board without replaying
//! the board.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit::server as common;

use common::{start, start_on, TestElection};
use psephos_core::ballot::EncryptedBallot;
use psephos_core::ballot::TrackingCode;
use psephos_record::Rules;
use psephos_server::election::ElectionService;
use psephos_testkit::{exec, Backend};

/// Everything the service answers from its state about `ballots`, as comparable values.
async fn observe(
    service: &ElectionService,
    ballots: &[EncryptedBallot],
) -> (
    psephos_record::Counts,
    Vec<(psephos_core::group::Point, u64, u64)>,
    Vec<String>,
) {
    let mut tracked = Vec::new();
    for b in ballots {
        tracked.push(format!(
            "{:?}",
            service.tracked(&TrackingCode::of(&b.hash())).await
        ));
    }
    let s = service.read().await;
    (s.counts(), s.counted(), tracked)
}

/// The state a full application of every rule to every entry gives (the verifier's way,
/// signatures and challenge openings included).
async fn applied_in_full(board: &psephos_board::Board) -> Rules {
    let mut s = Rules::new();
    let mut start = 0;
    while start < board.size() {
        let page = board.entries(start, 500).await.unwrap();
        for e in &page {
            s.apply_bytes(e.kind, &e.payload).unwrap();
        }
        start += page.len() as u64;
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_restores_exactly_the_state_the_service_had() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 6);
    e.open(&s).await;
    let mut ballots = Vec::new();
    // Every voter casts, the first two vote again, the third challenges one first.
    let (probe, secrets) = e.ballot(2, &mut rng);
    let reveal = secrets.reveal(&probe);
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &serde_json::json!({ "ballot": probe, "reveal": reveal }),
            false,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    ballots.push(probe);
    for v in [0, 1, 2, 3, 4, 5, 0, 1] {
        let (b, _) = e.ballot(v, &mut rng);
        let (st, got) = s
            .post(
                "/api/v1/elections/psephos-2026/ballots",
                &serde_json::to_value(&b).unwrap(),
                false,
            )
            .await;
        assert_eq!(st, 201, "{got}");
        ballots.push(b);
    }
    let live = observe(&s.hosted.election, &ballots).await;
    assert_eq!(live.0.ballots_cast, 8);
    assert_eq!(live.0.voters, 6);
    assert_eq!(live.0.challenges, 1);

    // The fast replay of a restart, and a full application of every rule, agree with it.
    let restarted = ElectionService::load(s.board.clone()).await.unwrap();
    assert_eq!(restarted.entries_replayed(), s.size());
    assert_eq!(observe(&restarted, &ballots).await, live);
    let full = applied_in_full(&s.board).await;
    assert_eq!((full.counts(), full.counted()), (live.0, live.1.clone()));

    // A real restart on the same database (the process gone without a goodbye: the board is
    // not closed, nothing is flushed beyond what each acknowledgement made durable).
    s.handle.stop(false).await;
    let db = s.db;
    let s = start_on(db, common::quiet_config()).await;
    assert_eq!(observe(&s.hosted.election, &ballots).await, live);
    // And it takes the next ballot at the board's next index.
    let (b, _) = e.ballot(3, &mut rng);
    let (st, got) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201, "{got}");
    assert_eq!(got["index"].as_u64(), Some(s.size() - 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_commit_is_taken_back_without_replaying_the_board() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 4);
    e.open(&s).await;
    let (b0, _) = e.ballot(0, &mut rng);
    let (st, got) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b0).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201, "{got}");
    let replayed = s.hosted.election.entries_replayed();
    let size = s.size();

    // The database refuses the next commit (as a full disk or a lost connection would).
    exec(
        &s.db.url,
        "CREATE TRIGGER refuse_appends BEFORE INSERT ON board_entries \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        &[],
    )
    .await;
    let (b1, _) = e.ballot(1, &mut rng);
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b1).unwrap(),
            false,
        )
        .await;
    assert!(got.0 >= 500, "{got:?}");
    // A challenge and an official's event fail the same way, by other paths.
    let (probe, secrets) = e.ballot(2, &mut rng);
    let reveal = secrets.reveal(&probe);
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &serde_json::json!({ "ballot": probe, "reveal": reveal }),
            false,
        )
        .await;
    assert!(got.0 >= 500, "{got:?}");
    let got = s.official("/api/v1/elections/psephos-2026/close").await;
    assert!(got.0 >= 500, "{got:?}");

    // Nothing was committed; the state was taken back, not rebuilt: no entry was replayed.
    assert_eq!(s.board.refresh().await.unwrap(), size);
    assert_eq!(s.hosted.election.entries_replayed(), replayed);
    let state = s.hosted.election.read().await;
    assert_eq!(state.size(), size);
    assert_eq!(state.phase(), psephos_record::Phase::Open);
    let full = applied_in_full(&s.board).await;
    assert_eq!(
        (state.counts(), state.counted()),
        (full.counts(), full.counted())
    );
    drop(state);
    assert!(s
        .hosted
        .election
        .tracked(&TrackingCode::of(&b1.hash()))
        .await
        .is_none());

    // Once the database takes commits again, the same ballot is accepted at the next index.
    exec(&s.db.url, "DROP TRIGGER refuse_appends", &[]).await;
    let (st, got) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b1).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201, "{got}");
    assert_eq!(got["index"].as_u64(), Some(size));
    let t = s
        .hosted
        .election
        .tracked(&TrackingCode::of(&b1.hash()))
        .await
        .unwrap();
    assert_eq!(t.index, size);
    let state = s.hosted.election.read().await;
    assert_eq!(state.counts().ballots_cast, 2);
    assert_eq!(s.hosted.election.entries_replayed(), replayed);
    drop(state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_pass_start_replays_as_load_does_and_refuses_an_entry_against_the_rules() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 3);
    e.open(&s).await;
    let mut ballots = Vec::new();
    for v in [0, 1, 2, 0] {
        let (b, _) = e.ballot(v, &mut rng);
        let (st, got) = s
            .post(
                "/api/v1/elections/psephos-2026/ballots",
                &serde_json::to_value(&b).unwrap(),
                false,
            )
            .await;
        assert_eq!(st, 201, "{got}");
        ballots.push(b);
    }
    let live = observe(&s.hosted.election, &ballots).await;
    // (Sealed first, so that the second handle on the database has nothing to seal.)
    s.board.seal_now().await.unwrap();
    let opened = ElectionService::open(
        &s.db.url,
        psephos_testkit::election_config(psephos_testkit::ELECTION),
    )
    .await
    .unwrap();
    assert_eq!(opened.entries_replayed(), s.size());
    assert_eq!(observe(&opened, &ballots).await, live);
    opened.board().close().await.unwrap();

    // A ballot appended behind the rules' back (the same ballot again: a replay). The board's
    // tree and checkpoints are consistent with it; the election's rules are not.
    let index = s.size();
    s.board
        .append(
            psephos_board::Entry::new(
                psephos_board::EntryKind::Ballot,
                psephos_core::encoding::Canonical::to_canonical_bytes(&ballots[0]),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    s.board.seal_now().await.unwrap();
    match ElectionService::open(
        &s.db.url,
        psephos_testkit::election_config(psephos_testkit::ELECTION),
    )
    .await
    {
        Err(psephos_server::election::ReplayError::Rule { index: at, source }) => {
            assert_eq!(at, index);
            assert!(
                matches!(source, psephos_record::RuleError::Replayed { .. }),
                "{source}"
            );
        }
        other => panic!("expected the rules to refuse entry {index}, got {other:?}"),
    }
}

/// An election with a challenge, revotes and every voter's ballot; returns the ballots.
async fn voted(
    s: &common::Server,
    e: &TestElection,
    rng: &mut rand_chacha::ChaCha20Rng,
    voters: &[usize],
) -> Vec<EncryptedBallot> {
    let mut ballots = Vec::new();
    for &v in voters {
        let (b, _) = e.ballot(v, rng);
        let (st, got) = s
            .post(
                "/api/v1/elections/psephos-2026/ballots",
                &serde_json::to_value(&b).unwrap(),
                false,
            )
            .await;
        assert_eq!(st, 201, "{got}");
        ballots.push(b);
    }
    ballots
}

/// A restart from the rules' snapshot, with ballots cast after the snapshot was saved and the
/// process gone without saving another (a crash between the ballots' commits and the next
/// snapshot): the state is the one the live service had and the one a full application of
/// every rule gives; the next ballot, a revote and a replayed ballot are answered as before.
async fn a_restart_from_the_snapshot_is_a_full_replay(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 6);
    e.open(&s).await;
    let (probe, secrets) = e.ballot(2, &mut rng);
    let reveal = secrets.reveal(&probe);
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &serde_json::json!({ "ballot": probe, "reveal": reveal }),
            false,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let mut ballots = vec![probe];
    ballots.extend(voted(&s, &e, &mut rng, &[0, 1, 2, 0]).await);
    assert_eq!(
        s.hosted.election.save_snapshot().await.unwrap(),
        Some(s.size())
    );
    let at_snapshot = s.size();
    // After the snapshot: more ballots and a revote, acknowledged, and no snapshot.
    ballots.extend(voted(&s, &e, &mut rng, &[3, 4, 1]).await);
    let live = observe(&s.hosted.election, &ballots).await;
    assert_eq!(
        (live.0.ballots_cast, live.0.voters, live.0.challenges),
        (7, 5, 1)
    );
    let size = s.size();

    s.handle.stop(false).await;
    if backend == Backend::Postgres {
        // (The board's writer lock must be released before another process takes it.)
        s.board.close().await.unwrap();
    }
    let db = s.db;
    let s = common::serve_on(db, common::quiet_config()).await;
    let service = &s.hosted.election;
    // The five ballots before the snapshot were restored, not read; the entries after it
    // and the election's other entries were replayed.
    assert_eq!(service.ballots_restored(), 5);
    assert_eq!(service.snapshot_size(), at_snapshot);
    assert_eq!(service.entries_replayed(), size - 5);
    assert_eq!(observe(service, &ballots).await, live);
    let full = applied_in_full(&s.board).await;
    assert_eq!((full.counts(), full.counted()), (live.0, live.1.clone()));
    assert_eq!(
        s.board.wait_tamper_check().await,
        psephos_board::TamperCheck::Passed { size }
    );

    // A ballot already cast (before the snapshot) is refused as a replay; a revote supersedes
    // the voter's last ballot (cast after the snapshot); a new voter's ballot is taken.
    let (st, got) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&ballots[1]).unwrap(),
            false,
        )
        .await;
    assert_eq!(
        (st, got["error"].as_str()),
        (409, Some("replayed")),
        "{got}"
    );
    let (b, _) = e.ballot(1, &mut rng);
    let (st, got) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201, "{got}");
    assert_eq!(got["index"].as_u64(), Some(size));
    let state = s.hosted.election.read().await;
    let voter1 = state.counted().iter().filter(|c| c.1 == size).count();
    assert_eq!(voter1, 1);
    assert_eq!(state.counts().voters, 5);
    assert_eq!(state.counts().ballots_cast, 8);
    drop(state);
    let (b, _) = e.ballot(5, &mut rng);
    let (st, got) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201, "{got}");
    assert_eq!(s.hosted.election.read().await.counts().voters, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_from_the_snapshot_is_a_full_replay_sqlite() {
    Box::pin(a_restart_from_the_snapshot_is_a_full_replay(
        Backend::Sqlite,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_from_the_snapshot_is_a_full_replay_postgres() {
    Box::pin(a_restart_from_the_snapshot_is_a_full_replay(
        Backend::Postgres,
    ))
    .await;
}

/// A snapshot edited in the database does not authenticate: the service replays the whole
/// board instead and comes back with the same state.
async fn an_edited_snapshot_is_ignored(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 3);
    e.open(&s).await;
    let ballots = voted(&s, &e, &mut rng, &[0, 1, 2, 0]).await;
    s.hosted.election.save_snapshot().await.unwrap();
    let live = observe(&s.hosted.election, &ballots).await;
    let size = s.size();
    // A well-formed snapshot of the board without its last ballot (as if it was never cast).
    let mut forged = Rules::new();
    let mut start = 0;
    while start < size {
        let page = s.board.entries(start, 500).await.unwrap();
        for (i, entry) in page.iter().enumerate() {
            if start + i as u64 == size - 1 {
                forged.skip_entry();
            } else {
                forged.replay_entry(entry.kind, &entry.payload).unwrap();
            }
        }
        start += page.len() as u64;
    }
    let forged = psephos_record::snapshot::RulesSnapshot::encode(&forged);
    s.state.shutdown().await;
    s.handle.stop(true).await;
    s.board.close().await.unwrap();
    exec(
        &s.db.url,
        "UPDATE board_snapshots SET data = $1",
        &[psephos_testkit::Arg::B(forged)],
    )
    .await;
    let db = s.db;
    let s = common::serve_on(db, common::quiet_config()).await;
    assert_eq!(s.hosted.election.ballots_restored(), 0);
    assert_eq!(s.hosted.election.entries_replayed(), size);
    assert_eq!(observe(&s.hosted.election, &ballots).await, live);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_snapshot_is_ignored_sqlite() {
    Box::pin(an_edited_snapshot_is_ignored(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_snapshot_is_ignored_postgres() {
    Box::pin(an_edited_snapshot_is_ignored(Backend::Postgres)).await;
}

/// An old ballot altered in the database while the service was stopped: the service comes
/// back from its snapshot (the altered entry is not read), the background tamper check finds
/// it, and from then on every write is refused, `/health` and the metrics say so.
async fn an_altered_old_ballot_stops_writes_once_found(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 4);
    e.open(&s).await;
    let ballots = voted(&s, &e, &mut rng, &[0, 1, 2]).await;
    s.hosted.election.save_snapshot().await.unwrap();
    let first = s.size() - 3;
    s.state.shutdown().await;
    s.handle.stop(true).await;
    s.board.close().await.unwrap();
    // Ballot 0's entry replaced by ballot 1's bytes.
    exec(
        &s.db.url,
        "UPDATE board_entries SET payload = $1 WHERE idx = $2",
        &[
            psephos_testkit::Arg::B(psephos_core::encoding::Canonical::to_canonical_bytes(
                &ballots[1],
            )),
            psephos_testkit::Arg::I(first as i64),
        ],
    )
    .await;
    let db = s.db;
    let s = common::serve_on(db, common::quiet_config()).await;
    assert_eq!(s.hosted.election.ballots_restored(), 3);
    match s.board.wait_tamper_check().await {
        psephos_board::TamperCheck::Failed { error, .. } => {
            assert!(error.contains(&format!("from entry {first}")), "{error}")
        }
        other => panic!("expected the tamper check to fail, got {other:?}"),
    }
    let (b, _) = e.ballot(3, &mut rng);
    let (st, got) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b).unwrap(),
            false,
        )
        .await;
    assert_eq!(
        (st, got["error"].as_str()),
        (503, Some("unavailable")),
        "{got}"
    );
    let got = s.official("/api/v1/elections/psephos-2026/close").await;
    assert_eq!(got.0, 503, "{got:?}");
    assert_eq!(s.size(), first + 3);
    let (st, health) = s.get("/api/v1/elections/psephos-2026/health").await;
    assert_eq!(st, 503, "{health}");
    assert_eq!(health["tamper_check"], "failed");
    assert!(health["background_error"]
        .as_str()
        .is_some_and(|e| e.contains("tampered")));
    let metrics = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .contains("psephos_board_tamper_check{election=\"psephos-2026\",state=\"failed\"} 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_old_ballot_stops_writes_once_found_sqlite() {
    Box::pin(an_altered_old_ballot_stops_writes_once_found(
        Backend::Sqlite,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_old_ballot_stops_writes_once_found_postgres() {
    Box::pin(an_altered_old_ballot_stops_writes_once_found(
        Backend::Postgres,
    ))
    .await;
}

/// The newest ballots deleted from the database with their tree nodes and the blocks that
/// sealed them (what the tamper check alone cannot see): the board's own snapshot, saved at
/// the clean stop, says the log had them, and the service refuses to start.
async fn entries_removed_behind_the_snapshot_stop_the_start(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 4);
    e.open(&s).await;
    voted(&s, &e, &mut rng, &[0, 1, 2]).await;
    let keep = s.size() - 2;
    s.state.shutdown().await;
    s.handle.stop(true).await;
    s.state.save_snapshots().await;
    s.board.close().await.unwrap();
    for sql in [
        "DELETE FROM board_entries WHERE idx >= $1",
        "DELETE FROM board_nodes WHERE (idx + 1) * (1 << level) > $1",
        "DELETE FROM board_blocks WHERE tree_size > $1",
    ] {
        exec(&s.db.url, sql, &[psephos_testkit::Arg::I(keep as i64)]).await;
    }
    match ElectionService::open(
        &s.db.url,
        psephos_testkit::election_config(psephos_testkit::ELECTION),
    )
    .await
    {
        Err(psephos_server::election::ReplayError::Board(
            psephos_board::BoardError::SnapshotContradicted { size, .. },
        )) => assert_eq!(size, keep + 2),
        other => panic!("expected the start to be refused, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_removed_behind_the_snapshot_stop_the_start_sqlite() {
    Box::pin(entries_removed_behind_the_snapshot_stop_the_start(
        Backend::Sqlite,
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_removed_behind_the_snapshot_stop_the_start_postgres() {
    Box::pin(entries_removed_behind_the_snapshot_stop_the_start(
        Backend::Postgres,
    ))
    .await;
}

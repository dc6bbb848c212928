//! `psephos board keygen` and `psephos board check` as a user runs them: a clean board passes; a
//! payload edited behind the board's back is reported with the first bad index and a non-zero
//! exit status.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_board::{Board, BoardConfig, Entry, EntryKind};
use psephos_cli::keys::SecretKey;
use std::process::Command;

fn psephos(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn board_check_finds_the_first_tampered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("board.secret.key");
    let key_arg = key_path.to_str().unwrap();
    let out = psephos(&[
        "board",
        "keygen",
        "--origin",
        "board.test/check",
        "--out",
        key_arg,
    ]);
    assert!(out.status.success(), "{out:?}");
    let vkey = String::from_utf8(out.stdout).unwrap();
    assert!(vkey.starts_with("board.test/check+"), "{vkey}");
    // Never overwrites a key.
    assert!(
        !psephos(&["board", "keygen", "--origin", "x", "--out", key_arg])
            .status
            .success()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("board.db").display()
    );
    let key = SecretKey::read(&key_path).unwrap();
    // Election `e1` of the service whose key this is.
    let slug = psephos_board::election_key::ElectionSlug::new("e1").unwrap();
    let board = Board::open(
        &db,
        BoardConfig::new(
            psephos_board::election_key::election_origin(&key.name, &slug),
            psephos_board::election_key::election_signing_key(&key.signing_key, &slug),
        ),
    )
    .await
    .unwrap();
    for i in 0..8 {
        board
            .append(Entry::new(EntryKind::Ballot, vec![i; 100]).unwrap())
            .await
            .unwrap();
    }
    board.seal_now().await.unwrap();
    board.close().await.unwrap();

    let check = [
        "board",
        "check",
        "--database",
        &db,
        "--key",
        key_arg,
        "--election",
        "e1",
    ];
    let ok = psephos(&check);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    let pool = sqlx::SqlitePool::connect(&db).await.unwrap();
    sqlx::query("UPDATE board_entries SET payload = x'00' WHERE idx = 3")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let bad = psephos(&check);
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("from entry 3"), "{stderr}");
}

//! `psephos record export --server`: right after the last decryption share the result entry is
//! on the board but not yet sealed; the export waits for the entries the board held when it
//! began to be sealed, so the record holds them (issue: a record without the result). A board
//! that never seals them gets a record that stops earlier, after `--wait`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use crate::trustee_support;

use psephos_cli::record::{run, Action, Args};
use std::time::Duration;

fn export_args(base: &str, out: &std::path::Path, wait: Duration) -> Args {
    Args {
        action: Action::Export {
            database: None,
            key: None,
            witnesses: Vec::new(),
            quorum: None,
            server: Some(base.to_string()),
            election: psephos_testkit::ELECTION.to_string(),
            out: out.to_path_buf(),
            wait,
        },
    }
}

fn entries_in(path: &std::path::Path) -> u64 {
    let f = std::fs::File::open(path).unwrap();
    psephos_record::format::RecordReader::new(std::io::BufReader::new(f))
        .unwrap()
        .header()
        .entries
}

/// How many times `GET /api/v1/elections/psephos-2026/record` has been answered.
async fn record_requests(s: &trustee_support::Setup) -> u64 {
    let text = s
        .http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with(
                "psephos_http_requests_total{route=\"/api/v1/elections/{election}/record\"",
            )
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn export_waits_for_the_entries_already_on_the_board_to_be_sealed() {
    trustee_support::block_on(|| async {
        let s = trustee_support::start(3, 2).await;
        s.run_trustees(&[1, 2, 3]).await;
        s.wait_complete().await;
        // The test board seals only on demand: what follows the ceremony is not sealed yet.
        s.board.seal_now().await.unwrap();
        s.vote_and_close(&[(0, 1), (1, 1)], &[]).await;
        let size = s.size();
        let out = s.dir.path().join("election.record");
        let export = run(export_args(&s.base, &out, Duration::from_secs(300)));
        // The export has looked once and found the record short of the board; only then seal.
        // (An export that did not wait has written its record by then.)
        let seal = async {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
            while record_requests(&s).await == 0 {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "the export never asked"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            s.board.seal_now().await.unwrap();
        };
        let (exported, ()) = tokio::join!(export, seal);
        exported.unwrap();
        assert_eq!(entries_in(&out), size);
    });
}

#[test]
fn export_of_a_board_that_does_not_seal_stops_at_the_last_sealed_block_after_the_wait() {
    trustee_support::block_on(|| async {
        let s = trustee_support::start(3, 2).await;
        s.run_trustees(&[1, 2, 3]).await;
        s.wait_complete().await;
        s.board.seal_now().await.unwrap();
        let sealed = s.size();
        s.vote_and_close(&[(0, 1)], &[]).await;
        assert!(s.size() > sealed);
        let out = s.dir.path().join("election.record");
        run(export_args(&s.base, &out, Duration::from_millis(300)))
            .await
            .unwrap();
        assert_eq!(entries_in(&out), sealed);
    });
}

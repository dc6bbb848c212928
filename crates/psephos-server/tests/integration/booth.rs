//! The booth manifest (`docs/protocol.md` §11.6) as the service keeps it: posted with the
//! opening, exactly the files served, refused after the opening and against another hash, and
//! an election whose board pins another booth gets no pages.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{expect_error, start, Backend, TestElection};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use sha2::{Digest, Sha256};

const E: &str = "/api/v1/elections/psephos-2026";

fn booth(files: &[(&str, &str)]) -> tempfile::TempDir {
    let web = tempfile::tempdir().unwrap();
    for (path, text) in files {
        std::fs::write(web.path().join(path), text).unwrap();
    }
    web
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_booth_manifest_is_posted_before_voting_and_pins_the_pages() {
    let web = booth(&[
        ("index.html", "<!doctype html><p>booth"),
        ("booth.js", "let a = 1;"),
    ]);
    let config = psephos_server::ServiceConfig {
        web_dir: Some(web.path().to_path_buf()),
        ..common::quiet_config()
    };
    let s = start(Backend::Sqlite, config).await;
    let (st, v) = s.get(&format!("{E}/booth")).await;
    assert_eq!(st, 200, "{v}");
    assert!(v["posted"].is_null(), "{v}");
    assert_eq!(
        v["served"]["files"]["/booth.js"],
        hex::encode(Sha256::digest(b"let a = 1;"))
    );
    assert_eq!(v["served"]["default_index"], "/index.html");
    let served = v["served"]["hash"].as_str().unwrap().to_owned();

    // Not before the definition; then the officials may post it, but only the served booth.
    expect_error(&s.official(&format!("{E}/booth")).await, 409);
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let mut election = TestElection::new(&mut rng, 3);
    let (st, v) = s
        .post(
            &format!("{E}/definition"),
            &common::create_body(common::MANIFEST, &election.run),
            true,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let size = s.size();
    let got = s
        .post(
            &format!("{E}/booth"),
            &json!({ "hash": "00".repeat(32) }),
            true,
        )
        .await;
    assert_eq!(expect_error(&got, 409), "booth_mismatch");
    assert_eq!(s.size(), size, "nothing posted");
    let (st, v) = s
        .post(&format!("{E}/booth"), &json!({ "hash": served }), true)
        .await;
    assert_eq!(
        (st, &v["posted"], &v["hash"]),
        (200, &json!(true), &json!(served)),
        "{v}"
    );
    let (st, v) = s.official(&format!("{E}/booth")).await;
    assert_eq!((st, &v["posted"]), (200, &json!(false)), "posted once: {v}");
    assert_eq!(s.size(), size + 1);

    // The rest of the election; opening keeps the manifest already there.
    election.post_ceremony(&s).await;
    let (st, v) = s.official(&format!("{E}/ceremony/complete")).await;
    assert_eq!(st, 200, "{v}");
    election.set_key(&v["key"]);
    let (st, v) = s
        .post(
            &format!("{E}/credentials"),
            &serde_json::to_value(election.credential_list()).unwrap(),
            true,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let before = s.size();
    let (st, v) = s.official(&format!("{E}/open")).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(s.size(), before + 1, "only the opening was posted");
    let (_, v) = s.get(&format!("{E}/booth")).await;
    assert_eq!(v["matches"], true, "{v}");
    assert_eq!(v["posted"]["manifest"]["hash"], served.as_str());

    // Once voting is open the manifest cannot change.
    let got = s.official(&format!("{E}/booth")).await;
    assert_eq!(
        got.0, 200,
        "the same manifest is already there: {:?}",
        got.1
    );
    assert_eq!(got.1["posted"], false);
    let (st, page) = s.get_text("/e/psephos-2026/booth.js").await;
    assert_eq!((st, page.as_str()), (200, "let a = 1;"));

    // Restarted with another build, the service does not serve this election's pages, and
    // cannot post its manifest: the board pins the first.
    s.handle.stop(true).await;
    s.state.shutdown().await;
    s.board.close().await.unwrap();
    let other = booth(&[
        ("index.html", "<!doctype html><p>booth"),
        ("booth.js", "let a = 2;"),
    ]);
    let config = psephos_server::ServiceConfig {
        web_dir: Some(other.path().to_path_buf()),
        ..common::quiet_config()
    };
    let s = common::start_on(s.db, config).await;
    for page in ["/e/psephos-2026/", "/e/psephos-2026/booth.js"] {
        let got = s.get(page).await;
        assert_eq!(expect_error(&got, 503), "booth_mismatch", "{page}");
    }
    let (_, v) = s.get(&format!("{E}/booth")).await;
    assert_eq!(v["matches"], false, "{v}");
    let got = s.official(&format!("{E}/booth")).await;
    assert_eq!(expect_error(&got, 409), "wrong_phase");
}

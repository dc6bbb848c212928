//! `psephos openapi` prints the document a server serves at `GET /api/openapi.json`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::process::Command;

#[test]
fn psephos_openapi_prints_the_generated_document() {
    let out = Command::new(env!("CARGO_BIN_EXE_psephos"))
        .arg("openapi")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.trim_end(), psephos_server::openapi::document_json());
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert!(doc["paths"]["/api/v1/elections/{election}/ballots"]["post"].is_object());
}

//! `psephos credentials generate` and `check`, run as the real binary in a temporary directory:
//! valid lists for an unweighted and a weighted election, every kind of bad voter row (nothing
//! written), refusal to overwrite, and tampered public lists.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_cli::credentials::CredentialList;
use psephos_core::credential::CredentialCode;
use psephos_core::election::Manifest;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../election-config")
        .join(name)
}

fn psephos(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(args)
        .env("RUST_LOG", "debug")
        .output()
        .unwrap()
}

struct Run {
    out: Output,
    public: PathBuf,
    private: PathBuf,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
}

fn generate(dir: &Path, election: &str, voters: &str) -> Run {
    let voters_path = dir.join("voters.csv");
    std::fs::write(&voters_path, voters).unwrap();
    let public = dir.join("credentials.public.json");
    let private = dir.join("credentials.secret.csv");
    let out = psephos(&[
        "credentials",
        "generate",
        "--election",
        config(election).to_str().unwrap(),
        "--voters",
        voters_path.to_str().unwrap(),
        "--public",
        public.to_str().unwrap(),
        "--private",
        private.to_str().unwrap(),
    ]);
    Run {
        out,
        public,
        private,
    }
}

fn check(election: &str, public: &Path) -> Output {
    psephos(&[
        "credentials",
        "check",
        "--election",
        config(election).to_str().unwrap(),
        "--public",
        public.to_str().unwrap(),
    ])
}

fn manifest(election: &str) -> Manifest {
    psephos_cli::load_manifest(&config(election)).unwrap()
}

/// Reads the private file: (voter id, style, weight, code) per row.
fn private_rows(path: &Path) -> Vec<(String, String, u64, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "voter_id",
            "name",
            "email",
            "style",
            "weight",
            "credential_code"
        ]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_string(),
                rec[3].to_string(),
                rec[4].parse().unwrap(),
                rec[5].to_string(),
            )
        })
        .collect()
}

/// Checks that every private code parses and derives a listed credential with its style and
/// weight, that the list has nothing else, no voter ids, is sorted, and that no code leaked to
/// the output.
fn check_consistent(run: &Run, election: &str) -> Vec<(String, String, u64, String)> {
    let m = manifest(election);
    let public_text = std::fs::read_to_string(&run.public).unwrap();
    let list: CredentialList = serde_json::from_str(&public_text).unwrap();
    list.validate(&m).unwrap();
    assert_eq!(list.version, 1);
    assert_eq!(list.election_id, m.id);
    assert_eq!(list.manifest_hash, m.hash());
    let listed: HashMap<[u8; 32], (String, u64)> = list
        .credentials
        .iter()
        .map(|c| (c.credential.to_bytes(), (c.style.clone(), c.weight)))
        .collect();
    let rows = private_rows(&run.private);
    assert_eq!(rows.len(), list.credentials.len());
    assert_eq!(listed.len(), rows.len());
    for (voter, style, weight, code) in &rows {
        assert_eq!(code.len(), 27);
        assert_eq!(code.matches('-').count(), 3);
        let parsed = CredentialCode::parse(code).unwrap();
        let c = parsed.secret(&m.id).public();
        assert_eq!(
            listed.get(&c.to_bytes()),
            Some(&(style.clone(), *weight)),
            "voter {voter}'s credential is listed with its style and weight"
        );
        assert!(
            !public_text.contains(voter.as_str()),
            "voter id {voter} leaked"
        );
        assert!(!run.stdout().contains(code.as_str()));
        assert!(!run.stderr().contains(code.as_str()));
    }
    let bytes: Vec<[u8; 32]> = list
        .credentials
        .iter()
        .map(|c| c.credential.to_bytes())
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] < w[1]), "sorted by bytes");
    let value: serde_json::Value = serde_json::from_str(&public_text).unwrap();
    for c in value["credentials"].as_array().unwrap() {
        let mut keys: Vec<&String> = c.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["credential", "style", "weight"]);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&run.private)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    rows
}

#[test]
fn municipal_election_three_styles() {
    let dir = tempfile::tempdir().unwrap();
    let voters = "voter_id,style\nV-0001,north\nV-0002,river\nV-0003,south\n\"Smith, Ann\",north\nV-0005,south\nV-0006,south\nvoter \"seven\",river\n";
    let run = generate(dir.path(), "municipal-2026.toml", voters);
    assert!(run.out.status.success(), "{}", run.stderr());
    let rows = check_consistent(&run, "municipal-2026.toml");
    let ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        ids,
        [
            "V-0001",
            "V-0002",
            "V-0003",
            "Smith, Ann",
            "V-0005",
            "V-0006",
            "voter \"seven\""
        ]
    );
    assert!(rows.iter().all(|r| r.2 == 1));
    let out = run.stdout();
    assert!(out.contains("7 credentials, total weight 7"), "{out}");
    assert!(
        out.contains("style north: 2 credentials, weight 2"),
        "{out}"
    );
    assert!(
        out.contains("style river: 2 credentials, weight 2"),
        "{out}"
    );
    assert!(
        out.contains("style south: 3 credentials, weight 3"),
        "{out}"
    );

    // `check` accepts it and prints the same summary.
    let c = check("municipal-2026.toml", &run.public);
    assert!(c.status.success());
    assert!(String::from_utf8_lossy(&c.stdout).contains("7 credentials, total weight 7"));
    // The list is bound to its election.
    let c = check("referendum.toml", &run.public);
    assert!(!c.status.success());
    assert!(String::from_utf8_lossy(&c.stderr).contains("is for election"));

    // A second run refuses to overwrite either file and leaves both untouched.
    let public_before = std::fs::read(&run.public).unwrap();
    let private_before = std::fs::read(&run.private).unwrap();
    let again = generate(dir.path(), "municipal-2026.toml", voters);
    assert!(!again.out.status.success());
    assert!(
        again.stderr().contains("refusing to overwrite"),
        "{}",
        again.stderr()
    );
    assert_eq!(std::fs::read(&run.public).unwrap(), public_before);
    assert_eq!(std::fs::read(&run.private).unwrap(), private_before);
    // Only the private file existing is refused too.
    std::fs::remove_file(&run.public).unwrap();
    let again = generate(dir.path(), "municipal-2026.toml", voters);
    assert!(!again.out.status.success());
    assert!(!run.public.exists());
    assert_eq!(std::fs::read(&run.private).unwrap(), private_before);
}

#[test]
fn weighted_election_with_weights() {
    let dir = tempfile::tempdir().unwrap();
    let voters =
        "voter_id,style,weight\nalice,resident,1\nbob,resident,5\ncarol,resident,1000000\ndave,resident,\n";
    let run = generate(dir.path(), "participatory-budget.toml", voters);
    assert!(run.out.status.success(), "{}", run.stderr());
    let rows = check_consistent(&run, "participatory-budget.toml");
    let weights: Vec<u64> = rows.iter().map(|r| r.2).collect();
    assert_eq!(weights, [1, 5, 1_000_000, 1]);
    assert!(run.stdout().contains("4 credentials, total weight 1000007"));
    assert!(check("participatory-budget.toml", &run.public)
        .status
        .success());
}

#[test]
fn bad_voter_lists_are_rejected_with_the_line_and_nothing_written() {
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "municipal-2026.toml",
            "voter_id,style\na,north\nb,east\n",
            &["line 3", "unknown ballot style \"east\""],
        ),
        (
            "municipal-2026.toml",
            "voter_id,style\na,north\nb,river\na,south\n",
            &["line 4", "duplicate voter id \"a\" (first on line 2)"],
        ),
        (
            "municipal-2026.toml",
            "voter_id,style,weight\na,north,1\nb,north,2\n",
            &["line 3", "weight 2 in an unweighted election"],
        ),
        (
            "participatory-budget.toml",
            "voter_id,style,weight\na,resident,1\nb,resident,0\n",
            &["line 3", "weight 0 is out of range"],
        ),
        (
            "participatory-budget.toml",
            "voter_id,style,weight\na,resident,1000001\n",
            &["line 2", "weight 1000001 is out of range"],
        ),
        (
            "participatory-budget.toml",
            "voter_id,style,weight\na,resident,-3\n",
            &["line 2", "is not a number"],
        ),
        (
            "municipal-2026.toml",
            "voter_id,style\na,north\nb,river,extra\n",
            &["line 3", "malformed CSV"],
        ),
        (
            "municipal-2026.toml",
            "voter_id\na\n",
            &["line 1", "header must name the column `style`"],
        ),
        (
            "municipal-2026.toml",
            "voter_id,style\n,north\n",
            &["line 2", "empty voter id"],
        ),
        (
            "municipal-2026.toml",
            &format!("voter_id,style\n{},north\n", "x".repeat(257)),
            &["line 2", "longer than 256"],
        ),
        ("municipal-2026.toml", "voter_id,style\n", &["no voters"]),
        (
            "municipal-2026.toml",
            "voter_id,name,email,style\na,Ann,ann@example.org,north\nb,Bob,ANN@example.org,river\n",
            &["line 3", "duplicate e-mail address", "first on line 2"],
        ),
        (
            "municipal-2026.toml",
            "voter_id,email,style\na,ann@example.org,north\nb,not-an-address,river\n",
            &["line 3", "e-mail address \"not-an-address\" is not valid"],
        ),
        (
            "municipal-2026.toml",
            "voter_id,style,emial\na,north,ann@example.org\n",
            &["line 1", "unknown column `emial`"],
        ),
        (
            "municipal-2026.toml",
            "voter_id,style,style\na,north,north\n",
            &["line 1", "`style` appears twice"],
        ),
        (
            "municipal-2026.toml",
            "voter_id,name,style\na,\"Ann\u{7}\",north\n",
            &["line 2", "name contains a control character"],
        ),
    ];
    for (election, voters, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let run = generate(dir.path(), election, voters);
        let err = run.stderr();
        assert!(!run.out.status.success(), "accepted: {voters}");
        for e in *expected {
            assert!(err.contains(e), "for {voters:?}: expected {e:?} in {err}");
        }
        assert!(!run.public.exists() && !run.private.exists(), "{voters:?}");
    }

    // Every bad row is reported, not only the first.
    let dir = tempfile::tempdir().unwrap();
    let run = generate(
        dir.path(),
        "municipal-2026.toml",
        "voter_id,style\na,east\nb,north\nb,west\n",
    );
    let err = run.stderr();
    assert!(err.contains("line 2: unknown ballot style"), "{err}");
    assert!(err.contains("line 4: duplicate voter id"), "{err}");
    assert!(
        err.contains("line 4: unknown ballot style \"west\""),
        "{err}"
    );
    assert!(!run.public.exists() && !run.private.exists());
}

#[test]
fn tampered_public_lists_fail_check() {
    let dir = tempfile::tempdir().unwrap();
    let run = generate(
        dir.path(),
        "municipal-2026.toml",
        "voter_id,style\na,north\nb,river\nc,south\n",
    );
    assert!(run.out.status.success(), "{}", run.stderr());
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run.public).unwrap()).unwrap();

    type Tamper = fn(&mut serde_json::Value);
    let cases: &[(&str, Tamper, &str)] = &[
        (
            "duplicate",
            |v| {
                let first = v["credentials"][0].clone();
                v["credentials"].as_array_mut().unwrap().insert(1, first);
            },
            "listed twice",
        ),
        (
            "non-canonical",
            |v| v["credentials"][1]["credential"] = "ff".repeat(32).into(),
            "not a canonical Ristretto255 point encoding",
        ),
        (
            "identity",
            |v| v["credentials"][0]["credential"] = "00".repeat(32).into(),
            "identity point",
        ),
        (
            "manifest hash",
            |v| v["manifest_hash"] = "00".repeat(32).into(),
            "is for manifest hash",
        ),
        (
            "unsorted",
            |v| v["credentials"].as_array_mut().unwrap().swap(0, 2),
            "out of order",
        ),
        (
            "style",
            |v| v["credentials"][0]["style"] = "east".into(),
            "unknown ballot style \"east\"",
        ),
        (
            "weight",
            |v| v["credentials"][0]["weight"] = 2.into(),
            "weight 2 in an unweighted election",
        ),
        (
            "voter id smuggled in",
            |v| v["credentials"][0]["voter_id"] = "a".into(),
            "unknown field",
        ),
    ];
    for (name, tamper, expected) in cases {
        let mut v = original.clone();
        tamper(&mut v);
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let out = check("municipal-2026.toml", &path);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: accepted");
        assert!(
            err.contains(expected),
            "{name}: expected {expected:?} in {err}"
        );
    }
}

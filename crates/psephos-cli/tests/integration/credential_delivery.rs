//! `psephos credentials letters` and `mail`, run as the real binary: the PDF read back with
//! `pdftotext` (Debian package poppler-utils) for every voter's code and the booth's address;
//! e-mail through a real SMTP server on 127.0.0.1 (`smtp_server`): every voter gets exactly one
//! message with their own code, refusals and a server that stops half way are listed with the
//! voter ids, a second run resumes without sending anyone a second message, and the delivery log
//! holds no code.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use crate::smtp_server::SmtpServer;
use std::path::{Path, PathBuf};
use std::process::Output;

const URL: &str = "https://vote.example.org/e/rivertown/";

fn config(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../election-config")
        .join(name)
}

fn psephos(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(args)
        .current_dir(dir)
        .env_remove("PSEPHOS_SMTP_USER")
        .env_remove("PSEPHOS_SMTP_PASSWORD")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A voter as the test knows it: id, e-mail address (may be empty), code.
#[derive(Debug, Clone)]
struct Voter {
    id: String,
    email: String,
    code: String,
}

/// Writes `n` voters (voter `v-k`, e-mail `voter-k@example.org`, except those in `no_email`),
/// runs `generate` in `dir` with the default file names, and reads back the codes.
fn generate(dir: &Path, n: usize, no_email: &[usize]) -> Vec<Voter> {
    let styles = ["north", "river", "south"];
    let mut csv = String::from("voter_id,name,email,style\n");
    for k in 1..=n {
        let email = if no_email.contains(&k) {
            String::new()
        } else {
            format!("voter-{k}@example.org")
        };
        csv.push_str(&format!(
            "v-{k},Voter Number {k},{email},{}\n",
            styles[k % 3]
        ));
    }
    std::fs::write(dir.join("voters.csv"), csv).unwrap();
    let out = psephos(
        dir,
        &[
            "credentials",
            "generate",
            "--election",
            config("municipal-2026.toml").to_str().unwrap(),
            "--voters",
            "voters.csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut r = csv::Reader::from_path(dir.join("credentials.secret.csv")).unwrap();
    let voters: Vec<Voter> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            Voter {
                id: rec[0].to_string(),
                email: rec[2].to_string(),
                code: rec[5].to_string(),
            }
        })
        .collect();
    assert_eq!(voters.len(), n);
    assert!(dir.join("credentials.public.json").exists());
    voters
}

fn pdftotext(pdf: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "this test needs `pdftotext` (Debian package poppler-utils; .ci/run installs it): {e}"
            )
        });
    assert!(out.status.success(), "pdftotext: {}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn letters_hold_every_code_and_the_booth_address_one_voter_per_page() {
    let dir = tempfile::tempdir().unwrap();
    let voters = generate(dir.path(), 25, &[]);
    let letters = |out: &str| {
        psephos(
            dir.path(),
            &[
                "credentials",
                "letters",
                "--election",
                config("municipal-2026.toml").to_str().unwrap(),
                "--url",
                URL,
                "--out",
                out,
            ],
        )
    };
    let out = letters("letters.secret.pdf");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("25 letters"));
    for v in &voters {
        assert!(!text(&out.stdout).contains(&v.code), "a code was printed");
    }
    let pdf = dir.path().join("letters.secret.pdf");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&pdf).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the letters hold every code");
    }
    let all = pdftotext(&pdf);
    // One page per voter (pages end with a form feed), in the voter list's order.
    let pages: Vec<&str> = all.split('\x0c').filter(|p| !p.trim().is_empty()).collect();
    assert_eq!(pages.len(), voters.len());
    for (page, v) in pages.iter().zip(&voters) {
        assert!(page.contains(&v.code), "page of {} lacks its code", v.id);
        assert!(
            page.contains(URL),
            "page of {} lacks the booth address",
            v.id
        );
        assert!(page.contains(&format!("Voter id: {}", v.id)));
        assert!(page.contains("Rivertown Municipal General Election 2026"));
        assert!(page.contains("How to vote") && page.contains("How to check your ballot"));
        let others = voters
            .iter()
            .filter(|o| o.id != v.id && page.contains(&o.code));
        assert_eq!(others.count(), 0, "page of {} holds another code", v.id);
    }

    // Never over an existing file; a bad address is refused before anything is written.
    let before = std::fs::read(&pdf).unwrap();
    let again = letters("letters.secret.pdf");
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&pdf).unwrap(), before);
    let bad = psephos(
        dir.path(),
        &[
            "credentials",
            "letters",
            "--election",
            config("municipal-2026.toml").to_str().unwrap(),
            "--url",
            "vote.example.org",
            "--out",
            "other.secret.pdf",
        ],
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("https://"),
        "{}",
        text(&bad.stderr)
    );
    assert!(!dir.path().join("other.secret.pdf").exists());
}

fn mail(dir: &Path, server: &SmtpServer, extra: &[&str]) -> Output {
    let url = server.url();
    let election = config("municipal-2026.toml");
    let mut args = vec![
        "credentials",
        "mail",
        "--election",
        election.to_str().unwrap(),
        "--url",
        URL,
        "--smtp",
        &url,
        "--insecure-plaintext",
        "--from",
        "Credential Authority <ca@example.org>",
        "--rate",
        "0",
        "--timeout",
        "20",
    ];
    args.extend_from_slice(extra);
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    psephos(dir, &args)
}

/// Every message in `received`, by recipient; each must hold its own voter's code and no other.
fn by_recipient(
    received: &[crate::smtp_server::Received],
    voters: &[Voter],
) -> std::collections::HashMap<String, usize> {
    let mut count = std::collections::HashMap::new();
    for m in received {
        assert_eq!(m.to.len(), 1, "one recipient per message");
        let v = voters
            .iter()
            .find(|v| v.email == m.to[0])
            .expect("a message to a voter");
        assert!(
            m.data.contains(&v.code),
            "{}'s message lacks their code",
            v.id
        );
        assert!(m.data.contains(URL));
        assert!(m
            .data
            .contains("Subject: Your voting credential for Rivertown"));
        for o in voters.iter().filter(|o| o.id != v.id) {
            assert!(
                !m.data.contains(&o.code),
                "{}'s message holds {}'s code",
                v.id,
                o.id
            );
        }
        *count.entry(v.id.clone()).or_insert(0) += 1;
    }
    count
}

fn assert_log_has_no_code(dir: &Path, voters: &[Voter]) {
    let log = std::fs::read_to_string(dir.join("delivery.log")).unwrap();
    for v in voters {
        assert!(
            !log.contains(&v.code),
            "the delivery log holds {}'s code",
            v.id
        );
        let compact: String = v.code.chars().filter(|c| *c != '-').collect();
        assert!(!log.contains(&compact));
    }
}

#[test]
fn mail_refusals_are_listed_and_a_second_run_sends_only_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let voters = generate(dir.path(), 12, &[7]);
    let server = SmtpServer::start(&["voter-3@example.org", "voter-10@example.org"], None);
    let out = mail(dir.path(), &server, &[]);
    let stdout = text(&out.stdout);
    assert!(
        !out.status.success(),
        "failures must fail the run: {stdout}"
    );
    assert!(stdout.contains("sent 9 message(s) in this run"), "{stdout}");
    assert!(stdout.contains("2 failure(s)"), "{stdout}");
    assert!(stdout.contains("v-3 <voter-3@example.org>: "), "{stdout}");
    assert!(stdout.contains("v-10 <voter-10@example.org>: "), "{stdout}");
    assert!(
        stdout.contains("no such mailbox"),
        "the server's reply: {stdout}"
    );
    assert!(stdout.contains("1 voter(s) have no e-mail address (send them a letter): v-7"));
    for v in &voters {
        assert!(!stdout.contains(&v.code) && !text(&out.stderr).contains(&v.code));
    }
    let count = by_recipient(&server.received(), &voters);
    assert_eq!(count.len(), 9);
    assert!(count.values().all(|n| *n == 1));
    assert_log_has_no_code(dir.path(), &voters);
    server.stop();

    // The mailboxes exist now: a second run sends to those two only.
    let fixed = SmtpServer::start(&[], None);
    let out = mail(dir.path(), &fixed, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("sent 2 message(s) in this run; 9 sent before"),
        "{stdout}"
    );
    let count = by_recipient(&fixed.received(), &voters);
    let mut ids: Vec<&String> = count.keys().collect();
    ids.sort();
    assert_eq!(ids, ["v-10", "v-3"]);
    assert!(count.values().all(|n| *n == 1));

    // A third run sends nothing.
    let idle = SmtpServer::start(&[], None);
    let out = mail(dir.path(), &idle, &[]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("sent 0 message(s) in this run; 11 sent before"));
    assert!(idle.received().is_empty());
    assert_log_has_no_code(dir.path(), &voters);
}

#[test]
fn mail_resumes_after_the_server_stops_half_way_without_sending_twice() {
    let dir = tempfile::tempdir().unwrap();
    let voters = generate(dir.path(), 15, &[]);
    let first = SmtpServer::start(&[], Some(6));
    let out = mail(dir.path(), &first, &["--max-consecutive-failures", "3"]);
    let stdout = text(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("sent 6 message(s) in this run"), "{stdout}");
    assert!(stdout.contains("stopped early"), "{stdout}");
    assert!(stdout.contains("run again to resume"), "{stdout}");
    // The three failures are listed with their voter ids (the 7th to 9th voters).
    assert!(stdout.contains("3 failure(s)"), "{stdout}");
    for k in 7..=9 {
        assert!(
            stdout.contains(&format!("v-{k} <voter-{k}@example.org>: ")),
            "{stdout}"
        );
    }
    assert!(stdout.contains("6 voter(s) not tried"), "{stdout}");
    let first_count = by_recipient(&first.received(), &voters);
    assert_eq!(first_count.len(), 6);

    // The server is back (on another port): the second run sends to the other nine only.
    let second = SmtpServer::start(&[], None);
    let out = mail(dir.path(), &second, &[]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("sent 9 message(s) in this run; 6 sent before"),
        "{stdout}"
    );
    let second_count = by_recipient(&second.received(), &voters);
    for v in &voters {
        let n = first_count.get(&v.id).unwrap_or(&0) + second_count.get(&v.id).unwrap_or(&0);
        assert_eq!(n, 1, "{} got {n} messages", v.id);
    }
    assert_log_has_no_code(dir.path(), &voters);
}

#[test]
fn an_interrupted_send_is_not_repeated_unless_asked_and_a_foreign_log_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), 4, &[]);
    let server = SmtpServer::start(&[], None);
    assert!(mail(dir.path(), &server, &[]).status.success());
    assert_eq!(server.received().len(), 4);

    // As if a run had died while voter v-2's message was in flight: the last event is `sending`.
    let log = dir.path().join("delivery.log");
    let mut text_log = std::fs::read_to_string(&log).unwrap();
    text_log.push_str(
        "{\"voter_id\":\"v-2\",\"email\":\"voter-2@example.org\",\"event\":\"sending\",\"at\":\"2026-01-01T00:00:00Z\"}\n",
    );
    std::fs::write(&log, &text_log).unwrap();
    let out = mail(dir.path(), &server, &[]);
    let stdout = text(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    assert!(stdout.contains("in flight"), "{stdout}");
    assert!(stdout.contains("  v-2 <voter-2@example.org>"), "{stdout}");
    assert_eq!(server.received().len(), 4, "nothing resent");
    let out = mail(dir.path(), &server, &["--resend-unknown"]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let received = server.received();
    assert_eq!(received.len(), 5);
    assert_eq!(received[4].to, ["voter-2@example.org"]);

    // The log of another set of codes is refused, and nothing is sent.
    let other = tempfile::tempdir().unwrap();
    generate(other.path(), 4, &[]);
    std::fs::copy(&log, other.path().join("delivery.log")).unwrap();
    let out = mail(other.path(), &server, &[]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("delivery log of another private file"));
    assert_eq!(server.received().len(), 5);

    // No password on the command line, no plaintext without saying so.
    let out = psephos(
        dir.path(),
        &[
            "credentials",
            "mail",
            "--election",
            config("municipal-2026.toml").to_str().unwrap(),
            "--url",
            URL,
            "--smtp",
            "smtps://user:secret@mail.example.org",
            "--from",
            "ca@example.org",
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("must not hold a user name or password"));
    let out = psephos(
        dir.path(),
        &[
            "credentials",
            "mail",
            "--election",
            config("municipal-2026.toml").to_str().unwrap(),
            "--url",
            URL,
            "--smtp",
            &server.url(),
            "--from",
            "ca@example.org",
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("not encrypted"));
    assert_eq!(server.received().len(), 5);
}

#[test]
fn an_edited_template_is_used_and_a_bad_one_refused_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let voters = generate(dir.path(), 2, &[]);
    let server = SmtpServer::start(&[], None);
    let default = psephos(dir.path(), &["credentials", "template"]);
    assert!(text(&default.stdout).starts_with("Subject: "));
    std::fs::write(
        dir.path().join("bad.txt"),
        "Subject: Vote\n\nHello {nmae}, your code: {code}\n",
    )
    .unwrap();
    let out = mail(dir.path(), &server, &["--template", "bad.txt"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("unknown placeholder {nmae}"));
    assert!(server.received().is_empty());
    assert!(!dir.path().join("delivery.log").exists());

    std::fs::write(
        dir.path().join("mine.txt"),
        "Subject: Ballot for {election}\n\nHello {name} ({voter_id}, {style}):\n{code}\nat {url}\n",
    )
    .unwrap();
    let out = mail(dir.path(), &server, &["--template", "mine.txt"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let received = server.received();
    assert_eq!(received.len(), 2);
    for (m, v) in received.iter().zip(&voters) {
        assert!(
            m.data.contains("Subject: Ballot for Rivertown"),
            "{}",
            m.data
        );
        assert!(m
            .data
            .contains(&format!("Hello Voter Number {} ({}, ", &v.id[2..], v.id)));
        assert!(
            m.data.contains(&format!("{}\r\nat {URL}", v.code)),
            "{}",
            m.data
        );
    }
}

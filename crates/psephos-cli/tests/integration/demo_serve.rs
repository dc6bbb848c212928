//! `psephos demo-serve` as a new user sees it: the commands it prints are run as printed (from
//! the directory it ran in) and finish the elections: close, (for the ranked sample) mix and
//! each trustee's shuffle, tally, decrypt with the witness's key, export right after the last
//! share, and verify — each record holds the result.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report
#![allow(clippy::zombie_processes)] // the child is killed and waited for at the end

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_demo_prints_commands_that_finish_the_election() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::os::unix::fs::symlink(
        root.join("election-config").canonicalize().unwrap(),
        dir.join("election-config"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args([
            "demo-serve",
            // Three elections of one service (the second, with the same manifest, gets its own
            // id; the third is the ranked sample, mixed), finished by the commands printed for
            // each.
            "--config",
            "election-config/referendum.toml",
            "--config",
            "election-config/referendum.toml",
            "--config",
            "election-config/ranked-2026.toml",
            "--listen",
            "127.0.0.1:0",
            "--voters-per-style",
            "2",
        ])
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let child = Killed(child);
    let mut printed = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "demo-serve exited early: {printed:?}"
        );
        if line.starts_with("Ctrl-C") {
            break;
        }
        printed.push(line.trim_end().to_string());
    }
    std::thread::spawn(move || for _ in out.lines() {});
    let all = printed.join("\n");
    assert!(
        all.contains("witness   witness.demo.psephos.example+"),
        "{all}"
    );
    // The commands after "To finish the election", run as printed.
    let start = printed
        .iter()
        .position(|l| l.starts_with("To finish the election"))
        .expect("the demo prints how to finish");
    let commands: Vec<&str> = printed[start + 1..]
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert!(commands.len() >= 12, "{all}");
    assert!(all.contains("/e/referendum-2026/"), "{all}");
    assert!(all.contains("/e/demo-2/"), "{all}");
    assert!(all.contains("/e/ranked-2026/"), "{all}");
    assert_eq!(all.matches(" trustee mix ").count(), 3, "{all}");
    assert!(
        !commands.iter().any(|c| c.starts_with("psephos ")),
        "the commands name a `psephos` that is not on PATH: {all}"
    );
    let script = commands.join("\n");
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -e\n{script}"))
        .current_dir(dir)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script}\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    // The export waited for the result to be sealed and cosigned: verify saw it.
    assert!(!stderr.contains("not sealed"), "{stderr}");
    assert_eq!(stdout.matches("phase decrypted").count(), 3, "{stdout}");
    assert!(stdout.contains("pass    tally.result"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
    drop(child);
}

//! `psephos verify-booth` against `psephos demo-serve` serving a booth: the command the demo
//! prints passes; through a server that answers some requests for `booth.js` (or the wasm) with
//! other bytes it fails and names the file; `--build` compares a local build too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report
#![allow(clippy::zombie_processes)] // the child is killed and waited for at the end

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A small booth: pages, a script, a stylesheet and a "wasm" module.
fn write_booth(dir: &Path) {
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>booth</title><script type=module src=booth.js></script>",
    )
    .unwrap();
    std::fs::write(
        dir.join("elections.html"),
        "<!doctype html><title>list</title>",
    )
    .unwrap();
    std::fs::write(dir.join("booth.js"), "export const booth = 1;\n").unwrap();
    std::fs::write(dir.join("style.css"), "body { margin: 0 }\n").unwrap();
    std::fs::write(
        dir.join("pkg/psephos_wasm_bg.wasm"),
        b"\0asm\x01\0\0\0booth",
    )
    .unwrap();
}

/// A proxy in front of `upstream` (host:port) that answers every second request for a path
/// ending in `target` with the upstream's body plus a few bytes: a server serving a modified
/// file to some clients. Everything else passes through unchanged.
fn tampering_proxy(upstream: String, target: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(client) = conn else { continue };
            let upstream = upstream.clone();
            let seen = seen.clone();
            std::thread::spawn(move || {
                let _ = relay(client, &upstream, target, &seen);
            });
        }
    });
    format!("http://{addr}")
}

fn relay(
    mut client: TcpStream,
    upstream: &str,
    target: &str,
    seen: &AtomicU64,
) -> std::io::Result<()> {
    // The request head (the client sends GETs without bodies).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let path = text.split(' ').nth(1).unwrap_or("").to_string();
    let mut lines: Vec<&str> = text
        .split("\r\n")
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("connection: close");
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(format!("{}\r\n\r\n", lines.join("\r\n")).as_bytes())?;
    let mut response = Vec::new();
    up.read_to_end(&mut response)?;
    let tamper = path.ends_with(target) && seen.fetch_add(1, Ordering::SeqCst) % 2 == 1;
    if tamper {
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let mut body = response[split..].to_vec();
        body.extend_from_slice(b"/* and also send the choices elsewhere */");
        let head: Vec<String> = String::from_utf8_lossy(&response[..split - 4])
            .split("\r\n")
            .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
            .map(str::to_owned)
            .collect();
        response = format!(
            "{}\r\ncontent-length: {}\r\n\r\n",
            head.join("\r\n"),
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(&body);
    }
    client.write_all(&response)?;
    Ok(())
}

fn run(command: &str, dir: &Path) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn verify_booth_passes_against_the_demo_and_catches_a_tampering_server() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let web = dir.join("booth");
    write_booth(&web);
    let mut child = Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(["demo-serve", "--config"])
        .arg(root.join("election-config/referendum.toml"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--voters-per-style",
            "2",
            "--web",
        ])
        .arg(&web)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let _child = Killed(child);
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
    let command = printed
        .iter()
        .map(|l| l.trim())
        .find(|l| l.contains(" verify-booth "))
        .expect("the demo prints the verify-booth command")
        .to_string();
    let service = command
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_string();

    // The demo's booth is the one its board pins.
    let ok = run(&command, dir);
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{command}\n{stdout}\n{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for file in ["/booth.js", "/index.html", "/pkg/psephos_wasm_bg.wasm", "/"] {
        assert!(
            stdout.contains(&format!("ok    served {file}\n")),
            "{stdout}"
        );
    }
    assert!(!stdout.contains("FAIL"), "{stdout}");
    let json = run(&format!("{command} --json"), dir);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(report["files"].as_array().unwrap().len(), 6, "{report}");

    // A server that serves other bytes to every second request is caught, file by file.
    let upstream = service.trim_start_matches("http://").to_string();
    for target in ["/booth.js", ".wasm"] {
        let proxy = tampering_proxy(upstream.clone(), target);
        let bad = run(&command.replace(&service, &proxy), dir);
        let stdout = String::from_utf8_lossy(&bad.stdout);
        assert!(!bad.status.success(), "{target}: {stdout}");
        let failed: Vec<&str> = stdout.lines().filter(|l| l.contains("FAIL")).collect();
        assert_eq!(failed.len(), 1, "{target}: {stdout}");
        assert!(failed[0].contains(target), "{target}: {stdout}");
        assert!(failed[0].contains("the manifest says"), "{stdout}");
    }

    // --build: the same files pass; a build with another booth.js does not.
    let same = run(&format!("{command} --build '{}'", web.display()), dir);
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );
    assert!(String::from_utf8_lossy(&same.stdout).contains("ok    build /booth.js"));
    let other = dir.join("other-build");
    write_booth(&other);
    std::fs::write(other.join("booth.js"), "export const booth = 2;\n").unwrap();
    let differs = run(&format!("{command} --build '{}'", other.display()), dir);
    let stdout = String::from_utf8_lossy(&differs.stdout);
    assert!(!differs.status.success(), "{stdout}");
    assert!(stdout.contains("FAIL  build /booth.js"), "{stdout}");
}

//! The README's "Run an election, step by step", run as written: every code block marked
//! `<!-- readme-test: … -->` is taken from `README.md` itself, so the test fails when the README
//! and the program drift apart.
//!
//! Markers: `run` (each command in order), `each trustee` (the block is written for alice; it
//! runs for alice, bob and carol), `file NAME` (the block's text is written to NAME), `run after
//! stopping the server`. The only liberties taken, all stated here: the port `8080` becomes a
//! free one; the placeholder token `3f9c…` becomes the operator token `serve` printed; the commands that
//! keep running (`serve`, `witness run`, `trustee ceremony`) are started in the background, and
//! trustee ceremonies are waited for at the end of the next `run` block; the complaint window is
//! set to 2 s through `PSEPHOS_COMPLAINT_WINDOW` (the documented variable) so the test does not
//! wait a minute; passphrases come on standard input (no terminal). Voters (step 7, a browser)
//! are played by this test with the private credential codes the README's commands wrote.
//!
//! Every command must exit 0 without a panic, without ANSI colour codes on its standard error,
//! and with its standard output ending in a newline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report
#![allow(clippy::zombie_processes)] // background children are killed and waited for at the end

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TRUSTEES: [&str; 3] = ["alice", "bob", "carol"];
const PASSPHRASE: &str = "readme test passphrase";
const TOKEN_PLACEHOLDER: &str = "3f9c…";

#[derive(Debug, PartialEq)]
enum Kind {
    Run,
    EachTrustee,
    File(String),
    RunAfterStop,
}

/// The marked code blocks of the README, in order.
fn blocks(readme: &str) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(marker) = line
            .trim()
            .strip_prefix("<!-- readme-test:")
            .and_then(|m| m.strip_suffix("-->"))
        else {
            continue;
        };
        let kind = match marker.trim() {
            "run" => Kind::Run,
            "each trustee" => Kind::EachTrustee,
            "run after stopping the server" => Kind::RunAfterStop,
            m if m.starts_with("file ") => Kind::File(m["file ".len()..].trim().to_string()),
            m => panic!("unknown readme-test marker {m:?}"),
        };
        let fence = lines.next().expect("a code block after the marker");
        assert!(
            fence.starts_with("```"),
            "the marker {marker:?} is not followed by a code block"
        );
        let mut text = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            text.push_str(l);
            text.push('\n');
        }
        out.push((kind, text));
    }
    out
}

/// A shell block's commands: continuation lines joined, comment lines and blank lines dropped.
fn commands(block: &str) -> Vec<String> {
    let joined = block.replace("\\\n", " ");
    joined
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

struct Run {
    dir: PathBuf,
    env: BTreeMap<String, String>,
    port: u16,
    token: Option<String>,
    serve: Option<(Child, std::thread::JoinHandle<String>)>,
    witness: Option<Child>,
    ceremonies: Vec<(String, Child)>,
}

impl Run {
    fn substitute(&self, command: &str) -> String {
        let mut c = command.replace("127.0.0.1:8080", &format!("127.0.0.1:{}", self.port));
        if c.contains(TOKEN_PLACEHOLDER) {
            c = c.replace(
                TOKEN_PLACEHOLDER,
                self.token
                    .as_deref()
                    .expect("serve printed no operator token"),
            );
        }
        c
    }

    fn bash(&self, command: &str) -> Command {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(command)
            .current_dir(&self.dir)
            .env_clear()
            .envs(&self.env);
        c
    }

    /// Runs one command to its end; checks it as the module says. Returns its stdout.
    fn run(&mut self, command: &str) -> String {
        let command = self.substitute(command);
        if command.starts_with("export ") {
            // Run it in bash and keep the environment it leaves.
            let out = self.bash(&format!("{command}\nenv -0")).output().unwrap();
            assert!(out.status.success(), "{command}: {out:?}");
            for kv in out.stdout.split(|b| *b == 0) {
                let kv = String::from_utf8_lossy(kv);
                if let Some((k, v)) = kv.split_once('=') {
                    if k.starts_with("PSEPHOS_") {
                        self.env.insert(k.to_string(), v.to_string());
                    }
                }
            }
            return String::new();
        }
        let mut child = self
            .bash(&command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The passphrase, for a trustee command that asks for one (no terminal here).
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSPHRASE}\n").as_bytes());
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(
            out.status.success(),
            "README command failed: {command}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        check_output(&command, &stdout, &stderr);
        stdout
    }

    /// Starts a command that keeps running.
    fn spawn(&self, command: &str) -> Child {
        self.bash(&format!("exec {command}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn start_serve(&mut self, command: &str) {
        let mut child = self.spawn(&self.substitute(command));
        let stderr = child.stderr.take().unwrap();
        let logs = std::thread::spawn(move || {
            let mut all = String::new();
            for line in BufReader::new(stderr).lines() {
                all.push_str(&line.unwrap_or_default());
                all.push('\n');
            }
            all
        });
        let mut out = BufReader::new(child.stdout.take().unwrap());
        loop {
            let mut line = String::new();
            assert!(out.read_line(&mut line).unwrap() > 0, "serve exited early");
            if let Some(t) = line.strip_prefix("operator token (shown once; keep it safe): ") {
                self.token = Some(t.trim().to_string());
            }
            if line.contains("listening on ") {
                std::thread::spawn(move || for _ in out.lines() {});
                break;
            }
        }
        self.serve = Some((child, logs));
    }

    fn start_background(&mut self, command: &str, trustee: Option<&str>) {
        let mut child = self.spawn(&self.substitute(command));
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSPHRASE}\n").as_bytes());
        match trustee {
            Some(t) => self.ceremonies.push((t.to_string(), child)),
            None => self.witness = Some(child),
        }
    }

    /// Waits for the background trustee ceremonies to end, successfully.
    fn join_ceremonies(&mut self) {
        for (t, child) in self.ceremonies.drain(..) {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).to_string();
            let stderr = String::from_utf8_lossy(&out.stderr).to_string();
            assert!(
                out.status.success(),
                "{t}'s trustee ceremony failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
            );
            check_output("trustee ceremony", &stdout, &stderr);
        }
    }

    /// SIGTERM to the server (a clean stop, as an operator does) and the witness; returns the
    /// server's log.
    fn stop_server(&mut self) -> String {
        if let Some(mut w) = self.witness.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let (mut child, logs) = self.serve.take().expect("the server is running");
        let pid = child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "serve stopped with {status}");
                break;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        logs.join().unwrap()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        for c in self
            .serve
            .as_mut()
            .map(|(c, _)| c)
            .into_iter()
            .chain(self.witness.as_mut())
            .chain(self.ceremonies.iter_mut().map(|(_, c)| c))
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn check_output(command: &str, stdout: &str, stderr: &str) {
    assert!(
        !stderr.contains("panicked"),
        "{command} panicked:\n{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "{command} wrote ANSI codes to a pipe: {:?}",
        stderr.lines().next().unwrap_or_default()
    );
    assert!(
        stdout.is_empty() || stdout.ends_with('\n'),
        "{command}: its output does not end with a newline: {stdout:?}"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Step 7: the voters, with the codes of the private credential file the README wrote.
fn vote(dir: &Path, base: &str) -> usize {
    use psephos_core::ballot::encrypt_ballot;
    use psephos_core::credential::CredentialCode;
    use psephos_core::election::{Election, Manifest};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let v: serde_json::Value = http
            .get(format!("{base}/api/v1/elections/referendum"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let manifest: Manifest = serde_json::from_value(v["manifest"].clone()).unwrap();
        let key: psephos_record::KeyAnnouncement =
            serde_json::from_value(v["key"].clone()).unwrap();
        let election = Election::new(manifest.clone(), key.joint_key).unwrap();
        let mut codes = csv::Reader::from_path(dir.join("credentials.secret.csv")).unwrap();
        let header = codes.headers().unwrap().clone();
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (style_at, code_at) = (column("style"), column("credential_code"));
        let mut cast = 0;
        for row in codes.records() {
            let row = row.unwrap();
            let (style, code) = (&row[style_at], &row[code_at]);
            let code = CredentialCode::parse(code).unwrap();
            let plain =
                psephos_core::sim::random_ballot(&manifest, style, &mut rand_core::OsRng).unwrap();
            let (ballot, _) = encrypt_ballot(
                &election,
                &code.secret(&manifest.id),
                &plain,
                &mut rand_core::OsRng,
            )
            .unwrap();
            let r = http
                .post(format!("{base}/api/v1/elections/referendum/ballots"))
                .json(&ballot)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201, "{:?}", r.text().await);
            cast += 1;
        }
        cast
    })
}

/// A command whose standard output is closed before it writes stops quietly (no panic), as a
/// reader like `head` that has read enough closes it.
fn check_broken_pipe(run: &Run, command: &str) {
    let (reader, writer) = std::os::unix::net::UnixStream::pair().unwrap();
    drop(reader);
    let out = run
        .bash(&format!("exec {}", run.substitute(command)))
        .stdout(Stdio::from(std::os::fd::OwnedFd::from(writer)))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{command}:\n{stderr}");
    assert_eq!(
        out.status.code(),
        Some(141),
        "{command}: {:?} {stderr}",
        out.status
    );
}

#[test]
fn the_readme_election_runs_as_written() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = blocks(&readme);
    assert!(blocks.len() >= 8, "the README lost its marked blocks");
    assert!(
        readme.contains(TOKEN_PLACEHOLDER),
        "the README's export line names the token {TOKEN_PLACEHOLDER}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    // Officials run the commands from a checkout: `election-config/` is where the README says.
    std::os::unix::fs::symlink(root.join("election-config"), dir.join("election-config")).unwrap();
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_psephos"), bin.join("psephos")).unwrap();
    let mut env = BTreeMap::new();
    env.insert(
        "PATH".to_string(),
        format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
    );
    env.insert("HOME".to_string(), dir.display().to_string());
    env.insert("PSEPHOS_COMPLAINT_WINDOW".to_string(), "2s".to_string());
    env.insert("RUST_LOG".to_string(), "info".to_string());
    let mut run = Run {
        dir: dir.clone(),
        env,
        port: free_port(),
        token: None,
        serve: None,
        witness: None,
        ceremonies: Vec::new(),
    };
    let base = format!("http://127.0.0.1:{}", run.port);
    let mut voted = false;
    let mut results = Vec::new();
    for (kind, text) in &blocks {
        match kind {
            Kind::File(name) => std::fs::write(dir.join(name), text).unwrap(),
            Kind::EachTrustee => {
                for t in TRUSTEES {
                    for c in commands(text) {
                        let c = c.replace("alice", t);
                        if c.starts_with("psephos trustee ceremony") {
                            run.start_background(&c, Some(t));
                        } else {
                            results.push((c.clone(), run.run(&c)));
                        }
                    }
                }
            }
            Kind::Run | Kind::RunAfterStop => {
                if *kind == Kind::RunAfterStop {
                    let logs = run.stop_server();
                    let first = logs.lines().next().unwrap_or_default();
                    assert!(
                        !logs.contains('\u{1b}'),
                        "serve logged ANSI codes: {first:?}"
                    );
                    assert!(!logs.contains("panicked"), "{logs}");
                }
                for c in commands(text) {
                    if c.starts_with("psephos serve") {
                        run.start_serve(&c);
                    } else if c.starts_with("psephos witness run") {
                        run.start_background(&c, None);
                    } else {
                        if c.starts_with("psephos election close") && !voted {
                            // Step 7, between opening and closing.
                            assert_eq!(vote(&dir, &base), 3);
                            voted = true;
                        }
                        results.push((c.clone(), run.run(&c)));
                    }
                }
                run.join_ceremonies();
            }
        }
        if run.serve.is_some() && !run.env.contains_key("PSEPHOS_SERVER") {
            // While the server runs: a closed standard output is no panic.
            check_broken_pipe(&run, "psephos election list --server http://127.0.0.1:8080");
        }
    }
    assert!(voted, "the README never closed the election");
    // The election went all the way: decrypted, and the record verified.
    let status = results
        .iter()
        .rev()
        .find(|(c, _)| c.starts_with("psephos trustee status"))
        .expect("trustee status ran");
    assert!(status.1.contains("result"), "{}", status.1);
    let verified = results
        .iter()
        .find(|(c, _)| c.starts_with("psephos verify"))
        .expect("verify ran");
    assert!(!verified.1.contains("FAIL"), "{}", verified.1);
    assert!(dir.join("election.record").exists());
}

//! `psephos credentials mail`: sends each voter their credential code by e-mail, from the
//! private file, through the credential authority's SMTP server.
//!
//! What it guarantees, and how:
//! - **Nobody gets a second mail.** Every attempt is written to the *delivery log* (JSON lines,
//!   appended and synced) twice: `sending` before the message goes out, then `sent` or `failed`.
//!   A later run skips every voter whose last event is `sent`, retries `failed` ones, and does
//!   not resend a voter whose last event is `sending` (the run stopped while that message was in
//!   flight: it may have been delivered) unless told to (`--resend-unknown`). The log is bound to
//!   the private file by a digest of its voter ids and codes, so a log of another list of codes
//!   is refused.
//! - **The log holds no code** (nor anything derived from one alone): voter id, e-mail address,
//!   event, time, and the server's reply.
//! - **Credentials for the SMTP server never appear on the command line** (where `ps` and shell
//!   history show them): they come from a file (`--auth-file`, mode 0600) or the environment.
//!   The transport is TLS (`smtps://`) or STARTTLS (`smtp://…?tls=required`); plaintext needs
//!   `--insecure-plaintext` and never carries a password.
//! - **A rate limit** (`--rate`, messages per second) keeps a provider's sending limits.
//! - **Failures are listed at the end with their voter ids**: refusals by the server (e.g. an
//!   unknown mailbox, "bounces" reported during the session), connection failures, voters with
//!   no address. Bounces that arrive later, as mail to the sender, are outside the tool's view.
//!
//! The message is made from a template file the authority can edit (`psephos credentials
//! template` prints the default): a `Subject:` line, a blank line, and the body, with the
//! placeholders `{election}`, `{name}`, `{voter_id}`, `{style}`, `{url}` and `{code}`.

use super::format::CodeRow;
use anyhow::{bail, Context};
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use zeroize::Zeroizing;

/// The default message template.
pub const DEFAULT_TEMPLATE: &str = include_str!("mail-template.txt");

/// The placeholders a template may use.
pub const PLACEHOLDERS: [&str; 6] = ["election", "name", "voter_id", "style", "url", "code"];

/// The environment variables that hold the SMTP user name and password.
pub const ENV_USER: &str = "PSEPHOS_SMTP_USER";
pub const ENV_PASSWORD: &str = "PSEPHOS_SMTP_PASSWORD";

/// A message template: a subject and a body with `{placeholder}`s.
#[derive(Debug, Clone)]
pub struct Template {
    subject: String,
    body: String,
}

impl Template {
    /// Parses a template: `Subject: …`, a blank line, the body. Every placeholder must be known,
    /// the body must hold `{code}` and the subject must not (subjects are shown in mailbox
    /// lists and logged by mail servers).
    pub fn parse(text: &str) -> anyhow::Result<Template> {
        let text = text.replace("\r\n", "\n");
        let Some((head, body)) = text.split_once("\n\n") else {
            bail!("the template must start with a `Subject: …` line followed by a blank line");
        };
        let Some(subject) = head.strip_prefix("Subject:") else {
            bail!("the template's first line must be `Subject: …`");
        };
        if subject.contains('\n') {
            bail!("the template's subject must be one line, followed by a blank line");
        }
        let t = Template {
            subject: subject.trim().to_string(),
            body: body.to_string(),
        };
        for (part, text) in [("subject", &t.subject), ("body", &t.body)] {
            for name in placeholders(text)? {
                if !PLACEHOLDERS.contains(&name.as_str()) {
                    bail!(
                        "unknown placeholder {{{name}}} in the template's {part} (known: {})",
                        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                    );
                }
            }
        }
        if placeholders(&t.subject)?.iter().any(|p| p == "code") {
            bail!("the template's subject must not contain {{code}}");
        }
        if !placeholders(&t.body)?.iter().any(|p| p == "code") {
            bail!("the template's body must contain {{code}}");
        }
        Ok(t)
    }

    /// Fills the template for one voter: (subject, body). The body holds the code.
    pub fn fill(&self, election: &str, url: &str, row: &CodeRow) -> (String, Zeroizing<String>) {
        let name = if row.name.is_empty() {
            row.voter_id.as_str()
        } else {
            row.name.as_str()
        };
        let values = [
            election,
            name,
            row.voter_id.as_str(),
            row.style.as_str(),
            url,
            row.code.as_str(),
        ];
        let fill = |text: &str, out: &mut String| {
            let mut rest = text;
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let after = &rest[open + 1..];
                match after.find('}') {
                    Some(close) => {
                        let name = &after[..close];
                        match PLACEHOLDERS.iter().position(|p| *p == name) {
                            Some(i) => out.push_str(values[i]),
                            None => out.push_str(&rest[open..open + close + 2]),
                        }
                        rest = &after[close + 1..];
                    }
                    None => {
                        out.push_str(&rest[open..]);
                        rest = "";
                    }
                }
            }
            out.push_str(rest);
        };
        let mut subject = String::new();
        fill(&self.subject, &mut subject);
        // One line: a name cannot hold a control character, but the election name might.
        let subject = subject.replace(['\r', '\n'], " ");
        let mut body = Zeroizing::new(String::with_capacity(
            self.body.len() + 4 * (name.len() + election.len() + url.len()) + 256,
        ));
        fill(&self.body, &mut body);
        (subject, body)
    }
}

/// The `{name}`s in a text; `{` without a closing `}` is an error.
fn placeholders(text: &str) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            bail!("a `{{` in the template is not closed by `}}`");
        };
        out.push(after[..close].to_string());
        rest = &after[close + 1..];
    }
    Ok(out)
}

/// How the tool reaches the SMTP server.
#[derive(Debug)]
pub struct SmtpSettings {
    /// `smtps://host[:port]`, `smtp://host[:port]?tls=required`, or (with `insecure_plaintext`)
    /// `smtp://host[:port]`.
    pub url: String,
    pub insecure_plaintext: bool,
    /// A file holding the user name on its first line and the password on its second.
    pub auth_file: Option<PathBuf>,
    pub timeout: Duration,
}

/// Builds the transport: checks the URL's security and takes credentials from the file or the
/// environment, never from the URL.
pub fn transport(s: &SmtpSettings) -> anyhow::Result<SmtpTransport> {
    let url =
        url::Url::parse(&s.url).with_context(|| format!("--smtp {:?} is not a URL", s.url))?;
    if !url.username().is_empty() || url.password().is_some() {
        bail!(
            "--smtp must not hold a user name or password (the command line is visible to other \
             users and kept in shell history): use --auth-file or {ENV_USER} and {ENV_PASSWORD}"
        );
    }
    let tls = url
        .query_pairs()
        .find(|(k, _)| k == "tls")
        .map(|(_, v)| v.into_owned());
    let encrypted = match (url.scheme(), tls.as_deref()) {
        ("smtps", _) | ("smtp", Some("required")) => true,
        ("smtp", None) | ("smtp", Some("opportunistic")) => false,
        _ => bail!(
            "--smtp must be smtps://HOST[:PORT] (TLS), smtp://HOST[:PORT]?tls=required (STARTTLS), \
             or smtp://HOST[:PORT] with --insecure-plaintext"
        ),
    };
    if !encrypted && !s.insecure_plaintext {
        bail!(
            "{} is not encrypted: every credential code would cross the network in clear. Use \
             smtps:// or ?tls=required, or --insecure-plaintext for a relay on this machine",
            s.url
        );
    }
    let credentials = credentials(s.auth_file.as_deref())?;
    if credentials.is_some() && !encrypted {
        bail!("refusing to send the SMTP password over a plaintext connection");
    }
    let mut builder = SmtpTransport::from_url(url.as_str())
        .with_context(|| format!("--smtp {}", s.url))?
        .timeout(Some(s.timeout));
    if let Some(c) = credentials {
        builder = builder.credentials(c);
    }
    Ok(builder.build())
}

fn credentials(auth_file: Option<&Path>) -> anyhow::Result<Option<Credentials>> {
    if let Some(path) = auth_file {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .with_context(|| format!("reading {}", path.display()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                bail!(
                    "{} is readable by others (mode {:o}): make it mode 0600",
                    path.display(),
                    mode & 0o777
                );
            }
        }
        let text = Zeroizing::new(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        );
        let mut lines = text.lines();
        let (Some(user), Some(password)) = (lines.next(), lines.next()) else {
            bail!(
                "{} must hold the user name on its first line and the password on its second",
                path.display()
            );
        };
        return Ok(Some(Credentials::new(
            user.to_string(),
            password.to_string(),
        )));
    }
    match (std::env::var(ENV_USER), std::env::var(ENV_PASSWORD)) {
        (Ok(user), Ok(password)) => Ok(Some(Credentials::new(user, password))),
        (Err(_), Err(_)) => Ok(None),
        _ => bail!("set both {ENV_USER} and {ENV_PASSWORD}, or neither"),
    }
}

/// One line of the delivery log after the header.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LogEvent {
    pub voter_id: String,
    pub email: String,
    pub event: Event,
    /// RFC 3339, UTC, to the second.
    pub at: String,
    /// The server's reply or the error; never the message.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// What happened to one voter's message.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// About to be handed to the server.
    Sending,
    /// The server accepted it.
    Sent,
    /// The server refused it, or could not be reached: it was not sent.
    Failed,
}

/// The delivery log's first line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogHeader {
    log: String,
    version: u32,
    /// [`codes_digest`] of the private file the log is for.
    codes: String,
}

const LOG_NAME: &str = "psephos credential delivery log";

/// A digest binding the log to one set of codes: SHA-256 over a label and each row's voter id
/// and code, length-prefixed. With 110 bits of entropy per code it reveals nothing about them.
pub fn codes_digest(rows: &[CodeRow]) -> String {
    let mut h = Sha256::new();
    h.update(b"psephos/delivery-log v1");
    for r in rows {
        for part in [r.voter_id.as_bytes(), r.code.as_bytes()] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
    }
    hex::encode(h.finalize())
}

/// Each voter's last event in a delivery log.
pub fn read_log(path: &Path, digest: &str) -> anyhow::Result<HashMap<String, LogEvent>> {
    let mut last = HashMap::new();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(last),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let mut lines = std::io::BufReader::new(file).lines();
    let Some(first) = lines.next() else {
        return Ok(last);
    };
    let first = first.with_context(|| format!("reading {}", path.display()))?;
    let header: LogHeader = serde_json::from_str(&first)
        .ok()
        .filter(|h: &LogHeader| h.log == LOG_NAME && h.version == 1)
        .with_context(|| format!("{} is not a delivery log", path.display()))?;
    if header.codes != digest {
        bail!(
            "{} is the delivery log of another private file (other codes): give a new --log",
            path.display()
        );
    }
    for (i, line) in lines.enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<LogEvent>(&line) {
            Ok(e) => {
                last.insert(e.voter_id.clone(), e);
            }
            // A line cut short by a crash can only be the last one.
            Err(_) => eprintln!(
                "warning: {} line {} is not a log event; ignored",
                path.display(),
                i + 2
            ),
        }
    }
    Ok(last)
}

/// The delivery log, open for appending; every event is synced before the tool goes on.
struct Log {
    file: std::fs::File,
    path: PathBuf,
}

impl Log {
    fn open(path: &Path, digest: &str) -> anyhow::Result<Log> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let empty = file.metadata().map(|m| m.len() == 0).unwrap_or(false);
        if empty {
            let header = LogHeader {
                log: LOG_NAME.to_string(),
                version: 1,
                codes: digest.to_string(),
            };
            writeln!(file, "{}", serde_json::to_string(&header)?)
                .and_then(|()| file.sync_data())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(Log {
            file,
            path: path.to_path_buf(),
        })
    }

    fn append(&mut self, row: &CodeRow, event: Event, detail: &str) -> anyhow::Result<()> {
        let e = LogEvent {
            voter_id: row.voter_id.clone(),
            email: row.email.clone(),
            event,
            at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            detail: detail.chars().take(500).collect(),
        };
        let mut line = serde_json::to_string(&e)?;
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("writing the delivery log {}", self.path.display()))
    }
}

/// What `mail` is asked to do.
#[derive(Debug)]
pub struct MailJob<'a> {
    pub election_name: &'a str,
    pub booth_url: &'a str,
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    pub template: Template,
    pub log: &'a Path,
    /// Messages per second at most (0: no limit).
    pub rate: f64,
    /// Stop after this many failures in a row that are not the server refusing one recipient
    /// (the server is down or refuses everything: go on later, with a new run).
    pub max_consecutive_failures: u32,
    pub resend_unknown: bool,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct MailReport {
    /// Sent by this run.
    pub sent: usize,
    /// Sent by an earlier run, skipped.
    pub already_sent: usize,
    /// `(voter id, e-mail, reason)` of the messages that failed in this run.
    pub failed: Vec<(String, String, String)>,
    /// Voters whose earlier attempt was interrupted: maybe delivered, not resent.
    pub unknown: Vec<(String, String)>,
    /// Voters with no e-mail address.
    pub no_email: Vec<String>,
    /// Voters not tried because the run stopped early.
    pub not_tried: usize,
    /// Why the run stopped early.
    pub stopped: Option<String>,
}

impl MailReport {
    /// Whether every voter with an address now has their message.
    pub fn complete(&self) -> bool {
        self.failed.is_empty() && self.unknown.is_empty() && self.not_tried == 0
    }
}

/// Sends every voter who has not had their message yet; see the module docs.
pub fn send_all(
    job: &MailJob<'_>,
    rows: &[CodeRow],
    transport: &dyn Fn(&Message) -> Result<String, lettre::transport::smtp::Error>,
) -> anyhow::Result<MailReport> {
    let digest = codes_digest(rows);
    let previous = read_log(job.log, &digest)?;
    let mut log = Log::open(job.log, &digest)?;
    let mut report = MailReport::default();
    let interval = if job.rate > 0.0 {
        Duration::from_secs_f64(1.0 / job.rate)
    } else {
        Duration::ZERO
    };
    let mut next_slot = Instant::now();
    let mut consecutive = 0u32;
    let domain = job
        .from
        .email
        .domain()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect::<String>();
    for (i, row) in rows.iter().enumerate() {
        if row.email.is_empty() {
            report.no_email.push(row.voter_id.clone());
            continue;
        }
        match previous.get(&row.voter_id).map(|e| e.event) {
            Some(Event::Sent) => {
                report.already_sent += 1;
                continue;
            }
            Some(Event::Sending) if !job.resend_unknown => {
                report
                    .unknown
                    .push((row.voter_id.clone(), row.email.clone()));
                continue;
            }
            _ => {}
        }
        if report.stopped.is_some() {
            report.not_tried += 1;
            continue;
        }
        let to = Mailbox::new(
            (!row.name.is_empty()).then(|| row.name.clone()),
            row.email
                .parse()
                .with_context(|| format!("voter {:?}: bad e-mail address", row.voter_id))?,
        );
        let (subject, body) = job.template.fill(job.election_name, job.booth_url, row);
        let mut builder = Message::builder()
            .from(job.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@{domain}>", random_id())))
            .header(ContentType::TEXT_PLAIN);
        if let Some(r) = &job.reply_to {
            builder = builder.reply_to(r.clone());
        }
        let message = builder
            .body(body.to_string())
            .context("building the message")?;
        drop(body);

        // Rate limit: one message per interval.
        let now = Instant::now();
        if next_slot > now {
            std::thread::sleep(next_slot - now);
        }
        next_slot = next_slot.max(now) + interval;

        log.append(row, Event::Sending, "")?;
        match transport(&message) {
            Ok(reply) => {
                log.append(row, Event::Sent, &reply)?;
                report.sent += 1;
                consecutive = 0;
            }
            Err(e) => {
                let reason = error_text(&e);
                log.append(row, Event::Failed, &reason)?;
                report
                    .failed
                    .push((row.voter_id.clone(), row.email.clone(), reason.clone()));
                // A permanent refusal of one recipient says nothing about the next one.
                if e.is_permanent() {
                    consecutive = 0;
                } else {
                    consecutive += 1;
                    if consecutive >= job.max_consecutive_failures {
                        report.stopped = Some(format!(
                            "{consecutive} failures in a row, the last: {reason}"
                        ));
                    }
                }
            }
        }
        if (i + 1) % 1000 == 0 {
            eprintln!("… {} of {} voters", i + 1, rows.len());
        }
    }
    Ok(report)
}

fn error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        // lettre's message already quotes a server reply that is also its source.
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text.replace(['\r', '\n'], " ")
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut bytes);
    hex::encode(bytes)
}

/// Sends one message through the transport, returning the server's reply.
pub fn send_one(
    t: &SmtpTransport,
    message: &Message,
) -> Result<String, lettre::transport::smtp::Error> {
    t.send(message).map(|r| {
        let mut text = r.code().to_string();
        for line in r.message() {
            text.push(' ');
            text.push_str(line);
        }
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> CodeRow {
        CodeRow {
            voter_id: "v-1".into(),
            name: "Ann Smith".into(),
            email: "ann@example.org".into(),
            style: "north".into(),
            code: Zeroizing::new("AAAAAA-BBBBBB-CCCCCC-DDDDDD".into()),
        }
    }

    #[test]
    fn the_default_template_parses_and_fills() {
        let t = Template::parse(DEFAULT_TEMPLATE).unwrap();
        let (subject, body) = t.fill("Town vote", "https://v.example/e/t/", &row());
        assert_eq!(subject, "Your voting credential for Town vote");
        assert!(body.contains("AAAAAA-BBBBBB-CCCCCC-DDDDDD"));
        assert!(body.contains("Dear Ann Smith,"));
        assert!(body.contains("https://v.example/e/t/"));
        assert!(!body.contains('{'));
    }

    #[test]
    fn the_documented_default_is_the_default() {
        let doc = include_str!("../../../../docs/credentials.md");
        assert!(
            doc.contains(DEFAULT_TEMPLATE),
            "docs/credentials.md must quote the default template verbatim"
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        for (text, why) in [
            ("Hello {code}", "Subject"),
            ("Subject: x\n\nno code here", "must contain {code}"),
            ("Subject: {code}\n\n{code}", "must not contain {code}"),
            ("Subject: x\n\n{code} {nmae}", "unknown placeholder {nmae}"),
            ("Subject: x\n\n{code} {oops", "not closed"),
            ("Nonsense: x\n\n{code}", "first line"),
        ] {
            let e = Template::parse(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text:?}: {e}");
        }
    }

    #[test]
    fn smtp_urls_with_secrets_or_without_tls_are_refused() {
        let s = |url: &str, plain: bool| SmtpSettings {
            url: url.into(),
            insecure_plaintext: plain,
            auth_file: None,
            timeout: Duration::from_secs(5),
        };
        let e = transport(&s("smtps://u:p@mail.example.org", false)).unwrap_err();
        assert!(e
            .to_string()
            .contains("must not hold a user name or password"));
        let e = transport(&s("smtp://mail.example.org", false)).unwrap_err();
        assert!(e.to_string().contains("not encrypted"));
        let e = transport(&s("smtp://mail.example.org?tls=opportunistic", false)).unwrap_err();
        assert!(e.to_string().contains("not encrypted"));
        let e = transport(&s("http://mail.example.org", false)).unwrap_err();
        assert!(e.to_string().contains("smtps://"));
        assert!(transport(&s("smtps://mail.example.org", false)).is_ok());
        assert!(transport(&s("smtp://mail.example.org:587?tls=required", false)).is_ok());
        assert!(transport(&s("smtp://127.0.0.1:2525", true)).is_ok());
    }

    #[test]
    fn the_digest_depends_on_ids_and_codes() {
        let a = row();
        let mut b = row();
        b.code = Zeroizing::new("AAAAAA-BBBBBB-CCCCCC-DDDDDE".into());
        let mut c = row();
        c.email = "other@example.org".into();
        assert_ne!(codes_digest(&[a]), codes_digest(&[b]));
        assert_eq!(codes_digest(&[row()]), codes_digest(&[c]));
    }
}

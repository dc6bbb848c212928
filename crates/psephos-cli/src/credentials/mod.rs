//! `psephos credentials`: the credential authority's offline tool (the server never sees a
//! code). `generate` makes one credential per voter and writes the public list (for the board)
//! and the private file of codes; `check` validates a public list against the manifest;
//! `letters` prints the codes as a PDF of letters ([`letters`]); `mail` sends them by e-mail
//! ([`mail`]); `template` prints the default mail template. Formats: `docs/protocol.md` §7.1 and
//! [`format`].

pub mod format;
pub mod letters;
pub mod mail;

use crate::files::{create_new, Access};
use anyhow::{bail, Context};
pub use format::{
    csv_field, read_codes, read_voters, CodeRow, CredentialList, ListedCredential, PRIVATE_HEADER,
};
use psephos_core::credential::CredentialCode;
use rand_core::OsRng;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub action: Action,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Make one credential per voter: the public list to upload and the private codes to mail.
    Generate {
        /// The election definition (`election-config/*.toml`).
        #[arg(long)]
        election: PathBuf,
        /// The voter list: CSV whose header names `voter_id`, `style` and optionally `name`,
        /// `email`, `weight`.
        #[arg(long)]
        voters: PathBuf,
        /// Where to write the public credential list (JSON); must not exist.
        #[arg(long, default_value = "credentials.public.json")]
        public: PathBuf,
        /// Where to write the private codes (CSV, mode 0600); must not exist.
        #[arg(long, default_value = "credentials.secret.csv")]
        private: PathBuf,
    },
    /// Print one letter per voter: a PDF (mode 0600) with the booth's address and QR code and
    /// the voter's credential code.
    Letters {
        /// The election definition (`election-config/*.toml`): the letters name the election.
        #[arg(long)]
        election: PathBuf,
        /// The private codes written by `generate`.
        #[arg(long, default_value = "credentials.secret.csv")]
        codes: PathBuf,
        /// The voting booth's address, printed and encoded in the QR code
        /// (e.g. https://vote.example.org/e/referendum/).
        #[arg(long)]
        url: String,
        /// Where to write the letters (PDF, mode 0600); must not exist.
        #[arg(long, default_value = "letters.secret.pdf")]
        out: PathBuf,
    },
    /// Send each voter their credential code by e-mail; a delivery log lets a second run resume
    /// without sending anyone a second message.
    Mail {
        /// The election definition (`election-config/*.toml`).
        #[arg(long)]
        election: PathBuf,
        /// The private codes written by `generate` (with an `email` column).
        #[arg(long, default_value = "credentials.secret.csv")]
        codes: PathBuf,
        /// The voting booth's address, for the `{url}` placeholder.
        #[arg(long)]
        url: String,
        /// The SMTP server: smtps://HOST[:PORT] (TLS), smtp://HOST[:PORT]?tls=required
        /// (STARTTLS), or smtp://HOST[:PORT] with --insecure-plaintext. No password here.
        #[arg(long)]
        smtp: String,
        /// Allow an unencrypted connection (a relay on this machine); never with a password.
        #[arg(long)]
        insecure_plaintext: bool,
        /// A file (mode 0600) with the SMTP user name on its first line and the password on its
        /// second; otherwise PSEPHOS_SMTP_USER and PSEPHOS_SMTP_PASSWORD, if set.
        #[arg(long)]
        auth_file: Option<PathBuf>,
        /// The sender, e.g. "Election Authority <ca@example.org>".
        #[arg(long)]
        from: String,
        /// Where replies go, if not to the sender.
        #[arg(long)]
        reply_to: Option<String>,
        /// The message template (see `psephos credentials template`); the default if absent.
        #[arg(long)]
        template: Option<PathBuf>,
        /// The delivery log: created if absent, resumed if present.
        #[arg(long, default_value = "delivery.log")]
        log: PathBuf,
        /// At most this many messages per second (0: no limit).
        #[arg(long, default_value_t = 5.0)]
        rate: f64,
        /// Stop after this many failures in a row that are not the refusal of one recipient.
        #[arg(long, default_value_t = 5)]
        max_consecutive_failures: u32,
        /// Also resend to voters whose earlier attempt was interrupted (they may get two).
        #[arg(long)]
        resend_unknown: bool,
        /// Seconds to wait for the SMTP server.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Print the default mail template, to edit and pass to `mail --template`.
    Template,
    /// Validate a public credential list against the election and print its summary.
    Check {
        /// The election definition (`election-config/*.toml`).
        #[arg(long)]
        election: PathBuf,
        /// The public credential list (JSON).
        #[arg(long)]
        public: PathBuf,
    },
}

pub fn run(args: Args) -> anyhow::Result<()> {
    match args.action {
        Action::Generate {
            election,
            voters,
            public,
            private,
        } => generate(&election, &voters, &public, &private),
        Action::Check { election, public } => check(&election, &public),
        Action::Letters {
            election,
            codes,
            url,
            out,
        } => write_letters(&election, &codes, &url, &out),
        Action::Mail {
            election,
            codes,
            url,
            smtp,
            insecure_plaintext,
            auth_file,
            from,
            reply_to,
            template,
            log,
            rate,
            max_consecutive_failures,
            resend_unknown,
            timeout,
        } => {
            let settings = mail::SmtpSettings {
                url: smtp,
                insecure_plaintext,
                auth_file,
                timeout: std::time::Duration::from_secs(timeout),
            };
            let manifest = crate::load_manifest(&election)?;
            letters::check_url(&url).context("--url")?;
            let template = match &template {
                Some(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))
                    .and_then(|t| {
                        mail::Template::parse(&t).with_context(|| format!("in {}", p.display()))
                    })?,
                None => mail::Template::parse(mail::DEFAULT_TEMPLATE)?,
            };
            if !(rate >= 0.0 && rate.is_finite()) {
                bail!("--rate must be a number of messages per second, 0 for no limit");
            }
            let job = mail::MailJob {
                election_name: &manifest.name,
                booth_url: &url,
                from: from.parse().context("--from is not an e-mail address")?,
                reply_to: reply_to
                    .map(|r| r.parse())
                    .transpose()
                    .context("--reply-to is not an e-mail address")?,
                template,
                log: &log,
                rate,
                max_consecutive_failures: max_consecutive_failures.max(1),
                resend_unknown,
            };
            send_mail(&job, &settings, &codes)
        }
        Action::Template => {
            print!("{}", mail::DEFAULT_TEMPLATE);
            Ok(())
        }
    }
}

fn load_codes(codes: &Path) -> anyhow::Result<Vec<CodeRow>> {
    let file = File::open(codes).with_context(|| format!("reading {}", codes.display()))?;
    read_codes(std::io::BufReader::new(file)).with_context(|| format!("in {}", codes.display()))
}

fn write_letters(election: &Path, codes: &Path, url: &str, out: &Path) -> anyhow::Result<()> {
    let manifest = crate::load_manifest(election)?;
    letters::check_url(url).context("--url")?;
    if out.symlink_metadata().is_ok() {
        bail!("{} already exists: refusing to overwrite it", out.display());
    }
    let rows = load_codes(codes)?;
    let head = letters::Letterhead {
        election_name: &manifest.name,
        booth_url: url,
    };
    let pdf = letters::letters_pdf(&head, &rows)?;
    let result = (|| -> anyhow::Result<()> {
        let mut f = create_new(out, Access::Secret)?;
        f.write_all(&pdf)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing {}", out.display()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(out);
    }
    result?;
    println!(
        "{} letters: {} ({} bytes, mode 0600; print, then destroy)",
        rows.len(),
        out.display(),
        pdf.len()
    );
    Ok(())
}

fn send_mail(
    job: &mail::MailJob<'_>,
    settings: &mail::SmtpSettings,
    codes: &Path,
) -> anyhow::Result<()> {
    let rows = load_codes(codes)?;
    let transport = mail::transport(settings)?;
    let report = mail::send_all(job, &rows, &|m| mail::send_one(&transport, m))?;
    println!(
        "sent {} message(s) in this run; {} sent before; delivery log: {}",
        report.sent,
        report.already_sent,
        job.log.display()
    );
    if !report.no_email.is_empty() {
        println!(
            "{} voter(s) have no e-mail address (send them a letter): {}",
            report.no_email.len(),
            report.no_email.join(", ")
        );
    }
    if !report.unknown.is_empty() {
        println!(
            "{} voter(s) whose message was in flight when an earlier run stopped (maybe delivered; \
             not resent; --resend-unknown resends them):",
            report.unknown.len()
        );
        for (id, email) in &report.unknown {
            println!("  {id} <{email}>");
        }
    }
    if !report.failed.is_empty() {
        println!(
            "{} failure(s) (not sent; run again to retry):",
            report.failed.len()
        );
        for (id, email, reason) in &report.failed {
            println!("  {id} <{email}>: {reason}");
        }
    }
    if let Some(why) = &report.stopped {
        println!(
            "stopped early ({why}); {} voter(s) not tried: run again to resume",
            report.not_tried
        );
    }
    if !report.complete() {
        bail!("not every voter with an e-mail address has their message yet");
    }
    Ok(())
}

fn generate(election: &Path, voters: &Path, public: &Path, private: &Path) -> anyhow::Result<()> {
    let manifest = crate::load_manifest(election)?;
    if public == private {
        bail!("--public and --private must be different files");
    }
    for p in [public, private] {
        if p.symlink_metadata().is_ok() {
            bail!("{} already exists: refusing to overwrite it", p.display());
        }
    }
    let file = File::open(voters).with_context(|| format!("reading {}", voters.display()))?;
    let voter_list = read_voters(std::io::BufReader::new(file), &manifest)
        .with_context(|| format!("in {}", voters.display()))?;

    // Private rows in the voter list's order; public entries sorted by CredentialList::new.
    // Reserve an upper bound up front so the buffer holding the codes never reallocates (a
    // reallocation would free a copy without zeroizing it).
    let capacity = PRIVATE_HEADER.len()
        + 1
        + voter_list
            .iter()
            .map(|v| {
                2 * (v.voter_id.len() + v.name.len() + v.email.len() + v.style.len())
                    + 8
                    + 20
                    + 5
                    + 27
                    + 1
            })
            .sum::<usize>();
    let mut private_text = Zeroizing::new(String::with_capacity(capacity));
    private_text.push_str(PRIVATE_HEADER);
    private_text.push('\n');
    let mut listed = Vec::with_capacity(voter_list.len());
    for v in &voter_list {
        let code = CredentialCode::generate(&mut OsRng);
        let credential = code.secret(&manifest.id).public();
        let text = Zeroizing::new(code.expose());
        for field in [&v.voter_id, &v.name, &v.email] {
            csv_field(&mut private_text, field);
            private_text.push(',');
        }
        csv_field(&mut private_text, &v.style);
        private_text.push(',');
        private_text.push_str(&v.weight.to_string());
        private_text.push(',');
        private_text.push_str(&text);
        private_text.push('\n');
        listed.push(ListedCredential {
            credential,
            style: v.style.clone(),
            weight: v.weight,
        });
    }
    debug_assert!(private_text.len() <= capacity);
    let list = CredentialList::new(&manifest, listed);
    // Self-check (also catches the astronomically unlikely duplicate credential).
    let summary = list
        .validate(&manifest)
        .context("the generated list is invalid (internal error)")?;
    let mut public_json = serde_json::to_string_pretty(&list)?;
    public_json.push('\n');

    write_both(
        private,
        private_text.as_bytes(),
        public,
        public_json.as_bytes(),
    )?;
    print!("{summary}");
    println!(
        "public list: {} (upload to the board)\nprivate codes: {} (mode 0600; deliver to voters, then destroy)",
        public.display(),
        private.display()
    );
    Ok(())
}

/// Creates both files (never overwriting; the private one with mode 0600) and writes them; if
/// anything fails, removes whatever it created so that nothing is left behind.
fn write_both(
    private: &Path,
    private_bytes: &[u8],
    public: &Path,
    public_bytes: &[u8],
) -> anyhow::Result<()> {
    let mut created: Vec<&Path> = Vec::new();
    let result = (|| -> anyhow::Result<()> {
        let mut pf = create_new(private, Access::Secret)?;
        created.push(private);
        let mut qf = create_new(public, Access::Public)?;
        created.push(public);
        pf.write_all(private_bytes)
            .and_then(|()| pf.sync_all())
            .with_context(|| format!("writing {}", private.display()))?;
        qf.write_all(public_bytes)
            .and_then(|()| qf.sync_all())
            .with_context(|| format!("writing {}", public.display()))?;
        Ok(())
    })();
    if result.is_err() {
        for p in created {
            let _ = std::fs::remove_file(p);
        }
    }
    result
}

fn check(election: &Path, public: &Path) -> anyhow::Result<()> {
    let manifest = crate::load_manifest(election)?;
    let text =
        std::fs::read_to_string(public).with_context(|| format!("reading {}", public.display()))?;
    let list: CredentialList = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid credential list", public.display()))?;
    let summary = list.validate(&manifest).with_context(|| {
        format!(
            "{} is not valid for {}",
            public.display(),
            election.display()
        )
    })?;
    print!("{summary}");
    println!("OK: {} is a valid credential list", public.display());
    Ok(())
}

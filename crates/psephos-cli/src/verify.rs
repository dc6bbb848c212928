//! `psephos verify <record file | board URL>`: runs every check of `docs/verification.md` over
//! an election record and prints a numbered report (or JSON with `--json`). Exits 0 only if
//! every check passes (or does not apply to an election that is not finished).
//!
//! A URL is a board's base URL: the record is fetched from `{url}/api/v1/record` into a
//! temporary file first, so that the second pass (over ballots superseded by revotes) reads the
//! very bytes the first pass checked.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use psephos_board::checkpoint::Checkpoint;
use psephos_board::note::Note;
use psephos_record::verify::{
    verify_record_with, Anchor, ContestLabels, OpenWith, Progress, Report, Source, Status, Step,
    VerifyOptions,
};

use crate::trust::TrustArgs;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A record file (`psephos record export`) or a service's base URL (http:// or https://)
    /// with `--election`.
    pub source: String,
    /// With a URL: the election's id in the service.
    #[arg(long, env = "PSEPHOS_ELECTION")]
    pub election: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
    /// A checkpoint note you already trust (from a receipt or a witness), repeatable: the
    /// record must contain its history.
    #[arg(long = "checkpoint")]
    pub checkpoints: Vec<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let mut options = args.trust.verify_options()?;
    for path in &args.checkpoints {
        options.anchors.push(read_anchor(path)?);
    }
    let show = !args.quiet && !args.json;
    let (report, _spool) =
        if args.source.starts_with("http://") || args.source.starts_with("https://") {
            let spool = tempfile::NamedTempFile::new().context("creating a temporary file")?;
            let election = args
                .election
                .as_deref()
                .context("a URL needs --election ID: the election whose record to verify")?;
            let url = format!(
                "{}/record",
                crate::http::election_url(&args.source, election)?
            );
            if show {
                eprintln!("Fetching {url} …");
            }
            let size = fetch(&url, spool.path())?;
            if show {
                eprintln!("  {size} bytes");
            }
            (verify_file(spool.path(), &options, show)?, Some(spool))
        } else {
            (verify_file(Path::new(&args.source), &options, show)?, None)
        };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    if !report.passed {
        let failed = report.failed();
        bail!(
            "verification failed: {} ({} checks)",
            failed.iter().map(|c| c.id()).collect::<Vec<_>>().join(", "),
            report
                .checks
                .iter()
                .filter(|c| c.status != Status::Pass && c.status != Status::NotApplicable)
                .count()
        );
    }
    Ok(())
}

/// Verifies a record file with progress bars on the long steps.
pub fn verify_file(path: &Path, options: &VerifyOptions, show: bool) -> anyhow::Result<Report> {
    File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let owned = path.to_path_buf();
    let source = OpenWith(move || File::open(&owned).map(|f| BufReader::with_capacity(1 << 20, f)));
    let report = if show {
        verify_record_with(&source, options, &mut Bars::default())
    } else {
        verify_record_with(&source, options, &mut psephos_record::verify::NoProgress)
    };
    Ok(report)
}

/// A trusted checkpoint note: parsed here (a malformed file is an error before verifying);
/// whether it opens under the board's origin and key is check 6.
fn read_anchor(path: &Path) -> anyhow::Result<Anchor> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let note = Note::parse(text.as_bytes()).with_context(|| format!("{}", path.display()))?;
    Checkpoint::parse_body(note.text()).with_context(|| format!("{}", path.display()))?;
    Ok(Anchor::new(text))
}

fn fetch(url: &str, to: &Path) -> anyhow::Result<u64> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let response = reqwest::get(url)
            .await
            .with_context(|| format!("GET {url}"))?
            .error_for_status()
            .with_context(|| format!("GET {url}"))?;
        let mut out = std::io::BufWriter::new(
            File::create(to).with_context(|| format!("creating {}", to.display()))?,
        );
        crate::http::save_body(response, &mut out, "the record").await
    })
}

#[derive(Default)]
struct Bars {
    bar: Option<ProgressBar>,
}

impl Progress for Bars {
    fn start(&mut self, step: Step, total: u64) {
        let bar = ProgressBar::new(total);
        let label = match step {
            Step::Record => "checking entries",
            Step::Revotes => "re-reading revoted ballots",
            _ => "working",
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:28} [{bar:40}] {pos}/{len} entries ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(label);
        self.bar = Some(bar);
    }
    fn advance(&mut self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
    }
    fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

/// The readable report.
pub fn print_report(r: &Report) {
    println!(
        "Election record of board {} ({} entries, {} blocks)",
        r.origin.as_deref().unwrap_or("?"),
        r.entries,
        r.blocks
    );
    let t = &r.trust;
    println!(
        "  board key {} ({})",
        r.board_key.as_deref().unwrap_or("?"),
        if t.board_key.is_pinned() {
            "pinned with --board-key"
        } else {
            "from the record header, not independently checked: pin it with --board-key"
        }
    );
    println!(
        "  {} witness keys ({}); quorum {} ({})",
        t.witness_count,
        if t.witnesses.is_pinned() {
            "pinned with --witness"
        } else {
            "from the record header, not independently checked: pin them with --witness"
        },
        t.quorum,
        match t.quorum_source {
            Source::Pinned => "given with --quorum",
            Source::MajorityOfPinnedWitnesses => "a majority of the pinned witnesses",
            _ => "from the record header",
        }
    );
    if let Some(name) = &r.election_name {
        println!(
            "  election {name} ({}), phase {}",
            r.election_id.as_deref().unwrap_or("?"),
            r.phase.unwrap_or("?")
        );
    }
    if let Some(h) = &r.election_hash {
        println!("  election hash {h}");
    }
    if let Some(c) = &r.counts {
        println!(
            "  {} credentials, {} ballots cast by {} voters, {} challenged, {} decryption shares",
            c.credentials, c.ballots_cast, c.voters, c.challenges, c.shares
        );
    }
    println!();
    for c in &r.checks {
        let eg = c
            .electionguard
            .map(|e| format!("  [ElectionGuard 2.0 {e}]"))
            .unwrap_or_default();
        println!(
            "{:>3}. {:<7} {:<20} {}{}",
            c.number,
            c.status.name(),
            c.id.id(),
            c.title,
            eg
        );
        if c.checked > 0 {
            if c.failed > 0 {
                println!("              {} checked, {} failed", c.checked, c.failed);
            } else {
                println!("              {} checked", c.checked);
            }
        }
        for d in &c.details {
            println!("              - {d}");
        }
        if c.failed as usize > c.details.len() && c.status == Status::Fail {
            println!(
                "              - … and {} more",
                c.failed as usize - c.details.len()
            );
        }
        for n in &c.notes {
            println!("              note: {n}");
        }
    }
    println!();
    if let Some(result) = &r.result {
        println!("Verified result:");
        for (labels, c) in r.contests.iter().zip(&result.contests) {
            if let Some(ranked) = r.ranked.iter().find(|x| x.contest == labels.id) {
                print_ranked(labels, &ranked.transcript);
                continue;
            }
            if let Some(w) = r.write_ins.iter().find(|x| x.contest == labels.id) {
                print_write_ins(labels, w);
                continue;
            }
            println!(
                "  {} — {} ballots (weight {})",
                labels.title, c.ballots, c.weight
            );
            for (label, n) in labels.options.iter().zip(&c.counts) {
                println!("    {n:>10}  {label}");
            }
        }
        println!();
    }
    let bad = r
        .checks
        .iter()
        .filter(|c| matches!(c.status, Status::Fail | Status::Skipped))
        .count();
    if r.passed {
        let na = r
            .checks
            .iter()
            .filter(|c| c.status == Status::NotApplicable)
            .count();
        if na == 0 {
            println!("All {} checks pass.", r.checks.len());
        } else {
            println!("Every applicable check passes ({} not applicable).", na);
        }
    } else {
        println!("VERIFICATION FAILED: {bad} checks failed or could not be completed.");
    }
}

/// A write-in contest's verified count: the listed options, then the written names (most
/// first) and the invalid write-ins. Names are shown as written, compared by their bytes.
fn print_write_ins(labels: &ContestLabels, w: &psephos_record::verify::WriteInOutcome) {
    println!("  {} — {} ballots", labels.title, w.ballots);
    for (label, n) in labels.options.iter().zip(&w.counts) {
        println!("    {n:>10}  {label}");
    }
    for (name, n) in &w.names {
        println!("    {n:>10}  {name:?} (written in)");
    }
    println!("    {:>10}  invalid write-ins", w.invalid);
}

/// A ranked contest's verified count: the first-preference round, then each round's action
/// and who was elected.
fn print_ranked(labels: &ContestLabels, t: &psephos_core::count::CountTranscript) {
    use psephos_core::count::{Action, Method};
    let name = |k: u32| {
        labels
            .options
            .get(k as usize)
            .cloned()
            .unwrap_or_else(|| format!("#{}", k + 1))
    };
    let method = match t.method {
        Method::Irv => "instant-runoff".to_string(),
        Method::Stv { seats } => format!("STV, {seats} seats"),
        Method::Schulze => "Schulze".to_string(),
    };
    println!(
        "  {} — {} ballots ({} blank), {method}",
        labels.title, t.ballots, t.blank
    );
    if let Some(q) = t.quota {
        println!("    quota {q}");
    }
    for (i, round) in t.rounds.iter().enumerate() {
        let action = match round.action {
            Action::FirstPreferences => "first preferences".to_string(),
            Action::Surplus {
                candidate, surplus, ..
            } => format!("surplus of {} ({surplus}) transferred", name(candidate)),
            Action::Exclusion { candidate, .. } => format!("{} excluded", name(candidate)),
        };
        let tallies: Vec<String> = round
            .tallies
            .iter()
            .enumerate()
            .map(|(k, v)| format!("{} {v}", name(k as u32)))
            .collect();
        println!("    round {}: {action}; {}", i + 1, tallies.join(", "));
    }
    let what = if matches!(t.method, Method::Schulze) {
        "ranking"
    } else {
        "elected"
    };
    let names: Vec<String> = t.elected.iter().map(|&k| name(k)).collect();
    println!("    {what}: {}", names.join(", "));
}

//! `psephos demo`: a whole election in one process, on a real board — key ceremony among three
//! trustee state machines (k = 2), the credential list, simulated voters casting random valid
//! ballots (some revote, some challenge first), close, the mixed contests (ranked ones
//! included) shuffled by every trustee in turn, the tally and the mixed lists decrypted with one
//! trustee absent, the ranked contests counted, and the independent verifier run over the
//! exported record.
//!
//! Every entry goes through the server's [`Rules`] and is appended to a
//! `psephos_board::Board` on SQLite in a temporary directory, sealed into signed checkpoints and
//! cosigned by an in-process witness, so the record `--record FILE` writes is a real board
//! export. [`Driver`] is shared with `psephos bench election`.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use psephos_board::checkpoint::{Cosigner, SignedCheckpoint};
use psephos_board::EntryKind;
use psephos_board::{Board, BoardConfig, Entry};
use psephos_core::ballot::{verify_ballots, EncryptedBallot, VerifiedBallot};
use psephos_core::elgamal::Ciphertext;
use psephos_core::encoding::Canonical;
use psephos_core::mix::MixGenerators;
use psephos_core::mixnet::{mix_input, MixShare, MixedList, Shuffle};
use psephos_core::tally::{EncryptedTally, TallyAccumulator};
use psephos_record::sim::Simulation;
use psephos_record::{Control, Payload, Rules};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Election definition (TOML).
    #[arg(long, default_value = "election-config/municipal-2026.toml")]
    pub config: PathBuf,
    /// Number of simulated voters.
    #[arg(long, default_value_t = 1000)]
    pub voters: usize,
    /// Seed for a reproducible run (default: fresh randomness).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the election record here (must not exist).
    #[arg(long)]
    pub record: Option<PathBuf>,
}

/// Voters per batch: encrypted in parallel, verified in one batch, appended together.
pub const BATCH: usize = 2048;

/// An election driven through the server's rules onto a real board.
pub struct Driver {
    pub sim: Simulation,
    pub state: Rules,
    pub board: Board,
    witness: Cosigner,
    seed: [u8; 32],
    /// The running encrypted tally of the voters cast so far (last ballot of each).
    tally: Option<EncryptedTally>,
    /// With mixed contests: the counted ballots (last of each voter, in board order) with
    /// their style's index, for the mix input.
    mixed: Vec<(usize, EncryptedBallot)>,
    cosigned_block: Option<u64>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("board", &self.board)
            .finish_non_exhaustive()
    }
}

/// Time spent making ballots and ingesting them.
#[derive(Debug, Default, Clone, Copy)]
pub struct CastTimes {
    pub simulate: Duration,
    pub ingest: Duration,
}

impl Driver {
    /// A new board in `dir` (SQLite), with one in-process witness.
    pub async fn open(sim: Simulation, dir: &Path, rng: &mut ChaCha20Rng) -> anyhow::Result<Self> {
        let mut k = [0u8; 32];
        rng.fill_bytes(&mut k);
        let origin = format!("demo.psephos.invalid/{}", sim.manifest.id);
        let mut config = BoardConfig::new(origin, ed25519_dalek::SigningKey::from_bytes(&k));
        rng.fill_bytes(&mut k);
        let witness = Cosigner::new(
            "witness.psephos.invalid",
            ed25519_dalek::SigningKey::from_bytes(&k),
        )?;
        config.witnesses = vec![witness.verifier_key().clone()];
        let url = format!("sqlite://{}?mode=rwc", dir.join("board.db").display());
        let board = Board::open(&url, config)
            .await
            .context("opening the board")?;
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        Ok(Driver {
            sim,
            state: Rules::new(),
            board,
            witness,
            seed,
            tally: None,
            mixed: Vec::new(),
            cosigned_block: None,
        })
    }

    /// Applies each payload to the rules, then appends them all (in batches).
    pub async fn post(&mut self, payloads: Vec<Payload>) -> anyhow::Result<()> {
        let mut entries = Vec::with_capacity(payloads.len());
        for p in payloads {
            self.state
                .apply(&p)
                .with_context(|| format!("the rules reject a {} entry", p.kind()))?;
            entries.push(Entry::new(p.kind(), p.to_bytes())?);
        }
        self.append(entries).await
    }

    async fn append(&self, entries: Vec<Entry>) -> anyhow::Result<()> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        for e in entries {
            if batch.len() == 4096 || bytes + e.payload.len() > 15 << 20 {
                self.board.append_all(std::mem::take(&mut batch)).await?;
                bytes = 0;
            }
            bytes += e.payload.len();
            batch.push(e);
        }
        if !batch.is_empty() {
            self.board.append_all(batch).await?;
        }
        Ok(())
    }

    /// Definition, ceremony, credentials, key announcement, open.
    pub async fn setup(&mut self) -> anyhow::Result<()> {
        let mut p = vec![self.sim.definition()];
        p.extend(self.sim.ceremony_messages());
        p.extend(self.sim.credential_lists());
        p.push(self.sim.key_announcement()?);
        p.extend(self.sim.opening());
        self.post(p).await
    }

    /// Voters `range` cast (encrypted in parallel), verified in a batch, checked by the rules
    /// and appended; their last ballots join the running tally.
    pub async fn cast(&mut self, range: Range<usize>) -> anyhow::Result<CastTimes> {
        let clock = Instant::now();
        let sim = &self.sim;
        let seed = self.seed;
        let make = |i: usize| -> anyhow::Result<Vec<Payload>> {
            let mut s = seed;
            s[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let mut rng = ChaCha20Rng::from_seed(s);
            Ok(sim.votes(i, &mut rng)?)
        };
        let votes: Vec<Vec<Payload>> = {
            use rayon::prelude::*;
            range
                .clone()
                .into_par_iter()
                .map(make)
                .collect::<anyhow::Result<_>>()?
        };
        let simulate = clock.elapsed();
        let clock = Instant::now();
        let election = self.sim.election.clone();
        let ballots: Vec<_> = votes
            .iter()
            .flatten()
            .filter_map(|p| match p {
                Payload::Ballot(b) => Some(b.clone()),
                _ => None,
            })
            .collect();
        let mut verified = verify_ballots(&election, ballots).into_iter();
        let mut entries = Vec::new();
        let mut counted: Vec<(VerifiedBallot, u64)> = Vec::with_capacity(votes.len());
        for (i, voter) in range.zip(votes) {
            let mut last = None;
            for p in voter {
                match &p {
                    Payload::Ballot(_) => {
                        let vb = verified
                            .next()
                            .context("a verdict per ballot")?
                            .context("a simulated ballot does not verify")?;
                        self.state.apply_verified_ballot(&vb)?;
                        last = Some(vb);
                    }
                    _ => {
                        self.state.apply(&p)?;
                    }
                }
                entries.push(Entry::new(p.kind(), p.to_bytes())?);
            }
            if let Some(vb) = last {
                if self.state.has_mixed_contests() {
                    let style = self
                        .state
                        .eligibility(&vb.ballot().credential)
                        .context("a counted ballot's credential is listed")?
                        .style;
                    self.mixed.push((style, vb.ballot().clone()));
                }
                counted.push((vb, self.sim.weight(i)));
            }
        }
        let mut acc = TallyAccumulator::new(&election);
        for (vb, w) in &counted {
            acc.add(vb, *w)?;
        }
        let part = acc.finish();
        self.tally = Some(match self.tally.take() {
            None => part,
            Some(t) => add_tallies(t, &part),
        });
        self.append(entries).await?;
        Ok(CastTimes {
            simulate,
            ingest: clock.elapsed(),
        })
    }

    /// Close, mix (when a contest is mixed), post the encrypted tally, the present trustees'
    /// shares (and mixed shares), the mix result, the mixed count (when a contest is ranked)
    /// and the result.
    pub async fn close_and_tally(&mut self, rng: &mut ChaCha20Rng) -> anyhow::Result<Vec<u32>> {
        self.post(vec![Payload::Control(Control::Close)]).await?;
        let lists = self.mix(rng).await?;
        let tally = match self.tally.take() {
            Some(t) => t,
            None => TallyAccumulator::new(&self.sim.election).finish(),
        };
        self.post(vec![Payload::Tally(tally.clone())]).await?;
        let present = self.sim.present_trustees();
        let shares = present
            .iter()
            .map(|&j| self.sim.share(&tally, j, rng).map(Payload::Share))
            .collect::<Result<Vec<_>, _>>()?;
        self.post(shares).await?;
        if let Some(lists) = lists {
            let hash = *self.sim.election.hash();
            for &j in &present {
                let outcome = self
                    .sim
                    .ceremony
                    .outcomes
                    .get(j as usize - 1)
                    .context("a present trustee's outcome")?;
                let share = MixShare::compute(&hash, &lists, j, &outcome.secret_share, rng);
                self.post(Payload::parts(
                    EntryKind::MixShare,
                    &share.to_canonical_bytes(),
                ))
                .await?;
            }
            let result = self.state.combined_mix_result()?;
            self.post(Payload::parts(
                EntryKind::MixResult,
                &result.to_canonical_bytes(),
            ))
            .await?;
            if self.state.needs_mixed_count() {
                let (count, _) = self.state.recount()?;
                self.post(vec![Payload::MixedCount(count)]).await?;
            }
        }
        let result = self.state.combined_result()?;
        self.post(vec![Payload::Result(result)]).await?;
        Ok(present)
    }

    /// With mixed contests: the mix input and a shuffle by every trustee in index order; the
    /// final lists. `None` when nothing is mixed.
    async fn mix(&mut self, rng: &mut ChaCha20Rng) -> anyhow::Result<Option<Vec<MixedList>>> {
        if !self.state.has_mixed_contests() {
            return Ok(None);
        }
        let mixers = self.sim.ceremony.signing_keys.len() as u32;
        let input = mix_input(
            &self.sim.election,
            mixers,
            self.mixed.iter().map(|(s, b)| (*s, b)),
        )?;
        self.mixed = Vec::new();
        let rows = input.lists.iter().map(|l| l.list.rows().len()).max();
        let generators = MixGenerators::standard(rows.unwrap_or(1).max(1))?;
        self.post(Payload::parts(
            EntryKind::MixInput,
            &input.to_canonical_bytes(),
        ))
        .await?;
        let mut lists = input.lists;
        for m in 1..=mixers {
            let key = self
                .sim
                .ceremony
                .signing_keys
                .get(m as usize - 1)
                .context("a mixer's signing key")?;
            let s = Shuffle::make(
                self.sim.election.hash(),
                self.sim.election.key(),
                &generators,
                m,
                &lists,
                key,
                rng,
            )?;
            lists = s.outputs();
            self.post(Payload::parts(EntryKind::Shuffle, &s.to_canonical_bytes()))
                .await?;
        }
        Ok(Some(lists))
    }

    /// Seals what is pending and has the witness cosign every new checkpoint.
    pub async fn seal_and_witness(&mut self) -> anyhow::Result<()> {
        self.board.seal_now().await?;
        let Some(latest) = self.board.latest_block().await? else {
            return Ok(());
        };
        let mut h = self.cosigned_block.map_or(0, |h| h + 1);
        while h <= latest.header.number {
            for b in self.board.blocks(h, 1000).await? {
                let cp = SignedCheckpoint::open(
                    b.header.checkpoint.as_bytes(),
                    self.board.origin(),
                    self.board.verifier_key(),
                    &[],
                )?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let line = self.witness.cosign(&cp, now)?;
                self.board
                    .add_cosignature(b.header.tree_size, &line.to_string())
                    .await?;
                h = b.header.number + 1;
                self.cosigned_block = Some(b.header.number);
            }
        }
        Ok(())
    }

    /// Writes the record to `path` (must not exist).
    pub async fn export(
        &self,
        path: &Path,
    ) -> anyhow::Result<psephos_record::format::RecordHeader> {
        let file = crate::files::create_new(path, crate::files::Access::Public)?;
        let w = std::io::BufWriter::with_capacity(1 << 20, file);
        Ok(psephos_record::export::export_board(&self.board, 1, w).await?)
    }
}

/// One ranked contest's outcome, in a few lines: method, ballots, rounds and who won.
fn print_ranked(
    manifest: &psephos_core::election::Manifest,
    c: &psephos_core::ranked::RankedCount,
) {
    use psephos_core::count::Method;
    let Some(contest) = manifest
        .contest_index(&c.contest)
        .map(|i| &manifest.contests[i])
    else {
        return;
    };
    let name = |k: &u32| {
        contest
            .options
            .get(*k as usize)
            .map_or_else(|| format!("#{k}"), |o| o.label.clone())
    };
    let t = &c.transcript;
    let (method, what) = match t.method {
        Method::Irv => ("IRV".to_string(), "elected"),
        Method::Stv { seats } => (format!("STV, {seats} seats"), "elected"),
        Method::Schulze => ("Schulze".to_string(), "ranking"),
    };
    println!(
        "   {} ({method}): {} ballots ({} blank), {} rounds; {what}: {}",
        contest.title,
        t.ballots,
        t.blank,
        t.rounds.len(),
        t.elected.iter().map(name).collect::<Vec<_>>().join(", ")
    );
}

fn add_tallies(mut a: EncryptedTally, b: &EncryptedTally) -> EncryptedTally {
    for (ca, cb) in a.contests.iter_mut().zip(&b.contests) {
        ca.ballots += cb.ballots;
        ca.weight += cb.weight;
        for (x, y) in ca.ciphertexts.iter_mut().zip(&cb.ciphertexts) {
            *x = Ciphertext::sum([&*x, y]);
        }
    }
    a
}

pub fn run(args: Args) -> anyhow::Result<()> {
    crate::runtime()?.block_on(run_async(args))
}

async fn run_async(args: Args) -> anyhow::Result<()> {
    let manifest = crate::load_manifest(&args.config)?;
    let mut rng = match args.seed {
        Some(s) => ChaCha20Rng::seed_from_u64(s),
        None => ChaCha20Rng::from_rng(rand_core::OsRng).context("seeding from the OS")?,
    };
    let t = manifest.trustees;
    println!("Election: {} ({})", manifest.name, manifest.id);
    println!(
        "  {} contests, {} ballot styles, {} of {} trustees needed to decrypt",
        manifest.contests.len(),
        manifest.ballot_styles.len(),
        t.threshold,
        t.count
    );
    let clock = Instant::now();
    let sim = Simulation::new(manifest, args.voters, &mut rng)?;
    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let mut d = Driver::open(sim, dir.path(), &mut rng).await?;
    println!(
        "  board {} on SQLite in a temporary directory",
        d.board.origin()
    );
    d.setup().await?;
    let key = d.state.key().context("the key is announced")?;
    println!(
        "1. Key ceremony: {} signed messages from {} trustees; joint key {}",
        d.sim.ceremony.log.len(),
        t.count,
        key.joint_key.to_hex()
    );
    println!("   election hash {}", key.election_hash);
    println!(
        "2. {} credentials published; voting open",
        d.state.counts().credentials
    );
    let mut times = CastTimes::default();
    let mut start = 0;
    while start < args.voters {
        let end = (start + BATCH).min(args.voters);
        let ct = d.cast(start..end).await?;
        times.simulate += ct.simulate;
        times.ingest += ct.ingest;
        d.seal_and_witness().await?;
        start = end;
    }
    let c = d.state.counts();
    println!(
        "3. {} ballots cast by {} voters ({} revotes), {} challenged and opened; encrypted in {:.2?}, verified (batch), checked and appended in {:.2?}",
        c.ballots_cast,
        c.voters,
        c.ballots_cast - c.voters,
        c.challenges,
        times.simulate,
        times.ingest
    );
    let present = d.close_and_tally(&mut rng).await?;
    if let Some(mix) = d.state.mix() {
        println!(
            "4. Voting closed; {} mixed contests shuffled by trustees {:?} in turn",
            mix.input().lists.len(),
            mix.mixers().iter().map(|(m, _)| *m).collect::<Vec<_>>()
        );
        println!("   tally and mixed lists decrypted by trustees {present:?} (trustee 1 absent)");
    } else {
        println!("4. Voting closed; tally decrypted by trustees {present:?} (trustee 1 absent)");
    }
    if let Some((counts, _)) = d.state.ranked_counts() {
        for c in counts {
            print_ranked(&d.sim.manifest, c);
        }
    }
    for (contest, w) in d.state.write_in_counts().unwrap_or_default() {
        let names: Vec<String> = w.names.iter().map(|(n, k)| format!("{n:?} {k}")).collect();
        println!(
            "   {contest}: {} ballots; written in: {}; {} invalid write-ins",
            w.ballots,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            },
            w.invalid
        );
    }
    d.seal_and_witness().await?;
    let record_path = match &args.record {
        Some(p) => p.clone(),
        None => dir.path().join("election.record"),
    };
    let header = d.export(&record_path).await?;
    println!(
        "5. Board sealed and cosigned: {} entries in {} blocks; record written to {}",
        header.entries,
        header.blocks,
        if args.record.is_some() {
            record_path.display().to_string()
        } else {
            "a temporary file (use --record FILE to keep it)".into()
        }
    );
    d.board.close().await?;
    let vclock = Instant::now();
    let report = crate::verify::verify_file(
        &record_path,
        &psephos_record::VerifyOptions::default(),
        false,
    )?;
    println!(
        "6. Independent verification of the record in {:.2?}:",
        vclock.elapsed()
    );
    println!();
    crate::verify::print_report(&report);
    if !report.passed {
        bail!("the demo election does not verify");
    }
    println!("Done in {:.2?}.", clock.elapsed());
    Ok(())
}

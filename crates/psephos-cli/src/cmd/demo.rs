//! `psephos demo`: a whole election in one process — ceremony, credentials, voters casting
//! (with revotes and challenges), batch verification, tally with one trustee absent, threshold
//! decryption — and the verified result printed per contest.

use anyhow::{bail, Context};
use psephos_core::ballot::{encrypt_ballot, verify_ballots, EncryptedBallot};
use psephos_core::challenge::check_challenge;
use psephos_core::credential::CredentialCode;
use psephos_core::election::Election;
use psephos_core::sim;
use psephos_core::tally::{combine, DecryptionShare, TallyAccumulator};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

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
}

pub fn run(args: Args) -> anyhow::Result<()> {
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
    let ceremony = sim::ceremony(&manifest.hash(), t.count, t.threshold, &mut rng);
    let election = Election::new(manifest.clone(), ceremony.joint_key)?;
    println!(
        "1. Key ceremony done: joint key {}",
        ceremony.joint_key.to_hex()
    );
    println!("   election hash {}", election.hash());

    // Credentials: the authority keeps codes, the board gets public credentials (with weights).
    let codes: Vec<CredentialCode> = (0..args.voters)
        .map(|_| CredentialCode::generate(&mut rng))
        .collect();
    let secrets: Vec<_> = codes.iter().map(|c| c.secret(&manifest.id)).collect();
    let weights: HashMap<_, u64> = secrets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s.public(),
                if manifest.weighted && i % 10 == 0 {
                    2
                } else {
                    1
                },
            )
        })
        .collect();
    println!("2. {} credentials issued", codes.len());

    // Voting: every voter casts; every 10th challenges first; every 7th revotes.
    let mut cast: Vec<EncryptedBallot> = Vec::new();
    let mut expected: Vec<Vec<u64>> = manifest
        .contests
        .iter()
        .map(|c| vec![0; c.options.len()])
        .collect();
    let mut challenged = 0;
    let enc_clock = Instant::now();
    for (i, secret) in secrets.iter().enumerate() {
        let style = &manifest.ballot_styles[i % manifest.ballot_styles.len()];
        if i % 10 == 3 {
            let p = sim::random_ballot(&manifest, &style.id, &mut rng).context("style")?;
            let (b, s) = encrypt_ballot(&election, secret, &p, &mut rng)?;
            let opened = check_challenge(&election, &b, &s.reveal(&b))?;
            if opened != p {
                bail!("a challenged ballot did not open to the voter's choices");
            }
            challenged += 1;
        }
        let rounds = if i % 7 == 0 { 2 } else { 1 };
        let mut last = None;
        for _ in 0..rounds {
            let p = sim::random_ballot(&manifest, &style.id, &mut rng).context("style")?;
            let (b, _) = encrypt_ballot(&election, secret, &p, &mut rng)?;
            cast.push(b);
            last = Some(p);
        }
        if let Some(p) = last {
            let w = weights[&secret.public()];
            for (&ci, pc) in style.contests.iter().zip(&p.contests) {
                for (e, v) in expected[ci].iter_mut().zip(&pc.values) {
                    *e += v * w;
                }
            }
        }
    }
    println!(
        "3. {} ballots cast ({} revotes), {} challenged and checked, in {:.2?}",
        cast.len(),
        cast.len() - args.voters,
        challenged,
        enc_clock.elapsed()
    );

    let ver_clock = Instant::now();
    let n = cast.len();
    let verified = verify_ballots(&election, cast);
    let mut last_by_credential = HashMap::new();
    for v in verified {
        let v = v.context("a ballot failed verification")?;
        last_by_credential.insert(v.ballot().credential, v);
    }
    println!(
        "4. {} ballots verified in a batch in {:.2?}; {} counted (last per credential)",
        n,
        ver_clock.elapsed(),
        last_by_credential.len()
    );

    let mut acc = TallyAccumulator::new(&election);
    for (cred, b) in &last_by_credential {
        acc.add(b, weights[cred])?;
    }
    let tally = acc.finish();
    let present: Vec<u32> = (2..=t.count).take(t.threshold as usize).collect();
    let present = if present.len() < t.threshold as usize {
        (1..=t.threshold).collect()
    } else {
        present
    };
    let shares: Vec<DecryptionShare> = present
        .iter()
        .map(|&j| DecryptionShare::compute(&tally, j, &ceremony.shares[j as usize - 1], &mut rng))
        .collect();
    let vk = |j: u32| {
        ceremony
            .verification_keys
            .get((j as usize).wrapping_sub(1))
            .copied()
    };
    let result = combine(&election, &tally, &shares, vk)?;
    println!(
        "5. Tally decrypted by trustees {:?} (trustee 1 absent), every share proof verified",
        present
    );
    for (r, e) in result.contests.iter().zip(&expected) {
        if &r.counts != e {
            bail!(
                "contest {}: decrypted {:?}, expected {:?}",
                r.contest,
                r.counts,
                e
            );
        }
    }
    println!("6. Result (matches the simulated voters' choices):");
    for (c, r) in manifest.contests.iter().zip(&result.contests) {
        println!("   {} — {} ballots", c.title, r.ballots);
        for (o, n) in c.options.iter().zip(&r.counts) {
            println!("     {:>8}  {}", n, o.label);
        }
    }
    println!("Done in {:.2?}.", clock.elapsed());
    Ok(())
}

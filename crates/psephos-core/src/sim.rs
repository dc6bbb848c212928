//! Simulation helpers for demos, tests and benchmarks: random valid choices and an in-process
//! honest key ceremony. Nothing here is used by a real election; the real ceremony, with
//! encrypted shares, complaints and blame, runs between separate trustees.

use crate::ballot::{PlaintextBallot, PlaintextContest};
use crate::election::{Contest, Manifest, Rule};
use crate::group::Point;
use crate::hash::Digest;
use crate::threshold::{joint_key, verification_key, verify_share, SecretPolynomial, SecretShare};
use rand_core::{CryptoRng, RngCore};

fn below<R: RngCore>(rng: &mut R, n: u64) -> u64 {
    if n == 0 {
        0
    } else {
        rng.next_u64() % n
    }
}

/// A random ranking of `candidates` over `positions` rank positions: between one and
/// `positions` distinct candidates (numbered from 1) in random order, then zeros.
fn random_ranking<R: RngCore>(candidates: u64, positions: usize, rng: &mut R) -> Vec<u64> {
    let mut pool: Vec<u64> = (1..=candidates).collect();
    let given = 1 + below(rng, positions as u64) as usize;
    let mut values = vec![0u64; positions];
    for v in values.iter_mut().take(given) {
        if pool.is_empty() {
            break;
        }
        let i = below(rng, pool.len() as u64) as usize;
        *v = pool.swap_remove(i);
    }
    values
}

/// The names simulated voters write in: a few, so that counts add up, one of them with a
/// character outside ASCII.
pub const SIM_WRITE_IN_NAMES: [&str; 3] = ["Jane Doe", "Zoë Okafor", "R. Mutt"];

/// Random choices of a write-in contest: up to its maximum among the listed options and the
/// slots, a used slot holding one of [`SIM_WRITE_IN_NAMES`] (cut to the contest's length).
fn random_write_ins<R: RngCore>(contest: &Contest, rng: &mut R) -> Vec<u64> {
    let (Some(w), Rule::Bounded { limit: Some(l), .. }) = (contest.write_ins, &contest.rule) else {
        return Vec::new();
    };
    let n = contest.options.len();
    let places = n + w.slots as usize;
    let k = below(rng, l.total + 1).min(places as u64);
    let mut chosen = vec![false; places];
    let mut picked = 0;
    while picked < k {
        let i = below(rng, places as u64) as usize;
        if !chosen[i] {
            chosen[i] = true;
            picked += 1;
        }
    }
    let listed: Vec<u64> = chosen[..n].iter().map(|&c| u64::from(c)).collect();
    let mut names: Vec<String> = Vec::new();
    for _ in chosen[n..].iter().filter(|&&c| c) {
        let name = SIM_WRITE_IN_NAMES[below(rng, 3) as usize];
        let cut: String = name
            .char_indices()
            .take_while(|(i, ch)| i + ch.len_utf8() <= w.max_bytes as usize)
            .map(|(_, ch)| ch)
            .collect();
        names.push(cut.trim().to_owned());
    }
    names.retain(|n| !n.is_empty());
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    crate::write_in::contest_values(contest, &listed, &refs).unwrap_or_default()
}

/// Random valid values for one contest.
pub fn random_values<R: RngCore>(contest: &Contest, rng: &mut R) -> Vec<u64> {
    let n = contest.width();
    if contest.is_ranked() {
        return random_ranking(contest.options.len() as u64, n, rng);
    }
    if contest.write_ins.is_some() {
        let values = random_write_ins(contest, rng);
        if values.len() == n {
            return values;
        }
        return vec![0; n];
    }
    match &contest.rule {
        Rule::Selection { min, max } => {
            let k = min + below(rng, max - min + 1);
            let mut values = vec![0u64; n];
            let mut chosen = 0;
            while chosen < k {
                let i = below(rng, n as u64) as usize;
                if values[i] == 0 {
                    values[i] = 1;
                    chosen += 1;
                }
            }
            values
        }
        Rule::Bounded { maxima, limit } => {
            let mut values: Vec<u64> = maxima.iter().map(|&u| below(rng, u + 1)).collect();
            if let Some(l) = limit {
                loop {
                    let used: u64 = values.iter().zip(&l.weights).map(|(v, w)| v * w).sum();
                    if used <= l.total {
                        break;
                    }
                    let i = below(rng, n as u64) as usize;
                    values[i] = values[i].saturating_sub(1);
                }
            }
            values
        }
    }
}

/// A random valid ballot of `style`.
pub fn random_ballot<R: RngCore>(
    manifest: &Manifest,
    style: &str,
    rng: &mut R,
) -> Option<PlaintextBallot> {
    let s = manifest.style(style)?;
    Some(PlaintextBallot {
        style: style.to_string(),
        contests: s
            .contests
            .iter()
            .map(|&ci| {
                let c = &manifest.contests[ci];
                PlaintextContest {
                    contest: c.id.clone(),
                    values: random_values(c, rng),
                }
            })
            .collect(),
    })
}

/// The outcome of an honest in-process ceremony.
#[derive(Debug)]
pub struct SimulatedCeremony {
    pub joint_key: Point,
    /// Secret share of trustee `j` at index `j − 1`.
    pub shares: Vec<SecretShare>,
    /// Verification key of trustee `j` at index `j − 1`.
    pub verification_keys: Vec<Point>,
}

/// Runs the Feldman DKG among `count` honest in-process trustees with threshold `threshold`,
/// checking every dealt share and every coefficient proof as a real trustee would.
pub fn ceremony<R: RngCore + CryptoRng>(
    manifest_hash: &Digest,
    count: u32,
    threshold: u32,
    rng: &mut R,
) -> SimulatedCeremony {
    let polys: Vec<SecretPolynomial> = (0..count)
        .map(|_| SecretPolynomial::random(threshold, rng))
        .collect();
    let commitments: Vec<Vec<Point>> = polys.iter().map(SecretPolynomial::commitments).collect();
    for (i, p) in polys.iter().enumerate() {
        let proofs = p.coefficient_proofs(manifest_hash, i as u32 + 1, rng);
        debug_assert!(crate::threshold::verify_coefficient_proofs(
            manifest_hash,
            i as u32 + 1,
            threshold,
            &commitments[i],
            &proofs
        ));
    }
    let shares = (1..=count)
        .map(|j| {
            let dealt: Vec<SecretShare> = polys.iter().map(|p| p.evaluate(j)).collect();
            debug_assert!(dealt
                .iter()
                .zip(&commitments)
                .all(|(s, c)| verify_share(j, s, c)));
            SecretShare::sum(&dealt)
        })
        .collect();
    let refs: Vec<&[Point]> = commitments.iter().map(Vec::as_slice).collect();
    SimulatedCeremony {
        joint_key: joint_key(&refs),
        shares,
        verification_keys: (1..=count).map(|j| verification_key(&refs, j)).collect(),
    }
}

/// Manifests of standard benchmark shapes, built through the ordinary TOML path.
pub mod shapes {
    use crate::election::Manifest;
    use std::fmt::Write;

    fn manifest(contests: &[String]) -> Manifest {
        let mut t = String::from(
            "[election]\nid = \"bench\"\nname = \"Benchmark\"\n[trustees]\ncount = 3\nthreshold = 2\n",
        );
        let mut ids = Vec::new();
        for (i, c) in contests.iter().enumerate() {
            let _ = write!(
                t,
                "[[contests]]\nid = \"c{i}\"\ntitle = \"Contest {i}\"\n{c}\n"
            );
            ids.push(format!("\"c{i}\""));
        }
        let _ = write!(
            t,
            "[[ballot_styles]]\nid = \"all\"\ncontests = [{}]\n",
            ids.join(", ")
        );
        // The shapes below are valid by construction; a failure here is a bug in this module.
        Manifest::from_toml(&t).unwrap_or_else(|e| panic!("benchmark shape: {e}"))
    }

    fn options(n: usize, cost: Option<u64>) -> String {
        let opts: Vec<String> = (0..n)
            .map(|j| match cost {
                None => format!("{{ id = \"o{j}\", label = \"Option {j}\" }}"),
                Some(c) => format!(
                    "{{ id = \"o{j}\", label = \"Option {j}\", cost = {} }}",
                    c * (j as u64 + 1)
                ),
            })
            .collect();
        format!("options = [{}]", opts.join(", "))
    }

    /// `contests` approval contests of `n` options each, any number approved (no limit proof).
    pub fn approval(contests: usize, n: usize) -> Manifest {
        let c = format!("kind = \"approval\"\n{}", options(n, None));
        manifest(&vec![c; contests])
    }

    /// One plurality contest of `n` options (exactly one).
    pub fn plurality(n: usize) -> Manifest {
        manifest(&[format!("kind = \"plurality\"\n{}", options(n, None))])
    }

    /// `contests` contests of one kind, `n` options each: `approval`, `plurality`, `score`
    /// (each option in `[0, max]`), `cumulative` (each in `[0, max]`, total at most `max`),
    /// `budget` (costs 100, 200, …; budget `100·n`) or `ranked` (IRV, `n` candidates, `n` ranks).
    /// `None` for an unknown kind.
    pub fn of_kind(kind: &str, contests: usize, n: usize, max: u64) -> Option<Manifest> {
        let c = match kind {
            "approval" => format!("kind = \"approval\"\n{}", options(n, None)),
            "plurality" => format!("kind = \"plurality\"\n{}", options(n, None)),
            "score" => format!("kind = \"score\"\nmax_score = {max}\n{}", options(n, None)),
            "cumulative" => format!(
                "kind = \"cumulative\"\nmax_per_option = {max}\nmax_total = {max}\n{}",
                options(n, None)
            ),
            "budget" => format!(
                "kind = \"budget\"\nbudget = {}\n{}",
                100 * n,
                options(n, Some(100))
            ),
            "ranked" => format!("kind = \"ranked\"\nmethod = \"irv\"\n{}", options(n, None)),
            _ => return None,
        };
        Some(manifest(&vec![c; contests]))
    }

    /// One score contest of `n` options, each in `[0, max]`.
    pub fn score(n: usize, max: u64) -> Manifest {
        manifest(&[format!(
            "kind = \"score\"\nmax_score = {max}\n{}",
            options(n, None)
        )])
    }

    /// One budget contest of `n` options with costs 100, 200, … and budget `100·n`.
    pub fn budget(n: usize) -> Manifest {
        manifest(&[format!(
            "kind = \"budget\"\nbudget = {}\n{}",
            100 * n,
            options(n, Some(100))
        )])
    }
}

/// A complete run of the real key ceremony (§9.5) among in-process honest trustees.
#[derive(Debug)]
pub struct CeremonyRun {
    pub params: crate::ceremony::CeremonyParams,
    /// The ceremony log: every signed message in board order.
    pub log: Vec<crate::ceremony::SignedMessage>,
    /// What each trustee ends with, trustee `j` at index `j − 1`.
    pub outcomes: Vec<crate::ceremony::TrusteeOutcome>,
    /// Each trustee's long-term signing key, trustee `j` at index `j − 1` (what signs its
    /// shuffle, §13.8). Secret.
    pub signing_keys: Vec<crate::ceremony::SigningKey>,
}

/// Runs the real ceremony state machine among `count` honest trustees with fresh keys: each acts
/// in every round and processes every posted message, as it would from the board. Used by the
/// benchmarks and the test vectors.
pub fn run_ceremony<R: RngCore + CryptoRng>(
    manifest_hash: Digest,
    count: u32,
    threshold: u32,
    rng: &mut R,
) -> Result<CeremonyRun, crate::ceremony::CeremonyError> {
    use crate::ceremony::{
        CeremonyError, CeremonyParams, CeremonySecretKey, SigningKey, Trustee, TrusteeIndex,
        TrusteePublic,
    };
    let index = |i: u32| TrusteeIndex::new(i).ok_or(CeremonyError::UnknownTrustee(i));
    let mut publics = Vec::new();
    let mut secrets = Vec::new();
    for i in 1..=count {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let sk = SigningKey::from_bytes(&seed);
        let cs = CeremonySecretKey::generate(rng);
        publics.push(TrusteePublic {
            index: index(i)?,
            name: format!("Trustee {i}"),
            signing_key: sk.verifying_key(),
            ceremony_key: cs.public_key(),
        });
        secrets.push((sk, cs));
    }
    let params = CeremonyParams::new(manifest_hash, count, threshold, publics)?;
    let mut trustees = Vec::with_capacity(secrets.len());
    let mut signing_keys = Vec::with_capacity(secrets.len());
    for (i, (sk, cs)) in secrets.into_iter().enumerate() {
        signing_keys.push(sk.clone());
        trustees.push(Trustee::new(params.clone(), index(i as u32 + 1)?, sk, cs)?);
    }
    let mut log = Vec::new();
    for round in 1..=4 {
        let mut posted = Vec::new();
        for t in &trustees {
            match round {
                1 => posted.push(t.round1(rng)?),
                2 => posted.push(t.round2(rng)?),
                3 => posted.extend(t.round3()?),
                _ => posted.extend(t.round4()?),
            }
        }
        for m in &posted {
            for t in trustees.iter_mut() {
                t.receive(m)?;
            }
        }
        log.extend(posted);
    }
    let outcomes = trustees
        .iter()
        .map(Trustee::finish)
        .collect::<Result<_, _>>()?;
    Ok(CeremonyRun {
        params,
        log,
        outcomes,
        signing_keys,
    })
}

//! `psephos trustee status --server URL`: the ceremony's round, who is awaited, and the tally's
//! progress (which trustees have posted shares, whether the result is out).

use crate::trustee::client::{status_of, Client};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election service (`http://host:port`).
    #[arg(long)]
    pub server: String,
    /// The election's id in the service.
    #[arg(long, env = "PSEPHOS_ELECTION")]
    pub election: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let client = Client::new(&crate::http::election_url(&args.server, &args.election)?)?;
    let c = match client.ceremony().await {
        Ok(c) => c,
        Err(e) if status_of(&e) == Some(404) => {
            println!("no election is defined on this server yet");
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    if c.complete {
        match &c.key {
            Some(k) => println!(
                "ceremony: complete; qualified trustees {:?}; joint key {}",
                k.qualified,
                k.joint_key.to_hex()
            ),
            None => println!("ceremony: complete"),
        }
    } else if let Some(f) = &c.failure {
        println!("ceremony: FAILED: {f}");
    } else {
        println!(
            "ceremony: round {} open ({} message(s)); awaiting commitments from {:?}, shares from {:?}, reveals from {:?}",
            c.round.map_or("-".into(), |r| r.to_string()),
            c.messages,
            c.awaiting.commitments,
            c.awaiting.shares,
            c.awaiting.reveals
        );
    }
    let t = client.tally().await?;
    match (&t.tally, &t.result) {
        (None, _) => println!("tally: not posted yet"),
        (Some(_), None) => println!(
            "tally: posted at index {}; decryption shares from trustees {:?}",
            t.index.map_or("?".into(), |i| i.to_string()),
            t.shares
        ),
        (Some(_), Some(r)) => {
            println!(
                "result (board index {}):",
                t.result_index.map_or("?".into(), |i| i.to_string())
            );
            for c in &r.contests {
                println!("  {}: {:?} ({} ballots)", c.contest, c.counts, c.ballots);
            }
        }
    }
    Ok(())
}

//! The keys a relying party pins, read one way everywhere.
//!
//! A board key and witness keys enter the tool through many commands: `verify` and
//! `trustee decrypt` rely on them ([`TrustArgs`], flattened into both), `serve` and
//! `record export` configure a board with witness keys, `witness run` follows a board key. Each
//! key is parsed here, for its role — the board key an Ed25519 note key (type `0x01`), a witness
//! key a `cosignature/v1` key (`0x04`), a key of the other type refused (`docs/protocol.md`
//! §10.7) — and the quorum a command asks of pinned witnesses when the user names none is the
//! one rule of [`psephos_record::verify::default_quorum`] (a majority; `docs/verification.md`).

use anyhow::bail;
use psephos_board::note::{SignatureType, VerifierKey};
use psephos_record::verify::{default_quorum, VerifyOptions};

/// `--board-key`, `--witness` (repeatable) and `--quorum`: what a command that relies on a board
/// (`psephos verify`, `psephos trustee decrypt`) pins, from a source the board does not control.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TrustArgs {
    /// The board's verifier key (`origin+hash+key`, as `psephos board keygen` printed it), from
    /// a source the board does not control (the officials' publication). `verify` without it
    /// trusts the record's header and says so; `trustee decrypt` requires it.
    #[arg(long)]
    pub board_key: Option<String>,
    /// A witness's verifier key (repeatable). Pinned witnesses replace the record's list: their
    /// cosignatures are the only ones that count.
    #[arg(long = "witness")]
    pub witnesses: Vec<String>,
    /// Distinct witness cosignatures required on the last checkpoint [default: a majority of the
    /// --witness keys; `verify` without --witness: the record's quorum]
    #[arg(long)]
    pub quorum: Option<u32>,
}

impl TrustArgs {
    /// The pinned board key, if given.
    pub fn board_key(&self) -> anyhow::Result<Option<VerifierKey>> {
        self.board_key.as_deref().map(board_key).transpose()
    }

    /// The pinned witness keys (empty if none).
    pub fn witnesses(&self) -> anyhow::Result<Vec<VerifierKey>> {
        witness_keys(&self.witnesses)
    }

    /// The quorum asked of `witnesses` pinned keys: `--quorum`, else the default rule. More than
    /// there are keys is an error, not a check that can never pass.
    pub fn quorum_of(&self, witnesses: &[VerifierKey]) -> anyhow::Result<u32> {
        let quorum = self.quorum.unwrap_or(default_quorum(witnesses.len()));
        if quorum as usize > witnesses.len() {
            bail!(
                "--quorum {quorum} is more than the {} witness key(s) given",
                witnesses.len()
            );
        }
        Ok(quorum)
    }

    /// The verifier's options for `psephos verify`: without `--witness` the record's witnesses
    /// (and, without `--quorum`, its quorum) are used and the report says so; with `--witness`
    /// the verifier applies the same default quorum as [`TrustArgs::quorum_of`] and reports
    /// where it came from.
    pub fn verify_options(&self) -> anyhow::Result<VerifyOptions> {
        let witnesses = self.witnesses()?;
        Ok(VerifyOptions {
            board_key: self.board_key()?,
            witnesses: (!witnesses.is_empty()).then_some(witnesses),
            quorum: self.quorum,
            ..VerifyOptions::default()
        })
    }
}

/// A board's verifier key (`--board-key`): an Ed25519 note key named after the log's origin.
pub fn board_key(s: &str) -> anyhow::Result<VerifierKey> {
    parse(s, SignatureType::Ed25519, "--board-key")
}

/// A witness's verifier key (`--witness`): a `cosignature/v1` key.
pub fn witness_key(s: &str) -> anyhow::Result<VerifierKey> {
    parse(s, SignatureType::CosignatureV1, "--witness")
}

/// Every witness key of a list, in order; the first bad one is the error.
pub fn witness_keys(keys: &[String]) -> anyhow::Result<Vec<VerifierKey>> {
    keys.iter().map(|k| witness_key(k)).collect()
}

/// A verifier key for its role; a key of another type is refused, never counted.
fn parse(s: &str, role: SignatureType, flag: &str) -> anyhow::Result<VerifierKey> {
    VerifierKey::parse_as(s.trim(), role).map_err(|e| anyhow::anyhow!("{flag} {s:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SecretKey;

    fn key(name: &str, t: SignatureType) -> String {
        SecretKey::generate(name, t)
            .and_then(|k| k.verifier_key())
            .map(|k| k.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn the_default_quorum_is_a_majority_of_the_pinned_witnesses() {
        let w: Vec<String> = (0..4)
            .map(|i| key(&format!("w{i}.example"), SignatureType::CosignatureV1))
            .collect();
        for (n, q) in [(0, 0), (1, 1), (2, 2), (3, 2), (4, 3)] {
            let args = TrustArgs {
                witnesses: w[..n].to_vec(),
                ..TrustArgs::default()
            };
            let pinned = args.witnesses().expect("witness keys");
            assert_eq!(args.quorum_of(&pinned).expect("quorum"), q, "{n} witnesses");
        }
        let three = TrustArgs {
            witnesses: w[..3].to_vec(),
            quorum: Some(4),
            ..TrustArgs::default()
        };
        let pinned = three.witnesses().expect("witness keys");
        assert!(three.quorum_of(&pinned).is_err());
    }

    #[test]
    fn a_key_of_the_other_role_is_refused() {
        let board = key("board.example/e1", SignatureType::Ed25519);
        let witness = key("w.example", SignatureType::CosignatureV1);
        assert!(board_key(&board).is_ok());
        assert!(witness_key(&witness).is_ok());
        let err = format!(
            "{:#}",
            witness_key(&board).expect_err("board key as witness")
        );
        assert!(err.starts_with("--witness"), "{err}");
        let err = format!(
            "{:#}",
            board_key(&witness).expect_err("witness key as board")
        );
        assert!(err.starts_with("--board-key"), "{err}");
    }
}

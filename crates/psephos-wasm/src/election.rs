//! The election as the browser learns it from `GET /api/v1/elections/{election}`, checked before use.
//!
//! The booth encrypts under the joint key the server announces, so that announcement is checked
//! against the manifest it came with: the manifest hash is recomputed from the manifest, and the
//! election hash — which every ballot proof absorbs — is recomputed from the manifest hash and
//! the joint key. A server that shows one voter a different manifest or key than the board holds
//! produces ballots the board (and every verifier) rejects; the page also shows the election
//! hash so that it can be compared with the one published elsewhere.

use psephos_api::election::ElectionView;
use psephos_board::note::VerifierKey;
use psephos_core::election::{Election, Manifest};

use crate::error::Error;

/// The board's identity: the checkpoints' origin line and the board's note verifier key.
#[derive(Debug, Clone)]
pub struct BoardIdentity {
    pub origin: String,
    pub key: VerifierKey,
}

/// A checked election description.
#[derive(Debug, Clone)]
pub struct ElectionInfo {
    pub manifest: Manifest,
    /// The election with its joint key, once the key ceremony is over.
    pub election: Option<Election>,
    pub board: BoardIdentity,
}

impl ElectionInfo {
    /// Parses and checks the JSON of `GET /api/v1/elections/{election}`.
    pub fn parse(json: &str) -> Result<Self, Error> {
        let view: ElectionView = serde_json::from_str(json).map_err(Error::json("election"))?;
        if view.manifest.hash() != view.manifest_hash {
            return Err(Error::Election(
                "the manifest hash does not match the manifest".into(),
            ));
        }
        let key: VerifierKey = view
            .board
            .verifier_key
            .parse()
            .map_err(|e| Error::Election(format!("the board's verifier key: {e}")))?;
        if key.name() != view.board.origin {
            return Err(Error::Election(
                "the board's verifier key is not named after the board's origin".into(),
            ));
        }
        let election = match view.key {
            None => None,
            Some(k) => {
                let election = Election::new(view.manifest.clone(), k.joint_key)
                    .map_err(|e| Error::Election(format!("the joint key: {e}")))?;
                if *election.hash() != k.election_hash {
                    return Err(Error::Election(
                        "the announced election hash does not match the manifest and joint key"
                            .into(),
                    ));
                }
                Some(election)
            }
        };
        Ok(ElectionInfo {
            manifest: view.manifest,
            election,
            board: BoardIdentity {
                origin: view.board.origin,
                key,
            },
        })
    }

    /// The election, or [`Error::NoKey`] before the key ceremony is over.
    pub fn election(&self) -> Result<&Election, Error> {
        self.election.as_ref().ok_or(Error::NoKey)
    }
}

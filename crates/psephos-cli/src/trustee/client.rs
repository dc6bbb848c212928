//! The trustee's HTTP client: the few routes of the API contract a trustee needs. Everything it
//! reads is re-checked locally (ceremony messages by the trustee's own state machine, the tally
//! by running the independent verifier over the election record with pinned keys), so the
//! server is trusted for availability only.

use anyhow::{bail, Context};
use psephos_api::board::{BoardSize, EntryView};
use psephos_api::election::Posted;
use psephos_api::tally::SharePosted;
use psephos_api::ErrorBody;
use psephos_board::{Entry, EntryKind};
use psephos_core::ceremony::SignedMessage;
use psephos_core::tally::DecryptionShare;
use psephos_record::Payload;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Entries asked for per page (the server caps pages at 1000).
const ENTRY_PAGE: u64 = 1000;

/// A client of one `psephos serve`.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

/// An error answer of the server, kept apart so callers can act on the status.
#[derive(Debug, thiserror::Error)]
#[error("the server answered {status} {code}: {detail}")]
pub struct ServerError {
    pub status: u16,
    pub code: String,
    pub detail: String,
}

/// `GET E/ceremony`.
pub type CeremonyInfo = psephos_api::ceremony::CeremonyView;
/// One ceremony message with its board index.
pub type IndexedMessage = psephos_api::ceremony::MessageView<'static>;
/// `GET E/tally`.
pub type TallyInfo = psephos_api::tally::TallyView;
/// `GET E/mix`.
pub type MixInfo = psephos_api::mix::MixView;

impl Client {
    /// A client of one election: `base` is its API base (`crate::http::election_url`).
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let base = base.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!("the server URL must start with http:// or https://");
        }
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Client { base, http })
    }

    async fn answer<T: DeserializeOwned>(r: reqwest::Response) -> anyhow::Result<T> {
        let status = r.status();
        let bytes = r.bytes().await.context("reading the server's answer")?;
        if !status.is_success() {
            let (code, detail) = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(b) => (b.error.to_string(), b.detail),
                Err(_) => (
                    String::new(),
                    String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                ),
            };
            return Err(ServerError {
                status: status.as_u16(),
                code,
                detail,
            }
            .into());
        }
        serde_json::from_slice(&bytes).context("the server's answer is not the expected JSON")
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.base);
        let r = self
            .http
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        Self::answer(r).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.base);
        let r = self
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        Self::answer(r).await
    }

    pub async fn ceremony(&self) -> anyhow::Result<CeremonyInfo> {
        self.get("/ceremony").await
    }

    pub async fn ceremony_messages(&self, from: u64) -> anyhow::Result<Vec<IndexedMessage>> {
        self.get(&format!("/ceremony/messages?from={from}")).await
    }

    pub async fn post_ceremony_message(&self, m: &SignedMessage) -> anyhow::Result<Posted> {
        self.post("/ceremony/messages", m).await
    }

    pub async fn tally(&self) -> anyhow::Result<TallyInfo> {
        self.get("/tally").await
    }

    pub async fn post_share(&self, s: &DecryptionShare) -> anyhow::Result<SharePosted> {
        self.post("/tally/shares", s).await
    }

    pub async fn mix(&self) -> anyhow::Result<MixInfo> {
        self.get("/mix").await
    }

    /// Posts canonical bytes (a shuffle, a mixed decryption share) to `path`; `T` is the
    /// route's answer (`psephos_api::mix::ShufflePosted`, `…::MixSharePosted`).
    pub async fn post_bytes<T: DeserializeOwned>(
        &self,
        path: &str,
        bytes: Vec<u8>,
    ) -> anyhow::Result<T> {
        let url = format!("{}{path}", self.base);
        // A large list takes a while to upload and to verify: no overall timeout.
        let r = reqwest::Client::new()
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        Self::answer(r).await
    }

    /// Whether board entry `index` is sealed into a block (`GET /api/v1/board/size`).
    pub async fn sealed(&self, index: u64) -> anyhow::Result<bool> {
        let s: BoardSize = self.get("/board/size").await?;
        Ok(s.sealed_size > index)
    }

    /// Downloads the election record (`GET /api/v1/record`, `docs/record.md`) into `to`,
    /// streamed; returns its size in bytes.
    pub async fn record_to(&self, to: &std::path::Path) -> anyhow::Result<u64> {
        let url = format!("{}/record", self.base);
        // A record can be large: no overall timeout, only the connection's.
        let r = reqwest::Client::new()
            .get(&url)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        if !r.status().is_success() {
            return Self::answer::<serde::de::IgnoredAny>(r).await.map(|_| 0);
        }
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(to).with_context(|| format!("creating {}", to.display()))?,
        );
        crate::http::save_body(r, &mut out, "the record").await
    }

    /// Board entries `[start, start + limit)` (fewer at the end of the board).
    pub async fn entries(&self, start: u64, limit: u64) -> anyhow::Result<Vec<(u64, Entry)>> {
        let v: Vec<EntryView> = self
            .get(&format!(
                "/board/entries?start={start}&limit={}",
                limit.min(ENTRY_PAGE)
            ))
            .await?;
        let mut out = Vec::with_capacity(v.len());
        for (k, e) in v.into_iter().enumerate() {
            if e.index != start + k as u64 {
                bail!("the server returned entry {} out of order", e.index);
            }
            out.push((e.index, e.entry));
        }
        Ok(out)
    }

    /// The election definition (board entry 0).
    pub async fn definition(&self) -> anyhow::Result<psephos_record::Definition> {
        let first = self.entries(0, 1).await?;
        let Some((_, entry)) = first.into_iter().next() else {
            bail!("the board is empty: no election is defined yet");
        };
        if entry.kind != EntryKind::ElectionDefinition {
            bail!("board entry 0 is not an election definition");
        }
        match Payload::decode(entry.kind, &entry.payload) {
            Ok(Payload::Definition(d)) => Ok(d),
            Ok(_) => bail!("board entry 0 is not an election definition"),
            Err(e) => bail!("board entry 0 does not decode: {e}"),
        }
    }
}

/// The status code of a server error answer, if `e` is one.
pub fn status_of(e: &anyhow::Error) -> Option<u16> {
    e.downcast_ref::<ServerError>().map(|s| s.status)
}

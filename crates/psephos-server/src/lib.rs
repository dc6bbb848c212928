//! The psephos HTTP service: one service, many elections, each on its own bulletin board.
//!
//! Thin handlers over the board ([`psephos_board::Board`]) and the election's rules
//! ([`psephos_record::Rules`], through [`election::ElectionService`]): every route
//! parses its input into the protocol's own types, asks the rules, appends durably, and maps
//! errors to an HTTP status with a JSON body `{ "error": …, "detail": … }`. No SQL lives in a
//! handler and no cryptography is reimplemented here.
//!
//! - [`state`]: the application's state, the registry of elections and each hosted election's
//!   services; [`catalog`]: the service's own tables (elections, the operator's token);
//! - [`routes`]: the route table and the API (`docs/api.md`), one module per audience;
//! - [`ceremony`]: the key ceremony's schedule, one per election;
//! - [`intake`]: a ballot's cheap checks on its raw bytes, then its decoding off the HTTP
//!   workers;
//! - [`cast`]: the ballot pipeline (cheap checks → batched proofs on worker threads → one
//!   group commit per batch → answers);
//! - [`events`]: the watcher behind the Server-Sent Events stream;
//! - [`auth`]: the operator's and officials' tokens, checked by extractors; [`middleware`]: request ids, logs, rate limits,
//!   timeouts; [`metrics`]: Prometheus exposition; [`transport`]: the HTTP/1.1 layer's own
//!   answers (`Expect: 100-continue`, unparsable requests) in the API's form.

pub mod auth;
pub mod body;
pub mod booth;
pub mod cast;
pub mod catalog;
pub mod ceremony;
pub mod election;
pub mod error;
pub mod events;
pub mod intake;
pub mod metrics;
pub mod middleware;
pub mod mix;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod state;
pub mod tally;
pub mod transport;

pub use error::ApiError;
pub use startup::{serve, ServiceConfig};
pub use state::{AppState, HostedElection, ServiceBoard, Visibility};

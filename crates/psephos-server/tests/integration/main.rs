//! The service's integration tests, one test binary for the crate (`http_log.rs` apart: it
//! installs the process's global tracing subscriber and asserts on every line logged, so it
//! must be alone in its process). The server in process is `psephos_testkit::server`.

mod attacks;
mod board_api;
mod booth;
mod creation;
mod election_api;
mod error_forms;
mod explorer;
mod hostile;
mod multi;
mod officials_tokens;
mod operations;
mod restart;
mod write_path;

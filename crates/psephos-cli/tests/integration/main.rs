//! The `psephos` command's integration tests, one test binary for the crate: most run the real
//! binary (`CARGO_BIN_EXE_psephos`) as a child process, so sharing one test process is safe (no
//! test changes the process's environment, directory or signal handlers). `trustee_support` is
//! the trustee tests' server and election driver; `smtp_server` the mail tests' SMTP server.

mod board_check;
mod credential_delivery;
mod credentials;
mod demo_serve;
mod kill9;
mod mixnet;
mod nodes;
mod openapi;
mod ranked;
mod readme;
mod record_export;
mod replica;
mod serve;
mod smtp_server;
mod trustee_ceremony;
mod trustee_support;
mod trustee_tally;
mod vectors;
mod verify;
mod verify_booth;
mod witness;

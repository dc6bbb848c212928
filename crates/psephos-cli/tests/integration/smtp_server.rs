//! A small SMTP server on 127.0.0.1 for the mail tests (RFC 5321's commands as `lettre` uses
//! them: EHLO/HELO, MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT). It records every
//! accepted message, can refuse chosen recipients with a permanent 550, and can stop for good
//! after accepting a given number of messages (its listener closes, its connections drop), as a
//! real server that goes down half way.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-unstuffed.
    pub data: String,
}

#[derive(Default)]
struct State {
    received: Mutex<Vec<Received>>,
    refused: Mutex<HashSet<String>>,
    stop_after: Mutex<Option<usize>>,
    stopped: AtomicBool,
}

pub struct SmtpServer {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl SmtpServer {
    /// Starts the server; `refused` recipients get 550 at RCPT; after `stop_after` accepted
    /// messages it stops.
    pub fn start(refused: &[&str], stop_after: Option<usize>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State::default());
        *state.refused.lock().unwrap() = refused.iter().map(|s| s.to_lowercase()).collect();
        *state.stop_after.lock().unwrap() = stop_after;
        let s = state.clone();
        std::thread::spawn(move || {
            while !s.stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let s = s.clone();
                        std::thread::spawn(move || {
                            let _ = serve(stream, &s);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
            // Dropping the listener: new connections are refused from now on.
        });
        SmtpServer { addr, state }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    pub fn stop(&self) {
        self.state.stopped.store(true, Ordering::SeqCst);
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(stream: TcpStream, s: &State) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_millis(50)))?;
    let mut out = stream.try_clone()?;
    let mut input = BufReader::new(stream);
    out.write_all(b"220 test.invalid ESMTP ready\r\n")?;
    let mut to: Vec<String> = Vec::new();
    let mut mail = false;
    let mut line = String::new();
    loop {
        if s.stopped.load(Ordering::SeqCst) {
            return Ok(()); // the connection drops without a word
        }
        match input.read_line(&mut line) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue; // what was read so far stays in `line`
            }
            Err(e) => return Err(e),
        }
        if !line.ends_with('\n') {
            continue;
        }
        let command = line.trim_end().to_string();
        line.clear();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-test.invalid\r\n250 8BITMIME\r\n")?;
        } else if upper.starts_with("HELO") {
            out.write_all(b"250 test.invalid\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            mail = true;
            to.clear();
            out.write_all(b"250 2.1.0 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            let addr = command[8..]
                .trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or_default()
                .to_lowercase();
            if !mail {
                out.write_all(b"503 5.5.1 MAIL first\r\n")?;
            } else if s.refused.lock().unwrap().contains(&addr) {
                out.write_all(b"550 5.1.1 no such mailbox here\r\n")?;
            } else {
                to.push(addr);
                out.write_all(b"250 2.1.5 OK\r\n")?;
            }
        } else if upper == "DATA" {
            if to.is_empty() {
                out.write_all(b"554 5.5.1 no valid recipients\r\n")?;
                continue;
            }
            out.write_all(b"354 end with <CRLF>.<CRLF>\r\n")?;
            let data = read_data(&mut input)?;
            let accepted = {
                let mut received = s.received.lock().unwrap();
                received.push(Received {
                    to: std::mem::take(&mut to),
                    data,
                });
                received.len()
            };
            mail = false;
            out.write_all(b"250 2.0.0 queued\r\n")?;
            if s.stop_after.lock().unwrap().is_some_and(|n| accepted >= n) {
                s.stopped.store(true, Ordering::SeqCst);
                return Ok(());
            }
        } else if upper == "RSET" {
            mail = false;
            to.clear();
            out.write_all(b"250 2.0.0 OK\r\n")?;
        } else if upper == "NOOP" {
            out.write_all(b"250 2.0.0 OK\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 2.0.0 bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"500 5.5.2 unknown command\r\n")?;
        }
    }
}

/// Reads DATA up to the lone `.` line, undoing dot-stuffing.
fn read_data(input: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut data = String::new();
    let mut line = String::new();
    loop {
        match input.read_line(&mut line) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        }
        if !line.ends_with('\n') {
            continue; // the rest of the line is still coming
        }
        if line == ".\r\n" || line == ".\n" {
            return Ok(data);
        }
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
        line.clear();
    }
}

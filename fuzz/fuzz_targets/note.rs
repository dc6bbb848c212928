//! Signed notes, checkpoints, signature lines and verifier keys as they arrive from a board, a
//! witness, a receipt or the command line (the first byte chooses the parser).
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_board::checkpoint::Checkpoint;
use psephos_board::note::{Note, SignatureLine, VerifierKey};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            if let Ok(note) = Note::parse(rest) {
                // A parsed note encodes back to the bytes it came from.
                let text = note.encode().expect("a parsed note encodes");
                assert_eq!(text.as_bytes(), rest, "note not canonical");
            }
        }
        1 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(cp) = Checkpoint::parse_body(text) {
                let body = cp.to_body().expect("a parsed checkpoint has a body");
                assert_eq!(Checkpoint::parse_body(&body).ok().as_ref(), Some(&cp));
            }
        }
        2 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(line) = text.parse::<SignatureLine>() {
                // One line, with or without its final newline (as a witness hands it over).
                let bare = text.strip_suffix('\n').unwrap_or(text);
                assert_eq!(line.to_string(), bare, "signature line not canonical");
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Ok(key) = text.parse::<VerifierKey>() {
                assert_eq!(key.to_string().parse::<VerifierKey>().ok().as_ref(), Some(&key));
            }
        }
    }
});

//! Writes a seed corpus for every fuzz target from a real election record (made by
//! `psephos demo --record`) and the sample manifests, so the fuzzers start from valid inputs
//! and reach past the first length check. Usage: `seed-corpus RECORD CONFIG_DIR CORPUS_DIR`.

use std::path::{Path, PathBuf};

use psephos_board::note::Note;
use psephos_board::EntryKind;
use psephos_core::credential::CredentialCode;
use psephos_core::encoding::Canonical;
use psephos_record::format::{RecordItem, RecordReader};
use psephos_record::Payload;
use rand_core::SeedableRng;

struct Corpus {
    root: PathBuf,
    written: usize,
}

impl Corpus {
    fn put(&mut self, target: &str, prefix: &[u8], body: &[u8]) {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).expect("creating a corpus directory");
        let mut data = prefix.to_vec();
        data.extend_from_slice(body);
        // Content-addressed, like libFuzzer's own corpus files.
        let name = hex::encode(&psephos_core::hash::Digest::of(b"seed", &data).as_bytes()[..16]);
        std::fs::write(dir.join(name), &data).expect("writing a seed");
        self.written += 1;
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, record, config, out] = &args[..] else {
        eprintln!("usage: seed-corpus RECORD CONFIG_DIR CORPUS_DIR");
        std::process::exit(2);
    };
    let bytes = std::fs::read(record).expect("reading the record");
    let mut c = Corpus {
        root: PathBuf::from(out),
        written: 0,
    };
    seed_record(&mut c, &bytes);
    seed_manifests(&mut c, Path::new(config));
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
    for _ in 0..4 {
        let code = CredentialCode::generate(&mut rng);
        c.put("credential_code", b"", code.expose().as_bytes());
        c.put("credential_code", b"", code.expose().to_lowercase().as_bytes());
    }
    eprintln!("seed-corpus: {} seeds in {out}", c.written);
}

fn seed_record(c: &mut Corpus, bytes: &[u8]) {
    // The whole record, and a short prefix of it, for the record reader and the verifier.
    c.put("record", b"", bytes);
    c.put("verify_record", b"", bytes);
    let mut reader = RecordReader::new(bytes).expect("a record made by psephos demo");
    for key in std::iter::once(&reader.header().board_key).chain(&reader.header().witnesses) {
        c.put("note", &[3], key.to_string().as_bytes());
    }
    let mut per_kind = [0usize; 256];
    while let Some(item) = reader.next_item().expect("reading the record") {
        match item {
            RecordItem::Entry(e) => {
                let kind = e.entry.kind;
                // A few of each kind are enough to start from.
                let n = &mut per_kind[kind.to_u8() as usize];
                *n += 1;
                if *n > 3 {
                    continue;
                }
                let payload = &e.entry.payload;
                c.put("payload", &[kind.to_u8()], payload);
                if let Ok(b) = e.entry.to_bytes() {
                    c.put("board_entry", &[0], &b);
                }
                seed_payload(c, kind, payload);
            }
            RecordItem::Block(b) => {
                if let Ok(h) = b.header.encode() {
                    c.put("board_entry", &[1], &h);
                }
                let note = b.cosigned_note();
                c.put("note", &[0], note.as_bytes());
                if let Ok(n) = Note::parse(note.as_bytes()) {
                    c.put("note", &[1], n.text().as_bytes());
                    for s in n.signatures() {
                        c.put("note", &[2], s.to_string().trim_end().as_bytes());
                    }
                }
            }
        }
    }
}

fn seed_payload(c: &mut Corpus, kind: EntryKind, payload: &[u8]) {
    let Ok(p) = Payload::decode(kind, payload) else {
        return;
    };
    let json = |v: &dyn erased::Json| v.json();
    match &p {
        Payload::Ballot(b) => {
            c.put("ballot", &[0], payload);
            c.put("ballot", &[1], &json(b));
        }
        Payload::Challenge(ch) => {
            c.put("challenge", &[0], payload);
            c.put("challenge", &[1], &json(ch));
        }
        Payload::Ceremony(m) => c.put("json_bodies", &[0], &json(m)),
        Payload::Credentials(l) => c.put("json_bodies", &[1], &json(l)),
        Payload::Share(s) => c.put("json_bodies", &[2], &json(s)),
        Payload::Definition(d) => c.put("manifest", &[0], &d.manifest.to_canonical_bytes()),
        _ => {}
    }
}

fn seed_manifests(c: &mut Corpus, dir: &Path) {
    let Ok(files) = std::fs::read_dir(dir) else {
        return;
    };
    for f in files.flatten() {
        if f.path().extension().is_some_and(|e| e == "toml") {
            if let Ok(text) = std::fs::read(f.path()) {
                c.put("manifest", &[1], &text);
            }
        }
    }
}

/// JSON of any serialisable payload, without naming each type twice.
mod erased {
    pub trait Json {
        fn json(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Vec<u8> {
            serde_json::to_vec(self).expect("serialising a payload")
        }
    }
}

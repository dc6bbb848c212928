//! Regenerates the committed Merkle proof test vectors:
//!
//! ```text
//! cargo run -p psephos-board --example gen_vectors
//! ```
//!
//! writes `crates/psephos-board/tests/vectors/merkle.json`. The output is
//! deterministic (the same bytes on every run); `tests/integration/vectors.rs` fails if
//! the committed file differs from what this would write.

#![allow(clippy::expect_used)]

use psephos_testkit::merkle::vectors;

fn main() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(vectors::PATH);
    let json = vectors::render();
    std::fs::write(&path, &json).expect("write the vector file");
    let v = vectors::generate();
    println!(
        "wrote {} ({} roots, {} inclusion cases, {} consistency cases)",
        path.display(),
        v.roots.len(),
        v.inclusion.len(),
        v.consistency.len()
    );
}

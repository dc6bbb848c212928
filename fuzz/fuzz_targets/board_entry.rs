//! A board entry and a block header as stored and as served (`/board/entries`, `/board/blocks`):
//! strict decoding, and canonical (what decodes encodes back to the same bytes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_board::{BlockHeader, Entry};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    if which & 1 == 0 {
        if let Ok(entry) = Entry::decode(rest) {
            assert_eq!(entry.to_bytes().ok().as_deref(), Some(rest), "entry not canonical");
        }
    } else if let Ok(header) = BlockHeader::decode(rest) {
        assert_eq!(header.encode().ok().as_deref(), Some(rest), "block header not canonical");
    }
});

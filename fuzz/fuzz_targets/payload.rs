//! Every entry payload of the board, as the verifier reads it from a record: the first byte is
//! the entry kind (any byte, so unknown kinds are exercised too), the rest the payload.
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_board::EntryKind;
use psephos_record::Payload;

fuzz_target!(|data: &[u8]| {
    let Some((&tag, rest)) = data.split_first() else {
        return;
    };
    let Some(kind) = EntryKind::ALL.iter().copied().find(|k| k.to_u8() == tag) else {
        return;
    };
    if let Ok(payload) = Payload::decode(kind, rest) {
        assert_eq!(payload.kind(), kind);
        assert_eq!(payload.to_bytes(), rest, "{kind:?} payload is not canonical");
    }
});

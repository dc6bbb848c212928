//! A challenged (opened) ballot: JSON body (first byte odd) or canonical bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_fuzz::{canonical_round_trip, json_round_trip};
use psephos_record::Challenged;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        canonical_round_trip::<Challenged>(rest);
    } else {
        json_round_trip::<Challenged>(rest);
    }
});

//! A cast ballot as the server receives it: JSON body (first byte odd) or canonical bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_core::ballot::EncryptedBallot;
use psephos_fuzz::{canonical_round_trip, json_round_trip};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        canonical_round_trip::<EncryptedBallot>(rest);
    } else {
        json_round_trip::<EncryptedBallot>(rest);
    }
});

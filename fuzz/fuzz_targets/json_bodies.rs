//! The JSON bodies of the HTTP API that carry protocol values: ceremony messages, credential
//! lists, decryption shares (the first byte chooses). Ballots and challenges have their own
//! targets.
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_core::ceremony::SignedMessage;
use psephos_core::tally::DecryptionShare;
use psephos_fuzz::json_round_trip;
use psephos_record::CredentialList;

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => {
            json_round_trip::<SignedMessage>(rest);
        }
        1 => {
            json_round_trip::<CredentialList>(rest);
        }
        _ => {
            json_round_trip::<DecryptionShare>(rest);
        }
    }
});

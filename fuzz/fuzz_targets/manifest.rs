//! An election manifest as officials write it (TOML, first byte odd) and as the board carries
//! it (canonical bytes): what is accepted is valid and canonical.
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_core::election::Manifest;
use psephos_core::encoding::Canonical;
use psephos_fuzz::canonical_round_trip;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Some(m) = canonical_round_trip::<Manifest>(rest) {
            assert!(m.validate().is_ok(), "a decoded manifest is valid");
        }
    } else if let Ok(text) = std::str::from_utf8(rest) {
        if let Ok(m) = Manifest::from_toml(text) {
            assert!(m.validate().is_ok(), "a parsed manifest is valid");
            canonical_round_trip::<Manifest>(&m.to_canonical_bytes())
                .expect("a parsed manifest's canonical bytes decode");
        }
    }
});

//! A voter's credential code as typed into the booth: accepted spellings normalise to one code.
#![no_main]
use libfuzzer_sys::fuzz_target;
use psephos_core::credential::CredentialCode;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(code) = CredentialCode::parse(text) {
        let again = CredentialCode::parse(&code.expose()).expect("a code's own spelling parses");
        assert_eq!(again.expose(), code.expose());
    }
});

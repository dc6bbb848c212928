//! Properties every fuzz target checks, beyond "no panic".
//!
//! A decoder of outside bytes must never panic, allocate without bound, or accept two spellings
//! of one value: the board hashes and signs canonical bytes, so a value that decodes from bytes
//! `b` must encode back to exactly `b`, or two different entries would mean the same ballot. The
//! JSON forms (HTTP bodies) must round-trip through their canonical value.

use psephos_core::encoding::Canonical;
use serde::{de::DeserializeOwned, Serialize};

/// Decodes `data` as `T`; when it decodes, encoding gives back exactly `data`.
pub fn canonical_round_trip<T: Canonical>(data: &[u8]) -> Option<T> {
    let value = T::from_canonical_bytes(data).ok()?;
    assert_eq!(
        value.to_canonical_bytes(),
        data,
        "{} decoded from bytes that are not its canonical encoding",
        std::any::type_name::<T>()
    );
    Some(value)
}

/// Parses `data` as JSON of `T`; when it parses, the value's canonical bytes survive a trip
/// through its JSON form, and that form is stable.
pub fn json_round_trip<T: Canonical + Serialize + DeserializeOwned>(data: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(data).ok()?;
    let canonical = value.to_canonical_bytes();
    // What the server would store must decode again (the JSON decoder enforces what the
    // canonical one does).
    let again = canonical_round_trip::<T>(&canonical);
    assert!(
        again.is_some(),
        "{} accepted as JSON but its canonical bytes do not decode",
        std::any::type_name::<T>()
    );
    let json = serde_json::to_vec(&value).expect("serialising a decoded value");
    let reparsed: T = serde_json::from_slice(&json).expect("a value's own JSON parses");
    assert_eq!(
        reparsed.to_canonical_bytes(),
        canonical,
        "{} changed through its JSON form",
        std::any::type_name::<T>()
    );
    Some(value)
}

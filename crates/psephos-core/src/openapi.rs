//! OpenAPI schemas of the types whose JSON form is written by hand (a digest, a point, a number
//! of votes: each a string), for the HTTP API's document (feature `openapi`; psephos-api turns it
//! on, the browser build leaves it off). Types with derived serde forms derive their schema
//! where they are defined.

use utoipa::openapi::schema::{Schema, Type};
use utoipa::openapi::{ObjectBuilder, RefOr};

/// A JSON string matching `pattern`.
pub(crate) fn string(pattern: &str, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .into()
}

/// `impl ToSchema` for a type whose JSON form is a string matching a pattern.
macro_rules! string_schema {
    ($ty:ty, $pattern:expr, $description:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::openapi::string($pattern, $description)
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}

string_schema!(
    crate::hash::Digest,
    "^[0-9a-f]{64}$",
    "A SHA-256 digest: 64 lowercase hex digits."
);
string_schema!(
    crate::group::Point,
    "^[0-9a-f]{64}$",
    "A Ristretto255 group element: its canonical 32-byte encoding, 64 lowercase hex digits."
);
string_schema!(
    crate::count::Votes,
    "^(0|[1-9][0-9]*)(\\.[0-9]{0,4}[1-9])?$",
    "Votes as the shortest exact decimal of at most five decimals: \"12\", \"0.5\"."
);
string_schema!(
    crate::ceremony::SignedMessage,
    "^([0-9a-f]{2})+$",
    "A signed key-ceremony message: its canonical bytes (docs/protocol.md §9.5) in lowercase hex."
);

//! Tracking codes (`docs/protocol.md` §8.3): the first 80 bits of a ballot hash as 16 symbols of
//! Crockford base32, `XXXX-XXXX-XXXX-XXXX`. A voter reads theirs off the booth and looks the
//! ballot up on the board with it; the code is printed by the booth, the server and the CLI and
//! parsed by the server, so its encoding and its parsing live here, once.
//!
//! Parsing is as forgiving as a person typing needs: case, dashes and spaces are ignored, and
//! `O` reads as `0`, `I` and `L` as `1` (the credential code's rule, §7).

use crate::credential::{symbol_value, ALPHABET};
use crate::hash::Digest;
use thiserror::Error;

/// Symbols in a tracking code.
pub const TRACKING_SYMBOLS: usize = 16;

/// The tracking code of a ballot: the first 10 bytes of its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingCode([u8; 10]);

/// Why a text is not a tracking code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TrackingCodeError {
    #[error("a tracking code has {TRACKING_SYMBOLS} symbols, this has {got}")]
    WrongLength { got: usize },
    #[error("character {position} ({character:?}) is not used in tracking codes")]
    InvalidCharacter { position: usize, character: char },
}

impl TrackingCode {
    /// The tracking code of the ballot with hash `hash`.
    pub fn of(hash: &Digest) -> Self {
        let mut k = [0u8; 10];
        k.copy_from_slice(&hash.0[..10]);
        TrackingCode(k)
    }

    /// The 10 bytes of the ballot hash the code shows.
    pub fn bytes(&self) -> &[u8; 10] {
        &self.0
    }

    /// Whether `hash` has this tracking code (two ballots may share one, with probability
    /// about `2⁻⁸⁰` per pair).
    pub fn matches(&self, hash: &Digest) -> bool {
        hash.0[..10] == self.0
    }
}

impl std::fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bits = self.0.iter().fold(0u128, |b, &x| (b << 8) | u128::from(x));
        let mut out = String::with_capacity(TRACKING_SYMBOLS + 3);
        for i in 0..TRACKING_SYMBOLS {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            let v = ((bits >> (75 - 5 * i)) & 31) as usize;
            out.push(char::from(ALPHABET[v]));
        }
        f.write_str(&out)
    }
}

impl std::str::FromStr for TrackingCode {
    type Err = TrackingCodeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bits: u128 = 0;
        let mut n = 0usize;
        for c in text.chars().filter(|&c| c != '-' && c != ' ') {
            n += 1;
            if n > TRACKING_SYMBOLS {
                continue;
            }
            let v = symbol_value(c).ok_or(TrackingCodeError::InvalidCharacter {
                position: n,
                character: c,
            })?;
            bits = (bits << 5) | u128::from(v);
        }
        if n != TRACKING_SYMBOLS {
            return Err(TrackingCodeError::WrongLength { got: n });
        }
        let mut out = [0u8; 10];
        for (i, b) in out.iter_mut().enumerate() {
            *b = (bits >> (72 - 8 * i)) as u8;
        }
        Ok(TrackingCode(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_parse_round_trip() {
        let hash = Digest::of(b"test", b"tracking");
        let code = TrackingCode::of(&hash);
        let text = code.to_string();
        assert_eq!(text.len(), 19);
        assert_eq!(text.matches('-').count(), 3);
        assert_eq!(text.parse::<TrackingCode>(), Ok(code));
        assert!(code.matches(&hash));
        // Case, dashes, spaces and the look-alike letters are forgiven.
        let typed = text
            .to_lowercase()
            .replace('-', " ")
            .replace('0', "o")
            .replace('1', "l");
        assert_eq!(typed.parse::<TrackingCode>(), Ok(code));
    }

    #[test]
    fn bad_codes_are_refused_with_the_cause() {
        assert_eq!(
            "AAAA-AAAA-AAAA-AAA".parse::<TrackingCode>(),
            Err(TrackingCodeError::WrongLength { got: 15 })
        );
        assert_eq!(
            "AAAA-AAAA-AAAA-AAAAA".parse::<TrackingCode>(),
            Err(TrackingCodeError::WrongLength { got: 17 })
        );
        assert_eq!(
            "AAAA-AUAA-AAAA-AAAA".parse::<TrackingCode>(),
            Err(TrackingCodeError::InvalidCharacter {
                position: 6,
                character: 'U'
            })
        );
        assert!("".parse::<TrackingCode>().is_err());
    }

    #[test]
    fn the_code_shows_the_first_80_bits() {
        let mut hash = Digest([0; 32]);
        hash.0[0] = 0b1111_1000; // the first symbol is 31 (Z), the rest 0
        hash.0[10] = 0xff; // beyond the code
        assert_eq!(TrackingCode::of(&hash).to_string(), "Z000-0000-0000-0000");
    }
}

//! Voter credentials (`docs/protocol.md`, §7), as in Belenios.
//!
//! A credential authority gives each voter a secret *credential code*, a short string a person can
//! type, and publishes only the *public credential* `C = c·G` (optionally with a weight) on the
//! board before voting opens. A ballot is accepted only if it is signed by the secret `c` of a
//! listed credential, and the last cast ballot of a credential counts. The board therefore never
//! learns who voted, only that a listed credential did.
//!
//! The public list allows offline guessing, so codes carry 110 bits of entropy: 22 symbols of
//! Crockford base32, plus 2 checksum symbols (10 bits of SHA-256) that catch typing mistakes
//! before a ballot is made. Shown as `XXXXXX-XXXXXX-XXXXXX-XXXXXX`. The secret scalar is
//! `c = SHA-512(label ‖ election id ‖ code) mod ℓ`: a code is bound to one election.

use crate::encoding::Writer;
use crate::generators::g_table;
use crate::group::Point;
use crate::hash::Digest;
use crate::transcript::labels;
use curve25519_dalek::scalar::Scalar;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest as _, Sha512};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Crockford's base32 alphabet (no I, L, O, U).
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Random symbols in a code.
pub const DATA_SYMBOLS: usize = 22;
/// Checksum symbols in a code.
pub const CHECK_SYMBOLS: usize = 2;
/// Symbols in a code.
pub const CODE_SYMBOLS: usize = DATA_SYMBOLS + CHECK_SYMBOLS;

/// Why a typed credential code is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CredentialError {
    #[error("a credential has {expected} characters, this has {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("character {position} ({character:?}) is not used in credentials")]
    InvalidCharacter { position: usize, character: char },
    #[error("the checksum does not match: please check for a typing mistake")]
    Checksum,
}

/// A secret credential code. Zeroized on drop; `Debug` does not print it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CredentialCode {
    /// Symbol values 0..32 of the 22 data symbols.
    data: [u8; DATA_SYMBOLS],
}

impl std::fmt::Debug for CredentialCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialCode(<secret>)")
    }
}

/// The value of a typed symbol: case-insensitive, `O` reads as `0` and `I`, `L` as `1`.
pub(crate) fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&a| a as char == c)
        .map(|p| p as u8)
}

fn checksum(data: &[u8; DATA_SYMBOLS]) -> [u8; CHECK_SYMBOLS] {
    let text: Vec<u8> = data.iter().map(|&v| ALPHABET[v as usize]).collect();
    let d = Digest::of(labels::CREDENTIAL_CHECKSUM, &text);
    let bits = u16::from_be_bytes([d.0[0], d.0[1]]) >> 6; // first 10 bits
    [(bits >> 5) as u8 & 31, bits as u8 & 31]
}

impl CredentialCode {
    /// Draws a fresh code.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut data = [0u8; DATA_SYMBOLS];
        rng.fill_bytes(&mut data);
        for v in data.iter_mut() {
            *v &= 31; // 32 divides 256: uniform
        }
        CredentialCode { data }
    }

    /// Parses a typed code: case-insensitive, dashes and spaces ignored, `O` read as `0` and
    /// `I`/`L` as `1`; the checksum must match.
    pub fn parse(input: &str) -> Result<Self, CredentialError> {
        let symbols: Vec<char> = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if symbols.len() != CODE_SYMBOLS {
            return Err(CredentialError::WrongLength {
                expected: CODE_SYMBOLS,
                got: symbols.len(),
            });
        }
        let mut values = [0u8; CODE_SYMBOLS];
        for (i, &c) in symbols.iter().enumerate() {
            values[i] = symbol_value(c).ok_or(CredentialError::InvalidCharacter {
                position: i + 1,
                character: c,
            })?;
        }
        let mut data = [0u8; DATA_SYMBOLS];
        data.copy_from_slice(&values[..DATA_SYMBOLS]);
        let ok = checksum(&data) == values[DATA_SYMBOLS..];
        values.zeroize();
        let mut symbols = symbols;
        symbols.zeroize();
        let code = CredentialCode { data };
        if ok {
            Ok(code)
        } else {
            Err(CredentialError::Checksum)
        }
    }

    /// The code as printed for the voter: `XXXXXX-XXXXXX-XXXXXX-XXXXXX`. Handle with care.
    pub fn expose(&self) -> String {
        let check = checksum(&self.data);
        let mut out = String::with_capacity(CODE_SYMBOLS + 3);
        for (i, v) in self.data.iter().chain(check.iter()).enumerate() {
            if i > 0 && i % 6 == 0 {
                out.push('-');
            }
            out.push(ALPHABET[*v as usize] as char);
        }
        out
    }

    /// The secret scalar `c` for one election.
    pub fn secret(&self, election_id: &str) -> CredentialSecret {
        let mut w = Writer::new();
        w.bytes(labels::CREDENTIAL).str(election_id);
        let mut h = Sha512::new();
        h.update(w.into_bytes());
        let mut text: Vec<u8> = self.data.iter().map(|&v| ALPHABET[v as usize]).collect();
        h.update(&text);
        text.zeroize();
        let wide: [u8; 64] = h.finalize().into();
        CredentialSecret::from_scalar(Scalar::from_bytes_mod_order_wide(&wide))
    }
}

/// The secret scalar of a credential, with its public credential computed once. The secret is
/// zeroized on drop; `Debug` does not print it.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CredentialSecret {
    secret: Scalar,
    #[zeroize(skip)]
    public: Point,
}

impl std::fmt::Debug for CredentialSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CredentialSecret(<secret>)")
    }
}

impl CredentialSecret {
    /// The public credential `C = c·G`.
    pub fn public(&self) -> Point {
        self.public
    }

    pub(crate) fn scalar(&self) -> &Scalar {
        &self.secret
    }

    /// For tests and tools that derive credentials without codes.
    pub fn from_scalar(secret: Scalar) -> Self {
        CredentialSecret {
            public: Point::from_point(g_table() * &secret),
            secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn codes_round_trip_and_catch_typos() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let code = CredentialCode::generate(&mut rng);
        let text = code.expose();
        assert_eq!(text.len(), 27);
        let again = CredentialCode::parse(&text.to_lowercase().replace('-', " ")).unwrap();
        assert_eq!(again.expose(), text);
        assert_eq!(
            again.secret("e").public(),
            code.secret("e").public(),
            "same code, same election, same credential"
        );
        assert_ne!(code.secret("e").public(), code.secret("f").public());
        // Every single-symbol substitution is caught by the checksum or yields another code.
        let mut caught = 0;
        let chars: Vec<char> = text.chars().collect();
        for i in (0..chars.len()).filter(|&i| chars[i] != '-') {
            let mut typo = chars.clone();
            typo[i] = if chars[i] == '7' { '8' } else { '7' };
            let typo: String = typo.into_iter().collect();
            if matches!(CredentialCode::parse(&typo), Err(CredentialError::Checksum)) {
                caught += 1;
            }
        }
        assert!(caught >= 22, "only {caught} of 24 typos caught");
        assert_eq!(
            CredentialCode::parse("ABC").unwrap_err(),
            CredentialError::WrongLength {
                expected: 24,
                got: 3
            }
        );
        assert!(matches!(
            CredentialCode::parse(&text.replacen(&text[..1], "U", 1)),
            Err(CredentialError::InvalidCharacter { position: 1, .. })
        ));
        assert_eq!(format!("{code:?}"), "CredentialCode(<secret>)");
    }
}

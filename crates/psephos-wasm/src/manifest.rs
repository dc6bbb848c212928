//! The officials' console checks an election manifest as it is written, in the browser, with
//! the core's own parser and validator (`Manifest::from_toml`): the very rules the server applies
//! when the election is defined, so the form never re-implements them. A broken rule comes back
//! with the field it concerns (`contests[2].max_score`), for the form to show beside that field.

use psephos_core::election::Manifest;
use serde::Serialize;

/// The verdict on a manifest's TOML text.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ManifestCheck {
    /// The manifest is valid: the validated manifest (as the booth and the API show it) and its
    /// hash.
    Valid {
        manifest: Box<Manifest>,
        manifest_hash: String,
    },
    /// A rule is broken at `field` (`null` for a TOML syntax error).
    Invalid {
        field: Option<String>,
        message: String,
    },
}

/// Parses and validates `toml`.
pub fn check(toml: &str) -> ManifestCheck {
    match Manifest::from_toml(toml) {
        Ok(m) => ManifestCheck::Valid {
            manifest_hash: m.hash().to_hex(),
            manifest: Box::new(m),
        },
        Err(e) => ManifestCheck::Invalid {
            field: e.field().map(str::to_owned),
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[election]
id = "t"
name = "Test"
[trustees]
count = 3
threshold = 2
[[contests]]
id = "q"
title = "Question"
kind = "referendum"
[[ballot_styles]]
id = "all"
contests = ["q"]
"#;

    #[test]
    fn a_valid_manifest_comes_back_with_its_hash() {
        let v = serde_json::to_value(check(MANIFEST)).unwrap();
        assert_eq!(v["status"], "valid");
        assert_eq!(v["manifest"]["contests"][0]["options"][1]["id"], "no");
        let m = Manifest::from_toml(MANIFEST).unwrap();
        assert_eq!(v["manifest_hash"], m.hash().to_hex());
    }

    #[test]
    fn a_broken_rule_names_its_field() {
        let v = serde_json::to_value(check(&MANIFEST.replace("count = 3", "count = 1"))).unwrap();
        assert_eq!(v["status"], "invalid");
        assert_eq!(v["field"], "trustees.threshold");
        assert!(v["message"].as_str().unwrap().contains("threshold"));
        let v = serde_json::to_value(check("[election")).unwrap();
        assert_eq!(v["status"], "invalid");
        assert!(v["field"].is_null());
    }
}

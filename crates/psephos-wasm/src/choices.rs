//! The contest rules, checked in the booth before encrypting: the core's own check
//! ([`psephos_core::ballot::check_contest_values`]), so the page tells the voter exactly what the
//! encryption (and every verifier) would refuse, and words it from the violation's code
//! (`web/src/strings.js`) without implementing any rule itself.
//!
//! The page's values are what a form holds: a number field may hold a fraction or a negative
//! number, which no rule of the core can be asked about (its values are `u64`). Such a value is
//! reported here, with the same shape, as `not_a_whole_number`.

use psephos_core::ballot::check_contest_values;
use psephos_core::election::Contest;
use psephos_core::error::ContestViolation;
use serde::Serialize;
use serde_json::Value;

use crate::error::Error;

/// What is wrong with one contest's values, for the page: `{code, …}`.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ChoiceProblem {
    /// A rule of the contest is broken.
    Rule(ContestViolation),
    /// A value that is not a whole number from 0 (so no rule can judge it).
    NotAWholeNumber {
        code: &'static str,
        option: usize,
        id: String,
        /// The option's largest value.
        max: u64,
    },
}

/// Checks `values` (JSON numbers, one per option, as the form holds them) against `contest`:
/// `None` when they keep its rule.
pub fn check_contest(contest: &Contest, values: &[Value]) -> Option<ChoiceProblem> {
    let mut whole = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        match v.as_u64() {
            Some(n) => whole.push(n),
            None => {
                return Some(ChoiceProblem::NotAWholeNumber {
                    code: "not_a_whole_number",
                    option: i,
                    id: contest.position_name(i),
                    max: contest.option_max(i),
                })
            }
        }
    }
    check_contest_values(contest, &whole)
        .err()
        .map(ChoiceProblem::Rule)
}

/// [`check_contest`] on JSON text: a manifest contest and an array of values.
pub fn check_contest_json(
    contest_json: &str,
    values_json: &str,
) -> Result<Option<ChoiceProblem>, Error> {
    let contest: Contest = serde_json::from_str(contest_json).map_err(Error::json("contest"))?;
    let values: Vec<Value> = serde_json::from_str(values_json).map_err(Error::json("values"))?;
    Ok(check_contest(&contest, &values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn contest(rule: Value, options: usize) -> Contest {
        serde_json::from_value(json!({
            "id": "c", "title": "C", "description": "", "kind": "approval",
            "options": (0..options).map(|i| json!({ "id": format!("o{i}"), "label": "O" })).collect::<Vec<_>>(),
            "rule": rule,
        }))
        .unwrap()
    }

    fn problem(c: &Contest, values: Value) -> Value {
        serde_json::to_value(check_contest(c, values.as_array().unwrap())).unwrap()
    }

    #[test]
    fn violations_carry_their_code_and_numbers() {
        let approval = contest(json!({ "rule": "selection", "min": 1, "max": 2 }), 4);
        assert_eq!(problem(&approval, json!([1, 0, 1, 0])), Value::Null);
        assert_eq!(
            problem(&approval, json!([1, 1, 1, 0])),
            json!({ "code": "too_many", "selected": 3, "max": 2 })
        );
        assert_eq!(
            problem(&approval, json!([0, 0, 0, 0])),
            json!({ "code": "too_few", "selected": 0, "min": 1 })
        );
        let budget = contest(
            json!({ "rule": "bounded", "maxima": [1, 1, 1],
                    "limit": { "weights": [200, 150, 100], "total": 300 } }),
            3,
        );
        assert_eq!(
            problem(&budget, json!([1, 1, 0])),
            json!({ "code": "over_limit", "used": 350, "total": 300 })
        );
        assert_eq!(
            problem(&budget, json!([2, 0, 0])),
            json!({ "code": "above_maximum", "option": 0, "id": "o0", "value": 2, "max": 1 })
        );
        assert_eq!(
            problem(&budget, json!([0, null, 0])),
            json!({ "code": "not_a_whole_number", "option": 1, "id": "o1", "max": 1 })
        );
        assert_eq!(
            problem(&budget, json!([0, -1, 0]))["code"],
            "not_a_whole_number"
        );
    }
}

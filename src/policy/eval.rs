//! IAM's documented evaluation logic for identity-based policies, for one
//! action on one resource: an explicit deny beats an allow, which beats the
//! implicit deny. Conditions are not evaluated; they are reported.

use super::{Effect, Patterns, Statement};
use crate::check::Expect;

pub use crate::glob::wildcard;

fn element_matches(element: &Patterns, value: &str, ignore_case: bool) -> bool {
    let any = element
        .patterns
        .iter()
        .any(|p| wildcard(p, value, ignore_case));
    any != element.negated
}

/// Whether a statement names the action, whatever its resource.
pub fn action_matches(s: &Statement, action: &str) -> bool {
    element_matches(&s.actions, action, true)
}

/// Action names are case-insensitive, resource ARNs are not.
pub fn statement_matches(s: &Statement, action: &str, resource: &str) -> bool {
    element_matches(&s.actions, action, true)
        && s.resources
            .as_ref()
            .is_some_and(|r| element_matches(r, resource, false))
}

/// What the policies say of one action on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub expect: Expect,
    /// The statement that decides, or why none does.
    pub basis: String,
    /// Condition keys the outcome hangs on: when not empty, the expectation
    /// holds only if conditions that are not evaluated here hold.
    pub conditions: Vec<String>,
}

fn keys(statements: &[&Statement]) -> Vec<String> {
    let mut keys: Vec<String> = statements
        .iter()
        .flat_map(|s| s.conditions.iter().map(|c| c.key.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

pub fn evaluate<'a>(
    statements: impl IntoIterator<Item = &'a Statement>,
    action: &str,
    resource: &str,
) -> Decision {
    let matching: Vec<&Statement> = statements
        .into_iter()
        .filter(|s| statement_matches(s, action, resource))
        .collect();
    let by = |effect: Effect, conditional: bool| -> Vec<&Statement> {
        matching
            .iter()
            .copied()
            .filter(|s| s.effect == effect && s.conditions.is_empty() != conditional)
            .collect()
    };
    let (denies, conditional_denies) = (by(Effect::Deny, false), by(Effect::Deny, true));
    let (allows, conditional_allows) = (by(Effect::Allow, false), by(Effect::Allow, true));
    if let Some(deny) = denies.first() {
        return Decision {
            expect: Expect::Deny,
            basis: format!("explicitly denied by {}", deny.label),
            conditions: Vec::new(),
        };
    }
    match (allows.first(), conditional_allows.first()) {
        (Some(allow), _) => Decision {
            expect: Expect::Allow,
            basis: format!("allowed by {}", allow.label),
            // A conditional deny may still take it away.
            conditions: keys(&conditional_denies),
        },
        (None, Some(allow)) => Decision {
            expect: Expect::Allow,
            basis: format!("allowed by {} under conditions", allow.label),
            conditions: keys(
                &[conditional_allows.as_slice(), conditional_denies.as_slice()].concat(),
            ),
        },
        (None, None) => Decision {
            expect: Expect::Deny,
            basis: "no statement allows it (implicit deny)".to_owned(),
            conditions: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;
    use std::path::Path;

    #[test]
    fn wildcards_as_iam_documents_them() {
        for (pattern, value, ignore_case, matches) in [
            ("s3:Get*", "s3:GetObject", true, true),
            ("s3:get*", "S3:GETOBJECT", true, true),
            ("s3:Get*", "s3:PutObject", true, false),
            ("*", "anything", false, true),
            (
                "arn:aws:s3:::b/uploads/*",
                "arn:aws:s3:::b/uploads/x/y",
                false,
                true,
            ),
            (
                "arn:aws:s3:::b/uploads/*",
                "arn:aws:s3:::b/other",
                false,
                false,
            ),
            ("arn:aws:s3:::B/*", "arn:aws:s3:::b/x", false, false),
            ("arn:aws:s3:::b/?ey", "arn:aws:s3:::b/key", false, true),
            ("arn:aws:s3:::b/?ey", "arn:aws:s3:::b/ey", false, false),
            ("a*b*c", "aXXbYYc", false, true),
            ("a*b*c", "aXXbYY", false, false),
            ("", "", false, true),
            ("**", "x", false, true),
        ] {
            assert_eq!(
                wildcard(pattern, value, ignore_case),
                matches,
                "{pattern} ~ {value}"
            );
        }
    }

    fn decide(policy: &str, action: &str, resource: &str) -> Decision {
        let p = parse(policy.as_bytes(), Path::new("p.json")).unwrap();
        evaluate(&p.statements, action, resource)
    }

    /// AWS's documented examples of identity-based policy evaluation.
    #[test]
    fn documented_examples() {
        let read_only =
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}"#;
        let not_action = r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#;
        let deny_outside = r#"{"Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"*"},
            {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}"#;
        let prefix = r#"{"Statement":[{"Effect":"Allow","Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::b/uploads/*"}]}"#;
        let explicit = r#"{"Statement":[
            {"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:*:*:table/t"},
            {"Effect":"Deny","Action":"dynamodb:DeleteTable","Resource":"*"}]}"#;
        let conditional = r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#;
        use Expect::*;
        let rows: &[(&str, &str, &str, Expect, &str)] = &[
            (
                read_only,
                "s3:GetObject",
                "arn:aws:s3:::b/k",
                Allow,
                "allowed by",
            ),
            (
                read_only,
                "s3:PutObject",
                "arn:aws:s3:::b/k",
                Deny,
                "implicit deny",
            ),
            (
                not_action,
                "s3:DeleteObject",
                "arn:aws:s3:::b/k",
                Allow,
                "allowed by",
            ),
            (not_action, "iam:CreateUser", "*", Deny, "implicit deny"),
            (
                deny_outside,
                "s3:GetObject",
                "arn:aws:s3:::b/k",
                Allow,
                "allowed by",
            ),
            (
                deny_outside,
                "s3:GetObject",
                "arn:aws:s3:::other/k",
                Deny,
                "explicitly denied by p.json statement 2",
            ),
            (
                prefix,
                "s3:PutObject",
                "arn:aws:s3:::b/uploads/irsa-verify-probe/0",
                Allow,
                "allowed by",
            ),
            (
                prefix,
                "s3:PutObject",
                "arn:aws:s3:::b/irsa-verify-probe/0",
                Deny,
                "implicit deny",
            ),
            (
                prefix,
                "s3:ListBucket",
                "arn:aws:s3:::b",
                Deny,
                "implicit deny",
            ),
            (
                explicit,
                "dynamodb:DescribeTable",
                "arn:aws:dynamodb:eu-west-1:1:table/t",
                Allow,
                "allowed by",
            ),
            (
                explicit,
                "dynamodb:DeleteTable",
                "arn:aws:dynamodb:eu-west-1:1:table/t",
                Deny,
                "explicitly denied",
            ),
            (explicit, "dynamodb:ListTables", "*", Deny, "implicit deny"),
            (
                conditional,
                "s3:ListBucket",
                "arn:aws:s3:::b",
                Allow,
                "under conditions",
            ),
        ];
        for (policy, action, resource, expect, basis) in rows {
            let d = decide(policy, action, resource);
            assert_eq!(d.expect, *expect, "{action} {resource}: {d:?}");
            assert!(d.basis.contains(basis), "{action} {resource}: {d:?}");
        }
        assert_eq!(
            decide(conditional, "s3:ListBucket", "arn:aws:s3:::b").conditions,
            ["aws:SourceIp"]
        );
        assert!(decide(read_only, "s3:GetObject", "x").conditions.is_empty());
    }

    #[test]
    fn a_conditional_deny_leaves_an_allow_uncertain_an_unconditional_one_wins() {
        let p = r#"{"Statement":[
            {"Effect":"Allow","Action":"s3:*","Resource":"*"},
            {"Effect":"Deny","Action":"s3:PutObject","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#;
        let d = decide(p, "s3:PutObject", "arn:aws:s3:::b/k");
        assert_eq!(
            (d.expect, d.conditions.as_slice()),
            (Expect::Allow, &["aws:SecureTransport".to_owned()][..])
        );
        let d = decide(p, "s3:GetObject", "arn:aws:s3:::b/k");
        assert!(d.conditions.is_empty());
    }

    #[test]
    fn a_statement_without_resource_matches_no_resource() {
        let trust = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#;
        assert_eq!(
            decide(trust, "s3:GetObject", "arn:aws:s3:::b/k").expect,
            Expect::Deny
        );
    }
}

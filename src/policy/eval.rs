//! IAM's documented evaluation logic for identity-based policies, for one
//! action on one resource: an explicit deny beats an allow, which beats the
//! implicit deny. Conditions are not evaluated; they are reported.

use super::{Condition, Effect, Patterns, Statement};
use crate::check::Expect;
use crate::tags::{TagRequirement, TagTest};

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

/// What the agent knows of its own request: condition keys and their
/// values (`aws:RequestTag/K`, `aws:TagKeys`, `ec2:CreateAction`). Keys are
/// matched case-insensitively, as IAM does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    known: Vec<(String, Vec<String>)>,
    /// The request's tags are all known (the agent builds it): a tag key not
    /// listed is absent, not unknown.
    all_tags: bool,
    /// The tags of the resource the request names, when they were read:
    /// `aws:ResourceTag/K` and `ec2:ResourceTag/K` hold their values, and a
    /// key not listed is absent. None: unknown.
    resource_tags: Option<Vec<(String, String)>>,
    /// Request tags named without a value (a DeleteTags key): whether IAM
    /// reads `aws:RequestTag/K` as absent or empty is not documented, so
    /// a condition on one stays open even where `all_tags` holds.
    open_tags: Vec<String>,
}

/// The tag key of a resource-tag condition key: `K` of `aws:ResourceTag/K`
/// or `ec2:ResourceTag/K` (prefixes case-insensitive, as IAM reads them).
pub fn resource_tag_key(key: &str) -> Option<&str> {
    ["aws:ResourceTag/", "ec2:ResourceTag/"]
        .iter()
        .find_map(|p| {
            key.get(..p.len())
                .filter(|head| head.eq_ignore_ascii_case(p))
                .map(|_| &key[p.len()..])
        })
}

impl Context {
    /// The context of a request that carries exactly these tags.
    pub fn tagged(tags: &[(String, String)]) -> Self {
        let mut known: Vec<(String, Vec<String>)> = tags
            .iter()
            .map(|(k, v)| (format!("aws:RequestTag/{k}"), vec![v.clone()]))
            .collect();
        known.push((
            "aws:TagKeys".to_owned(),
            tags.iter().map(|(k, _)| k.clone()).collect(),
        ));
        Context {
            known,
            all_tags: true,
            resource_tags: None,
            open_tags: Vec::new(),
        }
    }

    /// The context of a CreateTags or DeleteTags request on a resource that
    /// exists: it carries exactly these tag keys (`aws:TagKeys`), each with
    /// its value, or, named without one (DeleteTags), its `aws:RequestTag`
    /// left open; and no `ec2:CreateAction`, which only a create that tags
    /// what it makes sets ("Users are not permitted to tag any existing
    /// resources (they cannot call the ec2:CreateTags action directly)",
    /// EC2 User Guide, supported-iam-actions-tagging).
    pub fn tagging_existing(tags: &[(String, Option<String>)]) -> Self {
        let valued: Vec<(String, String)> = tags
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
            .collect();
        let mut context = Context::tagged(&valued).with("ec2:CreateAction", Vec::new());
        for (key, value) in tags {
            if value.is_none() {
                context.open_tags.push(key.clone());
            }
        }
        if let Some((_, keys)) = context
            .known
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("aws:TagKeys"))
        {
            *keys = tags.iter().map(|(k, _)| k.clone()).collect();
        }
        context
    }

    pub fn with(mut self, key: &str, values: Vec<String>) -> Self {
        self.known.push((key.to_owned(), values));
        self
    }

    /// The same context, the resource's tags known to be exactly these.
    pub fn with_resource_tags(mut self, tags: &[(String, String)]) -> Self {
        self.resource_tags = Some(tags.to_vec());
        self
    }

    /// Some(values), Some(empty) for a request tag known to be absent, None
    /// for what the agent cannot know.
    fn get(&self, key: &str) -> Option<Vec<String>> {
        if let Some(tag) = resource_tag_key(key) {
            return self.resource_tags.as_ref().map(|tags| {
                tags.iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case(tag))
                    .map(|(_, v)| v.clone())
                    .take(1)
                    .collect()
            });
        }
        let found = self
            .known
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_slice());
        let is_tag = key
            .get(..15)
            .is_some_and(|p| p.eq_ignore_ascii_case("aws:RequestTag/"));
        if is_tag
            && found.is_none()
            && self
                .open_tags
                .iter()
                .any(|t| key.get(15..).is_some_and(|k| k.eq_ignore_ascii_case(t)))
        {
            return None;
        }
        found
            .or_else(|| (self.all_tags && is_tag).then_some(&[][..]))
            .map(<[String]>::to_vec)
    }
}

/// A condition on a key the context knows: Some(holds), or None when the
/// operator is not one evaluated here (it stays reported).
fn holds(c: &Condition, context: &Context, action: &str) -> Option<bool> {
    let (quantifier, op) = match c.operator.split_once(':') {
        Some((q, op)) => (Some(q), op),
        None => (None, c.operator.as_str()),
    };
    let op = op.strip_suffix("IfExists").unwrap_or(op);
    // A service's own key that the Service Authorization Reference does not
    // list for the action is in none of its requests: absent, not unknown.
    let values = context
        .get(&c.key)
        .or_else(|| (crate::sar::carries(action, &c.key) == Some(false)).then(Vec::new))?;
    if op == "Null" {
        let absent = values.is_empty();
        return Some(
            c.values
                .iter()
                .any(|v| v.eq_ignore_ascii_case(&absent.to_string())),
        );
    }
    if values.is_empty() {
        // A condition on an absent key: false, but IfExists and the negated
        // operators hold (IAM's documented behaviour), and so does
        // ForAllValues: "It also returns true if there are no context keys
        // in the request" (IAM User Guide, single-valued vs. multivalued
        // context keys).
        let negated = op.contains("Not");
        let for_all = quantifier.is_some_and(|q| q.eq_ignore_ascii_case("ForAllValues"));
        return Some(c.operator.ends_with("IfExists") || negated || for_all);
    }
    let one = |v: &str| -> Option<bool> {
        Some(match op {
            "StringEquals" => c.values.iter().any(|w| w == v),
            "StringEqualsIgnoreCase" => c.values.iter().any(|w| w.eq_ignore_ascii_case(v)),
            "StringLike" => c.values.iter().any(|w| wildcard(w, v, false)),
            "StringNotEquals" => c.values.iter().all(|w| w != v),
            "StringNotLike" => c.values.iter().all(|w| !wildcard(w, v, false)),
            _ => return None,
        })
    };
    let each: Option<Vec<bool>> = values.iter().map(|v| one(v)).collect();
    let each = each?;
    Some(match quantifier {
        Some("ForAllValues") => each.iter().all(|b| *b),
        _ => each.iter().any(|b| *b),
    })
}

fn keys(conditions: &[&Condition]) -> Vec<String> {
    let mut keys: Vec<String> = conditions.iter().map(|c| c.key.clone()).collect();
    keys.sort();
    keys.dedup();
    keys
}

pub fn evaluate<'a>(
    statements: impl IntoIterator<Item = &'a Statement>,
    action: &str,
    resource: &str,
) -> Decision {
    evaluate_in(statements, action, resource, &Context::default())
}

/// IAM's logic with the conditions the context settles evaluated: a
/// statement whose condition fails does not apply, and only the conditions
/// on keys the agent cannot know are reported.
pub fn evaluate_in<'a>(
    statements: impl IntoIterator<Item = &'a Statement>,
    action: &str,
    resource: &str,
    context: &Context,
) -> Decision {
    // Each matching statement with its conditions left unevaluated.
    let matching: Vec<(&Statement, Vec<&Condition>)> = statements
        .into_iter()
        .filter(|s| statement_matches(s, action, resource))
        .filter_map(|s| {
            let mut open = Vec::new();
            for c in &s.conditions {
                match holds(c, context, action) {
                    Some(false) => return None,
                    Some(true) => {}
                    None => open.push(c),
                }
            }
            Some((s, open))
        })
        .collect();
    let by = |effect: Effect, conditional: bool| -> Vec<&(&Statement, Vec<&Condition>)> {
        matching
            .iter()
            .filter(|(s, open)| s.effect == effect && open.is_empty() != conditional)
            .collect()
    };
    let open = |list: &[&(&Statement, Vec<&Condition>)]| -> Vec<String> {
        keys(
            &list
                .iter()
                .flat_map(|(_, o)| o.iter().copied())
                .collect::<Vec<_>>(),
        )
    };
    let (denies, conditional_denies) = (by(Effect::Deny, false), by(Effect::Deny, true));
    let (allows, conditional_allows) = (by(Effect::Allow, false), by(Effect::Allow, true));
    if let Some((deny, _)) = denies.first() {
        return Decision {
            expect: Expect::Deny,
            basis: format!("explicitly denied by {}", deny.label),
            conditions: Vec::new(),
        };
    }
    match (allows.first(), conditional_allows.first()) {
        (Some((allow, _)), _) => Decision {
            expect: Expect::Allow,
            basis: format!("allowed by {}", allow.label),
            // A conditional deny may still take it away.
            conditions: open(&conditional_denies),
        },
        (None, Some((allow, _))) => Decision {
            expect: Expect::Allow,
            basis: format!("allowed by {} under conditions", allow.label),
            conditions: open(
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

/// The tags a request must carry to meet the `aws:RequestTag/K` conditions
/// of the Allow statements that grant `action` on `resource`: a value each
/// condition accepts (`*` filled in), so those conditions hold by
/// construction. Keys with wildcards are left to the report.
pub fn request_tags<'a>(
    statements: impl IntoIterator<Item = &'a Statement>,
    action: &str,
    resource: &str,
) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = Vec::new();
    for s in statements
        .into_iter()
        .filter(|s| s.effect == Effect::Allow && statement_matches(s, action, resource))
    {
        for c in &s.conditions {
            let Some(key) = c
                .key
                .get(..15)
                .filter(|p| p.eq_ignore_ascii_case("aws:RequestTag/"))
                .map(|_| &c.key[15..])
            else {
                continue;
            };
            let op = c.operator.strip_suffix("IfExists").unwrap_or(&c.operator);
            let value = match op {
                "StringEquals" => c.values.first().cloned(),
                "StringLike" => c
                    .values
                    .first()
                    .map(|v| v.replace('*', "irsa-verify").replace('?', "x")),
                "Null" if c.values.iter().any(|v| v == "false") => Some("irsa-verify".to_owned()),
                _ => None,
            };
            if let Some(value) = value.filter(|_| !key.is_empty() && !key.contains(['*', '?'])) {
                if !tags.iter().any(|(k, _)| k == key) {
                    tags.push((key.to_owned(), value));
                }
            }
        }
    }
    tags
}

/// The statements deciding `action` on `resource`, as far as they hang on
/// the tags of the resource: each one that applies once the context is
/// taken into account, as the group of resource-tag tests it still needs
/// (empty: it applies to any resource).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSplit {
    pub allow: Vec<Vec<TagTest>>,
    pub deny: Vec<Vec<TagTest>>,
}

impl TagSplit {
    /// What a resource's tags must be for the action to be allowed on it:
    /// one Allow's tests hold and no Deny's do. None when no Allow applies.
    pub fn allowed(&self) -> Option<TagRequirement> {
        if self.allow.is_empty() {
            return None;
        }
        let any_of = if self.allow.iter().any(Vec::is_empty) {
            Vec::new()
        } else {
            self.allow.clone()
        };
        Some(TagRequirement::new(any_of, self.deny.clone()))
    }

    /// What a resource's tags must be for the action to be denied on it: no
    /// Allow's tests hold (the implicit deny, or an explicit one), or, where
    /// an Allow needs no tag, one Deny's tests hold.
    pub fn denied(&self) -> Option<TagRequirement> {
        if !self.allow.iter().any(Vec::is_empty) {
            return Some(TagRequirement::new(Vec::new(), self.allow.clone()));
        }
        let deny: Vec<Vec<TagTest>> = self
            .deny
            .iter()
            .filter(|g| !g.is_empty())
            .cloned()
            .collect();
        (!deny.is_empty()).then(|| TagRequirement::new(deny, Vec::new()))
    }
}

/// How the decision on `action` on `resource` hangs on the resource's tags,
/// when it hangs on nothing else the context leaves open: every condition of
/// every matching statement is either settled by the context or a
/// resource-tag test (`aws:ResourceTag/K`, `ec2:ResourceTag/K` with
/// StringEquals, StringLike, Null, their IfExists forms), and at least one
/// is such a test. Then every tag set that meets `allowed()` is allowed and
/// every one that meets `denied()` is denied, by IAM's logic (an explicit
/// Deny beats an Allow, which beats the implicit deny). None otherwise.
pub fn tag_split<'a>(
    statements: impl IntoIterator<Item = &'a Statement>,
    action: &str,
    resource: &str,
    context: &Context,
) -> Option<TagSplit> {
    let mut split = TagSplit::default();
    let mut on_tags = false;
    for s in statements
        .into_iter()
        .filter(|s| statement_matches(s, action, resource))
    {
        let settled: Vec<Option<bool>> = s
            .conditions
            .iter()
            .map(|c| holds(c, context, action))
            .collect();
        if settled.contains(&Some(false)) {
            continue;
        }
        let mut group = Vec::new();
        for (c, settled) in s.conditions.iter().zip(settled) {
            if settled.is_none() {
                let tag = resource_tag_key(&c.key)?;
                group.push(TagTest::from_operator(&c.operator, tag, &c.values)?);
            }
        }
        on_tags |= !group.is_empty();
        match s.effect {
            Effect::Allow => split.allow.push(group),
            Effect::Deny => split.deny.push(group),
        }
    }
    on_tags.then_some(split)
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

    /// The Load Balancer Controller's tagging of its own security groups
    /// (its statement 7): a DryRun CreateTags or DeleteTags of one
    /// irsa-verify key carries no elbv2.k8s.aws/cluster request tag, so the
    /// grant hangs on the group's own tag alone; a grant under
    /// ec2:CreateAction never holds for a direct call.
    #[test]
    fn tagging_an_existing_resource_settles_its_request_tags() {
        let p = parse(
            br#"{"Statement":[
            {"Effect":"Allow","Action":["ec2:CreateTags","ec2:DeleteTags"],"Resource":"arn:aws:ec2:*:*:security-group/*",
             "Condition":{"Null":{"aws:RequestTag/elbv2.k8s.aws/cluster":"true","aws:ResourceTag/elbv2.k8s.aws/cluster":"false"}}},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"ec2:CreateAction":"CreateVolume"}}},
            {"Effect":"Allow","Action":"ec2:DeleteTags","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"aws:RequestTag/irsa-verify-probe":""}}},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Name"]}}}]}"#,
            Path::new("p.json"),
        )
        .unwrap();
        let sg = "arn:aws:ec2:eu-west-1:1:security-group/sg-0xxxxxxxxxxxxxxxx";
        let create =
            Context::tagging_existing(&[("irsa-verify-probe".into(), Some("dry-run".into()))]);
        let delete = Context::tagging_existing(&[("irsa-verify-probe".into(), None)]);
        for (action, context) in [("ec2:CreateTags", &create), ("ec2:DeleteTags", &delete)] {
            let d = evaluate_in(&p.statements, action, sg, context);
            assert_eq!(
                (d.expect, d.conditions.as_slice()),
                (
                    Expect::Allow,
                    &["aws:ResourceTag/elbv2.k8s.aws/cluster".to_owned()][..]
                ),
                "{action}: only the group's own tag is left"
            );
            let tagged = context
                .clone()
                .with_resource_tags(&[("elbv2.k8s.aws/cluster".into(), "c".into())]);
            assert_eq!(
                evaluate_in(&p.statements, action, sg, &tagged).expect,
                Expect::Allow
            );
            let untagged = context.clone().with_resource_tags(&[]);
            assert_eq!(
                evaluate_in(&p.statements, action, sg, &untagged).expect,
                Expect::Deny
            );
        }
        let vol = "arn:aws:ec2:eu-west-1:1:volume/vol-0xxxxxxxxxxxxxxxx";
        assert_eq!(
            evaluate_in(&p.statements, "ec2:CreateTags", vol, &create).expect,
            Expect::Deny,
            "no ec2:CreateAction on a direct call"
        );
        // A key deleted without a value: its aws:RequestTag stays open.
        assert_eq!(
            evaluate_in(&p.statements, "ec2:DeleteTags", vol, &delete).conditions,
            ["aws:RequestTag/irsa-verify-probe"]
        );
        // aws:TagKeys holds the keys named, valued or not.
        let i = "arn:aws:ec2:eu-west-1:1:instance/i-0xxxxxxxxxxxxxxxx";
        assert_eq!(
            evaluate_in(&p.statements, "ec2:CreateTags", i, &create).expect,
            Expect::Deny
        );
        let name = Context::tagging_existing(&[("Name".into(), None)]);
        assert_eq!(
            evaluate_in(&p.statements, "ec2:CreateTags", i, &name).expect,
            Expect::Allow
        );
    }

    #[test]
    fn conditions_the_request_settles_are_evaluated_the_rest_reported() {
        let p = parse(
            br#"{"Statement":[
            {"Effect":"Allow","Action":"ec2:CreateVolume","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringLike":{"aws:RequestTag/ebs.csi.aws.com/cluster":"true"}}},
            {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"ec2:CreateAction":["CreateVolume","CreateSnapshot"]}}},
            {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*","Condition":{"StringLike":{"ec2:ResourceTag/owner":"me"}}},
            {"Effect":"Deny","Action":"ec2:CreateVolume","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["forbidden"]}}}]}"#,
            Path::new("p.json"),
        )
        .unwrap();
        let vol = "arn:aws:ec2:eu-west-1:1:volume/*";
        let tags = request_tags(&p.statements, "ec2:CreateVolume", vol);
        assert_eq!(
            tags,
            [("ebs.csi.aws.com/cluster".to_owned(), "true".to_owned())]
        );
        let with_tag = Context::tagged(&tags);
        let d = evaluate_in(&p.statements, "ec2:CreateVolume", vol, &with_tag);
        assert_eq!(
            (d.expect, d.conditions.is_empty()),
            (Expect::Allow, true),
            "{d:?}"
        );
        // Without the tag, the statement does not apply.
        let d = evaluate_in(
            &p.statements,
            "ec2:CreateVolume",
            vol,
            &Context::tagged(&[]),
        );
        assert_eq!(d.expect, Expect::Deny, "{d:?}");
        let wrong = Context::tagged(&[("ebs.csi.aws.com/cluster".into(), "false".into())]);
        assert_eq!(
            evaluate_in(&p.statements, "ec2:CreateVolume", vol, &wrong).expect,
            Expect::Deny
        );
        // Unknown to the request: reported, as before.
        assert_eq!(
            evaluate(&p.statements, "ec2:CreateVolume", vol).conditions,
            ["aws:RequestTag/ebs.csi.aws.com/cluster", "aws:TagKeys"]
        );
        let create = Context::default().with("ec2:CreateAction", vec!["CreateVolume".into()]);
        assert_eq!(
            evaluate_in(&p.statements, "ec2:CreateTags", vol, &create).expect,
            Expect::Allow
        );
        let other = Context::default().with("ec2:CreateAction", vec!["RunInstances".into()]);
        assert_eq!(
            evaluate_in(&p.statements, "ec2:CreateTags", vol, &other).expect,
            Expect::Deny
        );
        let d = evaluate_in(&p.statements, "ec2:DeleteVolume", vol, &with_tag);
        assert_eq!(
            d.conditions,
            ["ec2:ResourceTag/owner"],
            "a resource's tags are never known"
        );
        let forbidden = Context::tagged(&[
            ("ebs.csi.aws.com/cluster".into(), "true".into()),
            ("forbidden".into(), "x".into()),
        ]);
        assert_eq!(
            evaluate_in(&p.statements, "ec2:CreateVolume", vol, &forbidden).expect,
            Expect::Deny,
            "ForAnyValue on a known multi-valued key"
        );
        let null = parse(br#"{"Statement":[{"Effect":"Allow","Action":"ec2:CreateSecurityGroup","Resource":"*","Condition":{"Null":{"aws:RequestTag/elbv2.k8s.aws/cluster":"false"}}}]}"#, Path::new("n.json")).unwrap();
        assert_eq!(
            request_tags(&null.statements, "ec2:CreateSecurityGroup", "x"),
            [("elbv2.k8s.aws/cluster".to_owned(), "irsa-verify".to_owned())]
        );
    }

    #[test]
    fn a_resources_tags_settle_its_resource_tag_conditions_once_read() {
        let p = parse(
            br#"{"Statement":[
            {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*","Condition":{"StringLike":{"ec2:ResourceTag/ebs.csi.aws.com/cluster":"true"}}},
            {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*","Condition":{"Null":{"aws:ResourceTag/CSIVolumeName":"false"}}},
            {"Effect":"Deny","Action":"ec2:DeleteVolume","Resource":"*","Condition":{"StringEquals":{"aws:resourcetag/protected":"yes"}}}]}"#,
            Path::new("p.json"),
        )
        .unwrap();
        let vol = "arn:aws:ec2:eu-west-1:1:volume/vol-0xxxxxxxxxxxxxxxx";
        let on = |tags: &[(&str, &str)]| {
            let tags: Vec<(String, String)> = tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            evaluate_in(
                &p.statements,
                "ec2:DeleteVolume",
                vol,
                &Context::default().with_resource_tags(&tags),
            )
        };
        let d = on(&[("ebs.csi.aws.com/cluster", "true")]);
        assert_eq!((d.expect, d.conditions.len()), (Expect::Allow, 0), "{d:?}");
        assert!(d.basis.contains("statement 1"), "{d:?}");
        assert_eq!(on(&[("CSIVolumeName", "")]).expect, Expect::Allow);
        assert_eq!(
            on(&[("EBS.CSI.AWS.COM/Cluster", "true")]).expect,
            Expect::Allow,
            "keys are case-insensitive"
        );
        assert_eq!(
            on(&[("ebs.csi.aws.com/cluster", "TRUE")]).expect,
            Expect::Deny,
            "values are not"
        );
        assert_eq!(on(&[]).expect, Expect::Deny);
        let d = on(&[("CSIVolumeName", "v"), ("protected", "yes")]);
        assert!(d.basis.contains("explicitly denied"), "{d:?}");
        // Unread, they stay open.
        assert_eq!(
            evaluate(&p.statements, "ec2:DeleteVolume", vol).conditions,
            [
                "aws:ResourceTag/CSIVolumeName",
                "aws:resourcetag/protected",
                "ec2:ResourceTag/ebs.csi.aws.com/cluster"
            ]
        );
        assert_eq!(resource_tag_key("EC2:resourceTag/a/b"), Some("a/b"));
        assert_eq!(resource_tag_key("aws:RequestTag/a"), None);
    }

    #[test]
    fn the_tag_split_says_which_tags_allow_and_which_deny() {
        let split = |policy: &str, context: &Context| {
            let p = parse(policy.as_bytes(), Path::new("p.json")).unwrap();
            tag_split(
                &p.statements,
                "ec2:TerminateInstances",
                "arn:aws:ec2:eu-west-1:1:instance/i-0xxxxxxxxxxxxxxxx",
                context,
            )
        };
        let t = |op: &str, key: &str, v: &str| {
            crate::tags::TagTest::from_operator(op, key, &[v.to_owned()]).unwrap()
        };
        let karpenter = r#"{"Statement":[{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/*","Condition":{
            "StringEquals":{"aws:ResourceTag/kubernetes.io/cluster/c1":"owned","aws:RequestedRegion":"eu-west-1"},
            "StringLike":{"aws:ResourceTag/karpenter.sh/nodepool":"*"}}}]}"#;
        let region = Context::default().with("aws:RequestedRegion", vec!["eu-west-1".into()]);
        let s = split(karpenter, &region).unwrap();
        let group = vec![
            t("StringEquals", "kubernetes.io/cluster/c1", "owned"),
            t("StringLike", "karpenter.sh/nodepool", "*"),
        ];
        assert_eq!(s.allow, std::slice::from_ref(&group));
        assert!(s.deny.is_empty());
        let allowed = s.allowed().unwrap();
        assert_eq!(allowed, TagRequirement::new(vec![group.clone()], vec![]));
        assert_eq!(
            s.denied().unwrap(),
            TagRequirement::new(vec![], vec![group])
        );
        // In another region the statement does not apply: nothing on tags.
        let elsewhere = Context::default().with("aws:RequestedRegion", vec!["us-east-1".into()]);
        assert_eq!(split(karpenter, &elsewhere), None);
        // A condition the agent cannot settle beside it: not a tag matter.
        assert_eq!(split(karpenter, &Context::default()), None);
        let vpc = r#"{"Statement":[{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"*","Condition":{
            "Null":{"aws:ResourceTag/owner":"false"},"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}"#;
        assert_eq!(split(vpc, &Context::default()), None);
        let not_equals = r#"{"Statement":[{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"*","Condition":{
            "StringNotEquals":{"aws:ResourceTag/owner":"x"}}}]}"#;
        assert_eq!(
            split(not_equals, &Context::default()),
            None,
            "an operator not played"
        );
        // Allowed everywhere but on protected ones: denied only on those.
        let protect = r#"{"Statement":[
            {"Effect":"Allow","Action":"ec2:*","Resource":"*"},
            {"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*","Condition":{"StringEquals":{"ec2:ResourceTag/protected":"yes"}}}]}"#;
        let s = split(protect, &Context::default()).unwrap();
        let protected = vec![t("StringEquals", "protected", "yes")];
        assert_eq!(
            s.allowed().unwrap(),
            TagRequirement::new(vec![], vec![protected.clone()])
        );
        assert_eq!(
            s.denied().unwrap(),
            TagRequirement::new(vec![protected], vec![])
        );
        // No tag condition at all: nothing to split.
        let plain = r#"{"Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
        assert_eq!(split(plain, &Context::default()), None);
    }

    fn cond(operator: &str, key: &str, values: &[&str]) -> Condition {
        Condition {
            operator: operator.to_owned(),
            key: key.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    /// Each operator on a key the request settles: (operator, values, tag value, holds).
    #[test]
    fn each_condition_operator_on_a_known_request_tag() {
        let key = "aws:RequestTag/team";
        for (operator, values, tag, want) in [
            ("StringEquals", &["a"][..], Some("a"), Some(true)),
            ("StringEquals", &["a"][..], Some("A"), Some(false)),
            ("StringEqualsIgnoreCase", &["a"][..], Some("A"), Some(true)),
            ("StringEqualsIgnoreCase", &["a"][..], Some("b"), Some(false)),
            ("StringLike", &["a*"][..], Some("abc"), Some(true)),
            ("StringLike", &["a*"][..], Some("bc"), Some(false)),
            ("StringNotEquals", &["a"][..], Some("b"), Some(true)),
            ("StringNotEquals", &["a"][..], Some("a"), Some(false)),
            ("StringNotLike", &["a*"][..], Some("b"), Some(true)),
            ("StringNotLike", &["a*"][..], Some("ab"), Some(false)),
            ("StringEqualsIfExists", &["a"][..], None, Some(true)),
            ("StringEquals", &["a"][..], None, Some(false)),
            ("StringNotEquals", &["a"][..], None, Some(true)),
            ("Null", &["false"][..], Some("x"), Some(true)),
            ("Null", &["false"][..], None, Some(false)),
            ("Null", &["true"][..], None, Some(true)),
            ("Null", &["true"][..], Some("x"), Some(false)),
            ("NumericLessThan", &["3"][..], Some("1"), None),
        ] {
            let tags: Vec<(String, String)> = tag
                .map(|t| ("team".to_owned(), t.to_owned()))
                .into_iter()
                .collect();
            let got = holds(&cond(operator, key, values), &Context::tagged(&tags), "");
            assert_eq!(got, want, "{operator} {values:?} on {tag:?}");
        }
        // Keys the request does not settle are never evaluated.
        assert_eq!(
            holds(
                &cond("StringEquals", "aws:ResourceTag/team", &["a"]),
                &Context::tagged(&[]),
                ""
            ),
            None
        );
        assert_eq!(
            holds(
                &cond("Null", "aws:SourceVpc", &["true"]),
                &Context::tagged(&[]),
                ""
            ),
            None
        );
    }

    #[test]
    fn multi_valued_keys_take_their_quantifier() {
        let tags = [
            ("a".to_owned(), "1".to_owned()),
            ("b".to_owned(), "2".to_owned()),
        ];
        let ctx = Context::tagged(&tags);
        let all = cond("ForAllValues:StringEquals", "aws:TagKeys", &["a", "c"]);
        assert_eq!(holds(&all, &ctx, ""), Some(false), "b is not allowed");
        let all_ok = cond("ForAllValues:StringEquals", "aws:TagKeys", &["a", "b", "c"]);
        assert_eq!(holds(&all_ok, &ctx, ""), Some(true));
        let any = cond("ForAnyValue:StringEquals", "aws:TagKeys", &["b"]);
        assert_eq!(holds(&any, &ctx, ""), Some(true));
        let none = cond("ForAnyValue:StringEquals", "aws:TagKeys", &["z"]);
        assert_eq!(holds(&none, &ctx, ""), Some(false));
        // A key the request lacks: ForAllValues holds, as IAM documents.
        let untagged = Context::tagged(&[]);
        assert_eq!(holds(&all, &untagged, ""), Some(true));
        assert_eq!(holds(&any, &untagged, ""), Some(false));
    }

    /// cert-manager's published policy: ListResourceRecordSets and
    /// ChangeResourceRecordSets under a record-type condition that only the
    /// second one's requests carry.
    #[test]
    fn a_service_key_the_action_never_carries_is_absent() {
        let policy = r#"{"Statement":[{"Effect":"Allow",
            "Action":["route53:ChangeResourceRecordSets","route53:ListResourceRecordSets"],
            "Resource":"arn:aws:route53:::hostedzone/*",
            "Condition":{"ForAllValues:StringEquals":{"route53:ChangeResourceRecordSetsRecordTypes":["TXT"]}}}]}"#;
        let zone = "arn:aws:route53:::hostedzone/Z1";
        let list = decide(policy, "route53:ListResourceRecordSets", zone);
        assert_eq!((list.expect, list.conditions.len()), (Expect::Allow, 0));
        let change = decide(policy, "route53:ChangeResourceRecordSets", zone);
        assert_eq!(change.expect, Expect::Allow);
        assert_eq!(
            change.conditions,
            ["route53:ChangeResourceRecordSetsRecordTypes"]
        );
        // The same key under StringEquals: absent, so that allow does not apply.
        let strict = r#"{"Statement":[{"Effect":"Allow","Action":"route53:ListResourceRecordSets","Resource":"*",
            "Condition":{"StringEquals":{"route53:ChangeResourceRecordSetsRecordTypes":"TXT"}}}]}"#;
        assert_eq!(
            decide(strict, "route53:ListResourceRecordSets", zone).expect,
            Expect::Deny
        );
    }

    #[test]
    fn request_tags_are_read_from_allow_statements_that_grant_the_action() {
        let p = parse(
            br#"{"Statement":[
            {"Effect":"Allow","Action":"ec2:CreateVolume","Resource":"*","Condition":{
               "StringEquals":{"aws:RequestTag/exact":["v1","v2"]},
               "StringLikeIfExists":{"aws:RequestTag/like":"pre-*-?"},
               "Null":{"aws:RequestTag/present":"false","aws:RequestTag/absent":"true"},
               "StringLike":{"aws:RequestTag/wild*":"x","aws:ResourceTag/not-a-request-tag":"y"},
               "NumericEquals":{"aws:RequestTag/number":"1"}}},
            {"Effect":"Deny","Action":"ec2:CreateVolume","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/denied":"d"}}},
            {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/other":"o"}}}]}"#,
            Path::new("t.json"),
        )
        .unwrap();
        let mut tags = request_tags(
            &p.statements,
            "ec2:CreateVolume",
            "arn:aws:ec2:r:a:volume/*",
        );
        tags.sort();
        assert_eq!(
            tags,
            [
                ("exact".to_owned(), "v1".to_owned()),
                ("like".to_owned(), "pre-irsa-verify-x".to_owned()),
                ("present".to_owned(), "irsa-verify".to_owned()),
            ]
        );
    }
}

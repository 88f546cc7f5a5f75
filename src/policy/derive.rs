//! The checks the role's own policies imply: every concrete target they name
//! (plus those given by flag), every catalogue action that applies to it,
//! and the expectation IAM's logic gives for the resource the probe touches.

use super::eval::{evaluate, wildcard, Decision};
use super::{Patterns, Policy, Statement};
use crate::catalogue::{Kind, Probe, Sdk, TargetKind, Tells};
use crate::check::{
    Action, BucketName, Check, Expect, KeyPrefix, Named, ObjectKey, ObjectKeyChoice, Place,
    TableName, Target, PROBE_PREFIX,
};

/// Targets given by flag, for policies whose resources are wildcards.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub buckets: Vec<BucketName>,
    pub tables: Vec<TableName>,
    /// An existing object, read by the s3:GetObject checks of every bucket.
    pub object: Option<ObjectKey>,
}

/// A policy action the agent does not probe: a skipped testcase, named by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unprobed {
    pub action: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Derived {
    pub checks: Vec<Check>,
    /// Why each check expects what it does, in the order of `checks`.
    pub basis: Vec<String>,
    pub unprobed: Vec<Unprobed>,
}

#[derive(Debug, Clone, PartialEq)]
struct TableTarget {
    table: TableName,
    region: Option<String>,
    account: Option<String>,
}

#[derive(Debug, Default)]
struct Targets {
    /// Buckets, each with the key prefixes the policies name (root first).
    buckets: Vec<(BucketName, Vec<KeyPrefix>)>,
    tables: Vec<TableTarget>,
    /// Resources of the other services (secrets, parameters, keys, ...).
    named: Vec<Target>,
}

impl Targets {
    fn named(&mut self, t: Target) {
        if !self.named.contains(&t) {
            self.named.push(t);
        }
    }

    fn bucket(&mut self, bucket: BucketName, prefix: KeyPrefix) {
        match self.buckets.iter_mut().find(|(b, _)| *b == bucket) {
            Some((_, prefixes)) if !prefixes.contains(&prefix) => prefixes.push(prefix),
            Some(_) => {}
            None => {
                let mut prefixes = vec![KeyPrefix::default()];
                if prefix != KeyPrefix::default() {
                    prefixes.push(prefix);
                }
                self.buckets.push((bucket, prefixes));
            }
        }
    }

    fn table(&mut self, t: TableTarget) {
        if !self.tables.iter().any(|x| x.table == t.table) {
            self.tables.push(t);
        }
    }
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// The concrete targets one resource pattern names, if any.
fn read_resource(pattern: &str, targets: &mut Targets) {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [_, _, service, region, account, rest] = parts[..] else {
        return;
    };
    match service {
        "s3" => {
            let (bucket, key) = match rest.split_once('/') {
                Some((b, k)) => (b, Some(k)),
                None => (rest, None),
            };
            if has_wildcard(bucket) {
                return;
            }
            let Ok(bucket) = BucketName::parse(bucket) else {
                return;
            };
            // The prefix is what comes before the first wildcard; a concrete
            // key stands for its "directory".
            let prefix = match key {
                None => String::new(),
                Some(k) => match k.find(['*', '?']) {
                    Some(i) => k[..i].to_owned(),
                    None => k.rfind('/').map_or(String::new(), |i| k[..=i].to_owned()),
                },
            };
            if let Ok(prefix) = KeyPrefix::parse(&prefix) {
                targets.bucket(bucket, prefix);
            }
        }
        "dynamodb" => {
            let Some(table) = rest.strip_prefix("table/") else {
                return;
            };
            let table = table.split('/').next().unwrap_or(table);
            if has_wildcard(table) {
                return;
            }
            if let Ok(table) = TableName::parse(table) {
                let concrete = |s: &str| (!s.is_empty() && !has_wildcard(s)).then(|| s.to_owned());
                targets.table(TableTarget {
                    table,
                    region: concrete(region),
                    account: concrete(account),
                });
            }
        }
        _ => read_named(service, region, account, rest, targets),
    }
}

/// A secret, parameter, key, log group or hosted zone an ARN names.
fn read_named(service: &str, region: &str, account: &str, rest: &str, targets: &mut Targets) {
    let named = |kind: Kind, name: &str| {
        let concrete = |s: &str| (!s.is_empty() && !has_wildcard(s)).then(|| s.to_owned());
        Named::parse(kind, name)
            .ok()
            .map(|n| Target::Named(n.at(concrete(region), concrete(account))))
    };
    let target = match service {
        // `name-??????` and `name-*` stand for the secret `name` (Secrets
        // Manager appends a random six-character suffix).
        "secretsmanager" => rest.strip_prefix("secret:").and_then(|s| {
            let name = s
                .strip_suffix("-??????")
                .or_else(|| s.strip_suffix("-*"))
                .unwrap_or(s);
            named(Kind::Secret, name)
        }),
        "ssm" => rest.strip_prefix("parameter/").and_then(|s| {
            let slash = |p: &str| {
                if p.contains('/') {
                    format!("/{p}")
                } else {
                    p.to_owned()
                }
            };
            match s.strip_suffix("/*") {
                Some(path) => named(Kind::ParameterPath, &format!("/{path}")),
                None => named(Kind::Parameter, &slash(s)),
            }
        }),
        "kms" => rest.strip_prefix("key/").and_then(|k| named(Kind::Key, k)),
        "logs" => rest
            .strip_prefix("log-group:")
            .and_then(|g| named(Kind::LogGroup, g.split(':').next().unwrap_or(g))),
        "route53" => rest.strip_prefix("hostedzone/").and_then(|z| {
            if z == "*" {
                Some(Target::Any(Kind::HostedZone))
            } else {
                named(Kind::HostedZone, z)
            }
        }),
        _ => None,
    };
    if let Some(t) = target {
        targets.named(t);
    }
}

/// Does an Allow statement name this action, whatever its resource?
fn mentioned(policies: &[Policy], action: &str) -> bool {
    statements(policies)
        .filter(|s| s.effect == super::Effect::Allow)
        .any(|s| super::eval::action_matches(s, action))
}

/// The checks of the catalogue's rows beyond S3, DynamoDB and IMDS: every
/// row the policies grant, on every target it can take, and every
/// destructive row of a service they touch as a deny check.
fn catalogue_checks(
    policies: &[Policy],
    named: &[Target],
    at: &Place,
    out: &mut Derived,
) -> Result<(), String> {
    for action in Action::all() {
        let row = action.row();
        if !matches!(row.probe, Probe::Wire(_)) || !names_service(policies, row.service()) {
            continue;
        }
        let granted = mentioned(policies, row.action);
        if !granted && !row.destructive {
            continue;
        }
        let targets: Vec<Target> = match row.target {
            TargetKind::Named(kind) => named
                .iter()
                .filter(|t| {
                    matches!(t, Target::Named(n) if n.kind == kind) || **t == Target::Any(kind)
                })
                .cloned()
                .collect(),
            _ => vec![Target::Account],
        };
        if targets.is_empty() {
            if let (true, TargetKind::Named(kind)) = (granted, row.target) {
                out.unprobed.push(Unprobed {
                    action: row.action.to_owned(),
                    reason: format!(
                        "no concrete {} is named in the policies (the grant's resource is a wildcard); name one in a spec (`resource:`) to probe it",
                        kind.as_str()
                    ),
                });
            }
            continue;
        }
        for target in targets {
            let resources = target.resources(row, at);
            let decisions: Vec<Decision> = resources
                .iter()
                .map(|r| evaluate(statements(policies), row.action, r))
                .collect();
            let expect = if decisions.iter().all(|d| d.expect == Expect::Allow) {
                Expect::Allow
            } else {
                Expect::Deny
            };
            if expect == Expect::Allow && row.tells == Tells::DenialOnly {
                out.unprobed.push(Unprobed {
                    action: row.action.to_owned(),
                    reason: format!("granted, but only a denial can be told: {}", row.basis),
                });
                continue;
            }
            let mut conditions: Vec<String> = decisions
                .iter()
                .flat_map(|d| d.conditions.clone())
                .collect();
            conditions.sort();
            conditions.dedup();
            let basis = decisions
                .iter()
                .zip(&resources)
                .map(|(d, r)| format!("{} (on {r})", d.basis))
                .collect::<Vec<_>>()
                .join("; ");
            out.checks
                .push(Check::new(action, expect, target, None)?.conditional(conditions));
            out.basis.push(basis);
        }
    }
    Ok(())
}

fn statements(policies: &[Policy]) -> impl Iterator<Item = &Statement> {
    policies.iter().flat_map(|p| p.statements.iter())
}

/// Does any statement name this service ("dynamodb:*", "dynamodb:List*", "*")?
fn names_service(policies: &[Policy], service: &str) -> bool {
    statements(policies).any(|s| {
        s.actions.patterns.iter().any(|p| {
            let prefix = p.split(':').next().unwrap_or(p);
            wildcard(prefix, service, true)
        })
    })
}

/// The representative key a fresh probe uses under `prefix`.
fn fresh_key(prefix: &KeyPrefix) -> String {
    format!("{}{PROBE_PREFIX}{}", prefix.as_str(), "0".repeat(32))
}

pub fn derive(policies: &[Policy], extra: &Extra, at: &Place) -> Result<Derived, String> {
    let mut targets = Targets::default();
    for s in statements(policies) {
        if let Some(Patterns {
            patterns,
            negated: false,
        }) = &s.resources
        {
            for p in patterns {
                read_resource(p, &mut targets);
            }
        }
    }
    for b in &extra.buckets {
        targets.bucket(b.clone(), KeyPrefix::default());
    }
    for t in &extra.tables {
        targets.table(TableTarget {
            table: t.clone(),
            region: None,
            account: None,
        });
    }

    let p = &at.partition;
    let mut out = Derived {
        checks: Vec::new(),
        basis: Vec::new(),
        unprobed: Vec::new(),
    };
    let mut add = |action: Action, target: Target, resource: String| -> Result<(), String> {
        let Decision {
            expect,
            basis,
            conditions,
        } = evaluate(statements(policies), action.name(), &resource);
        let check = Check::new(action, expect, target, None)?.conditional(conditions);
        out.checks.push(check);
        out.basis.push(format!("{basis} (on {resource})"));
        Ok(())
    };
    for (bucket, prefixes) in &targets.buckets {
        add(
            Action::from(Sdk::ListBucket),
            Target::Bucket(bucket.clone()),
            format!("arn:{p}:s3:::{bucket}"),
        )?;
        if let Some(key) = &extra.object {
            let target = Target::Object {
                bucket: bucket.clone(),
                key: ObjectKeyChoice::Named(key.clone()),
            };
            add(
                Action::from(Sdk::GetObject),
                target,
                format!("arn:{p}:s3:::{bucket}/{key}"),
            )?;
        }
        for prefix in prefixes {
            // Without --object, GetObject reads a fresh key: it tells both
            // ways once s3:ListBucket is proven in the same probe.
            let read = extra
                .object
                .is_none()
                .then_some(Action::from(Sdk::GetObject));
            for action in read.into_iter().chain([
                Action::from(Sdk::PutObject),
                Action::from(Sdk::DeleteObject),
            ]) {
                let target = Target::Object {
                    bucket: bucket.clone(),
                    key: ObjectKeyChoice::Fresh(prefix.clone()),
                };
                add(
                    action,
                    target,
                    format!("arn:{p}:s3:::{bucket}/{}", fresh_key(prefix)),
                )?;
            }
        }
    }
    for t in &targets.tables {
        let region = t.region.as_deref().unwrap_or(&at.region);
        let account = t.account.as_deref().unwrap_or(&at.account);
        let arn = format!("arn:{p}:dynamodb:{region}:{account}:table/{}", t.table);
        for action in [
            Action::from(Sdk::DescribeTable),
            Action::from(Sdk::DeleteTable),
        ] {
            add(action, Target::Table(t.table.clone()), arn.clone())?;
        }
        for action in [
            Action::from(Sdk::GetItem),
            Action::from(Sdk::PutItem),
            Action::from(Sdk::DeleteItem),
        ] {
            let target = Target::Item {
                table: t.table.clone(),
                key: None,
            };
            add(action, target, arn.clone())?;
        }
    }
    if names_service(policies, "dynamodb") {
        // ListTables takes no resource: only a statement on "*" grants it.
        add(
            Action::from(Sdk::ListTables),
            Target::Account,
            "*".to_owned(),
        )?;
    }
    catalogue_checks(policies, &targets.named, at, &mut out)?;

    for s in statements(policies).filter(|s| !s.actions.negated) {
        for pattern in &s.actions.patterns {
            // The identity check probes sts:GetCallerIdentity.
            let probed = Action::all()
                .map(Action::name)
                .chain([crate::identity::ACTION])
                .any(|name| wildcard(pattern, name, true));
            if !probed && !out.unprobed.iter().any(|u| u.action == *pattern) {
                let why = crate::catalogue::never(pattern)
                    .unwrap_or("the catalogue has no harmless probe for it");
                out.unprobed.push(Unprobed {
                    action: pattern.clone(),
                    reason: format!("{why} (named by {})", s.label),
                });
            }
        }
    }
    if out.checks.is_empty() && extra.buckets.is_empty() && extra.tables.is_empty() {
        return Err(
            "nothing in the policies can be probed: no action they grant has a harmless probe on a resource they name; \
             give targets with --bucket and/or --table, or see --list-probes"
                .to_owned(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Expect;
    use crate::policy::parse;
    use std::path::Path;

    fn at() -> Place {
        Place {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "111122223333".into(),
        }
    }

    fn derived(policy: &str, extra: &Extra) -> Result<Derived, String> {
        let p = parse(policy.as_bytes(), Path::new("p.json")).unwrap();
        derive(&[p], extra, &at())
    }

    /// (action, target label, expectation) of each derived check.
    fn table(d: &Derived) -> Vec<(String, String, Expect)> {
        d.checks
            .iter()
            .map(|c| (c.action().name().to_owned(), c.target().label(), c.expect()))
            .collect()
    }

    fn has(d: &Derived, action: &str, label: &str, expect: Expect) -> bool {
        table(d).contains(&(action.to_owned(), label.to_owned(), expect))
    }

    const REFERENCE: &str = r#"{"Version":"2012-10-17","Statement":[
        {"Sid":"ListAndDescribe","Effect":"Allow","Action":["dynamodb:List*","dynamodb:Describe*"],"Resource":"arn:aws:dynamodb:*:*:table/orders"},
        {"Effect":"Allow","Action":["s3:ListBucket"],"Resource":"arn:aws:s3:::my-bucket"},
        {"Sid":"List","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::my-bucket/*"}]}"#;

    #[test]
    fn the_reference_policy_gives_the_reference_checks_and_more() {
        let extra = Extra {
            object: Some(ObjectKey::parse("demo-test-file").unwrap()),
            ..Extra::default()
        };
        let d = derived(REFERENCE, &extra).unwrap();
        use Expect::*;
        assert_eq!(
            table(&d),
            [
                ("s3:ListBucket", "bucket my-bucket", Allow),
                ("s3:GetObject", "object my-bucket/demo-test-file", Allow),
                ("s3:PutObject", "object my-bucket/irsa-verify-probe/*", Deny),
                (
                    "s3:DeleteObject",
                    "object my-bucket/irsa-verify-probe/*",
                    Deny
                ),
                ("dynamodb:DescribeTable", "table orders", Allow),
                ("dynamodb:DeleteTable", "table orders", Deny),
                ("dynamodb:GetItem", "item orders (random key)", Deny),
                ("dynamodb:PutItem", "item orders (random key)", Deny),
                ("dynamodb:DeleteItem", "item orders (random key)", Deny),
                ("dynamodb:ListTables", "account", Deny),
            ]
            .map(|(a, l, e)| (a.to_owned(), l.to_owned(), e))
        );
        assert_eq!(d.unprobed.len(), 1);
        assert_eq!(d.unprobed[0].action, "s3:GetObjectVersion");
        assert!(
            d.basis[0].contains("allowed by p.json statement 2"),
            "{:?}",
            d.basis
        );
    }

    #[test]
    fn without_an_object_get_object_reads_a_fresh_key() {
        let d = derived(REFERENCE, &Extra::default()).unwrap();
        assert!(
            has(
                &d,
                "s3:GetObject",
                "object my-bucket/irsa-verify-probe/*",
                Expect::Allow
            ),
            "{:?}",
            table(&d)
        );
        assert!(!d.unprobed.iter().any(|u| u.action == "s3:GetObject"));
    }

    #[test]
    fn get_star_not_action_prefix_and_explicit_deny() {
        let policy = r#"{"Statement":[
            {"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b-1/*"},
            {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b-1"},
            {"Effect":"Allow","NotAction":["s3:DeleteObject","s3:Get*","s3:ListBucket"],"Resource":"arn:aws:s3:::b-1/uploads/*"},
            {"Effect":"Deny","Action":"s3:PutObject","Resource":"arn:aws:s3:::b-1/uploads/private/*"}]}"#;
        let extra = Extra {
            object: Some(ObjectKey::parse("demo-test-file").unwrap()),
            ..Extra::default()
        };
        let d = derived(policy, &extra).unwrap();
        use Expect::*;
        for (action, label, expect) in [
            ("s3:ListBucket", "bucket b-1", Allow),
            ("s3:GetObject", "object b-1/demo-test-file", Allow),
            // The prefix grant, shown on both sides of its boundary.
            (
                "s3:PutObject",
                "object b-1/uploads/irsa-verify-probe/*",
                Allow,
            ),
            ("s3:PutObject", "object b-1/irsa-verify-probe/*", Deny),
            (
                "s3:DeleteObject",
                "object b-1/uploads/irsa-verify-probe/*",
                Deny,
            ),
            // An explicit deny beats the allow of the wider prefix.
            (
                "s3:PutObject",
                "object b-1/uploads/private/irsa-verify-probe/*",
                Deny,
            ),
        ] {
            assert!(
                has(&d, action, label, expect),
                "{action} {label} {expect:?}: {:?}",
                table(&d)
            );
        }
        assert!(
            !d.checks
                .iter()
                .any(|c| c.action() == Action::from(Sdk::ListTables)),
            "no dynamodb named"
        );
    }

    #[test]
    fn not_resource_and_conditions() {
        let policy = r#"{"Statement":[
            {"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"},
            {"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:eu-west-1:111122223333:table/t-1",
             "Condition":{"StringEquals":{"aws:PrincipalTag/team":"a"}}}]}"#;
        let extra = Extra {
            buckets: vec![
                BucketName::parse("secret").unwrap(),
                BucketName::parse("open").unwrap(),
            ],
            ..Extra::default()
        };
        let d = derived(policy, &extra).unwrap();
        use Expect::*;
        assert!(has(
            &d,
            "s3:PutObject",
            "object open/irsa-verify-probe/*",
            Allow
        ));
        assert!(has(
            &d,
            "s3:PutObject",
            "object secret/irsa-verify-probe/*",
            Deny
        ));
        assert!(
            has(&d, "s3:ListBucket", "bucket secret", Allow),
            "NotResource spares the bucket itself"
        );
        let describe = d
            .checks
            .iter()
            .find(|c| c.action() == Action::from(Sdk::DescribeTable))
            .unwrap();
        assert_eq!(describe.conditions(), ["aws:PrincipalTag/team"]);
        assert_eq!(describe.expect(), Allow);
        let delete = d
            .checks
            .iter()
            .find(|c| c.action() == Action::from(Sdk::DeleteTable))
            .unwrap();
        assert!(delete.conditions().is_empty());
        // ListTables: "dynamodb" is named, and no statement is on "*".
        assert!(has(&d, "dynamodb:ListTables", "account", Deny));
    }

    #[test]
    fn wildcard_resources_need_targets_by_flag() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Action":["s3:*","sqs:SendMessage"],"Resource":"*"}]}"#;
        let e = derived(policy, &Extra::default()).unwrap_err();
        assert!(e.contains("--bucket") && e.contains("--table"), "{e}");
        let extra = Extra {
            buckets: vec![BucketName::parse("b-1").unwrap()],
            ..Extra::default()
        };
        let d = derived(policy, &extra).unwrap();
        assert!(has(
            &d,
            "s3:DeleteObject",
            "object b-1/irsa-verify-probe/*",
            Expect::Allow
        ));
        assert!(d.unprobed.iter().any(|u| u.action == "sqs:SendMessage"));
        assert!(
            !d.unprobed.iter().any(|u| u.action == "s3:*"),
            "s3:* is probed"
        );
    }

    #[test]
    fn table_arns_use_the_policys_region_and_account_or_the_pods() {
        let policy = r#"{"Statement":[{"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:us-east-2:999999999999:table/t-1"}]}"#;
        let d = derived(policy, &Extra::default()).unwrap();
        assert!(d
            .basis
            .iter()
            .any(|b| b.contains("arn:aws:dynamodb:us-east-2:999999999999:table/t-1")));
        let extra = Extra {
            tables: vec![TableName::parse("t-2").unwrap()],
            ..Extra::default()
        };
        let d = derived(policy, &extra).unwrap();
        assert!(has(&d, "dynamodb:DescribeTable", "table t-2", Expect::Deny));
        assert!(d
            .basis
            .iter()
            .any(|b| b.contains("arn:aws:dynamodb:eu-west-1:111122223333:table/t-2")));
        // A wildcard region or account in the policy's ARN is no place: the pod's is used.
        let wild = r#"{"Statement":[{"Effect":"Allow","Action":"dynamodb:DescribeTable","Resource":"arn:aws:dynamodb:*:*:table/t-3"}]}"#;
        let d = derived(wild, &Extra::default()).unwrap();
        assert!(
            d.basis
                .iter()
                .any(|b| b.contains("arn:aws:dynamodb:eu-west-1:111122223333:table/t-3")),
            "{:?}",
            d.basis
        );
        assert!(has(
            &d,
            "dynamodb:DescribeTable",
            "table t-3",
            Expect::Allow
        ));
    }
}

//! The concrete targets a policy's Resource patterns name: buckets with
//! their key prefixes, tables, and the secrets, parameters, keys, log
//! groups, hosted zones, queues and topics of the other services, each
//! where its ARN says. What is a wildcard names nothing here.

use crate::catalogue::Kind;
use crate::check::{BucketName, KeyPrefix, Named, Place, TableName, Target};
use crate::glob::has_wildcard;

#[derive(Debug, Default)]
pub(super) struct Targets {
    /// Buckets, each with the key prefixes the policies name (root first).
    pub(super) buckets: Vec<(BucketName, Vec<KeyPrefix>)>,
    /// Tables, each where its ARN says: the same name in two regions or
    /// accounts is two tables.
    pub(super) tables: Vec<TableName>,
    /// Resources of the other services (secrets, parameters, keys, ...).
    pub(super) named: Vec<Target>,
    /// S3 resources that are not buckets (access points, jobs, ...).
    pub(super) elsewhere: Vec<String>,
}

impl Targets {
    fn named(&mut self, t: Target) {
        // One secret named by a pattern and plainly is one target, with
        // one testcase name: the first reading stands.
        let plain = |t: &Target| match t {
            Target::Named(n) => Target::Named(n.clone().plain()),
            t => t.clone(),
        };
        if !self.named.iter().any(|u| plain(u) == plain(&t)) {
            self.named.push(t);
        }
    }

    /// A secret named both by its full ARN and by a pattern (`NAME-??????`)
    /// is one secret: probed and judged once, by its exact ARN, which every
    /// pattern is then matched against.
    pub(super) fn prefer_exact_secrets(&mut self) {
        let exact: Vec<(String, Option<String>, Option<String>)> = self
            .named
            .iter()
            .filter_map(|t| match t {
                Target::Named(n) if n.arn().is_some() => {
                    let id = n.name();
                    Some((
                        id[..id.len().saturating_sub(7)].to_owned(),
                        n.region().map(str::to_owned),
                        n.account().map(str::to_owned),
                    ))
                }
                _ => None,
            })
            .collect();
        self.named.retain(|t| match t {
            Target::Named(n) if n.kind == Kind::Secret && n.arn().is_none() => {
                !exact.iter().any(|(name, region, account)| {
                    name == n.name()
                        && (n.region().is_none() || n.region() == region.as_deref())
                        && (n.account().is_none() || n.account() == account.as_deref())
                })
            }
            _ => true,
        });
    }

    pub(super) fn bucket(&mut self, bucket: BucketName, prefix: KeyPrefix) {
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

    pub(super) fn table(&mut self, t: TableName) {
        if !self.tables.contains(&t) {
            self.tables.push(t);
        }
    }
}

/// The concrete targets one resource pattern names, if any.
pub(super) fn read_resource(pattern: &str, at: &Place, targets: &mut Targets) {
    if pattern == "*" {
        // Every zone, every cluster: the first one the role lists stands
        // for them, as for `hostedzone/*` and `cluster/*`.
        for kind in Kind::DISCOVERABLE {
            targets.named(Target::Any(kind));
        }
        return;
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [_, _, service, region, account, rest] = parts[..] else {
        return;
    };
    match service {
        // Only `arn:aws:s3:::NAME` names a bucket: access points, jobs,
        // Storage Lens and the rest carry a region or an account.
        "s3" if !region.is_empty() || !account.is_empty() => {
            targets.elsewhere.push(pattern.to_owned());
        }
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
            if let Ok(prefix) = KeyPrefix::parse(&key_prefix(key)) {
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
                targets.table(table.at(concrete(region), concrete(account)));
            }
        }
        // A role is named by its full ARN, in whichever account it is
        // (sts:AssumeRole); a wildcard anywhere in it names none, as
        // `Named::role_arn` refuses one.
        "iam" => {
            if let (true, Ok(role)) = (rest.starts_with("role/"), Named::role_arn(pattern)) {
                targets.named(Target::Named(role));
            }
        }
        "ssm" => {
            read_named(service, region, account, rest, at, targets);
            if let Some(public) = public_parameter(pattern, region, at) {
                targets.named(public);
            }
        }
        _ => read_named(service, region, account, rest, at, targets),
    }
}

/// The AWS public parameter a wildcard parameter pattern covers
/// (`arn:aws:ssm:REGION::parameter/aws/service/*`, Karpenter's), in the
/// pattern's region, else the caller's: a real parameter in every account's
/// reach to probe the grant on, where the pattern itself names none. Pure.
fn public_parameter(pattern: &str, region: &str, at: &Place) -> Option<Target> {
    if !has_wildcard(pattern) {
        return None;
    }
    let region = (!region.is_empty() && !has_wildcard(region)).then(|| region.to_owned());
    let arn = format!(
        "arn:{}:ssm:{}::parameter{}",
        at.partition,
        region.as_deref().unwrap_or(&at.region),
        crate::catalogue::PUBLIC_PARAMETER
    );
    if !crate::glob::wildcard(pattern, &arn, false) {
        return None;
    }
    Named::parse(Kind::Parameter, crate::catalogue::PUBLIC_PARAMETER)
        .ok()
        .map(|n| Target::Named(n.at(region, None)))
}

/// Where fresh probe keys go for a grant on `key`: what comes before its
/// first `*` (a concrete key stands for its "directory"), each `?` given a
/// letter, so the probe's key matches the grant's pattern.
pub(super) fn key_prefix(key: Option<&str>) -> String {
    let prefix = match key {
        None => "",
        Some(k) => match k.find('*') {
            Some(i) => &k[..i],
            None => k.rfind('/').map_or("", |i| &k[..=i]),
        },
    };
    prefix.replace('?', "x")
}

/// A secret, parameter, key, log group or hosted zone an ARN names.
fn read_named(
    service: &str,
    region: &str,
    account: &str,
    rest: &str,
    at: &Place,
    targets: &mut Targets,
) {
    let named = |kind: Kind, name: &str| {
        let concrete = |s: &str| (!s.is_empty() && !has_wildcard(s)).then(|| s.to_owned());
        Named::parse(kind, name)
            .ok()
            .map(|n| Target::Named(n.at(concrete(region), concrete(account))))
    };
    let target = match service {
        // `name-??????` and `name-*` stand for the secret `name` (Secrets
        // Manager appends a random six-character suffix).
        // A full ARN (no wildcard, the random suffix) names one secret
        // exactly: it is probed and judged by that ARN.
        "secretsmanager" => rest.strip_prefix("secret:").and_then(|s| {
            if !has_wildcard(s) && crate::check::has_random_suffix(s) {
                // A wildcard region or account is the caller's: that is
                // where the request goes.
                let or = |v: &str, caller: &str| {
                    if v.is_empty() || has_wildcard(v) {
                        caller.to_owned()
                    } else {
                        v.to_owned()
                    }
                };
                let arn = format!(
                    "arn:{}:secretsmanager:{}:{}:secret:{s}",
                    at.partition,
                    or(region, &at.region),
                    or(account, &at.account)
                );
                return Named::secret_arn(&arn).ok().map(Target::Named);
            }
            match s.strip_suffix("-??????").or_else(|| s.strip_suffix("-*")) {
                // The pattern covers every secret of the name, a made-up
                // one too.
                Some(name) => named(Kind::Secret, name).map(|t| match t {
                    Target::Named(n) => Target::Named(n.by_pattern()),
                    t => t,
                }),
                None => named(Kind::Secret, s),
            }
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
        // A queue's or topic's ARN ends in its name (a subscription adds `:ID`).
        "sqs" => named(Kind::Queue, rest),
        "sns" if !rest.contains(':') => named(Kind::Topic, rest),
        "logs" => rest
            .strip_prefix("log-group:")
            .and_then(|g| named(Kind::LogGroup, g.split(':').next().unwrap_or(g))),
        "eks" => rest.strip_prefix("cluster/").and_then(|c| {
            if c == "*" {
                Some(Target::Any(Kind::Cluster))
            } else {
                named(Kind::Cluster, c)
            }
        }),
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

#[cfg(test)]
mod tests {
    use super::{key_prefix, read_resource, Targets};
    use crate::catalogue::Kind;
    use crate::check::{Place, Target};

    /// A named resource: its kind, name, region and account.
    type Seen = (Kind, String, Option<String>, Option<String>);

    /// What each pattern names.
    fn named(patterns: &[&str]) -> (Vec<Seen>, Targets) {
        let mut t = Targets::default();
        for p in patterns {
            read_resource(p, &Place::example(), &mut t);
        }
        let out = t
            .named
            .iter()
            .filter_map(|n| match n {
                Target::Named(n) => Some((
                    n.kind,
                    n.name().to_owned(),
                    n.region().map(str::to_owned),
                    n.account().map(str::to_owned),
                )),
                _ => None,
            })
            .collect();
        (out, t)
    }

    #[test]
    fn each_service_s_arn_names_its_resource_where_it_says() {
        let own = |s: &str| Some(s.to_owned());
        let (found, _) = named(&[
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:sqs:us-east-1:444455556666:jobs",
            "arn:aws:sns:eu-west-1:111122223333:alerts",
            // A subscription's ARN adds `:ID` after the topic: no topic.
            "arn:aws:sns:eu-west-1:111122223333:alerts:0f1e2d3c",
            // A wildcard region or account is none in particular.
            "arn:aws:kms:*:*:key/abcd",
        ]);
        assert_eq!(
            found,
            [
                (
                    Kind::Key,
                    "1234abcd-12ab-34cd-56ef-1234567890ab".to_owned(),
                    own("eu-west-1"),
                    own("111122223333")
                ),
                (
                    Kind::Queue,
                    "jobs".to_owned(),
                    own("us-east-1"),
                    own("444455556666")
                ),
                (
                    Kind::Topic,
                    "alerts".to_owned(),
                    own("eu-west-1"),
                    own("111122223333")
                ),
                (Kind::Key, "abcd".to_owned(), None, None),
            ]
        );
    }

    #[test]
    fn secrets_and_roles_are_named_only_without_a_wildcard_in_the_way() {
        let own = |s: &str| Some(s.to_owned());
        let (found, _) = named(&[
            // A name without the random suffix: the secret of that name.
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:plain",
            // A full ARN with a wildcard region: the caller's region.
            "arn:aws:secretsmanager:*:111122223333:secret:db-AbCdEf",
            // A role by its full ARN; a wildcard in it names none.
            "arn:aws:iam::444455556666:role/app",
            "arn:aws:iam::444455556666:role/app-*",
        ]);
        assert_eq!(
            found,
            [
                (
                    Kind::Secret,
                    "plain".to_owned(),
                    own("eu-west-1"),
                    own("111122223333")
                ),
                (
                    Kind::Secret,
                    "db-AbCdEf".to_owned(),
                    own("eu-west-1"),
                    own("111122223333")
                ),
                (
                    Kind::Role,
                    "arn:aws:iam::444455556666:role/app".to_owned(),
                    None,
                    None
                ),
            ]
        );
    }

    #[test]
    fn a_bucket_is_only_what_an_arn_without_region_or_account_names() {
        let (_, t) = named(&[
            "arn:aws:s3:us-east-1::job/j",
            "arn:aws:s3:us-east-1:111122223333:accesspoint/ap",
            "arn:aws:s3:::b-1/logs/*",
            "arn:aws:s3:::b-*",
        ]);
        assert_eq!(
            t.elsewhere,
            [
                "arn:aws:s3:us-east-1::job/j",
                "arn:aws:s3:us-east-1:111122223333:accesspoint/ap"
            ]
        );
        assert_eq!(t.buckets.len(), 1, "{:?}", t.buckets);
        assert_eq!(t.buckets[0].0.as_str(), "b-1");
        // A table where its ARN says; a wildcard there is none in particular.
        let (_, t) = named(&[
            "arn:aws:dynamodb:us-east-1:*:table/orders/index/*",
            "arn:aws:dynamodb:*:*:table/t-*",
        ]);
        assert_eq!(t.tables.len(), 1, "{:?}", t.tables);
        assert_eq!(t.tables[0].region(), Some("us-east-1"));
        assert_eq!(t.tables[0].account(), None);
    }

    /// A wildcard parameter pattern covering AWS's public one names it, in
    /// the pattern's region; a pattern naming one parameter does not.
    #[test]
    fn a_public_parameter_stands_for_a_wildcard_pattern_that_covers_it() {
        let public = crate::catalogue::PUBLIC_PARAMETER;
        let (found, _) = named(&["arn:aws:ssm:us-west-2::parameter/aws/service/*"]);
        assert!(
            found.contains(&(
                Kind::Parameter,
                public.to_owned(),
                Some("us-west-2".to_owned()),
                None
            )),
            "{found:?}"
        );
        // A wildcard region: the caller's, which the request goes to.
        let (found, _) = named(&["arn:aws:ssm:*::parameter/aws/service/*"]);
        assert!(
            found.contains(&(Kind::Parameter, public.to_owned(), None, None)),
            "{found:?}"
        );
        let (found, _) = named(&[&format!("arn:aws:ssm:us-west-2::parameter{public}")]);
        assert_eq!(found.len(), 1, "the parameter itself, once: {found:?}");
        let (found, _) = named(&["arn:aws:ssm:us-west-2:111122223333:parameter/app/*"]);
        assert!(!found.iter().any(|(_, n, _, _)| n == public), "{found:?}");
    }

    /// A fresh key goes where the grant's own key would: its literal part,
    /// each `?` a letter.
    #[test]
    fn a_probe_key_goes_under_the_literal_part_of_the_grant() {
        assert_eq!(key_prefix(Some("a?c/d?/file")), "axc/dx/");
        assert_eq!(key_prefix(Some("logs/2024-??-*")), "logs/2024-xx-");
        assert_eq!(key_prefix(None), "");
    }
}

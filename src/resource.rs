//! Resource ARNs: the catalogue's templates (the Service Authorization
//! Reference's ARN formats, written `arn:{p}:ec2:{r}:{a}:instance/{id}` and
//! held to that reference by the catalogue's tests), filled in one place for
//! the derivation, the probes and the report, and the few facts about ARNs
//! that judging a check on its exact resource needs.

use crate::catalogue::Ec2Id;

/// What an EC2 ID slot holds when no ID is given for its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// `*`: any ID, for a report written before the probe picks one.
    Any,
    /// The type's representative ID (`Ec2Id::representative`): what an
    /// expectation is judged on when the probe picks the ID at run time.
    Representative,
}

/// What a template's placeholders stand for.
#[derive(Debug, Clone)]
pub struct Values<'a> {
    pub partition: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    /// `{name}`: the target's name as its ARN spells it.
    pub name: &'a str,
    /// `TYPE/{id}`: the ID of each EC2 type given.
    pub ids: Vec<(Ec2Id, String)>,
    pub unknown: Unknown,
    /// `{random}` (32 hex digits; `{random16}` its first 16, `{random6}` its
    /// first 6, a Secrets Manager ARN's suffix): the request's
    /// token, or zeros where the text must be the same on every run.
    pub random: &'a str,
}

/// What a row's `{id}` outside an EC2 slot (an EKS cluster, a certificate,
/// found by a listing at run time) is judged as: no real name, so only a
/// pattern covering every name matches it.
pub const REPRESENTATIVE: &str = "xxxxxxxx";

/// Zeros for `{random}`: stable text for reports and expectations.
pub const STABLE: &str = "00000000000000000000000000000000";

/// The `:TYPE/{id}` slot of an EC2 type in a template.
pub fn slot(kind: Ec2Id) -> String {
    format!(":{}/{{id}}", kind.parts().1)
}

/// Does the template name a resource of this EC2 type by ID?
pub fn names(template: &str, kind: Ec2Id) -> bool {
    template.contains(&slot(kind))
}

/// The EC2 types a row's templates name by ID, in `Ec2Id::ALL` order.
pub fn ec2_slots(templates: &[&str]) -> Vec<Ec2Id> {
    Ec2Id::ALL
        .into_iter()
        .filter(|k| templates.iter().any(|t| names(t, *k)))
        .collect()
}

/// The template filled in. Pure.
pub fn fill(template: &str, v: &Values) -> String {
    let mut out = template.to_owned();
    for kind in Ec2Id::ALL {
        if !names(&out, kind) {
            continue;
        }
        let id = match (v.ids.iter().find(|(k, _)| *k == kind), v.unknown) {
            (Some((_, id)), _) => id.clone(),
            (None, Unknown::Any) => "*".to_owned(),
            (None, Unknown::Representative) => kind.representative(),
        };
        out = out.replace(&slot(kind), &format!(":{}/{id}", kind.parts().1));
    }
    let other_id = match v.unknown {
        Unknown::Any => "*",
        Unknown::Representative => REPRESENTATIVE,
    };
    out.replace("{p}", v.partition)
        .replace("{r}", v.region)
        .replace("{a}", v.account)
        .replace("{name}", v.name)
        .replace("{id}", other_id)
        .replace("{random16}", v.random.get(..16).unwrap_or(v.random))
        .replace("{random6}", v.random.get(..6).unwrap_or(v.random))
        .replace("{random}", v.random)
}

/// The EC2 resource type an ARN pattern names (`instance` of
/// `arn:aws:ec2:*:*:instance/i-0abc`), if it is an EC2 one.
pub fn ec2_type_of(pattern: &str) -> Option<&str> {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    match parts[..] {
        [_, _, service, _, _, rest] if crate::glob::wildcard(service, "ec2", true) => {
            rest.split_once('/').map(|(ty, _)| ty)
        }
        _ => None,
    }
}

/// Does a secret's ID end in the six random characters Secrets Manager
/// appends to every secret's ARN (`-AbCdEf`)?
pub fn has_random_suffix(id: &str) -> bool {
    id.len() > 7
        && id.as_bytes()[id.len() - 7] == b'-'
        && id.as_bytes()[id.len() - 6..]
            .iter()
            .all(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(unknown: Unknown) -> Values<'static> {
        Values {
            partition: "aws",
            region: "eu-west-1",
            account: "1",
            name: "n",
            ids: vec![(Ec2Id::Volume, "vol-1".to_owned())],
            unknown,
            random: "0123456789abcdef0123456789abcdef",
        }
    }

    #[test]
    fn templates_fill_every_placeholder() {
        let t = "arn:{p}:ec2:{r}:{a}:instance/{id}";
        assert_eq!(
            fill(t, &values(Unknown::Any)),
            "arn:aws:ec2:eu-west-1:1:instance/*"
        );
        assert_eq!(
            fill(t, &values(Unknown::Representative)),
            "arn:aws:ec2:eu-west-1:1:instance/i-0xxxxxxxxxxxxxxxx"
        );
        assert_eq!(
            fill("arn:{p}:ec2:{r}:{a}:volume/{id}", &values(Unknown::Any)),
            "arn:aws:ec2:eu-west-1:1:volume/vol-1"
        );
        assert_eq!(
            fill(
                "arn:{p}:elasticloadbalancing:{r}:{a}:targetgroup/x/{random16}/{name}",
                &values(Unknown::Any)
            ),
            "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/x/0123456789abcdef/n"
        );
        assert!(names("arn:{p}:ec2:{r}::snapshot/{id}", Ec2Id::Snapshot));
        assert!(!names("arn:{p}:ec2:{r}:{a}:snapshot/*", Ec2Id::Snapshot));
        assert_eq!(
            ec2_slots(&[
                "arn:{p}:ec2:{r}:{a}:volume/{id}",
                "arn:{p}:ec2:{r}:{a}:instance/{id}",
                "*"
            ]),
            [Ec2Id::Instance, Ec2Id::Volume]
        );
    }

    #[test]
    fn arn_facts() {
        assert_eq!(
            ec2_type_of("arn:aws:ec2:*:*:instance/i-0abc"),
            Some("instance")
        );
        assert_eq!(ec2_type_of("arn:*:EC2:*:*:volume/*"), Some("volume"));
        assert_eq!(ec2_type_of("arn:aws:ec2:*:*:*"), None);
        assert_eq!(ec2_type_of("*"), None);
        assert_eq!(ec2_type_of("arn:aws:s3:::b/instance/x"), None);
        assert!(has_random_suffix("prod/db-AbCdEf"));
        assert!(!has_random_suffix("prod/db-??????"));
        assert!(!has_random_suffix("prod/db"));
        assert!(!has_random_suffix("-AbCdEf"));
        assert!(!has_random_suffix("db_AbCdEf"));
    }
}

//! A check: an action, an expectation and a target, as plain typed data.
//!
//! Everything here is parsed once, at the edge (`spec`), into types that hold
//! exactly the validated names; past that point nothing is re-checked.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a check expects AWS to do with the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Expect {
    Allow,
    Deny,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allow => "allow",
            Expect::Deny => "deny",
        }
    }
}

pub use crate::catalogue::TargetKind;

/// A name, key or check that cannot be what it claims: the message says what
/// would be valid. Each variant is the field at fault, so callers map errors
/// to their inputs by type, never by text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error(
        "`{0}` is not an S3 bucket name (3-63 characters: lowercase letters, digits, '.', '-', starting and ending with a letter or digit; \
         buckets created in us-east-1 before 2018-03-01 may also have uppercase letters and '_', up to 255 characters)"
    )]
    Bucket(String),
    #[error("an S3 object key has 1 to 1024 bytes")]
    KeyLength,
    #[error("an object key with control characters cannot be probed reliably")]
    KeyControl,
    #[error("`{0}` is not a valid DynamoDB table name (3-255 characters: letters, digits, '_', '-', '.')")]
    Table(String),
    #[error("an item key has one (partition) or two (partition, sort) attributes")]
    ItemKey,
    #[error("`{0}` is not a key prefix (at most 900 bytes, no control characters, no wildcards)")]
    Prefix(String),
    #[error("`{name}` is not a {kind} name (1-2048 characters, no wildcards)")]
    Resource { kind: &'static str, name: String },
    #[error("`{0}` is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME, the path included, no wildcards): sts:AssumeRole names a role by its full ARN")]
    RoleArn(String),
    #[error("{action} cannot take the target {target}")]
    Target { action: Action, target: String },
    #[error("{0} checks that the node's credentials are out of reach: use `expect: deny` or leave it out")]
    NodeAllowed(Action),
    #[error("a name has 1 to 200 characters")]
    DisplayName,
}

impl Invalid {
    /// The spec field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            Invalid::Bucket(_) => "bucket",
            Invalid::KeyLength | Invalid::KeyControl | Invalid::ItemKey => "key",
            Invalid::Table(_) => "table",
            Invalid::Prefix(_) => "prefix",
            Invalid::Resource { .. } | Invalid::RoleArn(_) => "resource",
            Invalid::Target { .. } => "action",
            Invalid::NodeAllowed(_) => "expect",
            Invalid::DisplayName => "name",
        }
    }
}
use crate::catalogue::{Ec2Id, Kind, Row, Sdk, ROWS};

/// An action the agent can probe: a row of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Action(u16);

impl Action {
    pub fn row(self) -> &'static Row {
        &ROWS[self.0 as usize]
    }

    pub fn name(self) -> &'static str {
        self.row().action
    }

    /// The IAM prefix: `s3`, `ec2`.
    pub fn service(self) -> &'static str {
        self.row().service()
    }

    pub fn target_kind(self) -> TargetKind {
        self.row().target
    }

    /// IAM action names are case-insensitive.
    pub fn parse(name: &str) -> Option<Action> {
        crate::catalogue::find(name).map(|i| Action(i as u16))
    }

    /// The row of this action whose request names every one of these EC2
    /// types by ID: its first row where that one does, else a later row
    /// aimed at them (`catalogue::retargets`). A row sent as a create that
    /// tags is never chosen this way: a spec names it by `on_create`.
    pub fn on_types(self, kinds: &[Ec2Id]) -> Option<Action> {
        crate::catalogue::rows_of(self.name())
            .filter(|i| ROWS[*i].tags_on_create().is_none())
            .find(|i| {
                let slots = crate::resource::ec2_slots(ROWS[*i].resources);
                kinds.iter().all(|k| slots.contains(k))
            })
            .map(|i| Action(i as u16))
    }

    pub fn all() -> impl Iterator<Item = Action> {
        (0..ROWS.len()).map(|i| Action(i as u16))
    }

    pub fn known_names() -> String {
        ROWS.iter().map(|r| r.action).collect::<Vec<_>>().join(", ")
    }
}

/// The row whose probe this is (the catalogue's tests hold that every SDK
/// probe has exactly one row), found by the probe, not by position.
impl From<Sdk> for Action {
    fn from(s: Sdk) -> Self {
        let i = ROWS
            .iter()
            .position(|r| r.probe == crate::catalogue::Probe::Sdk(s))
            .unwrap_or_else(|| unreachable!("every Sdk probe has a row ({s:?})"));
        Action(i as u16)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which naming rules a bucket name follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketKind {
    General,
    /// Uppercase, underscores or over 63 characters: only buckets created in
    /// us-east-1 before 2018-03-01 can have such names.
    Legacy,
    /// S3 Express One Zone (`NAME--ZONE--x-s3`): authorized through sessions.
    Directory,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketName {
    name: String,
    kind: BucketKind,
}

impl BucketName {
    pub fn parse(b: &str) -> Result<Self, Invalid> {
        let general_chars = |s: &str| {
            s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-')
        };
        let alnum_ends = |s: &str| {
            let ok = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            ok(s.bytes().next()) && ok(s.bytes().last())
        };
        let kind = if (3..=63).contains(&b.len())
            && general_chars(b)
            && alnum_ends(b)
            && !b.contains("..")
        {
            if b.ends_with("--x-s3") {
                BucketKind::Directory
            } else {
                BucketKind::General
            }
        } else if (3..=255).contains(&b.len())
            && b.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
        {
            BucketKind::Legacy
        } else {
            return Err(Invalid::Bucket(b.to_owned()));
        };
        Ok(BucketName {
            name: b.to_owned(),
            kind,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> BucketKind {
        self.kind
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn parse(k: &str) -> Result<Self, Invalid> {
        if k.is_empty() || k.len() > 1024 {
            return Err(Invalid::KeyLength);
        }
        if k.chars().any(char::is_control) {
            return Err(Invalid::KeyControl);
        }
        Ok(ObjectKey(k.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A table, and where it is when the policy's ARN says (another region,
/// another account); otherwise it is the caller's.
/// Where a resource is when its ARN says so (another region, another
/// account); `None` parts are the caller's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub region: Option<String>,
    pub account: Option<String>,
}

impl Location {
    /// ` (us-east-1, 999999999999)` after a label, or nothing.
    fn suffix(&self) -> String {
        let parts: Vec<&str> = [self.region.as_deref(), self.account.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableName {
    name: String,
    at: Location,
}

impl TableName {
    pub fn parse(t: &str) -> Result<Self, Invalid> {
        let ok_chars = t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
        if !(3..=255).contains(&t.len()) || !ok_chars {
            return Err(Invalid::Table(t.to_owned()));
        }
        Ok(TableName {
            name: t.to_owned(),
            at: Location::default(),
        })
    }

    /// The same table in the region and account an ARN names.
    pub fn at(mut self, region: Option<String>, account: Option<String>) -> Self {
        self.at = Location { region, account };
        self
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn region(&self) -> Option<&str> {
        self.at.region.as_deref()
    }

    pub fn account(&self) -> Option<&str> {
        self.at.account.as_deref()
    }

    /// What a request names: the table's ARN when it is in another account
    /// (DynamoDB takes an ARN as TableName), else its name.
    pub fn request_name(&self, at: &Place) -> String {
        match self.account().filter(|a| *a != at.account) {
            Some(account) => format!(
                "arn:{}:dynamodb:{}:{account}:table/{}",
                at.partition,
                self.region().unwrap_or(&at.region),
                self.name
            ),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.name, self.at.suffix())
    }
}

/// A DynamoDB key attribute: a string (S) or a number (N).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum KeyValue {
    Int(i64),
    Float(f64),
    Str(String),
}

/// An item's primary key: the partition attribute, and the sort attribute if any.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemKey(BTreeMap<String, KeyValue>);

impl ItemKey {
    pub fn parse(attributes: BTreeMap<String, KeyValue>) -> Result<Self, Invalid> {
        if attributes.is_empty() || attributes.len() > 2 {
            return Err(Invalid::ItemKey);
        }
        Ok(ItemKey(attributes))
    }

    pub fn attributes(&self) -> &BTreeMap<String, KeyValue> {
        &self.0
    }
}

impl fmt::Display for ItemKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(k, v)| match v {
                KeyValue::Int(n) => format!("{k}={n}"),
                KeyValue::Float(x) => format!("{k}={x}"),
                KeyValue::Str(s) => format!("{k}={s:?}"),
            })
            .collect();
        write!(f, "{{{}}}", parts.join(", "))
    }
}

/// Prefix of every key a probe invents, so they are easy to recognise.
pub const PROBE_PREFIX: &str = "irsa-verify-probe/";

/// Where in a bucket a fresh probe key goes: "" (the root) or a key prefix
/// such as `uploads/`, so a grant on part of a bucket is probed inside it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPrefix(String);

impl KeyPrefix {
    pub fn parse(p: &str) -> Result<Self, Invalid> {
        if p.len() > 900 || p.chars().any(char::is_control) || p.contains(['*', '?']) {
            return Err(Invalid::Prefix(p.to_owned()));
        }
        Ok(KeyPrefix(p.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fresh probe key under this prefix, ending in `token`.
    pub fn fresh_key(&self, token: &str) -> String {
        format!("{}{PROBE_PREFIX}{token}", self.0)
    }

    /// The pattern every fresh key under this prefix matches.
    pub fn fresh_pattern(&self) -> String {
        format!("{}{PROBE_PREFIX}*", self.0)
    }
}

/// The object a probe names: an existing key, or a fresh random one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKeyChoice {
    Named(ObjectKey),
    Fresh(KeyPrefix),
}

impl fmt::Display for ObjectKeyChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectKeyChoice::Named(k) => f.write_str(k.as_str()),
            ObjectKeyChoice::Fresh(p) => f.write_str(&p.fresh_pattern()),
        }
    }
}

/// What a check is about, holding exactly the names its action needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Account,
    Bucket(BucketName),
    Object {
        bucket: BucketName,
        key: ObjectKeyChoice,
    },
    Table(TableName),
    /// No key: a random key shaped by the table's key schema.
    Item {
        table: TableName,
        key: Option<ItemKey>,
    },
    Node,
    /// A resource of another service, named by the policies or by flag.
    Named(Named),
    /// Whichever resource of this kind the role can list first (a hosted
    /// zone behind a `hostedzone/*` grant).
    Any(Kind),
    /// The EC2 resources an EC2 request names, each picked as the policy
    /// requires (a type not listed: the first one a Describe lists).
    Ec2(Vec<(Ec2Id, IdPick)>),
    /// The Elastic Load Balancing resource of `kind` that the request names
    /// (`V::Found(kind)`), picked by its tags: the first one listed whose
    /// tags, as DescribeTags lists them, meet `tags` (the grant's
    /// `aws:ResourceTag/K` conditions then hold or fail on it as the
    /// expectation says). None listed: not attempted (a made-up ARN has no
    /// tags to meet them).
    Tagged {
        kind: crate::catalogue::Found,
        tags: crate::tags::TagRequirement,
    },
}

/// How the EC2 ID of one type in a request is picked, so that the check is
/// judged on the resource it really probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdPick {
    /// This one, as a policy names it (`instance/i-0abc`).
    Exact(String),
    /// The first one a Describe lists whose ARN none of these policy
    /// patterns names, else a made-up one: a resource outside those grants
    /// and denials, judged like any such resource.
    Outside(Vec<String>),
    /// The first one a Describe lists whose ARN none of `outside` names and
    /// whose tags, as that Describe lists them, meet `tags`: the grant's
    /// resource-tag conditions (`aws:ResourceTag/K`, `ec2:ResourceTag/K`)
    /// then hold or fail on it as the expectation says. None listed: not
    /// attempted (a made-up ID has no tags to meet them).
    Tagged {
        outside: Vec<String>,
        tags: crate::tags::TagRequirement,
    },
}

impl IdPick {
    fn label(&self, kind: Ec2Id) -> String {
        let ty = kind.parts().1;
        // The IDs (or their patterns) the policy names, short.
        let other_than = |patterns: &[String]| {
            let named: Vec<&str> = patterns
                .iter()
                .map(|p| p.rsplit_once('/').map_or(p.as_str(), |(_, id)| id))
                .collect();
            format!("other than {}", named.join(", "))
        };
        let article = if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        match self {
            IdPick::Exact(id) => format!("{ty} {id}"),
            IdPick::Outside(patterns) => format!("{article} {ty} {}", other_than(patterns)),
            IdPick::Tagged { outside, tags } => {
                let mut parts = Vec::new();
                if !outside.is_empty() {
                    parts.push(other_than(outside));
                }
                parts.push(tags.phrase());
                format!("{article} {ty} {}", parts.join(", "))
            }
        }
    }
}

pub use crate::resource::has_random_suffix;
use crate::resource::{fill, Unknown, Values};

/// A named resource of a service beyond S3 and DynamoDB. Region and account
/// are the ARN's when it named them; otherwise the pod's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub kind: Kind,
    name: String,
    at: Location,
    /// The resource's exact ARN, when it was given as one: a secret's ARN
    /// ends in a random suffix (`-AbCdEf`) that its name lacks, so only the
    /// full ARN names that one secret, in the request and in the policy.
    arn: Option<String>,
    /// Named by a policy pattern (`NAME-??????`, `NAME-*`) that covers every
    /// secret of the name: a made-up one too (`OtherTarget::PatternSecret`).
    pattern: bool,
}

impl Named {
    /// A name as the service's requests take it: no control characters,
    /// no wildcards, 1 to 2048 bytes.
    pub fn parse(kind: Kind, name: &str) -> Result<Self, Invalid> {
        if kind == Kind::Secret && name.starts_with("arn:") {
            return Named::secret_arn(name);
        }
        if kind == Kind::Role {
            return Named::role_arn(name);
        }
        if name.is_empty()
            || name.len() > 2048
            || name.chars().any(char::is_control)
            || name.contains(['*', '?'])
        {
            return Err(Invalid::Resource {
                kind: kind.as_str(),
                name: name.to_owned(),
            });
        }
        Ok(Named {
            kind,
            name: name.to_owned(),
            at: Location::default(),
            arn: None,
            pattern: false,
        })
    }

    /// A secret by its full ARN (`arn:P:secretsmanager:R:A:secret:NAME-AbCdEf`),
    /// as Terraform's `aws_secretsmanager_secret.x.arn` and CDK give it: its
    /// region and account are the ARN's, and requests name it by that ARN.
    /// AWS answers a name carrying the suffix with "not found" or "access
    /// denied", depending on the permissions (API reference, SecretId).
    pub fn secret_arn(arn: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::Resource {
            kind: Kind::Secret.as_str(),
            name: arn.to_owned(),
        };
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, _, "secretsmanager", region, account, rest] = parts[..] else {
            return Err(invalid());
        };
        let id = rest.strip_prefix("secret:").ok_or_else(invalid)?;
        if !has_random_suffix(id) || arn.contains(['*', '?']) {
            return Err(invalid());
        }
        let named = Named::parse(Kind::Secret, id)?;
        let concrete = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(Named {
            arn: Some(arn.to_owned()),
            ..named.at(concrete(region), concrete(account))
        })
    }

    /// A role by its full ARN (`arn:P:iam::A:role/PATH/NAME`), as
    /// sts:AssumeRole names it, in whichever account it is: the name is the
    /// ARN, and the ARN is the exact resource.
    pub fn role_arn(arn: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::RoleArn(arn.to_owned());
        if arn.len() > 2048 || arn.chars().any(char::is_control) || arn.contains(['*', '?']) {
            return Err(invalid());
        }
        let role = crate::arn::RoleRef::parse(arn).map_err(|_| invalid())?;
        if role.account.is_none() || role.raw != arn {
            return Err(invalid());
        }
        Ok(Named {
            kind: Kind::Role,
            name: arn.to_owned(),
            at: Location::default(),
            arn: Some(arn.to_owned()),
            pattern: false,
        })
    }

    /// A secret named by a policy pattern covering every secret of its
    /// name (`NAME-??????`, `NAME-*`), not by its exact ARN.
    pub fn by_pattern(mut self) -> Self {
        self.pattern = self.kind == Kind::Secret && self.arn.is_none();
        self
    }

    /// The same resource, however it was named.
    pub fn plain(mut self) -> Self {
        self.pattern = false;
        self
    }

    /// Does a row's other form (`Otherwise`) fit it?
    pub fn takes(&self, on: crate::catalogue::OtherTarget) -> bool {
        match on {
            crate::catalogue::OtherTarget::PublicParameter => self.is_public(),
            crate::catalogue::OtherTarget::PatternSecret => self.pattern,
        }
    }

    /// The exact ARN, when the resource was given by one.
    pub fn arn(&self) -> Option<&str> {
        self.arn.as_deref()
    }

    /// What a request names: the full ARN when known, else the name.
    pub fn request_name(&self) -> &str {
        self.arn.as_deref().unwrap_or(&self.name)
    }

    pub fn at(mut self, region: Option<String>, account: Option<String>) -> Self {
        self.at = Location { region, account };
        self
    }

    pub fn region(&self) -> Option<&str> {
        self.at.region.as_deref()
    }

    pub fn account(&self) -> Option<&str> {
        self.at.account.as_deref()
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// An AWS public parameter (`/aws/service/...`): AWS's own, in no
    /// account, so its ARN has none ("arn:aws:ssm:us-east-2::parameter/aws/
    /// service/...", Systems Manager User Guide, "Calling AMI public
    /// parameters"), and its value is published for anyone to read.
    pub fn is_public(&self) -> bool {
        self.kind == Kind::Parameter && self.name.starts_with("/aws/service/")
    }

    /// The name as the resource ARN spells it (SSM ARNs drop the leading `/`).
    pub fn arn_name(&self) -> &str {
        match self.kind {
            Kind::Parameter | Kind::ParameterPath => self.name.trim_start_matches('/'),
            _ => &self.name,
        }
    }
}

impl Target {
    pub fn kind_matches(&self, kind: TargetKind) -> bool {
        matches!(
            (self, kind),
            (Target::Account, TargetKind::Account)
                | (Target::Bucket(_), TargetKind::Bucket)
                | (
                    Target::Object {
                        key: ObjectKeyChoice::Named(_),
                        ..
                    },
                    TargetKind::Object { .. }
                )
                | (
                    Target::Object {
                        key: ObjectKeyChoice::Fresh(_),
                        ..
                    },
                    TargetKind::Object {
                        key_required: false
                    }
                )
                | (Target::Table(_), TargetKind::Table)
                | (Target::Item { .. }, TargetKind::Item)
                | (Target::Node, TargetKind::Node)
        ) || match (self, kind) {
            (Target::Named(n), TargetKind::Named(k)) => n.kind == k,
            (Target::Any(a), TargetKind::Named(k)) => *a == k && k.discoverable(),
            // Check::new holds that each type is one the request names.
            (Target::Ec2(_), TargetKind::Account) => true,
            // Check::new holds that the request names one of that kind,
            // and is authorized on it alone.
            (Target::Tagged { kind, .. }, TargetKind::Account) => kind.taggable(),
            _ => false,
        }
    }

    pub fn bucket(&self) -> Option<&BucketName> {
        match self {
            Target::Bucket(b) | Target::Object { bucket: b, .. } => Some(b),
            _ => None,
        }
    }

    pub fn table(&self) -> Option<&TableName> {
        match self {
            Target::Table(t) | Target::Item { table: t, .. } => Some(t),
            _ => None,
        }
    }

    /// A short, stable label: the same target gives the same label on every
    /// run (random probe keys show as `irsa-verify-probe/*`).
    pub fn label(&self) -> String {
        match self {
            Target::Account => "account".to_owned(),
            Target::Bucket(b) => format!("bucket {b}"),
            Target::Object { bucket, key } => format!("object {bucket}/{key}"),
            Target::Table(t) => format!("table {t}"),
            Target::Item { table, key: None } => format!("item {table} (random key)"),
            Target::Item {
                table,
                key: Some(k),
            } => format!("item {table} {k}"),
            Target::Node => "node instance metadata".to_owned(),
            Target::Named(n) => format!("{} {}{}", n.kind.as_str(), n.name, n.at.suffix()),
            Target::Any(kind) => format!("the first {} listed", kind.as_str()),
            Target::Ec2(picks) => picks
                .iter()
                .map(|(kind, pick)| pick.label(*kind))
                .collect::<Vec<_>>()
                .join(", "),
            Target::Tagged { kind, tags } => format!("a {} {}", kind.as_str(), tags.phrase()),
        }
    }

    /// The region and account the target's ARN named, if any.
    fn location(&self) -> (Option<&str>, Option<&str>) {
        match self {
            // An AWS public parameter is in no account: its ARN has none.
            Target::Named(n) if n.is_public() => (n.region(), Some("")),
            Target::Named(n) => (n.region(), n.account()),
            Target::Table(t) | Target::Item { table: t, .. } => (t.region(), t.account()),
            _ => (None, None),
        }
    }

    /// The region a request of `row` on this target is sent to, as IAM's
    /// `aws:RequestedRegion` names it: the target's region, else the
    /// caller's, and the home region for a service with one endpoint for
    /// the partition (IAM, Route 53, Shield).
    pub fn requested_region(&self, row: &crate::catalogue::Row, at: &Place) -> String {
        let region = self.location().0.unwrap_or(&at.region);
        match &row.probe {
            crate::catalogue::Probe::Wire(w) => {
                crate::signed::endpoint::resolve(w.service, region, None, |_| None).signing_region
            }
            crate::catalogue::Probe::Sdk(_) => region.to_owned(),
        }
    }

    /// What `{name}` stands for in the row's resource templates.
    fn arn_name(&self) -> String {
        match self {
            Target::Bucket(b) => b.to_string(),
            Target::Object { bucket, key } => format!("{bucket}/{key}"),
            Target::Table(t) | Target::Item { table: t, .. } => t.as_str().to_owned(),
            Target::Named(n) => n.arn_name().to_owned(),
            Target::Any(_) => "*".to_owned(),
            Target::Account | Target::Node | Target::Ec2(_) | Target::Tagged { .. } => {
                String::new()
            }
        }
    }

    /// The ARNs a request of `row` on this target is authorized against, in
    /// the target's region and account, else the caller's. IDs found at run
    /// time show as `*`, random parts as zeros, so the text is stable.
    pub fn resources(&self, row: &crate::catalogue::Row, at: &Place) -> Vec<String> {
        if self == &Target::Node {
            return vec!["the node's instance metadata (IMDS)".to_owned()];
        }
        self.filled(row, at, Unknown::Any)
    }

    /// The ARNs the expectation is judged on: as `resources`, with every ID
    /// not named exactly a representative one (`i-0xxxxxxxxxxxxxxxx`): a
    /// policy pattern that matches it covers any ID of its type, while one
    /// naming IDs does not, and the probe picks its ID to agree
    /// (`IdPick::Outside`).
    pub fn judged_resources(&self, row: &crate::catalogue::Row, at: &Place) -> Vec<String> {
        self.filled(row, at, Unknown::Representative)
    }

    /// The row's templates filled for this target, in its region and
    /// account, else the caller's; random parts as zeros, so the text is the
    /// same on every run.
    fn filled(&self, row: &crate::catalogue::Row, at: &Place, unknown: Unknown) -> Vec<String> {
        let (region, account) = self.location();
        // Whichever resource a listing finds is judged as one no pattern
        // names particularly (the derivation holds that).
        let name = match (self, unknown) {
            (Target::Any(_), Unknown::Representative) => crate::resource::REPRESENTATIVE.to_owned(),
            _ => self.arn_name(),
        };
        let values = Values {
            partition: &at.partition,
            region: region.unwrap_or(&at.region),
            account: account.unwrap_or(&at.account),
            name: &name,
            ids: match self {
                Target::Ec2(picks) => picks
                    .iter()
                    .filter_map(|(k, p)| match p {
                        IdPick::Exact(id) => Some((*k, id.clone())),
                        IdPick::Outside(_) | IdPick::Tagged { .. } => None,
                    })
                    .collect(),
                _ => Vec::new(),
            },
            unknown,
            random: crate::resource::STABLE,
        };
        let exact = match self {
            Target::Named(n) => n.arn(),
            _ => None,
        };
        // A target the row's other form fits is judged where that form's
        // request is authorized.
        let templates = match (self, row.otherwise()) {
            (Target::Named(n), Some(o)) if n.takes(o.on) => o.resources,
            _ => row.resources,
        };
        templates
            .iter()
            .map(|t| match exact {
                // The one resource the request names, exactly: never the
                // row's pattern for it.
                Some(arn) if t.contains("{name}") => arn.to_owned(),
                _ => fill(t, &values),
            })
            .collect()
    }

    /// What a reader should know about the target itself.
    pub fn notes(&self) -> Vec<String> {
        match self.bucket().map(BucketName::kind) {
            Some(BucketKind::Legacy) => vec![format!(
                "`{}` follows the legacy naming rules (uppercase, '_' or over 63 characters): only a bucket created in us-east-1 \
                 before 2018-03-01 can have this name, and it is reached path-style",
                self.bucket().map(BucketName::as_str).unwrap_or_default()
            )],
            _ => Vec::new(),
        }
    }
}

/// Where ARNs are: the caller's partition, the region, the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub partition: String,
    pub region: String,
    pub account: String,
}

#[cfg(test)]
impl Place {
    /// Where the unit tests run: partition aws, eu-west-1, account
    /// 111122223333.
    pub fn example() -> Place {
        Place {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "111122223333".into(),
        }
    }
}

/// One check: typed, and consistent by construction (`Check::new`).
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    action: Action,
    expect: Expect,
    target: Target,
    /// Optional display name from the spec.
    name: Option<String>,
    /// Condition keys of the policy statements behind the expectation, which
    /// the agent cannot evaluate: the check runs and is reported as skipped.
    conditions: Vec<String>,
    /// Tags the request carries so that `aws:RequestTag` conditions hold by
    /// construction (EC2 creates).
    tags: Vec<(String, String)>,
}

impl Check {
    /// Refuses a target the action cannot take, and expectations it cannot have.
    pub fn new(
        action: Action,
        expect: Expect,
        target: Target,
        name: Option<String>,
    ) -> Result<Self, Invalid> {
        if !target.kind_matches(action.target_kind()) {
            return Err(Invalid::Target {
                action,
                target: target.label(),
            });
        }
        if action.target_kind() == TargetKind::Node && expect == Expect::Allow {
            return Err(Invalid::NodeAllowed(action));
        }
        if let Target::Tagged { kind, .. } = &target {
            if action.row().found_by_tags() != Some(*kind) {
                return Err(Invalid::Target {
                    action,
                    target: target.label(),
                });
            }
        }
        if let Some(n) = &name {
            if n.trim().is_empty() || n.len() > 200 {
                return Err(Invalid::DisplayName);
            }
        }
        Ok(Check {
            action,
            expect,
            target,
            name,
            conditions: Vec::new(),
            tags: Vec::new(),
        })
    }

    pub fn action(&self) -> Action {
        self.action
    }

    pub fn expect(&self) -> Expect {
        self.expect
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// What the check is about, as its testcase names it: the target's
    /// label, except where a request on the account names resources the
    /// probe finds at run time and is authorized on them: then those, so
    /// that no name claims the whole account for a request on one instance.
    pub fn label(&self) -> String {
        if self.target != Target::Account {
            return self.target.label();
        }
        let row = self.action.row();
        let mut found: Vec<String> = crate::resource::ec2_slots(row.resources)
            .into_iter()
            .map(|k| format!("the first {} listed", k.parts().1))
            .collect();
        let other_ids = row.resources.iter().any(|t| {
            let mut t = (*t).to_owned();
            for k in crate::resource::ec2_slots(row.resources) {
                t = t.replace(&crate::resource::slot(k), "");
            }
            t.contains("{id}")
        });
        if let (crate::catalogue::Probe::Wire(w), true) = (&row.probe, other_ids) {
            for f in crate::catalogue::Found::ALL {
                let in_params = w
                    .params
                    .iter()
                    .any(|(_, v)| *v == crate::catalogue::V::Found(f));
                let in_path = f.placeholder().is_some_and(|p| w.path.contains(p));
                if in_params || in_path {
                    found.push(f.label());
                }
            }
        }
        if found.is_empty() {
            return self.target.label();
        }
        found.join(", ")
    }

    pub fn conditions(&self) -> &[String] {
        &self.conditions
    }

    pub fn tags(&self) -> &[(String, String)] {
        &self.tags
    }

    /// The same check, its request carrying these tags.
    pub fn tagged(mut self, tags: Vec<(String, String)>) -> Self {
        self.tags = tags;
        self
    }

    /// The same check, its expectation hanging on conditions not evaluated here.
    pub fn conditional(mut self, keys: Vec<String>) -> Self {
        self.conditions = keys;
        self
    }

    /// The same action and target: a spec entry overrides a derived one.
    pub fn same_subject(&self, other: &Check) -> bool {
        self.action == other.action && self.target == other.target
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_catalogue_rows_found_by_name() {
        for (i, a) in Action::all().enumerate() {
            if crate::catalogue::retargets(i) {
                // A later row of an action: its name finds the first, the
                // types its request names find it (a create that tags is
                // named by the create: spec `on_create`).
                let first = Action::parse(a.name()).expect("its first row");
                assert_ne!(first, a);
                if a.row().tags_on_create().is_some() {
                    continue;
                }
                let slots = crate::resource::ec2_slots(a.row().resources);
                assert_eq!(first.on_types(&slots), Some(a), "{}", a.name());
                assert_eq!(
                    first.on_types(&crate::resource::ec2_slots(first.row().resources)),
                    Some(first)
                );
            } else {
                assert_eq!(Action::parse(a.name()), Some(a));
            }
        }
        assert_eq!(
            Action::parse("S3:listbucket"),
            Some(Action::from(Sdk::ListBucket))
        );
        assert_eq!(Action::parse("s3:ListBuckets"), None);
    }

    #[test]
    fn bucket_names_general_legacy_directory() {
        let kind = |b: &str| BucketName::parse(b).map(|b| b.kind());
        assert_eq!(kind("my-bucket.v2"), Ok(BucketKind::General));
        assert_eq!(kind("My_Old_Bucket"), Ok(BucketKind::Legacy));
        assert_eq!(kind(&"a".repeat(200)), Ok(BucketKind::Legacy));
        assert_eq!(kind("data--usw2-az1--x-s3"), Ok(BucketKind::Directory));
        // A general purpose name starts and ends with a letter or digit.
        assert_eq!(kind("abc-"), Ok(BucketKind::Legacy));
        assert_eq!(kind("-abc"), Ok(BucketKind::Legacy));
        for never in ["ab", "has space", "a/b", "", &"a".repeat(256), "caf\u{e9}"] {
            assert!(BucketName::parse(never).is_err(), "{never}");
        }
    }

    #[test]
    fn legacy_buckets_carry_a_note_others_none() {
        let t = |b: &str| Target::Bucket(BucketName::parse(b).unwrap());
        assert!(t("Old_Bucket").notes()[0].contains("before 2018-03-01"));
        assert!(t("new-bucket").notes().is_empty());
    }

    #[test]
    fn a_resource_picked_by_its_tags_is_one_the_request_is_authorized_on_alone() {
        use crate::catalogue::Found;
        use crate::tags::{TagRequirement, TagTest};
        let lbc = TagRequirement::new(
            vec![vec![TagTest::from_operator(
                "Null",
                "elbv2.k8s.aws/cluster",
                &["false".to_owned()],
            )
            .unwrap()]],
            vec![],
        );
        let tagged = |kind| Target::Tagged {
            kind,
            tags: lbc.clone(),
        };
        // A read authorized on `*` reads no resource's tags; a made-up ARN
        // has none; an EC2 request names no load balancer.
        for action in [
            "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DeleteLoadBalancer",
            "ec2:DeleteSecurityGroup",
        ] {
            let a = Action::parse(action).unwrap();
            assert!(
                Check::new(a, Expect::Allow, tagged(Found::LoadBalancer), None).is_err(),
                "{action}"
            );
        }
        assert!(Check::new(
            Action::parse("elasticloadbalancing:ModifyListener").unwrap(),
            Expect::Allow,
            tagged(Found::Rule),
            None
        )
        .is_err());
        assert_eq!(
            tagged(Found::LoadBalancer).label(),
            "a load balancer tagged elbv2.k8s.aws/cluster"
        );
    }

    #[test]
    fn checks_refuse_targets_their_action_cannot_take() {
        let b = || BucketName::parse("b-1").unwrap();
        assert!(Check::new(
            Action::from(Sdk::ListBucket),
            Expect::Allow,
            Target::Bucket(b()),
            None
        )
        .is_ok());
        assert!(Check::new(
            Action::from(Sdk::ListBucket),
            Expect::Allow,
            Target::Account,
            None
        )
        .is_err());
        let fresh = Target::Object {
            bucket: b(),
            key: ObjectKeyChoice::Fresh(KeyPrefix::default()),
        };
        assert!(Check::new(
            Action::from(Sdk::PutObject),
            Expect::Deny,
            fresh.clone(),
            None
        )
        .is_ok());
        assert!(
            Check::new(Action::from(Sdk::GetObject), Expect::Allow, fresh, None).is_ok(),
            "GetObject reads a fresh key when none is named"
        );
        let secret = Named::parse(Kind::Secret, "app-db").unwrap();
        assert!(Check::new(
            Action::parse("secretsmanager:DescribeSecret").unwrap(),
            Expect::Allow,
            Target::Named(secret.clone()),
            None
        )
        .is_ok());
        assert!(
            Check::new(
                Action::parse("ssm:GetParameter").unwrap(),
                Expect::Deny,
                Target::Named(secret),
                None
            )
            .is_err(),
            "a secret is no parameter"
        );
        assert!(Check::new(
            Action::parse("route53:GetHostedZone").unwrap(),
            Expect::Allow,
            Target::Any(Kind::HostedZone),
            None
        )
        .is_ok());
        assert!(
            Check::new(
                Action::parse("kms:DescribeKey").unwrap(),
                Expect::Allow,
                Target::Any(Kind::Key),
                None
            )
            .is_err(),
            "keys are never guessed"
        );
        assert!(Check::new(
            Action::from(Sdk::ImdsUnreachable),
            Expect::Allow,
            Target::Node,
            None
        )
        .is_err());
        assert!(Check::new(
            Action::from(Sdk::ListTables),
            Expect::Allow,
            Target::Account,
            Some(" ".into())
        )
        .is_err());
    }

    #[test]
    fn labels_are_stable_and_arns_follow_the_place() {
        let at = Place {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "1".into(),
        };
        let obj = Target::Object {
            bucket: BucketName::parse("b-1").unwrap(),
            key: ObjectKeyChoice::Fresh(KeyPrefix::default()),
        };
        assert_eq!(obj.label(), "object b-1/irsa-verify-probe/*");
        let inside = Target::Object {
            bucket: BucketName::parse("b-1").unwrap(),
            key: ObjectKeyChoice::Fresh(KeyPrefix::parse("uploads/").unwrap()),
        };
        assert_eq!(inside.label(), "object b-1/uploads/irsa-verify-probe/*");
        let row = |a: Sdk| Action::from(a).row();
        assert_eq!(
            obj.resources(row(Sdk::PutObject), &at),
            ["arn:aws:s3:::b-1/irsa-verify-probe/*"]
        );
        let table = Target::Table(TableName::parse("t-1").unwrap());
        assert_eq!(
            table.resources(row(Sdk::DescribeTable), &at),
            ["arn:aws:dynamodb:eu-west-1:1:table/t-1"]
        );
        assert_eq!(Target::Account.resources(row(Sdk::ListTables), &at), ["*"]);
    }

    #[test]
    fn a_secret_arn_is_exact_only_with_its_suffix_and_no_wildcard() {
        let full = "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbCdEf";
        let n = Named::secret_arn(full).unwrap();
        assert_eq!(
            (n.name(), n.arn(), n.request_name()),
            ("prod/db-AbCdEf", Some(full), full)
        );
        assert_eq!((n.region(), n.account()), (Some("eu-west-1"), Some("1")));
        assert_eq!(Named::parse(Kind::Secret, full), Ok(n));
        for not_exact in [
            "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db",
            "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-??????",
            "arn:aws:secretsmanager:*:1:secret:prod/db-AbCdEf",
            "arn:aws:ssm:eu-west-1:1:secret:prod/db-AbCdEf",
            "arn:aws:secretsmanager:eu-west-1:1:prod/db-AbCdEf",
        ] {
            assert!(Named::secret_arn(not_exact).is_err(), "{not_exact}");
        }
    }

    #[test]
    fn a_role_is_named_by_its_full_arn_in_any_account() {
        let at = Place {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "111122223333".into(),
        };
        let arn = "arn:aws:iam::222233334444:role/team/x";
        let role = Named::parse(Kind::Role, arn).unwrap();
        assert_eq!(
            (role.name(), role.arn(), role.request_name()),
            (arn, Some(arn), arn)
        );
        assert_eq!(role.account(), None, "the ARN says where it is");
        let t = Target::Named(role);
        assert_eq!(t.label(), format!("role {arn}"));
        let row = Action::parse("sts:AssumeRole").unwrap().row();
        assert_eq!(t.resources(row, &at), [arn]);
        assert_eq!(t.judged_resources(row, &at), [arn]);
        for not_a_role_arn in [
            "x",
            "team/x",
            "arn:aws:iam::222233334444:role/*",
            "arn:aws:iam::*:role/x",
            "arn:aws:iam::222233334444:user/x",
            "arn:aws:iam:::role/x",
            " arn:aws:iam::222233334444:role/x",
        ] {
            assert_eq!(
                Named::parse(Kind::Role, not_a_role_arn),
                Err(Invalid::RoleArn(not_a_role_arn.to_owned())),
                "{not_a_role_arn}"
            );
        }
    }

    #[test]
    fn an_exact_arn_stands_for_the_templates_that_name_the_resource_only() {
        let at = Place {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "1".into(),
        };
        let describe = Action::parse("secretsmanager:DescribeSecret")
            .unwrap()
            .row();
        let row = Row {
            resources: &[
                "arn:{p}:secretsmanager:{r}:{a}:secret:{name}-??????",
                "arn:{p}:kms:{r}:{a}:key/*",
            ],
            ..*describe
        };
        let full = "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbCdEf";
        let t = Target::Named(Named::secret_arn(full).unwrap());
        assert_eq!(
            t.resources(&row, &at),
            [full, "arn:aws:kms:eu-west-1:1:key/*"]
        );
        let by_name = Target::Named(Named::parse(Kind::Secret, "prod/db").unwrap());
        assert_eq!(
            by_name.resources(&row, &at)[0],
            "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-??????"
        );
    }

    /// A request on one resource found at run time never claims the account.
    #[test]
    fn a_check_names_what_its_probe_finds_not_the_account() {
        let label = |action: &str| {
            Check::new(
                Action::parse(action).unwrap(),
                Expect::Deny,
                Target::Account,
                None,
            )
            .unwrap()
            .label()
        };
        assert_eq!(label("ec2:TerminateInstances"), "the first instance listed");
        assert_eq!(
            label("ec2:AttachVolume"),
            "the first instance listed, the first volume listed"
        );
        assert_eq!(label("ec2:CreateSnapshot"), "the first volume listed");
        assert_eq!(
            label("acm:DescribeCertificate"),
            "the first ACM certificate listed"
        );
        assert_eq!(
            label("eks:DescribeNodegroup"),
            "the first EKS cluster listed, the first EKS node group listed"
        );
        // Authorized on "*" or on nothing particular: the account it is.
        for action in [
            "ec2:DescribeInstances",
            "ec2:CreateVolume",
            "elasticloadbalancing:DescribeTargetHealth",
            "wafv2:GetWebACLForResource",
            "dynamodb:ListTables",
        ] {
            assert_eq!(label(action), "account", "{action}");
        }
    }

    /// Only a secret named by its name takes the made-up form: not one
    /// named by its exact ARN, nor any other kind.
    #[test]
    fn only_a_secret_named_by_name_is_named_by_a_pattern() {
        use crate::catalogue::OtherTarget::{PatternSecret, PublicParameter};
        let by_name = Named::parse(Kind::Secret, "dev").unwrap();
        assert!(!by_name.takes(PatternSecret));
        assert!(by_name.clone().by_pattern().takes(PatternSecret));
        assert!(!by_name.clone().by_pattern().plain().takes(PatternSecret));
        let exact =
            Named::secret_arn("arn:aws:secretsmanager:eu-west-1:111122223333:secret:dev-AbCdEf")
                .unwrap();
        assert!(!exact.by_pattern().takes(PatternSecret));
        let parameter = Named::parse(Kind::Parameter, "/app/a").unwrap();
        assert!(!parameter.clone().by_pattern().takes(PatternSecret));
        assert!(!parameter.takes(PublicParameter));
        assert!(Named::parse(Kind::Parameter, "/aws/service/x")
            .unwrap()
            .takes(PublicParameter));
    }
}

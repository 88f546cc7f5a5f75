//! Expectations: the checks to run, from a spec file or from flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::arn::{RoleRef, ServiceAccount};
use crate::catalogue::{Ec2Id, Sdk};
use crate::check::{
    Action, BucketName, Check, Expect, IdPick, Invalid, ItemKey, KeyPrefix, KeyValue, Named,
    ObjectKey, ObjectKeyChoice, TableName, Target, TargetKind,
};
use crate::file::{read_limited, LimitedError};
use crate::identity::{ExpectSource, ACTION as IDENTITY_ACTION};
use crate::policy::derive::Derived;
use crate::tags::{TagOp, TagRequirement, TagTest};

/// A spec larger than this is not a list of expectations.
const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// A spec file, parsed: every name in it is typed and valid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spec {
    pub expect_role: Option<RoleRef>,
    pub expect_source: Option<ExpectSource>,
    pub expect_service_account: Option<ServiceAccount>,
    /// Display name of the identity check (`action: sts:GetCallerIdentity`).
    pub identity_name: Option<String>,
    pub checks: Vec<Check>,
}

/// `key:` is an object key for S3 and an item's primary key for DynamoDB.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum RawKey {
    Object(String),
    Item(BTreeMap<String, KeyValue>),
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read spec file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the file is {size} bytes; a spec is at most {MAX_SPEC_BYTES} bytes", path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{}{}: {message}", path.display(), location.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        location: Option<(usize, usize)>,
        message: String,
    },
    #[error("{flag}: {message}")]
    Flag { flag: &'static str, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    #[serde(default)]
    expect_role: Option<String>,
    #[serde(default)]
    expect_source: Option<ExpectSource>,
    #[serde(default)]
    expect_service_account: Option<String>,
    checks: Vec<RawCheck>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheck {
    action: SpecAction,
    /// Required, except for imds:Unreachable where only `deny` makes sense.
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    bucket: Option<String>,
    #[serde(default)]
    key: Option<RawKey>,
    /// Where fresh probe keys go, for object actions without `key`.
    #[serde(default)]
    prefix: Option<String>,
    /// Condition keys the agent cannot evaluate: the check runs, and is
    /// reported as skipped with what it observed.
    #[serde(default)]
    conditions: Option<Vec<String>>,
    #[serde(default)]
    table: Option<String>,
    /// The resource of another service's action: a secret, a parameter, a
    /// key, a log group, a hosted zone (`*`: the first one listed).
    #[serde(default)]
    resource: Option<String>,
    /// Where `resource` is, when not in the pod's region and account.
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    account: Option<String>,
    /// Tags the request carries (EC2 creates), for `aws:RequestTag` conditions.
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
    /// EC2 resources by type (`instance`, `volume`...): an ID, or
    /// `{other_than: [ARN patterns]}` for one no pattern names; a type not
    /// given is the first one a Describe lists.
    #[serde(default)]
    ec2: Option<BTreeMap<String, RawPick>>,
    /// The load balancer, target group or listener the request names
    /// (`load_balancer`, `target_group`, `listener`), picked by its tags:
    /// `{tagged: [...], not_tagged: [...]}`, as for an EC2 resource.
    #[serde(default)]
    found: Option<BTreeMap<String, RawPickMap>>,
    /// ec2:CreateTags only: the create it is sent as (`CreateVolume`), which
    /// carries tags and is authorized as ec2:CreateTags on what it creates.
    #[serde(default)]
    on_create: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize, Serialize, Debug, Clone)]
#[serde(untagged)]
enum RawPick {
    Exact(String),
    Pick(RawPickMap),
}

/// `{other_than: [ARN patterns]}`, and for a resource picked by its tags
/// `tagged` (one of these condition blocks holds on its tags) and
/// `not_tagged` (none of them does), each block written as in a policy:
/// `{StringLike: {ebs.csi.aws.com/cluster: "true"}}`.
#[derive(Deserialize, Serialize, Debug, Clone, Default)]
#[serde(deny_unknown_fields)]
struct RawPickMap {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    other_than: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tagged: Option<Vec<RawTagBlock>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_tagged: Option<Vec<RawTagBlock>>,
}

/// Operator -> tag key -> value(s), as a policy's Condition block.
type RawTagBlock = BTreeMap<RawOperator, BTreeMap<String, RawValues>>;

/// An operator's name. YAML reads an unquoted `Null` as null: that is the
/// `Null` operator all the same.
#[derive(Deserialize, Serialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[serde(from = "Option<String>", into = "String")]
struct RawOperator(String);

impl From<Option<String>> for RawOperator {
    fn from(name: Option<String>) -> Self {
        RawOperator(name.unwrap_or_else(|| "Null".to_owned()))
    }
}

impl From<RawOperator> for String {
    fn from(op: RawOperator) -> Self {
        op.0
    }
}

#[derive(Deserialize, Serialize, Debug, Clone)]
#[serde(untagged)]
enum RawValues {
    One(RawScalar),
    Many(Vec<RawScalar>),
}

/// YAML reads `false` and `1` as a bool and a number: a policy's value all the same.
#[derive(Deserialize, Serialize, Debug, Clone)]
#[serde(untagged)]
enum RawScalar {
    Str(String),
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl RawScalar {
    fn text(&self) -> String {
        match self {
            RawScalar::Str(s) => s.clone(),
            RawScalar::Bool(b) => b.to_string(),
            RawScalar::Int(n) => n.to_string(),
            RawScalar::Float(x) => x.to_string(),
        }
    }
}

/// The groups of tag tests the blocks write.
fn tag_groups(field: &str, blocks: Vec<RawTagBlock>) -> Result<Vec<Vec<TagTest>>, FieldError> {
    let mut groups = Vec::new();
    for block in blocks {
        if block.is_empty() {
            return Err((
                "ec2",
                format!("{field}: an empty condition block tests nothing"),
            ));
        }
        let mut group = Vec::new();
        for (RawOperator(operator), keys) in block {
            for (key, values) in keys {
                let values: Vec<String> = match values {
                    RawValues::One(v) => vec![v.text()],
                    RawValues::Many(vs) => vs.iter().map(RawScalar::text).collect(),
                };
                let test = TagTest::from_operator(&operator, &key, &values).ok_or_else(|| {
                    (
                        "ec2",
                        format!(
                            "{field}: `{operator}` on tag `{key}` is not a tag test (StringEquals, StringLike, their IfExists forms, \
                             or Null with true or false, on a tag key without wildcards)"
                        ),
                    )
                })?;
                group.push(test);
            }
        }
        groups.push(group);
    }
    Ok(groups)
}

/// The groups as condition blocks, for `--print-spec`.
fn tag_blocks(groups: &[Vec<TagTest>]) -> Vec<RawTagBlock> {
    groups
        .iter()
        .map(|g| {
            let mut block = RawTagBlock::new();
            for t in g {
                let values: Vec<String> = match &t.op {
                    TagOp::Equals(v) | TagOp::Like(v) => v.clone(),
                    TagOp::Null(absent) => vec![absent.to_string()],
                };
                let values = match values.as_slice() {
                    [one] => RawValues::One(RawScalar::Str(one.clone())),
                    _ => RawValues::Many(values.into_iter().map(RawScalar::Str).collect()),
                };
                block
                    .entry(RawOperator(t.operator()))
                    .or_default()
                    .insert(t.key.clone(), values);
            }
            block
        })
        .collect()
}

/// A spec names the identity check, or an action the agent probes.
enum SpecAction {
    Identity,
    Probe(Action),
}

impl<'de> Deserialize<'de> for SpecAction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name.eq_ignore_ascii_case(IDENTITY_ACTION) {
            return Ok(SpecAction::Identity);
        }
        Action::parse(&name).map(SpecAction::Probe).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "action `{name}` is unknown; known actions: {IDENTITY_ACTION}, {}",
                Action::known_names()
            ))
        })
    }
}

/// Parses a spec file (YAML; JSON is YAML too).
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let bytes = read_limited(path, MAX_SPEC_BYTES).map_err(|e| match e {
        LimitedError::Io(source) => SpecError::Read {
            path: path.to_owned(),
            source,
        },
        LimitedError::TooLarge(size) => SpecError::TooLarge {
            path: path.to_owned(),
            size,
        },
    })?;
    let text = String::from_utf8(bytes).map_err(|_| SpecError::Read {
        path: path.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ),
    })?;
    parse(&text, path)
}

pub fn parse(text: &str, path: &Path) -> Result<Spec, SpecError> {
    let invalid = |location, message: String| SpecError::Invalid {
        path: path.to_owned(),
        location,
        message,
    };
    let raw: RawSpec = serde_yaml_ng::from_str(text).map_err(|e| {
        let location = e.location().map(|l| (l.line(), l.column()));
        // The location goes in front, as file:line:col.
        let message = e.to_string();
        let message = match message.rfind(" at line ") {
            Some(i) if location.is_some() => message[..i].to_owned(),
            _ => message,
        };
        invalid(location, message)
    })?;
    if raw.checks.is_empty() {
        return Err(invalid(
            None,
            "checks: the list is empty; list at least one check".to_owned(),
        ));
    }
    let lines = check_lines(text);
    let mut checks = Vec::with_capacity(raw.checks.len());
    let mut identity_name = None;
    let mut names: Vec<(usize, String)> = Vec::new();
    for (i, rc) in raw.checks.into_iter().enumerate() {
        let location = lines.get(i).map(|&l| (l, 1));
        let field_error =
            |(field, msg): FieldError| invalid(location, format!("checks[{i}].{field}: {msg}"));
        if let Some(name) = &rc.name {
            if let Some((j, _)) = names.iter().find(|(_, n)| n == name) {
                return Err(invalid(location, format!("checks[{i}].name: `{name}` is already the name of checks[{j}]; names must be unique")));
            }
            names.push((i, name.clone()));
        }
        match validate(rc).map_err(field_error)? {
            Parsed::Identity(name) => identity_name = name.or(identity_name),
            Parsed::Check(check) => checks.push(check),
        }
    }
    let expect_role = raw
        .expect_role
        .as_deref()
        .map(RoleRef::parse)
        .transpose()
        .map_err(|m| invalid(None, format!("expect_role: {m}")))?;
    let expect_service_account = raw
        .expect_service_account
        .as_deref()
        .map(ServiceAccount::parse)
        .transpose()
        .map_err(|m| invalid(None, format!("expect_service_account: {m}")))?;
    Ok(Spec {
        expect_role,
        expect_source: raw.expect_source,
        expect_service_account,
        identity_name,
        checks,
    })
}

/// Line numbers (1-based) of the items of the top-level `checks:` list, so a
/// semantic error can point at its check. Block-style YAML only; for flow style
/// the error still names the check by index.
fn check_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut in_checks = false;
    let mut item_indent = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if indent == 0 && !trimmed.starts_with('-') {
            in_checks = trimmed.starts_with("checks:");
            item_indent = None;
            continue;
        }
        if in_checks && trimmed.starts_with('-') && *item_indent.get_or_insert(indent) == indent {
            lines.push(n + 1);
        }
    }
    lines
}

type FieldError = (&'static str, String);

/// An invalid name or check, against the field it came from (by its type).
fn field_of(e: Invalid) -> FieldError {
    (e.field(), e.to_string())
}

enum Parsed {
    /// The identity check, with its display name.
    Identity(Option<String>),
    Check(Check),
}

/// A spec's `ec2:` map as picks, each a type the action's request names,
/// with the row of the action whose request names them (CreateTags on a
/// security group is a later row of ec2:CreateTags).
fn picks(
    action: Action,
    raw: BTreeMap<String, RawPick>,
) -> Result<(Action, Vec<(Ec2Id, IdPick)>), FieldError> {
    let kinds: Vec<Ec2Id> = raw
        .keys()
        .filter_map(|ty| Ec2Id::ALL.into_iter().find(|k| k.parts().1 == ty))
        .collect();
    let action = action.on_types(&kinds).unwrap_or(action);
    let mut out = Vec::new();
    for (ty, pick) in raw {
        let kind = Ec2Id::ALL
            .into_iter()
            .find(|k| k.parts().1 == ty)
            .filter(|k| crate::resource::ec2_slots(action.row().resources).contains(k))
            .ok_or_else(|| ("ec2", format!("{action} names no EC2 `{ty}` by ID")))?;
        let pick = match pick {
            RawPick::Exact(id)
                if id.starts_with(&format!("{}-", kind.parts().0)) && !id.contains(['*', '?']) =>
            {
                IdPick::Exact(id)
            }
            RawPick::Exact(id) => {
                return Err((
                    "ec2",
                    format!(
                        "`{id}` is no {ty} ID ({ty} IDs start with {}-)",
                        kind.parts().0
                    ),
                ))
            }
            RawPick::Pick(RawPickMap {
                other_than,
                tagged: None,
                not_tagged: None,
            }) => IdPick::Outside(other_than.ok_or_else(|| {
                (
                    "ec2",
                    format!("`{ty}` needs an ID, or any of other_than, tagged and not_tagged"),
                )
            })?),
            RawPick::Pick(RawPickMap {
                other_than,
                tagged,
                not_tagged,
            }) => {
                if !action.row().ec2_ids_sent().contains(&kind) {
                    return Err((
                        "ec2",
                        format!("{action} names no {ty} by its own ID, so its {ty} cannot be picked by its tags"),
                    ));
                }
                let tags = TagRequirement::new(
                    tag_groups("tagged", tagged.unwrap_or_default())?,
                    tag_groups("not_tagged", not_tagged.unwrap_or_default())?,
                );
                if tags.any_of().is_empty() && tags.none_of().is_empty() {
                    return Err((
                        "ec2",
                        format!("`{ty}`: tagged and not_tagged are both empty"),
                    ));
                }
                IdPick::Tagged {
                    outside: other_than.unwrap_or_default(),
                    tags,
                }
            }
        };
        out.push((kind, pick));
    }
    // A later row's type named with nothing to avoid is that row on the
    // account, as `--print-spec` writes it (see `out_check`).
    let first = Action::parse(action.name());
    if first != Some(action)
        && out
            .iter()
            .all(|(_, p)| matches!(p, IdPick::Outside(avoid) if avoid.is_empty()))
    {
        out.clear();
    }
    Ok((action, out))
}

/// The row of ec2:CreateTags sent as this create.
fn on_create(action: Action, op: &str) -> Result<Action, FieldError> {
    let rows: Vec<Action> = Action::all()
        .filter(|a| a.name() == action.name() && a.row().tags_on_create().is_some())
        .collect();
    rows.iter()
        .find(|a| {
            a.row()
                .tags_on_create()
                .is_some_and(|o| o.eq_ignore_ascii_case(op))
        })
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = rows
                .iter()
                .filter_map(|a| a.row().tags_on_create())
                .collect();
            (
                "on_create",
                if known.is_empty() {
                    format!("{action} is never sent as a create")
                } else {
                    format!("{action} is sent as {} only, not `{op}`", known.join(", "))
                },
            )
        })
}

/// A spec's `found:` map: one load balancer, target group or listener the
/// action's request names (and is authorized on alone), picked by its tags.
fn found_pick(action: Action, raw: BTreeMap<String, RawPickMap>) -> Result<Target, FieldError> {
    let mut entries = raw.into_iter();
    let (Some((key, pick)), None) = (entries.next(), entries.next()) else {
        return Err((
            "found",
            "names one resource: load_balancer, target_group or listener".to_owned(),
        ));
    };
    let kind = crate::catalogue::Found::TAGGABLE
        .into_iter()
        .find(|k| k.key() == key)
        .filter(|k| action.row().found_by_tags() == Some(*k))
        .ok_or_else(|| {
            (
                "found",
                format!("{action}'s request is not authorized on one `{key}` alone, so it cannot be picked by its tags"),
            )
        })?;
    if pick.other_than.is_some() {
        return Err((
            "found",
            format!("`{key}` takes tagged and not_tagged, not other_than"),
        ));
    }
    let tags = TagRequirement::new(
        tag_groups("tagged", pick.tagged.unwrap_or_default())?,
        tag_groups("not_tagged", pick.not_tagged.unwrap_or_default())?,
    );
    if tags.any_of().is_empty() && tags.none_of().is_empty() {
        return Err((
            "found",
            format!("`{key}`: tagged and not_tagged are both empty"),
        ));
    }
    Ok(Target::Tagged { kind, tags })
}

fn validate(rc: RawCheck) -> Result<Parsed, FieldError> {
    let pinned = rc.on_create.is_some();
    let mut action = match rc.action {
        SpecAction::Probe(a) => a,
        SpecAction::Identity => {
            for (field, present) in [
                ("bucket", rc.bucket.is_some()),
                ("table", rc.table.is_some()),
                ("key", rc.key.is_some()),
                ("prefix", rc.prefix.is_some()),
                ("conditions", rc.conditions.is_some()),
            ] {
                if present {
                    return Err((field, format!("{IDENTITY_ACTION} takes no `{field}`")));
                }
            }
            return match rc.expect {
                Some(Expect::Allow) => Ok(Parsed::Identity(rc.name)),
                Some(Expect::Deny) => Err((
                    "expect",
                    format!("{IDENTITY_ACTION} is never denied by IAM; use `expect: allow`"),
                )),
                None => Err((
                    "expect",
                    format!("{IDENTITY_ACTION} needs `expect`: allow or deny"),
                )),
            };
        }
    };
    if let Some(op) = &rc.on_create {
        action = on_create(action, op)?;
    }
    let forbid = |field: &'static str, present: bool| -> Result<(), FieldError> {
        if present {
            Err((field, format!("{action} takes no `{field}`")))
        } else {
            Ok(())
        }
    };
    let need = |field: &'static str, value: Option<String>| -> Result<String, FieldError> {
        value.ok_or_else(|| (field, format!("{action} needs `{field}`")))
    };
    let kind = action.target_kind();
    let expect = match (kind, rc.expect) {
        // Only a denial makes sense for the node (Check::new holds that rule).
        (TargetKind::Node, None) => Expect::Deny,
        (_, Some(e)) => e,
        (_, None) => return Err(("expect", format!("{action} needs `expect`: allow or deny"))),
    };
    if kind != TargetKind::Account {
        forbid("found", rc.found.is_some())?;
    }
    if !matches!(kind, TargetKind::Object { .. }) {
        forbid("prefix", rc.prefix.is_some())?;
    }
    let bucket = |b: String| BucketName::parse(&b).map_err(field_of);
    let (region, account) = (rc.region.clone(), rc.account.clone());
    let table = |t: String| {
        TableName::parse(&t)
            .map(|t| t.at(region.clone(), account.clone()))
            .map_err(field_of)
    };
    if !matches!(kind, TargetKind::Named(_)) {
        forbid("resource", rc.resource.is_some())?;
    }
    if !matches!(
        kind,
        TargetKind::Named(_) | TargetKind::Table | TargetKind::Item
    ) {
        forbid("region", rc.region.is_some())?;
        forbid("account", rc.account.is_some())?;
    }
    let target = match kind {
        TargetKind::Named(k) => {
            let r = need("resource", rc.resource)?;
            forbid("bucket", rc.bucket.is_some())?;
            forbid("table", rc.table.is_some())?;
            forbid("key", rc.key.is_some())?;
            if r == "*" && k.discoverable() {
                Target::Any(k)
            } else {
                Target::Named(
                    Named::parse(k, &r)
                        .map_err(field_of)?
                        .at(rc.region, rc.account),
                )
            }
        }
        TargetKind::Account | TargetKind::Node => {
            forbid("bucket", rc.bucket.is_some())?;
            forbid("table", rc.table.is_some())?;
            forbid("key", rc.key.is_some())?;
            if kind == TargetKind::Node {
                forbid("ec2", rc.ec2.is_some())?;
                Target::Node
            } else if let Some(ec2) = rc.ec2 {
                forbid("found", rc.found.is_some())?;
                let (on, picked) = picks(action, ec2)?;
                if !pinned {
                    action = on;
                }
                if picked.is_empty() {
                    Target::Account
                } else {
                    Target::Ec2(picked)
                }
            } else if let Some(found) = rc.found {
                found_pick(action, found)?
            } else {
                Target::Account
            }
        }
        TargetKind::Bucket => {
            let b = need("bucket", rc.bucket)?;
            forbid("table", rc.table.is_some())?;
            forbid("key", rc.key.is_some())?;
            Target::Bucket(bucket(b)?)
        }
        TargetKind::Object { key_required } => {
            let b = need("bucket", rc.bucket)?;
            forbid("table", rc.table.is_some())?;
            let key = match (rc.key, rc.prefix) {
                (Some(RawKey::Object(_)), Some(_)) => {
                    return Err((
                        "prefix",
                        format!("{action} takes `key` or `prefix`, not both"),
                    ))
                }
                (Some(RawKey::Object(k)), None) => {
                    ObjectKeyChoice::Named(ObjectKey::parse(&k).map_err(field_of)?)
                }
                (Some(RawKey::Item(_)), _) => {
                    return Err(("key", format!("{action} takes an object key (a string)")))
                }
                (None, _) if key_required => {
                    return Err((
                        "key",
                        format!("{action} needs `key`: an object that exists"),
                    ))
                }
                (None, prefix) => ObjectKeyChoice::Fresh(
                    KeyPrefix::parse(prefix.as_deref().unwrap_or("")).map_err(field_of)?,
                ),
            };
            Target::Object {
                bucket: bucket(b)?,
                key,
            }
        }
        TargetKind::Table => {
            let t = need("table", rc.table)?;
            forbid("bucket", rc.bucket.is_some())?;
            forbid("key", rc.key.is_some())?;
            Target::Table(table(t)?)
        }
        TargetKind::Item => {
            let t = need("table", rc.table)?;
            forbid("bucket", rc.bucket.is_some())?;
            let key = match rc.key {
                Some(RawKey::Object(_)) => {
                    return Err((
                        "key",
                        format!("{action} takes an item key: a map such as `{{id: \"42\"}}`"),
                    ))
                }
                Some(RawKey::Item(m)) => Some(ItemKey::parse(m).map_err(field_of)?),
                None => None,
            };
            Target::Item {
                table: table(t)?,
                key,
            }
        }
    };
    let conditions = rc.conditions.unwrap_or_default();
    if conditions.iter().any(|c| c.trim().is_empty()) {
        return Err(("conditions", "a condition key cannot be empty".to_owned()));
    }
    let tags: Vec<(String, String)> = rc.tags.unwrap_or_default().into_iter().collect();
    let takes_tags =
        matches!(&action.row().probe, crate::catalogue::Probe::Wire(w) if w.tags_for.is_some());
    if !tags.is_empty() && !takes_tags {
        return Err((
            "tags",
            format!("{action} carries no tags (only EC2 creates do)"),
        ));
    }
    Check::new(action, expect, target, rc.name)
        .map(|c| Parsed::Check(c.conditional(conditions).tagged(tags)))
        .map_err(field_of)
}

/// The default checks of the reference procedure, from flags.
pub fn from_flags(
    bucket: Option<&str>,
    table: Option<&str>,
    object: Option<&str>,
) -> Result<Vec<Check>, SpecError> {
    let flag = |flag, message| SpecError::Flag { flag, message };
    // Flag combinations are fixed here, so Check::new cannot refuse them.
    let check = |action, expect, target| {
        Check::new(action, expect, target, None)
            .map_err(|m| flag("--bucket/--table/--object", m.to_string()))
    };
    let mut checks = Vec::new();
    if let Some(b) = bucket {
        let b = BucketName::parse(b).map_err(|m| flag("--bucket", m.to_string()))?;
        checks.push(check(
            Action::from(Sdk::ListBucket),
            Expect::Allow,
            Target::Bucket(b.clone()),
        )?);
        checks.push(check(
            Action::from(Sdk::DeleteObject),
            Expect::Deny,
            Target::Object {
                bucket: b.clone(),
                key: ObjectKeyChoice::Fresh(KeyPrefix::default()),
            },
        )?);
        if let Some(k) = object {
            let key = ObjectKey::parse(k).map_err(|m| flag("--object", m.to_string()))?;
            checks.push(check(
                Action::from(Sdk::GetObject),
                Expect::Allow,
                Target::Object {
                    bucket: b,
                    key: ObjectKeyChoice::Named(key),
                },
            )?);
        }
    } else if object.is_some() {
        return Err(flag("--object", "needs --bucket".to_owned()));
    }
    if let Some(t) = table {
        let t = TableName::parse(t).map_err(|m| flag("--table", m.to_string()))?;
        checks.push(check(
            Action::from(Sdk::DescribeTable),
            Expect::Allow,
            Target::Table(t.clone()),
        )?);
        checks.push(check(
            Action::from(Sdk::DeleteTable),
            Expect::Deny,
            Target::Table(t),
        )?);
    }
    Ok(checks)
}

/// One check as the spec format writes it.
#[derive(Serialize)]
struct OutCheck {
    action: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<OutKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    expect: Expect,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    conditions: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    ec2: BTreeMap<String, RawPick>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    found: BTreeMap<String, RawPickMap>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_create: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum OutKey {
    Object(String),
    Item(BTreeMap<String, KeyValue>),
}

fn out_check(c: &Check) -> OutCheck {
    let mut out = OutCheck {
        action: c.action().name(),
        bucket: c.target().bucket().map(|b| b.as_str().to_owned()),
        key: None,
        prefix: None,
        table: c.target().table().map(|t| t.as_str().to_owned()),
        resource: match c.target() {
            Target::Named(n) => Some(n.arn().unwrap_or(n.name()).to_owned()),
            Target::Any(_) => Some("*".to_owned()),
            _ => None,
        },
        region: match c.target() {
            Target::Named(n) => n.region().map(str::to_owned),
            t => t.table().and_then(|t| t.region().map(str::to_owned)),
        },
        account: match c.target() {
            Target::Named(n) => n.account().map(str::to_owned),
            t => t.table().and_then(|t| t.account().map(str::to_owned)),
        },
        expect: c.expect(),
        conditions: c.conditions().to_vec(),
        tags: c.tags().iter().cloned().collect(),
        ec2: match c.target() {
            Target::Ec2(picks) => picks
                .iter()
                .map(|(k, p)| {
                    let raw = match p {
                        IdPick::Exact(id) => RawPick::Exact(id.clone()),
                        IdPick::Outside(other_than) => RawPick::Pick(RawPickMap {
                            other_than: Some(other_than.clone()),
                            ..RawPickMap::default()
                        }),
                        IdPick::Tagged { outside, tags } => RawPick::Pick(RawPickMap {
                            other_than: (!outside.is_empty()).then(|| outside.clone()),
                            tagged: (!tags.any_of().is_empty()).then(|| tag_blocks(tags.any_of())),
                            not_tagged: (!tags.none_of().is_empty())
                                .then(|| tag_blocks(tags.none_of())),
                        }),
                    };
                    (k.parts().1.to_owned(), raw)
                })
                .collect(),
            // A later row of an action (CreateTags on a security group) on
            // the account: the type it aims at, with nothing to avoid, so
            // that the spec reads back to that row and not the first. A
            // create that tags is named by `on_create` instead.
            Target::Account
                if Action::parse(c.action().name()) != Some(c.action())
                    && c.action().row().tags_on_create().is_none() =>
            {
                crate::resource::ec2_slots(c.action().row().resources)
                    .into_iter()
                    .map(|k| {
                        let raw = RawPick::Pick(RawPickMap {
                            other_than: Some(Vec::new()),
                            ..RawPickMap::default()
                        });
                        (k.parts().1.to_owned(), raw)
                    })
                    .collect()
            }
            _ => BTreeMap::new(),
        },
        found: match c.target() {
            Target::Tagged { kind, tags } => BTreeMap::from([(
                kind.key().to_owned(),
                RawPickMap {
                    other_than: None,
                    tagged: (!tags.any_of().is_empty()).then(|| tag_blocks(tags.any_of())),
                    not_tagged: (!tags.none_of().is_empty()).then(|| tag_blocks(tags.none_of())),
                },
            )]),
            _ => BTreeMap::new(),
        },
        on_create: c.action().row().tags_on_create(),
        name: c.name().map(str::to_owned),
    };
    match c.target() {
        Target::Object {
            key: ObjectKeyChoice::Named(k),
            ..
        } => out.key = Some(OutKey::Object(k.as_str().to_owned())),
        Target::Object {
            key: ObjectKeyChoice::Fresh(p),
            ..
        } if !p.as_str().is_empty() => out.prefix = Some(p.as_str().to_owned()),
        Target::Item { key: Some(k), .. } => out.key = Some(OutKey::Item(k.attributes().clone())),
        _ => {}
    }
    out
}

/// The checks as a spec file `--spec` reads back to the same checks, with
/// why each was derived as comments.
pub fn render(checks: &[Check], derived: &Derived, role: Option<&RoleRef>) -> String {
    let mut out = String::from(
        "# Derived by irsa-verify --print-spec from the role's policies. Edit and pass it with --spec.\n",
    );
    for u in &derived.unprobed {
        out.push_str(&format!("# not probed: {}: {}\n", u.action, u.reason));
    }
    if let Some(r) = role {
        out.push_str(&format!("expect_role: {}\n", r.raw));
    }
    out.push_str("checks:\n");
    for c in checks {
        let why = derived
            .checks
            .iter()
            .position(|d| d == c)
            .and_then(|i| derived.basis.get(i))
            .map_or("from the spec", String::as_str);
        out.push_str(&format!("  # {why}\n"));
        let yaml = serde_yaml_ng::to_string(&[out_check(c)]).unwrap_or_default();
        for line in yaml.lines() {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checks `--from-policy` derives from one policy text.
    fn derived_from(policy: &[u8]) -> crate::policy::derive::Derived {
        let policy = crate::policy::parse(policy, Path::new("p.json")).unwrap();
        let at = crate::check::Place {
            partition: "aws".into(),
            region: "eu-west-1".into(),
            account: "1".into(),
        };
        crate::policy::derive::derive(&[policy], &Default::default(), &at).unwrap()
    }

    fn parse_str(s: &str) -> Result<Spec, SpecError> {
        parse(s, Path::new("spec.yaml"))
    }

    fn err(s: &str) -> String {
        parse_str(s).unwrap_err().to_string()
    }

    const EXAMPLE: &str = "\
expect_role: arn:aws:iam::111122223333:role/my-app   # optional
checks:
  - action: s3:ListBucket
    bucket: my-bucket
    expect: allow
  - action: s3:GetObject
    bucket: my-bucket
    key: reports/latest.csv
    expect: allow
  - action: dynamodb:DeleteTable
    table: my-table
    expect: deny
    name: never drop the orders table
";

    #[test]
    fn parses_the_documented_example() {
        let spec = parse_str(EXAMPLE).unwrap();
        assert_eq!(
            spec.expect_role.map(|r| r.raw).as_deref(),
            Some("arn:aws:iam::111122223333:role/my-app")
        );
        assert_eq!(spec.checks.len(), 3);
        assert!(
            matches!(spec.checks[1].target(), Target::Object { key: ObjectKeyChoice::Named(k), .. } if k.as_str() == "reports/latest.csv")
        );
        assert_eq!(spec.checks[2].expect(), Expect::Deny);
        assert_eq!(spec.checks[2].name(), Some("never drop the orders table"));
    }

    #[test]
    fn json_is_accepted() {
        let spec = parse_str(r#"{"checks": [{"action": "dynamodb:GetItem", "table": "orders", "key": {"id": 42, "sk": "a"}, "expect": "deny"}]}"#).unwrap();
        let Target::Item { key: Some(key), .. } = spec.checks[0].target() else {
            panic!("an item target with a key")
        };
        assert_eq!(key.attributes()["id"], KeyValue::Int(42));
        assert_eq!(key.attributes()["sk"], KeyValue::Str("a".into()));
    }

    #[test]
    fn unknown_key_names_file_line_and_field() {
        let e = err("checks:\n  - action: s3:ListBucket\n    bucket: b-1\n    expct: allow\n");
        assert!(e.starts_with("spec.yaml:4:"), "{e}");
        assert!(e.contains("expct"), "{e}");
    }

    #[test]
    fn unknown_action_names_line_and_lists_known_ones() {
        let e = err("checks:\n  - action: s3:ListBuckets\n    bucket: b-1\n    expect: allow\n");
        assert!(e.starts_with("spec.yaml:2:"), "{e}");
        assert!(
            e.contains("checks[0]")
                && e.contains("action `s3:ListBuckets` is unknown")
                && e.contains("s3:ListBucket,"),
            "{e}"
        );
    }

    #[test]
    fn bad_expect_names_line_and_field() {
        let e = err("checks:\n  - action: s3:ListBucket\n    bucket: b-1\n    expect: maybe\n");
        assert!(
            e.starts_with("spec.yaml:4:") && e.contains("checks[0].expect"),
            "{e}"
        );
    }

    #[test]
    fn missing_target_names_the_check_line_and_field() {
        let e = err("checks:\n  - action: s3:ListBucket\n    bucket: b-1\n    expect: allow\n  - action: dynamodb:DeleteTable\n    expect: deny\n");
        assert_eq!(
            e,
            "spec.yaml:5:1: checks[1].table: dynamodb:DeleteTable needs `table`"
        );
        let e = err("checks:\n  - action: secretsmanager:DescribeSecret\n    expect: allow\n");
        assert!(
            e.contains("checks[0].resource") && e.contains("needs `resource`"),
            "{e}"
        );
        // GetObject without `key` reads a fresh key (tells both ways with s3:ListBucket).
        let fresh =
            parse_str("checks:\n  - action: s3:GetObject\n    bucket: b-1\n    expect: allow\n")
                .unwrap();
        assert_eq!(
            fresh.checks[0].target().label(),
            "object b-1/irsa-verify-probe/*"
        );
    }

    #[test]
    fn wrong_targets_and_names_are_refused() {
        assert!(err(
            "checks:\n  - {action: s3:ListBucket, bucket: b-1, table: t-1, expect: allow}\n"
        )
        .contains("takes no `table`"));
        assert!(
            err("checks:\n  - {action: s3:ListBucket, bucket: B ad, expect: allow}\n")
                .contains("not an S3 bucket name")
        );
        assert!(err(
            "checks:\n  - {action: s3:ListBucket, bucket: b-1, expect: allow, name: ' '}\n"
        )
        .contains("checks[0].name: a name has 1 to 200 characters"));
        assert!(err(
            "checks:\n  - {action: dynamodb:GetItem, table: t-1, key: abc, expect: allow}\n"
        )
        .contains("item key"));
        assert!(
            err("checks:\n  - {action: sts:GetCallerIdentity, expect: deny}\n")
                .contains("never denied")
        );
        assert!(err("checks: []\n").contains("empty"));
        assert!(err("checks:\n  - {action: s3:ListBucket, bucket: b-1, expect: allow, name: x}\n  - {action: s3:ListBucket, bucket: b-2, expect: allow, name: x}\n").contains("unique"));
        assert!(err("expect_role: arn:aws:s3:::nope\nchecks:\n  - {action: s3:ListBucket, bucket: b-1, expect: allow}\n").contains("expect_role"));
        assert!(err("nothing: here\n").contains("nothing"));
        assert!(err(": : :\n").starts_with("spec.yaml"));
    }

    #[test]
    fn flags_give_the_reference_checks_in_order() {
        let checks = from_flags(Some("b-1"), Some("t-1"), Some("demo-test-file")).unwrap();
        let names: Vec<_> = checks
            .iter()
            .map(|c| (c.action().name(), c.expect()))
            .collect();
        assert_eq!(
            names,
            [
                ("s3:ListBucket", Expect::Allow),
                ("s3:DeleteObject", Expect::Deny),
                ("s3:GetObject", Expect::Allow),
                ("dynamodb:DescribeTable", Expect::Allow),
                ("dynamodb:DeleteTable", Expect::Deny),
            ]
        );
        assert!(
            matches!(checks[1].target(), Target::Object { key: ObjectKeyChoice::Fresh(p), .. } if p.as_str().is_empty()),
            "the delete probe must use a fresh random key"
        );
        assert!(from_flags(None, None, Some("k")).is_err());
        assert!(from_flags(Some("Bad bucket"), None, None)
            .unwrap_err()
            .to_string()
            .starts_with("--bucket:"));
        let legacy = from_flags(Some("Old_Bucket"), None, None).unwrap();
        assert!(legacy[0].target().notes()[0].contains("legacy"));
        assert!(from_flags(None, None, None).unwrap().is_empty());
    }

    mod fuzz {
        //! Bounded fuzzing of the parser: any input gives a spec or an error
        //! naming the file, never a panic. Case counts keep it to seconds.
        use super::*;
        use proptest::prelude::*;

        const ACTIONS: &[&str] = &[
            "s3:ListBucket",
            "s3:GetObject",
            "s3:PutObject",
            "s3:DeleteObject",
            "dynamodb:GetItem",
            "dynamodb:DeleteTable",
            "imds:Unreachable",
            "sts:GetCallerIdentity",
            "s3:Nope",
            "",
        ];
        const KEYS: &[&str] = &[
            "action",
            "bucket",
            "table",
            "key",
            "expect",
            "name",
            "expct",
            "checks",
            "expect_role",
            "expect_source",
        ];
        const VALUES: &[&str] = &[
            "allow",
            "deny",
            "b-1",
            "t-1",
            "Bad_Name",
            "{id: 1}",
            "[1, 2]",
            "null",
            "~",
            "\"\\u0007\"",
            "''",
            "&a",
            "*a",
            "!!binary aGk=",
            "1e400",
            "-",
            ":",
        ];

        fn check_map() -> impl Strategy<Value = String> {
            prop::collection::vec(
                (
                    prop::sample::select(KEYS),
                    prop::sample::select(VALUES),
                    prop::sample::select(ACTIONS),
                ),
                0..6,
            )
            .prop_map(|fields| {
                fields
                    .into_iter()
                    .map(|(k, v, a)| {
                        if k == "action" {
                            format!("    {k}: {a}\n")
                        } else {
                            format!("    {k}: {v}\n")
                        }
                    })
                    .collect::<String>()
            })
        }

        fn spec_like() -> impl Strategy<Value = String> {
            (
                prop::collection::vec(check_map(), 0..5),
                prop::option::of(prop::sample::select(VALUES)),
            )
                .prop_map(|(checks, role)| {
                    let mut s = role
                        .map(|r| format!("expect_role: {r}\n"))
                        .unwrap_or_default();
                    s.push_str("checks:\n");
                    for c in checks {
                        s.push_str("  -\n");
                        s.push_str(&c);
                    }
                    s
                })
        }

        fn assert_total(input: &str) {
            match parse(input, Path::new("f.yaml")) {
                // A spec may list only the identity check, which runs anyway.
                Ok(spec) => assert!(spec.checks.len() <= input.matches("action").count()),
                Err(e) => assert!(e.to_string().starts_with("f.yaml"), "{e}"),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn arbitrary_text_never_panics(input in "\\PC{0,300}") {
                assert_total(&input);
            }

            #[test]
            fn spec_shaped_text_never_panics(input in spec_like()) {
                assert_total(&input);
            }
        }
    }

    #[test]
    fn ec2_ids_are_named_by_type_and_derived_picks_read_back() {
        let spec = parse_str(
            "checks:
  - action: ec2:TerminateInstances
    ec2: {instance: i-0abc}
    expect: allow
  - action: ec2:TerminateInstances
    ec2: {instance: {other_than: ['arn:aws:ec2:*:*:instance/i-0abc']}}
    expect: deny
",
        )
        .unwrap();
        assert_eq!(
            spec.checks[0].target(),
            &Target::Ec2(vec![(Ec2Id::Instance, IdPick::Exact("i-0abc".into()))])
        );
        assert_eq!(
            spec.checks[1].target().label(),
            "an instance other than i-0abc"
        );
        let bad_type = err(
            "checks:\n  - {action: ec2:TerminateInstances, ec2: {volume: vol-1}, expect: deny}\n",
        );
        assert!(bad_type.contains("names no EC2 `volume`"), "{bad_type}");
        let bad_id = err(
            "checks:\n  - {action: ec2:TerminateInstances, ec2: {instance: vol-1}, expect: deny}\n",
        );
        assert!(
            bad_id.contains("`vol-1` is no instance ID (instance IDs start with i-)"),
            "{bad_id}"
        );
        let no_ids = err(
            "checks:\n  - {action: ec2:DescribeInstances, ec2: {instance: i-1}, expect: allow}\n",
        );
        assert!(no_ids.contains("names no EC2"), "{no_ids}");

        // What --print-spec writes for derived EC2 checks reads back the same.
        let derived = derived_from(
            br#"{"Statement":[{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"arn:aws:ec2:*:*:instance/i-0abc"}]}"#,
        );
        let text = render(&derived.checks, &derived, None);
        let back = parse_str(&text).unwrap();
        assert_eq!(back.checks, derived.checks, "{text}");
    }

    /// ec2:CreateTags names a network interface in its first row and a
    /// security group in a later one: the type a spec picks chooses the
    /// row, and derived checks on a group read back the same.
    #[test]
    fn the_type_picked_chooses_the_row_of_a_tagging_action() {
        let spec = parse_str(
            "checks:
  - {action: ec2:CreateTags, ec2: {security-group: {tagged: [{Null: {elbv2.k8s.aws/cluster: false}}]}}, expect: allow}
  - {action: ec2:CreateTags, ec2: {network-interface: eni-0abc}, expect: allow}
",
        )
        .unwrap();
        let rows: Vec<&[&str]> = spec
            .checks
            .iter()
            .map(|c| c.action().row().resources)
            .collect();
        assert_eq!(
            rows,
            [
                &["arn:{p}:ec2:{r}:{a}:security-group/{id}"][..],
                &["arn:{p}:ec2:{r}:{a}:network-interface/{id}"][..]
            ]
        );
        let bad =
            err("checks:\n  - {action: ec2:CreateTags, ec2: {volume: vol-1}, expect: deny}\n");
        assert!(bad.contains("names no EC2 `volume`"), "{bad}");
        // The VPC of a CreateSecurityGroup that tags: only with on_create.
        let bad = err("checks:\n  - {action: ec2:CreateTags, ec2: {vpc: vpc-1}, expect: allow}\n");
        assert!(bad.contains("names no EC2 `vpc`"), "{bad}");
        let spec = parse_str(
            "checks:\n  - {action: ec2:CreateTags, on_create: CreateSecurityGroup, ec2: {vpc: vpc-1}, expect: allow}\n",
        )
        .unwrap();
        assert_eq!(
            spec.checks[0].action().row().tags_on_create(),
            Some("CreateSecurityGroup")
        );
        let derived = derived_from(
            br#"{"Statement":[{"Effect":"Allow","Action":"ec2:DeleteTags","Resource":"arn:aws:ec2:*:*:security-group/*",
                "Condition":{"Null":{"aws:ResourceTag/elbv2.k8s.aws/cluster":"false"}}}]}"#,
        );
        let text = render(&derived.checks, &derived, None);
        let back = parse_str(&text).unwrap();
        assert_eq!(back.checks, derived.checks, "{text}");
        // Granted on every group: the later row on the account reads back.
        let derived = derived_from(
            br#"{"Statement":[{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:security-group/*"}]}"#,
        );
        let on_groups = derived
            .checks
            .iter()
            .filter(|c| {
                c.action().name() == "ec2:CreateTags"
                    && c.action().row().resources == ["arn:{p}:ec2:{r}:{a}:security-group/{id}"]
            })
            .count();
        assert_eq!(on_groups, 1);
        let text = render(&derived.checks, &derived, None);
        let back = parse_str(&text).unwrap();
        assert_eq!(back.checks, derived.checks, "{text}");
        // Tagging on create: named by the create it is sent as.
        let derived = derived_from(
            br#"{"Statement":[{"Effect":"Allow","Action":"ec2:CreateVolume","Resource":"*"},
                {"Effect":"Allow","Action":"ec2:CreateTags","Resource":"arn:aws:ec2:*:*:volume/*","Condition":{"StringEquals":{"ec2:CreateAction":"CreateVolume"}}}]}"#,
        );
        let text = render(&derived.checks, &derived, None);
        assert!(text.contains("on_create: CreateVolume"), "{text}");
        let back = parse_str(&text).unwrap();
        assert_eq!(back.checks, derived.checks, "{text}");
        let bad =
            err("checks:\n  - {action: ec2:CreateTags, on_create: RunInstances, expect: allow}\n");
        assert!(
            bad.contains("is sent as CreateSecurityGroup, CreateVolume, CreateLaunchTemplate only, not `RunInstances`"),
            "{bad}"
        );
    }

    #[test]
    fn a_pick_by_tags_is_written_as_condition_blocks_and_reads_back() {
        let spec = parse_str(
            r#"checks:
  - action: ec2:DeleteVolume
    ec2:
      volume:
        tagged:
          - {StringLike: {ebs.csi.aws.com/cluster: "true"}}
          - {Null: {CSIVolumeName: false}, StringEqualsIfExists: {team: [a, b]}}
    expect: allow
  - action: ec2:TerminateInstances
    ec2: {instance: {other_than: ['arn:aws:ec2:*:*:instance/i-0abc'], not_tagged: [{StringEquals: {owner: me}}]}}
    expect: deny
"#,
        )
        .unwrap();
        assert_eq!(
            spec.checks[0].label(),
            "a volume tagged ebs.csi.aws.com/cluster=true or (CSIVolumeName and team=a|b if set)"
        );
        assert_eq!(
            spec.checks[1].label(),
            "an instance other than i-0abc, not tagged owner=me"
        );
        for (bad, says) in [
            (
                "{volume: {tagged: [{StringNotEquals: {k: v}}]}}",
                "`StringNotEquals` on tag `k` is not a tag test",
            ),
            (
                "{volume: {tagged: [{Null: {k: maybe}}]}}",
                "`Null` on tag `k` is not a tag test",
            ),
            (
                "{volume: {tagged: [{StringEquals: {'k*': v}}]}}",
                "on a tag key without wildcards",
            ),
            (
                "{volume: {tagged: [{}]}}",
                "tagged: an empty condition block",
            ),
            (
                "{volume: {tagged: [], not_tagged: []}}",
                "tagged and not_tagged are both empty",
            ),
            (
                "{volume: {}}",
                "`volume` needs an ID, or any of other_than, tagged and not_tagged",
            ),
            ("{volume: {taged: []}}", "did not match any variant"),
        ] {
            let e = err(&format!(
                "checks:\n  - {{action: ec2:DeleteVolume, ec2: {bad}, expect: allow}}\n"
            ));
            assert!(e.contains(says), "{bad}: {e}");
        }
        // A request that names the type only through another ID.
        let e = err("checks:\n  - {action: ec2:DetachNetworkInterface, ec2: {instance: {tagged: [{Null: {k: 'false'}}]}}, expect: deny}\n");
        assert!(e.contains("cannot be picked by its tags"), "{e}");

        // What --print-spec writes for derived tagged picks reads back the same.
        let derived = derived_from(
            br#"{"Statement":[
              {"Effect":"Allow","Action":"ec2:DeleteVolume","Resource":"*","Condition":{"StringLike":{"ec2:ResourceTag/ebs.csi.aws.com/cluster":"true"}}},
              {"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"*","Condition":{
                "StringEquals":{"aws:ResourceTag/kubernetes.io/cluster/c1":"owned"},"StringLike":{"aws:ResourceTag/karpenter.sh/nodepool":"*"}}},
              {"Effect":"Allow","Action":"ec2:DeleteSecurityGroup","Resource":"*","Condition":{"Null":{"aws:ResourceTag/elbv2.k8s.aws/cluster":"false"}}},
              {"Effect":"Deny","Action":"ec2:DeleteSnapshot","Resource":"*","Condition":{"StringEquals":{"ec2:ResourceTag/keep":["yes","true"]}}},
              {"Effect":"Allow","Action":"ec2:DeleteSnapshot","Resource":"*"}]}"#,
        );
        let tagged = derived
            .checks
            .iter()
            .filter(
                |c| matches!(c.target(), Target::Ec2(p) if matches!(p[0].1, IdPick::Tagged { .. })),
            )
            .count();
        assert_eq!(tagged, 8, "two for each of the four actions");
        let text = render(&derived.checks, &derived, None);
        assert!(text.contains("'Null':\n"), "{text}");
        let back = parse_str(&text).unwrap();
        assert_eq!(back.checks, derived.checks, "{text}");
    }

    #[test]
    fn a_load_balancer_picked_by_its_tags_is_written_under_found_and_reads_back() {
        let spec = parse_str(
            r#"checks:
  - action: elasticloadbalancing:ModifyLoadBalancerAttributes
    found: {load_balancer: {tagged: [{Null: {elbv2.k8s.aws/cluster: false}}]}}
    expect: allow
  - action: elasticloadbalancing:ModifyListenerAttributes
    found: {listener: {not_tagged: [{StringEquals: {elbv2.k8s.aws/cluster: c1}}]}}
    expect: deny
"#,
        )
        .unwrap();
        assert_eq!(
            spec.checks[0].label(),
            "a load balancer tagged elbv2.k8s.aws/cluster"
        );
        assert_eq!(
            spec.checks[1].label(),
            "a listener not tagged elbv2.k8s.aws/cluster=c1"
        );
        for (bad, says) in [
            (
                "{action: elasticloadbalancing:ModifyLoadBalancerAttributes, found: {target_group: {tagged: [{Null: {k: 'false'}}]}}, expect: allow}",
                "is not authorized on one `target_group` alone",
            ),
            (
                "{action: elasticloadbalancing:DescribeLoadBalancerAttributes, found: {load_balancer: {tagged: [{Null: {k: 'false'}}]}}, expect: allow}",
                "is not authorized on one `load_balancer` alone",
            ),
            (
                "{action: elasticloadbalancing:ModifyLoadBalancerAttributes, found: {load_balancer: {other_than: ['*']}}, expect: allow}",
                "takes tagged and not_tagged, not other_than",
            ),
            (
                "{action: elasticloadbalancing:ModifyLoadBalancerAttributes, found: {load_balancer: {}}, expect: allow}",
                "tagged and not_tagged are both empty",
            ),
            (
                "{action: elasticloadbalancing:ModifyLoadBalancerAttributes, found: {}, expect: allow}",
                "names one resource",
            ),
            (
                "{action: s3:ListBucket, bucket: b-1, found: {load_balancer: {tagged: [{Null: {k: 'false'}}]}}, expect: allow}",
                "found",
            ),
        ] {
            let e = err(&format!("checks:\n  - {bad}\n"));
            assert!(e.contains(says), "{bad}: {e}");
        }
        // What --print-spec writes for the derived picks reads back the same.
        let derived = derived_from(
            br#"{"Statement":[
              {"Effect":"Allow","Action":["elasticloadbalancing:ModifyLoadBalancerAttributes","elasticloadbalancing:ModifyTargetGroupAttributes"],
               "Resource":"*","Condition":{"Null":{"aws:ResourceTag/elbv2.k8s.aws/cluster":"false"}}}]}"#,
        );
        let tagged = derived
            .checks
            .iter()
            .filter(|c| matches!(c.target(), Target::Tagged { .. }))
            .count();
        assert_eq!(tagged, 4, "two for each of the two actions");
        let text = render(&derived.checks, &derived, None);
        assert!(text.contains("found:\n"), "{text}");
        let back = parse_str(&text).unwrap();
        assert_eq!(back.checks, derived.checks, "{text}");
    }
}

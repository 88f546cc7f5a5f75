//! Expectations: the checks to run, from a spec file or from flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};

use crate::identity::ExpectSource;
use crate::probe::{self, ActionDef, Target};
use crate::verdict::Expect;

/// A spec larger than this is not a list of expectations.
const MAX_SPEC_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub action: &'static ActionDef,
    pub expect: Expect,
    pub bucket: Option<String>,
    pub key: Option<Key>,
    pub table: Option<String>,
    /// Optional display name from the spec.
    pub name: Option<String>,
}

impl Check {
    pub fn new(action: &str, expect: Expect) -> Self {
        Check {
            action: probe::lookup(action)
                .unwrap_or_else(|| panic!("{action} is not in the catalogue")),
            expect,
            bucket: None,
            key: None,
            table: None,
            name: None,
        }
    }

    pub fn object_key(&self) -> Option<&str> {
        match &self.key {
            Some(Key::Object(k)) => Some(k),
            _ => None,
        }
    }

    pub fn item_key(&self) -> Option<&BTreeMap<String, KeyValue>> {
        match &self.key {
            Some(Key::Item(k)) => Some(k),
            _ => None,
        }
    }
}

/// `key:` is an object key for S3 and an item's primary key for DynamoDB.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Key {
    Object(String),
    Item(BTreeMap<String, KeyValue>),
}

/// A DynamoDB key attribute: a string (S) or a number (N).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum KeyValue {
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Spec {
    pub expect_role: Option<String>,
    pub expect_source: Option<ExpectSource>,
    pub expect_service_account: Option<String>,
    pub checks: Vec<Check>,
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
    action: ActionName,
    /// Required, except for imds:Unreachable where only `deny` makes sense.
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    bucket: Option<String>,
    #[serde(default)]
    key: Option<Key>,
    #[serde(default)]
    table: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

struct ActionName(&'static ActionDef);

impl<'de> Deserialize<'de> for ActionName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        probe::lookup(&name).map(ActionName).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "action `{name}` is unknown; known actions: {}",
                probe::known_names()
            ))
        })
    }
}

/// Parses a spec file (YAML; JSON is YAML too).
pub fn load(path: &Path) -> Result<Spec, SpecError> {
    let read_err = |source| SpecError::Read {
        path: path.to_owned(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_err)?.len();
    if size > MAX_SPEC_BYTES {
        return Err(SpecError::TooLarge {
            path: path.to_owned(),
            size,
        });
    }
    let text = std::fs::read_to_string(path).map_err(read_err)?;
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
    for (i, rc) in raw.checks.into_iter().enumerate() {
        let location = lines.get(i).map(|&l| (l, 1));
        let check = validate(rc)
            .map_err(|(field, msg)| invalid(location, format!("checks[{i}].{field}: {msg}")))?;
        if let Some(name) = &check.name {
            if let Some(j) = checks
                .iter()
                .position(|c: &Check| c.name.as_ref() == Some(name))
            {
                return Err(invalid(location, format!("checks[{i}].name: `{name}` is already the name of checks[{j}]; names must be unique")));
            }
        }
        checks.push(check);
    }
    if let Some(role) = &raw.expect_role {
        crate::identity::ExpectedRole::parse(role)
            .map_err(|m| invalid(None, format!("expect_role: {m}")))?;
    }
    if let Some(sa) = &raw.expect_service_account {
        crate::identity::validate_service_account(sa)
            .map_err(|m| invalid(None, format!("expect_service_account: {m}")))?;
    }
    Ok(Spec {
        expect_role: raw.expect_role,
        expect_source: raw.expect_source,
        expect_service_account: raw.expect_service_account,
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

fn validate(rc: RawCheck) -> Result<Check, FieldError> {
    let action = rc.action.0;
    let name = action.name;
    let forbid = |field: &'static str, present: bool| -> Result<(), FieldError> {
        if present {
            Err((field, format!("{name} takes no `{field}`")))
        } else {
            Ok(())
        }
    };
    let need = |field: &'static str, value: &Option<String>| -> Result<(), FieldError> {
        match value {
            Some(_) => Ok(()),
            None => Err((field, format!("{name} needs `{field}`"))),
        }
    };
    let expect = match (action.target, rc.expect) {
        (Target::Node, None | Some(Expect::Deny)) => Expect::Deny,
        (Target::Node, Some(Expect::Allow)) => {
            return Err(("expect", format!("{name} checks that the node's credentials are out of reach: use `expect: deny` or leave it out")))
        }
        (_, Some(e)) => e,
        (_, None) => return Err(("expect", format!("{name} needs `expect`: allow or deny"))),
    };
    match action.target {
        Target::Node => {
            forbid("bucket", rc.bucket.is_some())?;
            forbid("table", rc.table.is_some())?;
            forbid("key", rc.key.is_some())?;
        }
        Target::Caller | Target::Account => {
            forbid("bucket", rc.bucket.is_some())?;
            forbid("table", rc.table.is_some())?;
            forbid("key", rc.key.is_some())?;
            if action.target == Target::Caller && expect == Expect::Deny {
                return Err((
                    "expect",
                    format!("{name} is never denied by IAM; use `expect: allow`"),
                ));
            }
        }
        Target::Bucket => {
            need("bucket", &rc.bucket)?;
            forbid("table", rc.table.is_some())?;
            forbid("key", rc.key.is_some())?;
        }
        Target::Object { key_required } => {
            need("bucket", &rc.bucket)?;
            forbid("table", rc.table.is_some())?;
            match &rc.key {
                Some(Key::Object(k)) => validate_object_key(k).map_err(|m| ("key", m))?,
                Some(Key::Item(_)) => {
                    return Err(("key", format!("{name} takes an object key (a string)")))
                }
                None if key_required => {
                    return Err(("key", format!("{name} needs `key`: an object that exists")))
                }
                None => {}
            }
        }
        Target::Table => {
            need("table", &rc.table)?;
            forbid("bucket", rc.bucket.is_some())?;
            forbid("key", rc.key.is_some())?;
        }
        Target::Item => {
            need("table", &rc.table)?;
            forbid("bucket", rc.bucket.is_some())?;
            match &rc.key {
                Some(Key::Object(_)) => {
                    return Err((
                        "key",
                        format!("{name} takes an item key: a map such as `{{id: \"42\"}}`"),
                    ))
                }
                Some(Key::Item(m)) if m.is_empty() || m.len() > 2 => {
                    return Err((
                        "key",
                        "an item key has one (partition) or two (partition, sort) attributes"
                            .to_owned(),
                    ))
                }
                _ => {}
            }
        }
    }
    if let Some(b) = &rc.bucket {
        validate_bucket(b).map_err(|m| ("bucket", m))?;
    }
    if let Some(t) = &rc.table {
        validate_table(t).map_err(|m| ("table", m))?;
    }
    if let Some(n) = &rc.name {
        if n.trim().is_empty() || n.len() > 200 {
            return Err(("name", "a name has 1 to 200 characters".to_owned()));
        }
    }
    Ok(Check {
        action,
        expect,
        bucket: rc.bucket,
        key: rc.key,
        table: rc.table,
        name: rc.name,
    })
}

/// S3's naming rules for general purpose buckets.
pub fn validate_bucket(b: &str) -> Result<(), String> {
    let ok_chars = b
        .bytes()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-');
    let ends_ok = |c: Option<u8>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !(3..=63).contains(&b.len())
        || !ok_chars
        || !ends_ok(b.bytes().next())
        || !ends_ok(b.bytes().last())
        || b.contains("..")
    {
        return Err(format!(
            "`{b}` is not a valid S3 bucket name (3-63 characters: lowercase letters, digits, '.', '-'; starting and ending with a letter or digit)"
        ));
    }
    Ok(())
}

/// DynamoDB's naming rules for tables.
pub fn validate_table(t: &str) -> Result<(), String> {
    let ok_chars = t
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'));
    if !(3..=255).contains(&t.len()) || !ok_chars {
        return Err(format!("`{t}` is not a valid DynamoDB table name (3-255 characters: letters, digits, '_', '-', '.')"));
    }
    Ok(())
}

pub fn validate_object_key(k: &str) -> Result<(), String> {
    if k.is_empty() || k.len() > 1024 {
        return Err("an S3 object key has 1 to 1024 bytes".to_owned());
    }
    if k.chars().any(char::is_control) {
        return Err("an object key with control characters cannot be probed reliably".to_owned());
    }
    Ok(())
}

/// The default checks of the reference procedure, from flags.
pub fn from_flags(
    bucket: Option<&str>,
    table: Option<&str>,
    object: Option<&str>,
) -> Result<Vec<Check>, SpecError> {
    let flag = |flag, message| SpecError::Flag { flag, message };
    let mut checks = Vec::new();
    if let Some(b) = bucket {
        validate_bucket(b).map_err(|m| flag("--bucket", m))?;
        let with_bucket = |action, expect| Check {
            bucket: Some(b.to_owned()),
            ..Check::new(action, expect)
        };
        checks.push(with_bucket("s3:ListBucket", Expect::Allow));
        checks.push(with_bucket("s3:DeleteObject", Expect::Deny));
        if let Some(k) = object {
            validate_object_key(k).map_err(|m| flag("--object", m))?;
            checks.push(Check {
                key: Some(Key::Object(k.to_owned())),
                ..with_bucket("s3:GetObject", Expect::Allow)
            });
        }
    } else if object.is_some() {
        return Err(flag("--object", "needs --bucket".to_owned()));
    }
    if let Some(t) = table {
        validate_table(t).map_err(|m| flag("--table", m))?;
        let with_table = |action, expect| Check {
            table: Some(t.to_owned()),
            ..Check::new(action, expect)
        };
        checks.push(with_table("dynamodb:DescribeTable", Expect::Allow));
        checks.push(with_table("dynamodb:DeleteTable", Expect::Deny));
    }
    Ok(checks)
}

#[cfg(test)]
mod tests {
    use super::*;

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
            spec.expect_role.as_deref(),
            Some("arn:aws:iam::111122223333:role/my-app")
        );
        assert_eq!(spec.checks.len(), 3);
        assert_eq!(spec.checks[1].object_key(), Some("reports/latest.csv"));
        assert_eq!(spec.checks[2].expect, Expect::Deny);
        assert_eq!(
            spec.checks[2].name.as_deref(),
            Some("never drop the orders table")
        );
    }

    #[test]
    fn json_is_accepted() {
        let spec = parse_str(r#"{"checks": [{"action": "dynamodb:GetItem", "table": "orders", "key": {"id": 42, "sk": "a"}, "expect": "deny"}]}"#).unwrap();
        let key = spec.checks[0].item_key().unwrap();
        assert_eq!(key["id"], KeyValue::Int(42));
        assert_eq!(key["sk"], KeyValue::Str("a".into()));
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
        let e = err("checks:\n  - action: s3:GetObject\n    bucket: b-1\n    expect: allow\n");
        assert!(
            e.contains("checks[0].key") && e.contains("needs `key`"),
            "{e}"
        );
    }

    #[test]
    fn wrong_targets_and_names_are_refused() {
        assert!(err(
            "checks:\n  - {action: s3:ListBucket, bucket: b-1, table: t-1, expect: allow}\n"
        )
        .contains("takes no `table`"));
        assert!(
            err("checks:\n  - {action: s3:ListBucket, bucket: B_ad, expect: allow}\n")
                .contains("not a valid S3 bucket name")
        );
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
        let names: Vec<_> = checks.iter().map(|c| (c.action.name, c.expect)).collect();
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
            checks[1].key.is_none(),
            "the delete probe must use a fresh random key"
        );
        assert!(from_flags(None, None, Some("k")).is_err());
        assert!(from_flags(Some("Bad"), None, None)
            .unwrap_err()
            .to_string()
            .starts_with("--bucket:"));
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
                Ok(spec) => assert!(!spec.checks.is_empty()),
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
}

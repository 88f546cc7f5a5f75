//! IAM policy documents, parsed once into typed statements: a bare document,
//! `aws iam get-role-policy`, `get-policy-version` or `get-role` output,
//! URL-encoded or not, from a file or a directory of `.json` files.

pub mod derive;
pub mod eval;
mod targets;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::file::{read_limited, LimitedError};

/// A policy far larger than IAM's own limits (10,240 characters inline) is
/// not a policy.
const MAX_POLICY_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action` or `NotAction` (likewise `Resource` / `NotResource`): the patterns,
/// and whether the element matches what they name or everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patterns {
    pub patterns: Vec<String>,
    /// `NotAction` / `NotResource`.
    pub negated: bool,
}

/// One condition: `"StringEquals": {"key": ["v1", "v2"]}` gives one per key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub operator: String,
    pub key: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Where it stands, for reports: "FILE statement N (Sid S)".
    pub label: String,
    pub effect: Effect,
    pub actions: Patterns,
    /// None in trust policies, which name no resource.
    pub resources: Option<Patterns>,
    /// `Principal` as type -> values (`{"Federated": [...]}`); "*" is `{"*": ["*"]}`.
    pub principal: Vec<(String, Vec<String>)>,
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub source: PathBuf,
    pub statements: Vec<Statement>,
}

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: the file is {size} bytes; a policy is at most {MAX_POLICY_BYTES} bytes", path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{}: no .json files in this directory (a ConfigMap mounts one file per key: name the keys *.json)", path.display())]
    EmptyDirectory { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Invalid { path: PathBuf, source: DocError },
}

/// What is wrong with a document, and where (`at`: "FILE statement N").
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("the file is not UTF-8 text")]
    NotUtf8,
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("the embedded document is not JSON: {0}")]
    EmbeddedNotJson(serde_json::Error),
    #[error("not a policy: expected a JSON object")]
    NotObject,
    #[error("the document is neither JSON nor URL-encoded JSON")]
    NotEncoded,
    #[error("`Statement` must be an object or a list of objects")]
    StatementShape,
    #[error(
        "not a policy: no `Statement` (give a policy document, or the output of aws iam get-role-policy, get-policy-version or get-role)"
    )]
    NoStatement,
    #[error("the policy has no statements")]
    NoStatements,
    #[error("{at}: {problem}")]
    At { at: String, problem: Problem },
}

/// What is wrong with one element of a statement.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error("a statement must be a JSON object")]
    StatementNotObject,
    #[error("unknown Effect `{0}` (IAM knows Allow and Deny)")]
    UnknownEffect(String),
    #[error("no Effect")]
    NoEffect,
    #[error("no Action or NotAction")]
    NoAction,
    #[error("has both `{0}` and `{1}`")]
    Both(&'static str, &'static str),
    #[error("holds a non-string")]
    NonString,
    #[error("must be a string or a list of strings")]
    NotStrings,
    #[error("Principal must be \"*\" or an object")]
    Principal,
    #[error("Condition.{0} must be an object")]
    ConditionOperator(String),
    #[error("Condition must be an object")]
    Condition,
}

fn at(label: &str, problem: Problem) -> DocError {
    DocError::At {
        at: label.to_owned(),
        problem,
    }
}

/// Every policy at `path`: the file, or each `.json` file of the directory.
pub fn load(path: &Path) -> Result<Vec<Policy>, PolicyError> {
    let read_err = |source| PolicyError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if !meta.is_dir() {
        return Ok(vec![load_file(path)?]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(read_err)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        // A mounted ConfigMap also holds `..data` and timestamped directories.
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                && p.is_file()
        })
        .collect();
    if files.is_empty() {
        return Err(PolicyError::EmptyDirectory {
            path: path.to_owned(),
        });
    }
    files.sort();
    files.iter().map(|f| load_file(f)).collect()
}

/// One policy file (a trust policy, say).
pub fn load_file(path: &Path) -> Result<Policy, PolicyError> {
    let bytes = read_limited(path, MAX_POLICY_BYTES).map_err(|e| match e {
        LimitedError::Io(source) => PolicyError::Read {
            path: path.to_owned(),
            source,
        },
        LimitedError::TooLarge(size) => PolicyError::TooLarge {
            path: path.to_owned(),
            size,
        },
    })?;
    parse(&bytes, path).map_err(|source| PolicyError::Invalid {
        path: path.to_owned(),
        source,
    })
}

/// Parses one document in any of the accepted envelopes.
pub fn parse(bytes: &[u8], path: &Path) -> Result<Policy, DocError> {
    let text = std::str::from_utf8(bytes).map_err(|_| DocError::NotUtf8)?;
    let value: Value =
        serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(DocError::NotJson)?;
    let document = unwrap_envelope(value)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let statements = match document.get("Statement") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        Some(_) => return Err(DocError::StatementShape),
        None => return Err(DocError::NoStatement),
    };
    if statements.is_empty() {
        return Err(DocError::NoStatements);
    }
    let statements = statements
        .iter()
        .enumerate()
        .map(|(i, s)| statement(s, &format!("{name} statement {}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Policy {
        source: path.to_owned(),
        statements,
    })
}

/// The document inside `get-role-policy`, `get-policy-version` or `get-role`
/// output, decoded when the IAM API left it URL-encoded.
fn unwrap_envelope(value: Value) -> Result<Value, DocError> {
    let inner = if let Some(d) = value.get("PolicyDocument") {
        d.clone()
    } else if let Some(d) = value.pointer("/PolicyVersion/Document") {
        d.clone()
    } else if let Some(d) = value.pointer("/Role/AssumeRolePolicyDocument") {
        d.clone()
    } else {
        value
    };
    match inner {
        Value::String(s) => {
            let decoded = if s.trim_start().starts_with('{') {
                s
            } else {
                percent_decode(&s).ok_or(DocError::NotEncoded)?
            };
            serde_json::from_str(&decoded).map_err(DocError::EmbeddedNotJson)
        }
        Value::Object(_) => Ok(inner),
        _ => Err(DocError::NotObject),
    }
}

/// `%7B%22Version%22...` as the IAM API returns documents; `+` is a space.
fn percent_decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8()
        .ok()
        .map(|d| d.into_owned())
}

/// A string or a list of strings.
fn strings(v: &Value, what: &str) -> Result<Vec<String>, DocError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| at(what, Problem::NonString))
            })
            .collect(),
        _ => Err(at(what, Problem::NotStrings)),
    }
}

fn patterns(
    s: &Value,
    plain: &'static str,
    not: &'static str,
    label: &str,
) -> Result<Option<Patterns>, DocError> {
    match (s.get(plain), s.get(not)) {
        (Some(_), Some(_)) => Err(at(label, Problem::Both(plain, not))),
        (Some(v), None) => Ok(Some(Patterns {
            patterns: strings(v, &format!("{label}: `{plain}`"))?,
            negated: false,
        })),
        (None, Some(v)) => Ok(Some(Patterns {
            patterns: strings(v, &format!("{label}: `{not}`"))?,
            negated: true,
        })),
        (None, None) => Ok(None),
    }
}

fn statement(s: &Value, label: &str) -> Result<Statement, DocError> {
    if !s.is_object() {
        return Err(at(label, Problem::StatementNotObject));
    }
    let label = match s.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => format!("{label} (Sid {sid})"),
        _ => label.to_owned(),
    };
    let effect = match s.get("Effect").and_then(Value::as_str) {
        Some("Allow") => Effect::Allow,
        Some("Deny") => Effect::Deny,
        Some(other) => return Err(at(&label, Problem::UnknownEffect(other.to_owned()))),
        None => return Err(at(&label, Problem::NoEffect)),
    };
    let actions =
        patterns(s, "Action", "NotAction", &label)?.ok_or_else(|| at(&label, Problem::NoAction))?;
    let resources = patterns(s, "Resource", "NotResource", &label)?;
    let principal = match s.get("Principal") {
        None => Vec::new(),
        Some(Value::String(star)) => vec![("*".to_owned(), vec![star.clone()])],
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), strings(v, &format!("{label}: Principal.{k}"))?)))
            .collect::<Result<_, DocError>>()?,
        Some(_) => return Err(at(&label, Problem::Principal)),
    };
    let mut conditions = Vec::new();
    match s.get("Condition") {
        None => {}
        Some(Value::Object(ops)) => {
            for (operator, keys) in ops {
                let Value::Object(keys) = keys else {
                    return Err(at(&label, Problem::ConditionOperator(operator.clone())));
                };
                for (key, values) in keys {
                    let values = match values {
                        Value::Bool(b) => vec![b.to_string()],
                        Value::Number(n) => vec![n.to_string()],
                        v => strings(v, &format!("{label}: Condition.{operator}.{key}"))?,
                    };
                    conditions.push(Condition {
                        operator: operator.clone(),
                        key: key.clone(),
                        values,
                    });
                }
            }
        }
        Some(_) => return Err(at(&label, Problem::Condition)),
    }
    Ok(Statement {
        label,
        effect,
        actions,
        resources,
        principal,
        conditions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // The tests compare messages as text: the one String error kept on purpose.
    fn p(text: &str) -> Result<Policy, String> {
        parse(text.as_bytes(), Path::new("p.json")).map_err(|e| e.to_string())
    }

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":["s3:Get*","s3:ListBucket"],"Resource":"arn:aws:s3:::b"},{"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::b/*"],"Condition":{"StringEquals":{"aws:SourceVpc":["vpc-1","vpc-2"]},"Bool":{"aws:SecureTransport":false}}}]}"#;

    #[test]
    fn bare_documents_with_lists_strings_and_negations() {
        let policy = p(DOC).unwrap();
        let [read, deny] = &policy.statements[..] else {
            panic!("two statements")
        };
        assert_eq!(read.label, "p.json statement 1 (Sid Read)");
        assert_eq!(read.effect, Effect::Allow);
        assert_eq!(read.actions.patterns, ["s3:Get*", "s3:ListBucket"]);
        assert!(!read.resources.as_ref().unwrap().negated);
        assert!(deny.actions.negated && deny.resources.as_ref().unwrap().negated);
        assert_eq!(deny.conditions.len(), 2);
        assert_eq!(deny.conditions[0].values, ["false"]);
        assert_eq!(deny.conditions[1].key, "aws:SourceVpc");
    }

    #[test]
    fn aws_cli_envelopes_and_url_encoding() {
        let encoded: String = DOC
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let want = p(DOC).unwrap().statements;
        for envelope in [
            format!(r#"{{"RoleName":"r","PolicyName":"n","PolicyDocument":{DOC}}}"#),
            format!(r#"{{"PolicyName":"n","PolicyDocument":"{encoded}"}}"#),
            format!(
                r#"{{"PolicyVersion":{{"Document":{DOC},"VersionId":"v1","IsDefaultVersion":true}}}}"#
            ),
            format!(r#"{{"Role":{{"RoleName":"r","AssumeRolePolicyDocument":"{encoded}"}}}}"#),
        ] {
            assert_eq!(p(&envelope).unwrap().statements, want, "{envelope}");
        }
        let single =
            p(r#"{"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}"#)
                .unwrap();
        assert_eq!(single.statements.len(), 1);
    }

    #[test]
    fn what_is_not_a_policy_is_named() {
        let err = |t: &str| p(t).unwrap_err();
        assert!(err("not json").starts_with("not JSON"));
        assert!(err(r#"{"checks": []}"#).contains("no `Statement`"));
        assert!(err(r#"{"Statement": []}"#).contains("no statements"));
        assert!(
            err(r#"{"Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}"#)
                .contains("unknown Effect `Permit`")
        );
        assert!(
            err(r#"{"Statement": [{"Effect": "Allow", "Resource": "*"}]}"#).contains("no Action")
        );
        assert!(err(r#"[1, 2]"#).contains("expected a JSON object"));
        assert_eq!(
            percent_decode("%7B%22a%22%3A1%7D"),
            Some("{\"a\":1}".to_owned())
        );
        // A stray `%` stays as it is; the document then is no JSON.
        assert!(err(r#"{"PolicyDocument":"%zz"}"#).contains("not JSON"));
        assert_eq!(percent_decode("a+b%2Bc").as_deref(), Some("a b+c"));
    }
}

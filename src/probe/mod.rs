//! The catalogue of actions and how each is probed.
//!
//! Adding an action = one probe function in the service's module plus one
//! entry in `CATALOGUE`.

pub mod dynamodb;
pub mod imds;
pub mod s3;

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::future::LocalBoxFuture;
use serde::Serialize;

use crate::outcome::{Answer, AuthorizedError, Observed};
use crate::spec::Check;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Sts,
    S3,
    DynamoDb,
    Imds,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::S3 => "s3",
            Service::DynamoDb => "dynamodb",
            Service::Imds => "imds",
        }
    }
}

/// What a check of this action must (or may) name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The caller itself: no target.
    Caller,
    /// Account-wide (e.g. ListTables): no target.
    Account,
    Bucket,
    /// An object; `key_required` false means a fresh random key is used.
    Object {
        key_required: bool,
    },
    Table,
    /// An item; without `key` a random key is built from the key schema.
    Item,
    /// The node the pod runs on (instance metadata).
    Node,
}

pub type ProbeFn = for<'a> fn(&'a Ctx, &'a Check) -> LocalBoxFuture<'a, Probed>;

pub struct ActionDef {
    pub name: &'static str,
    pub service: Service,
    pub target: Target,
    /// None for sts:GetCallerIdentity, which the identity step answers.
    pub probe: Option<ProbeFn>,
}

impl std::fmt::Debug for ActionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for ActionDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

macro_rules! probe {
    ($f:path) => {
        Some(|ctx, check| Box::pin($f(ctx, check)))
    };
}

#[rustfmt::skip]
pub static CATALOGUE: &[ActionDef] = &[
    ActionDef { name: "sts:GetCallerIdentity",  service: Service::Sts,      target: Target::Caller, probe: None },
    ActionDef { name: "s3:ListBucket",          service: Service::S3,       target: Target::Bucket, probe: probe!(s3::list_bucket) },
    ActionDef { name: "s3:GetObject",           service: Service::S3,       target: Target::Object { key_required: true }, probe: probe!(s3::get_object) },
    ActionDef { name: "s3:PutObject",           service: Service::S3,       target: Target::Object { key_required: false }, probe: probe!(s3::put_object) },
    ActionDef { name: "s3:DeleteObject",        service: Service::S3,       target: Target::Object { key_required: false }, probe: probe!(s3::delete_object) },
    ActionDef { name: "dynamodb:DescribeTable", service: Service::DynamoDb, target: Target::Table,  probe: probe!(dynamodb::describe_table) },
    ActionDef { name: "dynamodb:ListTables",    service: Service::DynamoDb, target: Target::Account, probe: probe!(dynamodb::list_tables) },
    ActionDef { name: "dynamodb:GetItem",       service: Service::DynamoDb, target: Target::Item,   probe: probe!(dynamodb::get_item) },
    ActionDef { name: "dynamodb:PutItem",       service: Service::DynamoDb, target: Target::Item,   probe: probe!(dynamodb::put_item) },
    ActionDef { name: "dynamodb:DeleteItem",    service: Service::DynamoDb, target: Target::Item,   probe: probe!(dynamodb::delete_item) },
    ActionDef { name: "dynamodb:DeleteTable",   service: Service::DynamoDb, target: Target::Table,  probe: probe!(dynamodb::delete_table) },
    ActionDef { name: "imds:Unreachable",       service: Service::Imds,     target: Target::Node,   probe: probe!(imds::unreachable) },
];

pub fn lookup(name: &str) -> Option<&'static ActionDef> {
    CATALOGUE.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

pub fn identity_action() -> &'static ActionDef {
    &CATALOGUE[0]
}

pub fn known_names() -> String {
    CATALOGUE
        .iter()
        .map(|a| a.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prefix of every key a probe invents, so they are easy to recognise.
pub const PROBE_PREFIX: &str = "irsa-verify-probe/";

/// What one probe found, before it meets the expectation.
#[derive(Debug, Clone)]
pub struct Probed {
    pub observed: Observed,
    pub answer: Answer,
    /// The exact request form used, so a reader can judge the verdict.
    pub form: String,
    pub notes: Vec<String>,
}

impl Probed {
    pub fn new(answer: Answer, authorized: &[AuthorizedError], form: impl Into<String>) -> Self {
        Probed {
            observed: crate::outcome::classify(&answer, authorized),
            answer,
            form: form.into(),
            notes: Vec::new(),
        }
    }

    pub fn skipped(reason: impl Into<String>) -> Self {
        Probed {
            observed: Observed::NotAttempted,
            answer: Answer::not_sent(reason),
            form: "not sent".to_owned(),
            notes: Vec::new(),
        }
    }

    /// Could not tell without sending anything (e.g. no key to use).
    pub fn unknown(reason: impl Into<String>, form: impl Into<String>) -> Self {
        Probed {
            observed: Observed::Unknown,
            answer: Answer::not_sent(reason),
            form: form.into(),
            notes: Vec::new(),
        }
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// Everything a probe needs: clients holding the caller's credentials.
pub struct Ctx {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub region: String,
    pub account: String,
    pub partition: String,
    /// Destructive forms run only when the user opted in *and* the identity
    /// is the expected one.
    pub allow_destructive: bool,
    pub tables: HashMap<String, tokio::sync::OnceCell<Result<dynamodb::TableInfo, Answer>>>,
}

impl Ctx {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        account: String,
        partition: String,
        allow_destructive: bool,
        checks: &[Check],
    ) -> Self {
        let tables = checks
            .iter()
            .filter_map(|c| c.table.clone())
            .map(|t| (t, tokio::sync::OnceCell::new()))
            .collect();
        Ctx {
            s3: aws_sdk_s3::Client::new(sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            region: sdk.region().map(|r| r.to_string()).unwrap_or_default(),
            account,
            partition,
            allow_destructive,
            tables,
        }
    }
}

/// The resource a check is about, as an ARN (stable across runs: random probe
/// keys show as `irsa-verify-probe/*`).
pub fn resource(check: &Check, partition: &str, region: &str, account: &str) -> String {
    let table_arn = |t: &str| format!("arn:{partition}:dynamodb:{region}:{account}:table/{t}");
    match check.action.target {
        Target::Caller => "caller".to_owned(),
        Target::Account => format!(
            "arn:{partition}:{}:{region}:{account}:*",
            check.action.service.as_str()
        ),
        Target::Bucket => format!(
            "arn:{partition}:s3:::{}",
            check.bucket.as_deref().unwrap_or("?")
        ),
        Target::Object { .. } => {
            let key = check
                .object_key()
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{PROBE_PREFIX}*"));
            format!(
                "arn:{partition}:s3:::{}/{key}",
                check.bucket.as_deref().unwrap_or("?")
            )
        }
        Target::Table | Target::Item => table_arn(check.table.as_deref().unwrap_or("?")),
        Target::Node => imds::endpoint(),
    }
}

/// A unique, unguessable-enough token for probe keys and never-present
/// attribute names. Not for security: only to never collide with real data.
pub fn random_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    h.write_u32(std::process::id());
    let a = h.finish();
    let mut h2 = std::collections::hash_map::RandomState::new().build_hasher();
    h2.write_u64(a);
    format!("{a:016x}{:016x}", h2.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_names_are_unique_and_probed() {
        for (i, a) in CATALOGUE.iter().enumerate() {
            assert!(
                CATALOGUE[i + 1..].iter().all(|b| b.name != a.name),
                "{} twice",
                a.name
            );
            assert_eq!(a.probe.is_none(), a.target == Target::Caller, "{}", a.name);
            assert!(a.name.starts_with(a.service.as_str()), "{}", a.name);
        }
        assert_eq!(
            lookup("S3:listbucket").map(|a| a.name),
            Some("s3:ListBucket")
        );
        assert!(lookup("s3:ListBuckets").is_none());
    }

    #[test]
    fn random_tokens_differ() {
        let a = random_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, random_token());
    }
}

//! Who the pod really is: credentials, sts:GetCallerIdentity, and the
//! comparison with the role it should be.

pub mod hints;
pub mod source;
pub mod token;

use std::sync::{Arc, Mutex};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};
use serde::Serialize;

pub use source::{Attempt, ExpectSource, Source};
use token::Claims;

use crate::outcome::{Answer, Observed};
use crate::probe::Probed;
use crate::verdict::Status;

/// The role the caller must be: an IAM role ARN or a bare role name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedRole {
    pub raw: String,
    pub partition: Option<String>,
    pub account: Option<String>,
    pub name: String,
}

impl ExpectedRole {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(arn) = Arn::parse(raw) {
            let name = match (arn.service, arn.resource.strip_prefix("role/")) {
                ("iam", Some(path_and_name)) => path_and_name.rsplit('/').next().unwrap_or(""),
                _ => "",
            };
            if name.is_empty() || arn.account.is_empty() {
                return Err(format!(
                    "`{raw}` is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
                ));
            }
            return Ok(ExpectedRole {
                raw: raw.to_owned(),
                partition: Some(arn.partition.to_owned()),
                account: Some(arn.account.to_owned()),
                name: name.to_owned(),
            });
        }
        let valid = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
        if raw.is_empty() || raw.len() > 64 || !raw.chars().all(valid) {
            return Err(format!("`{raw}` is neither a role ARN nor a role name"));
        }
        Ok(ExpectedRole {
            raw: raw.to_owned(),
            partition: None,
            account: None,
            name: raw.to_owned(),
        })
    }
}

/// The parts of an ARN this tool reads.
#[derive(Debug, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(s: &'a str) -> Option<Self> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let partition = parts.next()?;
        let service = parts.next()?;
        let _region = parts.next()?;
        let account = parts.next()?;
        let resource = parts.next()?;
        Some(Arn {
            partition,
            service,
            account,
            resource,
        })
    }

    /// The role behind a caller ARN: assumed-role/ROLE/SESSION or role/PATH/ROLE.
    pub fn role_name(&self) -> Option<&'a str> {
        match self.service {
            "sts" => self
                .resource
                .strip_prefix("assumed-role/")?
                .split('/')
                .next(),
            "iam" => self.resource.strip_prefix("role/")?.rsplit('/').next(),
            _ => None,
        }
    }

    pub fn session_name(&self) -> Option<&'a str> {
        (self.service == "sts").then(|| {
            self.resource
                .strip_prefix("assumed-role/")?
                .split('/')
                .nth(1)
        })?
    }
}

/// Compares account and role name (an assumed-role ARN drops the role's path,
/// so a raw string comparison would be wrong).
pub fn matches_expected(expected: &ExpectedRole, caller_arn: &str) -> Result<String, String> {
    let Some(caller) = Arn::parse(caller_arn) else {
        return Err(format!("the caller ARN `{caller_arn}` cannot be read"));
    };
    let Some(role) = caller.role_name() else {
        return Err(format!(
            "the caller is not a role session but `{}`; expected role {}",
            caller.resource, expected.name
        ));
    };
    let mut problems = Vec::new();
    // IAM role names are case-insensitive.
    if !role.eq_ignore_ascii_case(&expected.name) {
        problems.push(format!(
            "role `{role}` is not the expected `{}`",
            expected.name
        ));
    }
    if let Some(account) = &expected.account {
        if account != caller.account {
            problems.push(format!(
                "account {} is not the expected {account}",
                caller.account
            ));
        }
    }
    if let Some(partition) = &expected.partition {
        if partition != caller.partition {
            problems.push(format!(
                "partition {} is not the expected {partition}",
                caller.partition
            ));
        }
    }
    if problems.is_empty() {
        Ok(format!(
            "caller is role {role} in account {}",
            caller.account
        ))
    } else {
        let mut msg = format!("wrong identity: {}", problems.join("; "));
        if caller.session_name().is_some_and(|s| s.starts_with("i-")) {
            msg.push_str(&format!(
                ". The session `{}` is an EC2 instance id: the pod is using the node's instance role, so IRSA was not applied to it",
                caller.session_name().unwrap_or_default()
            ));
        }
        Err(msg)
    }
}

/// The pod environment the EKS webhooks are supposed to set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PodEnv {
    pub aws_role_arn: Option<String>,
    pub aws_web_identity_token_file: Option<String>,
    pub aws_container_credentials_full_uri: Option<String>,
    pub aws_container_authorization_token_file: Option<String>,
    pub aws_region: Option<String>,
    pub aws_endpoint_url: Option<String>,
}

impl PodEnv {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        PodEnv {
            aws_role_arn: var("AWS_ROLE_ARN"),
            aws_web_identity_token_file: var("AWS_WEB_IDENTITY_TOKEN_FILE"),
            aws_container_credentials_full_uri: var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            aws_container_authorization_token_file: var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            aws_region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            aws_endpoint_url: var("AWS_ENDPOINT_URL"),
        }
    }

    /// The projected ServiceAccount token, and the audience it must carry.
    fn token(&self) -> Option<(&str, &'static str)> {
        match (
            &self.aws_web_identity_token_file,
            &self.aws_container_authorization_token_file,
        ) {
            (Some(f), _) => Some((f, token::STS_AUDIENCE)),
            (None, Some(f)) => Some((f, "pods.eks.amazonaws.com")),
            _ => None,
        }
    }

    /// Why the expected credentials could not have loaded, as far as the env tells.
    fn setup_hints(&self, expected: ExpectSource) -> Vec<String> {
        let mut hints = Vec::new();
        if expected == ExpectSource::PodIdentity {
            if self.aws_container_credentials_full_uri.is_none() {
                hints.push(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI is absent: EKS Pod Identity did not reach this pod. \
                     Create the association (aws eks create-pod-identity-association) for this namespace and ServiceAccount, \
                     make sure the eks-pod-identity-agent add-on runs, then restart the pod"
                        .to_owned(),
                );
            }
            return hints;
        }
        match (&self.aws_role_arn, &self.aws_web_identity_token_file) {
            (None, None) => hints.push(
                "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are both absent: the EKS webhook did not inject IRSA into this pod. \
                 Annotate the ServiceAccount with eks.amazonaws.com/role-arn, then restart the pod (kubectl rollout restart): \
                 a pod that started before the annotation keeps its old environment"
                    .to_owned(),
            ),
            (Some(_), None) => hints.push("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is absent: the webhook did not mount the token".to_owned()),
            (None, Some(_)) => hints.push("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is absent: the ServiceAccount's role annotation is missing".to_owned()),
            (Some(_), Some(file)) => {
                if let Err(e) = std::fs::File::open(file) {
                    let fix = if e.kind() == std::io::ErrorKind::PermissionDenied {
                        "set the pod's securityContext.fsGroup so a non-root user can read it"
                    } else {
                        "the webhook did not mount it (check the pod's aws-iam-token volume)"
                    };
                    hints.push(format!("the token file {file} cannot be read ({e}): {fix}"));
                }
            }
        }
        hints
    }
}

/// Why credentials from `got` are wrong when `expected` was asked for.
fn source_mismatch(got: Source, expected: ExpectSource) -> String {
    let why = match got {
        Source::InstanceMetadata => {
            "the pod fell back to the node's instance role: its IRSA / Pod Identity environment is missing \
             (annotate the ServiceAccount or create the Pod Identity association, then kubectl rollout restart), \
             or the mutating webhook did not run for this pod (check the pod-identity-webhook and its logs). \
             Block the fallback itself: require IMDSv2 with a hop limit of 1 on the nodes, so pods cannot reach the node role"
        }
        Source::Environment => {
            "static AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in the pod's environment take precedence over IRSA and Pod Identity: \
             remove them (check env, envFrom and mounted Secrets)"
        }
        Source::Profile => {
            "a shared config or credentials file (~/.aws, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) takes precedence \
             over IRSA and Pod Identity: remove it from the image or the volume"
        }
        Source::WebIdentity => {
            "IRSA's web identity takes precedence over Pod Identity: remove the ServiceAccount's eks.amazonaws.com/role-arn \
             annotation if Pod Identity is meant, and restart the pod"
        }
        Source::PodIdentity | Source::Container => {
            "the IRSA environment (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE) is missing, so container credentials answered: \
             annotate the ServiceAccount with eks.amazonaws.com/role-arn and restart the pod, or expect pod-identity"
        }
    };
    format!(
        "wrong credential source: {} answered, {} was expected. {why}",
        got.label(),
        expected.as_str()
    )
}

/// Everything the identity step found.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub caller_arn: Option<String>,
    pub account: Option<String>,
    pub user_id: Option<String>,
    pub expected_role: Option<ExpectedRole>,
    /// Where the expected role came from: --expect-role, the spec, AWS_ROLE_ARN.
    pub expected_from: Option<&'static str>,
    pub source: Option<Source>,
    pub expected_source: ExpectSource,
    /// Each provider of the chain, in order, and what it said.
    pub providers: Vec<Attempt>,
    pub token: Option<Claims>,
    pub token_error: Option<String>,
    pub expected_service_account: Option<String>,
    /// Local clock minus the STS response's Date, when known.
    pub clock_skew_seconds: Option<i64>,
    pub env: PodEnv,
}

/// What the identity must be.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub role: Option<(ExpectedRole, &'static str)>,
    pub source: ExpectSource,
    /// "namespace:serviceaccount"
    pub service_account: Option<String>,
}

impl Expectations {
    pub fn blank_identity(&self, env: PodEnv) -> Identity {
        Identity {
            caller_arn: None,
            account: None,
            user_id: None,
            expected_role: self.role.as_ref().map(|(r, _)| r.clone()),
            expected_from: self.role.as_ref().map(|(_, from)| *from),
            source: None,
            expected_source: self.source,
            providers: Vec::new(),
            token: None,
            token_error: None,
            expected_service_account: self.service_account.clone(),
            clock_skew_seconds: None,
            env,
        }
    }
}

pub fn validate_service_account(s: &str) -> Result<(), String> {
    let dns = |p: &str| {
        !p.is_empty()
            && p.len() <= 253
            && p.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
    };
    match s.split_once(':') {
        Some((ns, sa)) if dns(ns) && dns(sa) => Ok(()),
        _ => Err(format!(
            "`{s}` is not NAMESPACE:SERVICEACCOUNT (lowercase names)"
        )),
    }
}

pub struct Established {
    pub identity: Identity,
    pub probed: Probed,
    pub status: Status,
    /// Resolved once and reused by every client, so STS is asked once.
    pub credentials: Option<Credentials>,
}

/// Keeps the Date header of the STS answer, to measure clock skew.
#[derive(Debug, Clone, Default)]
struct DateCapture(Arc<Mutex<Option<String>>>);

impl Intercept for DateCapture {
    fn name(&self) -> &'static str {
        "irsa-verify-date-capture"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(date), Ok(mut slot)) =
            (context.response().headers().get("date"), self.0.lock())
        {
            *slot = Some(date.to_owned());
        }
        Ok(())
    }
}

/// SigV4 tolerates 5 minutes of skew.
const MAX_SKEW_SECS: i64 = 300;

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub async fn establish(
    sdk: &SdkConfig,
    expect: &Expectations,
    env: PodEnv,
    run_secs: i64,
) -> Established {
    let mut identity = expect.blank_identity(env);
    let mut fails: Vec<String> = Vec::new();
    let mut warns: Vec<String> = Vec::new();

    if let Some((path, audience)) = identity.env.token() {
        match token::read(path) {
            Ok(claims) => {
                let (f, mut w) = token::assess(
                    &claims,
                    now_unix(),
                    run_secs,
                    expect.service_account.as_deref(),
                );
                if audience != token::STS_AUDIENCE {
                    // A Pod Identity token is checked against its own audience.
                    w.retain(|m| !m.contains("Incorrect token audience"));
                    if !claims.aud.iter().any(|a| a == audience) {
                        w.push(format!(
                            "the Pod Identity token's aud is {:?}, not \"{audience}\"",
                            claims.aud
                        ));
                    }
                }
                fails.extend(f);
                warns.extend(w);
                identity.token = Some(claims);
            }
            Err(e) => {
                let malformed = !matches!(e, token::TokenError::Unreadable { .. });
                identity.token_error = Some(e.to_string());
                // A readable file that is no token would only be sent to STS to
                // be refused: say so without sending it.
                if malformed
                    && identity.env.aws_role_arn.is_some()
                    && audience == token::STS_AUDIENCE
                {
                    let mut probed = Probed::unknown(format!("{e}"), "not sent");
                    probed.notes.push(format!(
                        "the file at AWS_WEB_IDENTITY_TOKEN_FILE must be the projected ServiceAccount token the EKS webhook mounts \
                         (volume aws-iam-token, path {path}); {e}"
                    ));
                    return Established {
                        identity,
                        status: Status::Fail,
                        probed,
                        credentials: None,
                    };
                }
            }
        }
    }
    if identity.token.is_none() && expect.service_account.is_some() {
        fails.push("cannot confirm the ServiceAccount: no readable projected token".to_owned());
    }

    if sdk.region().is_none() {
        let probed = Probed::unknown(
            "no AWS region: set AWS_REGION (the EKS webhook sets it for IRSA pods)",
            "not sent",
        );
        return Established {
            identity,
            status: Status::Error,
            probed,
            credentials: None,
        };
    }

    let walk = source::walk(sdk).await;
    identity.providers = walk.attempts;
    let (source, credentials) = match walk.result {
        Ok(found) => found,
        Err((failed, msg)) => {
            let what = failed
                .map(|s| format!("{} failed", s.label()))
                .unwrap_or_else(|| "no source provided any".to_owned());
            let mut probed = Probed::unknown(
                format!("no AWS credentials could be loaded: {what}: {msg}"),
                "the SDK's credential chain, provider by provider",
            );
            probed
                .notes
                .extend(hints::for_error(&msg, identity.token.as_ref()));
            probed.notes.extend(identity.env.setup_hints(expect.source));
            let tried: Vec<String> = identity
                .providers
                .iter()
                .map(|a| format!("{} -> {}", a.source.label(), a.outcome))
                .collect();
            probed
                .notes
                .push(format!("sources tried, in order: {}", tried.join("; ")));
            probed.notes.extend(warns);
            return Established {
                identity,
                status: Status::Error,
                probed,
                credentials: None,
            };
        }
    };
    identity.source = Some(source);
    if !expect.source.accepts(source) {
        fails.push(source_mismatch(source, expect.source));
    }

    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .credentials_provider(SharedCredentialsProvider::new(credentials.clone()))
            .build(),
    );
    let date = DateCapture::default();
    let form = format!(
        "sts:GetCallerIdentity with credentials from {}",
        source.label()
    );
    let answer = sts
        .get_caller_identity()
        .customize()
        .interceptor(date.clone())
        .send()
        .await;
    if let Some(skew) = date
        .0
        .lock()
        .ok()
        .and_then(|d| d.clone())
        .and_then(|d| DateTime::from_str(&d, Format::HttpDate).ok())
    {
        let skew = now_unix() - skew.secs();
        identity.clock_skew_seconds = Some(skew);
        if skew.abs() > MAX_SKEW_SECS {
            warns.push(format!(
                "the local clock is {skew}s off AWS's (RequestTimeTooSkewed / Signature expired past 300s): synchronise the node's clock (chrony, Amazon Time Sync)"
            ));
        }
    }
    let out = match answer {
        Ok(out) => out,
        Err(e) => {
            let answer = Answer::from_sdk(&e);
            let text = answer.summary();
            let mut probed = Probed {
                observed: Observed::Unknown,
                ..Probed::new(answer, &[], form)
            };
            // A wrong source is a wrong identity even if STS could not confirm it.
            let status = if fails.is_empty() {
                Status::Error
            } else {
                Status::Fail
            };
            probed.notes.extend(fails);
            probed
                .notes
                .extend(hints::for_error(&text, identity.token.as_ref()));
            probed.notes.extend(warns);
            return Established {
                identity,
                status,
                probed,
                credentials: None,
            };
        }
    };
    identity.caller_arn = out.arn().map(str::to_owned);
    identity.account = out.account().map(str::to_owned);
    identity.user_id = out.user_id().map(str::to_owned);
    let caller = identity.caller_arn.clone().unwrap_or_default();

    let mut notes = Vec::new();
    let detail = match &identity.expected_role {
        Some(expected) => match matches_expected(expected, &caller) {
            Ok(msg) => msg,
            Err(msg) => {
                notes.push(format!(
                    "expected role {} (from {}); the pod runs as {caller}",
                    expected.raw,
                    identity.expected_from.unwrap_or("?")
                ));
                if identity.env.aws_role_arn.is_none() {
                    notes.extend(identity.env.setup_hints(expect.source));
                }
                fails.insert(0, msg.clone());
                msg
            }
        },
        None => {
            notes.push("no expected role: pass --expect-role (or set AWS_ROLE_ARN) to check who the caller is, not only that credentials work".to_owned());
            format!("caller is {caller}")
        }
    };
    let status = if fails.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    let mut probed = Probed::new(
        Answer::success(
            200,
            format!("{detail}; credentials from {}", source.label()),
        ),
        &[],
        form,
    );
    probed.notes = fails.into_iter().chain(notes).chain(warns).collect();
    Established {
        identity,
        status,
        probed,
        credentials: Some(credentials),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_role_from_arn_or_name() {
        let r = ExpectedRole::parse("arn:aws:iam::111122223333:role/eks/team/my-app").unwrap();
        assert_eq!(
            (r.account.as_deref(), r.name.as_str()),
            (Some("111122223333"), "my-app")
        );
        assert_eq!(ExpectedRole::parse("my-app").unwrap().account, None);
        assert!(ExpectedRole::parse("arn:aws:iam::111122223333:user/bob").is_err());
        assert!(ExpectedRole::parse("has space").is_err());
        assert!(ExpectedRole::parse("").is_err());
    }

    #[test]
    fn assumed_role_matches_role_with_path() {
        let expected = ExpectedRole::parse("arn:aws:iam::111122223333:role/eks/my-app").unwrap();
        let caller = "arn:aws:sts::111122223333:assumed-role/my-app/botocore-session-1";
        assert!(matches_expected(&expected, caller).is_ok());
        assert!(
            matches_expected(&ExpectedRole::parse("MY-APP").unwrap(), caller).is_ok(),
            "role names are case-insensitive"
        );
    }

    #[test]
    fn wrong_account_role_or_principal_kind_fails() {
        let expected = ExpectedRole::parse("arn:aws:iam::111122223333:role/my-app").unwrap();
        let e = matches_expected(&expected, "arn:aws:sts::999999999999:assumed-role/my-app/s")
            .unwrap_err();
        assert!(e.contains("account 999999999999"), "{e}");
        let e = matches_expected(
            &expected,
            "arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc123",
        )
        .unwrap_err();
        assert!(
            e.contains("role `eks-node-role`") && e.contains("node's instance role"),
            "{e}"
        );
        let e = matches_expected(&expected, "arn:aws:iam::111122223333:user/ci").unwrap_err();
        assert!(e.contains("not a role session"), "{e}");
        assert!(matches_expected(
            &expected,
            "arn:aws-cn:sts::111122223333:assumed-role/my-app/s"
        )
        .is_err());
    }
}

//! Who the pod really is: credentials, sts:GetCallerIdentity, and the
//! comparison with the role it should be.

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde::Serialize;

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

/// The pod environment the EKS webhook is supposed to set.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PodEnv {
    pub aws_role_arn: Option<String>,
    pub aws_web_identity_token_file: Option<String>,
    pub aws_region: Option<String>,
    pub aws_endpoint_url: Option<String>,
}

impl PodEnv {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        PodEnv {
            aws_role_arn: var("AWS_ROLE_ARN"),
            aws_web_identity_token_file: var("AWS_WEB_IDENTITY_TOKEN_FILE"),
            aws_region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            aws_endpoint_url: var("AWS_ENDPOINT_URL"),
        }
    }

    /// Why IRSA credentials could not have loaded, as far as the env tells.
    fn irsa_hints(&self) -> Vec<String> {
        let mut hints = Vec::new();
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
                    hints.push(format!(
                        "the token file {file} cannot be read ({e}): if it exists, set the pod's securityContext.fsGroup so a non-root user can read it; if not, the webhook did not mount it"
                    ));
                }
            }
        }
        hints
    }
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
    pub env: PodEnv,
}

pub struct Established {
    pub identity: Identity,
    pub probed: Probed,
    pub status: Status,
    /// Resolved once and reused by every client, so STS is asked once.
    pub credentials: Option<Credentials>,
}

const SOURCES_TRIED: &str = "environment keys (AWS_ACCESS_KEY_ID), the shared config and credentials files, \
web identity (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE: IRSA), container credentials \
(AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI: EKS Pod Identity, ECS) and instance metadata (the node's role)";

pub async fn establish(
    sdk: &SdkConfig,
    expected: Option<(ExpectedRole, &'static str)>,
    env: PodEnv,
) -> Established {
    let (expected_role, expected_from) = match expected {
        Some((r, from)) => (Some(r), Some(from)),
        None => (None, None),
    };
    let mut identity = Identity {
        caller_arn: None,
        account: None,
        user_id: None,
        expected_role,
        expected_from,
        env,
    };
    let fail = |identity, probed: Probed| Established {
        identity,
        status: Status::Error,
        probed,
        credentials: None,
    };

    if sdk.region().is_none() {
        let probed = Probed::unknown(
            "no AWS region: set AWS_REGION (the EKS webhook sets it for IRSA pods)",
            "not sent",
        );
        return fail(identity, probed);
    }
    let Some(provider) = sdk.credentials_provider() else {
        return fail(
            identity,
            Probed::unknown("no credential provider is configured", "not sent"),
        );
    };
    let credentials = match provider.provide_credentials().await {
        Ok(c) => c,
        Err(e) => {
            let mut probed = Probed::unknown(
                format!(
                    "no AWS credentials could be loaded: {}",
                    DisplayErrorContext(&e)
                ),
                "the SDK's default credential chain",
            )
            .note(format!("sources tried: {SOURCES_TRIED}"));
            for hint in identity.env.irsa_hints() {
                probed = probed.note(hint);
            }
            return fail(identity, probed);
        }
    };

    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .credentials_provider(SharedCredentialsProvider::new(credentials.clone()))
            .build(),
    );
    let form = "sts:GetCallerIdentity with the credentials the SDK's default chain resolved";
    let out = match sts.get_caller_identity().send().await {
        Ok(out) => out,
        Err(e) => {
            let probed = Probed::new(Answer::from_sdk(&e), &[], form);
            // GetCallerIdentity is never denied by IAM: any error is "could not tell".
            let probed = Probed {
                observed: Observed::Unknown,
                ..probed
            };
            return Established {
                identity,
                status: Status::Error,
                probed,
                credentials: None,
            };
        }
    };
    identity.caller_arn = out.arn().map(str::to_owned);
    identity.account = out.account().map(str::to_owned);
    identity.user_id = out.user_id().map(str::to_owned);
    let caller = identity.caller_arn.clone().unwrap_or_default();

    let (status, detail, notes) = match &identity.expected_role {
        Some(expected) => match matches_expected(expected, &caller) {
            Ok(msg) => (Status::Pass, msg, Vec::new()),
            Err(msg) => {
                let mut notes = vec![format!(
                    "expected role {} (from {}); the pod runs as {caller}",
                    expected.raw,
                    identity.expected_from.unwrap_or("?")
                )];
                if identity.env.aws_role_arn.is_none() {
                    notes.extend(identity.env.irsa_hints());
                }
                (Status::Fail, msg, notes)
            }
        },
        None => (
            Status::Pass,
            format!("caller is {caller}"),
            vec!["no expected role: pass --expect-role (or set AWS_ROLE_ARN) to check who the caller is, not only that credentials work".to_owned()],
        ),
    };
    let mut probed = Probed::new(Answer::success(200, detail), &[], form);
    probed.notes = notes;
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

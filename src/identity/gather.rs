//! The I/O half of the identity step: the pod's environment read once, the
//! token file, the credential-chain walk, STS and its `Date` header. It
//! decides nothing but whether to go on asking (`Facts::sends_nothing`).

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

use super::hints::Cause;
use super::source::{self, Attempt, Source};
use super::token::{self, Claims, TokenError, POD_IDENTITY_AUDIENCE, STS_AUDIENCE};
use crate::answer::Answer;

/// The pod environment the EKS webhooks are supposed to set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PodEnv {
    pub aws_role_arn: Option<String>,
    pub aws_web_identity_token_file: Option<String>,
    pub aws_container_credentials_full_uri: Option<String>,
    pub aws_container_authorization_token_file: Option<String>,
    pub aws_region: Option<String>,
    pub aws_endpoint_url: Option<String>,
    /// The pod's hostname (its name, in Kubernetes).
    pub hostname: Option<String>,
}

impl PodEnv {
    pub fn from_env() -> Self {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .or_else(|| var("HOSTNAME"));
        PodEnv {
            aws_role_arn: var("AWS_ROLE_ARN"),
            aws_web_identity_token_file: var("AWS_WEB_IDENTITY_TOKEN_FILE"),
            aws_container_credentials_full_uri: var("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            aws_container_authorization_token_file: var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            aws_region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            aws_endpoint_url: var("AWS_ENDPOINT_URL"),
            hostname,
        }
    }
}

/// Which projected token the pod has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// AWS_WEB_IDENTITY_TOKEN_FILE: sent to STS.
    Irsa,
    /// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: sent to the Pod Identity agent.
    PodIdentity,
}

impl TokenKind {
    pub fn audience(self) -> &'static str {
        match self {
            TokenKind::Irsa => STS_AUDIENCE,
            TokenKind::PodIdentity => POD_IDENTITY_AUDIENCE,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenFacts {
    /// No token file is configured.
    Absent,
    Read {
        kind: TokenKind,
        claims: Claims,
    },
    Failed {
        kind: TokenKind,
        error: TokenError,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChainFailure {
    /// The configured source that failed, or None when none applied.
    pub failed: Option<Source>,
    pub message: String,
    pub causes: Vec<Cause>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub arn: String,
    pub account: String,
    pub user_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StsFailure {
    pub answer: Answer,
    pub causes: Vec<Cause>,
}

/// Everything gathered, as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub env: PodEnv,
    /// Unix seconds when the token was read.
    pub now: i64,
    pub token: TokenFacts,
    pub region_set: bool,
    /// The credential chain: its providers in order and which one answered.
    /// None when nothing was asked.
    pub chain: Option<(Vec<Attempt>, Result<Source, ChainFailure>)>,
    /// sts:GetCallerIdentity; None when not sent.
    pub sts: Option<Result<Caller, StsFailure>>,
    /// Local clock minus the STS response's Date.
    pub clock_skew_seconds: Option<i64>,
}

pub struct Gathered {
    pub facts: Facts,
    /// Resolved once and reused by every client, so STS is asked once.
    pub credentials: Option<Credentials>,
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn read_token(env: &PodEnv) -> TokenFacts {
    let (path, kind) = match (
        &env.aws_web_identity_token_file,
        &env.aws_container_authorization_token_file,
    ) {
        (Some(f), _) => (f, TokenKind::Irsa),
        (None, Some(f)) => (f, TokenKind::PodIdentity),
        _ => return TokenFacts::Absent,
    };
    match token::read(path) {
        Ok(claims) => TokenFacts::Read { kind, claims },
        Err(error) => TokenFacts::Failed { kind, error },
    }
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

impl Facts {
    /// A file at AWS_WEB_IDENTITY_TOKEN_FILE that is readable but no token
    /// would only be sent to STS to be refused.
    pub fn malformed_irsa_token(&self) -> Option<&TokenError> {
        match &self.token {
            TokenFacts::Failed {
                kind: TokenKind::Irsa,
                error,
            } if !matches!(error, TokenError::Unreadable { .. })
                && self.env.aws_role_arn.is_some() =>
            {
                Some(error)
            }
            _ => None,
        }
    }

    /// Whether the facts so far already settle the verdict, so nothing is sent.
    pub fn sends_nothing(&self) -> bool {
        !self.region_set || self.malformed_irsa_token().is_some()
    }
}

pub async fn gather(sdk: &SdkConfig, env: PodEnv) -> Gathered {
    let token = read_token(&env);
    let mut facts = Facts {
        env,
        now: now_unix(),
        token,
        region_set: sdk.region().is_some(),
        chain: None,
        sts: None,
        clock_skew_seconds: None,
    };
    if facts.sends_nothing() {
        return Gathered {
            facts,
            credentials: None,
        };
    }
    let walk = source::walk(sdk).await;
    let (source, credentials) = match walk.result {
        Ok(found) => found,
        Err((failed, message)) => {
            let causes = Cause::recognise(&message);
            facts.chain = Some((
                walk.attempts,
                Err(ChainFailure {
                    failed,
                    message,
                    causes,
                }),
            ));
            return Gathered {
                facts,
                credentials: None,
            };
        }
    };
    facts.chain = Some((walk.attempts, Ok(source)));

    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .credentials_provider(SharedCredentialsProvider::new(credentials.clone()))
            .build(),
    );
    let date = DateCapture::default();
    let answer = sts
        .get_caller_identity()
        .customize()
        .interceptor(date.clone())
        .send()
        .await;
    facts.clock_skew_seconds = date
        .0
        .lock()
        .ok()
        .and_then(|d| d.clone())
        .and_then(|d| DateTime::from_str(&d, Format::HttpDate).ok())
        .map(|aws| now_unix() - aws.secs());
    let caller = match answer {
        Ok(out) => match (out.arn(), out.account()) {
            (Some(arn), Some(account)) => Ok(Caller {
                arn: arn.to_owned(),
                account: account.to_owned(),
                user_id: out.user_id().unwrap_or("(not given)").to_owned(),
            }),
            _ => Err(Answer::Transport {
                detail: "sts:GetCallerIdentity answered without an ARN or account".to_owned(),
            }),
        },
        Err(e) => Err(Answer::from_sdk(&e)),
    };
    match caller {
        Ok(caller) => {
            facts.sts = Some(Ok(caller));
            Gathered {
                facts,
                credentials: Some(credentials),
            }
        }
        Err(answer) => {
            let causes = Cause::recognise(&answer.summary());
            facts.sts = Some(Err(StsFailure { answer, causes }));
            Gathered {
                facts,
                credentials: None,
            }
        }
    }
}

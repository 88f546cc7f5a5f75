//! Who the pod really is. `gather` does the I/O (environment, token file,
//! credential chain, STS) and returns facts; `assess` is a pure function from
//! those facts and the expectations to the identity verdict.

pub mod assess;
pub mod gather;
pub mod hints;
pub mod source;
pub mod token;

use serde::Serialize;

pub use assess::{assess, Assessment};
pub use gather::{gather, PodEnv};
pub use source::{Attempt, ExpectSource, Source};
use token::Claims;

use crate::answer::Observation;
use crate::arn::{Arn, RoleRef, ServiceAccount};
use crate::check::Place;
use crate::verdict::Status;
pub use gather::TokenKind;
use gather::{Facts, TokenFacts};
use hints::Cause;

/// What the identity step hands the run: the verdict, and, when the pod's
/// identity is established, its credentials and where its resources are.
pub struct Outcome {
    pub assessment: Assessment,
    pub session: Option<Session>,
    /// The projected token's claims and kind, for the trust policy check.
    pub token: Option<(Claims, TokenKind)>,
    /// Known causes of a failed credential chain or STS call.
    pub causes: Vec<Cause>,
}

/// An established identity: the credentials every client uses, and the
/// caller's partition, region and account.
pub struct Session {
    pub credentials: aws_credential_types::Credentials,
    pub place: Place,
    pub caller_arn: String,
}

impl Outcome {
    fn of(
        facts: Facts,
        credentials: Option<aws_credential_types::Credentials>,
        expect: &Expectations,
        run_secs: i64,
        region: Option<String>,
    ) -> Outcome {
        let assessment = assess(&facts, expect, run_secs);
        let caller = match &facts.sts {
            Some(Ok(caller)) => Some(caller),
            _ => None,
        };
        let session = match (credentials, caller, region) {
            (Some(credentials), Some(caller), Some(region)) => Some(Session {
                credentials,
                place: Place {
                    partition: Arn::parse(&caller.arn)
                        .map_or("aws", |a| a.partition)
                        .to_owned(),
                    region,
                    account: caller.account.clone(),
                },
                caller_arn: caller.arn.clone(),
            }),
            _ => None,
        };
        let causes = match (&facts.chain, &facts.sts) {
            (Some((_, Err(failure))), _) => failure.causes.clone(),
            (_, Some(Err(failure))) => failure.causes.clone(),
            _ => Vec::new(),
        };
        let token = match facts.token {
            TokenFacts::Read { kind, claims } => Some((claims, kind)),
            _ => None,
        };
        Outcome {
            assessment,
            session,
            token,
            causes,
        }
    }

    /// No identity within the run's bound: the observation says why.
    pub fn unestablished(expect: &Expectations, env: PodEnv, observation: Observation) -> Outcome {
        Outcome {
            assessment: Assessment {
                status: Status::Error,
                observation,
                identity: Identity::blank(expect, env),
            },
            session: None,
            token: None,
            causes: Vec::new(),
        }
    }
}

/// Gathers the facts (the I/O) and judges them (pure), as one result.
pub async fn establish(
    sdk: &aws_config::SdkConfig,
    env: PodEnv,
    expect: &Expectations,
    run_secs: i64,
) -> Outcome {
    let gathered = gather(sdk, env).await;
    Outcome::of(
        gathered.facts,
        gathered.credentials,
        expect,
        run_secs,
        sdk.region().map(|r| r.to_string()),
    )
}

/// The action the identity check is named by.
pub const ACTION: &str = "sts:GetCallerIdentity";

/// Where the expected role came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RoleOrigin {
    #[serde(rename = "--expect-role")]
    Flag,
    #[serde(rename = "the spec's expect_role")]
    Spec,
    #[serde(rename = "AWS_ROLE_ARN")]
    Env,
}

impl RoleOrigin {
    pub fn label(self) -> &'static str {
        match self {
            RoleOrigin::Flag => "--expect-role",
            RoleOrigin::Spec => "the spec's expect_role",
            RoleOrigin::Env => "AWS_ROLE_ARN",
        }
    }
}

/// What the identity must be.
#[derive(Debug, Clone)]
pub struct Expectations {
    pub role: Option<(RoleRef, RoleOrigin)>,
    pub source: ExpectSource,
    pub service_account: Option<ServiceAccount>,
}

/// Everything the identity step found, for the reports.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub caller_arn: Option<String>,
    pub account: Option<String>,
    pub user_id: Option<String>,
    pub expected_role: Option<RoleRef>,
    /// Where the expected role came from: --expect-role, the spec, AWS_ROLE_ARN.
    pub expected_from: Option<RoleOrigin>,
    pub source: Option<Source>,
    pub expected_source: ExpectSource,
    /// Each provider of the chain, in order, and what it said.
    pub providers: Vec<Attempt>,
    pub token: Option<Claims>,
    pub token_error: Option<String>,
    pub expected_service_account: Option<ServiceAccount>,
    /// Local clock minus the STS response's Date, when known.
    pub clock_skew_seconds: Option<i64>,
    pub env: PodEnv,
}

impl Identity {
    /// Nothing learnt yet: only what was expected, and the environment.
    pub fn blank(expect: &Expectations, env: PodEnv) -> Identity {
        Identity {
            caller_arn: None,
            account: None,
            user_id: None,
            expected_role: expect.role.as_ref().map(|(r, _)| r.clone()),
            expected_from: expect.role.as_ref().map(|(_, from)| *from),
            source: None,
            expected_source: expect.source,
            providers: Vec::new(),
            token: None,
            token_error: None,
            expected_service_account: expect.service_account.clone(),
            clock_skew_seconds: None,
            env,
        }
    }

    /// The stable label of the identity check: the expected role, which is
    /// the same on every run (the caller's session name is not).
    pub fn label(&self) -> String {
        match &self.expected_role {
            Some(role) => format!("as {}", role.raw),
            None => "caller".to_owned(),
        }
    }
}

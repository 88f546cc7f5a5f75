//! `--chain`: role chains, hop by hop. Hop 1 assumes its role with the pod's
//! credentials, hop 2 with hop 1's session, and so on; each hop proves who it
//! is with sts:GetCallerIdentity and then runs that role's own checks.
//! `step` does one hop's I/O; `conclude` and `skipped` are the pure
//! judgement. The sessions' credentials stay in memory, apart from the facts
//! the reports read: never printed, logged or written anywhere.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;

use crate::answer::{Answer, Observation};
use crate::arn::RoleRef;
use crate::assume::{self, Assumed};
use crate::check::{Check, Expect, Named};
use crate::findings::{ChainHop, Finding, Subject};
use crate::policy::derive::Unprobed;
use crate::verdict::{SkipGroup, Status};

/// One hop of `--chain ROLE_ARN[=PATH]`.
#[derive(Debug, Clone)]
pub struct Hop {
    /// The role, by its full ARN.
    pub role: String,
    /// Where the role's policies were read from (`=PATH`), if given.
    pub policies: Option<PathBuf>,
    /// The checks derived from them, sent as this hop.
    pub checks: Vec<Check>,
    /// What they grant that nothing probes.
    pub unprobed: Vec<Unprobed>,
}

/// Why a `--chain` value is invalid input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HopError {
    #[error(
        "`{0}` is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME, the path included); \
         give ROLE_ARN, or ROLE_ARN=POLICY_PATH (split at the first `=`, so a role name with `=` cannot be given here)"
    )]
    Role(String),
    #[error("`{0}` has nothing after `=`: give ROLE_ARN, or ROLE_ARN=POLICY_PATH")]
    EmptyPath(String),
}

/// `ROLE_ARN` or `ROLE_ARN=PATH`, split at the first `=`. Pure.
pub fn parse(value: &str) -> Result<(String, Option<PathBuf>), HopError> {
    let (role, path) = match value.split_once('=') {
        Some((_, "")) => return Err(HopError::EmptyPath(value.to_owned())),
        Some((role, path)) => (role, Some(PathBuf::from(path))),
        None => (value, None),
    };
    match Named::role_arn(role) {
        Ok(_) => Ok((role.to_owned(), path)),
        Err(_) => Err(HopError::Role(role.to_owned())),
    }
}

/// The hop's own testcase is on its AssumeRole: a stable label (no session).
pub fn label(hop: usize, role: &str) -> String {
    format!("chain hop {hop} to {role}")
}

/// A check sent as a hop: its label says which, so the pod's and each
/// hop's testcases keep apart, and stable.
pub fn as_hop(label: &str, hop: usize) -> String {
    format!("{label} as chain hop {hop}")
}

/// sts:GetCallerIdentity's answer for a hop's session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub arn: String,
    pub account: String,
}

/// What one hop's requests answered: plain data, no credential in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// The AssumeRole request as sent.
    pub form: String,
    /// AssumeRole's answer (its credentials are never in it).
    pub assumed: Answer,
    /// sts:GetCallerIdentity as the session; None when there was none.
    pub caller: Option<Result<Caller, Answer>>,
}

/// A hop's facts, and its session's credentials when there is one.
pub struct Step {
    pub facts: Facts,
    pub credentials: Option<Credentials>,
}

impl Step {
    /// Nothing came back in time: could not tell.
    pub fn timed_out(role: &str, detail: String) -> Step {
        Step {
            facts: Facts {
                form: format!("AssumeRole RoleArn={role}"),
                assumed: Answer::Transport { detail },
                caller: None,
            },
            credentials: None,
        }
    }
}

fn sts(sdk: &SdkConfig, credentials: Credentials) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build(),
    )
}

/// Assumes `role` with `from` (the previous hop's, or the pod's,
/// credentials) for 15 minutes, then asks STS who the session is.
pub async fn step(sdk: &SdkConfig, from: &Credentials, role: &str, source: &str) -> Step {
    let session = assume::session_name(&crate::random::random_token());
    let form = format!(
        "AssumeRole RoleArn={role} RoleSessionName={session} DurationSeconds={} with {source}'s credentials, then GetCallerIdentity as the session",
        assume::SESSION_SECONDS
    );
    let answer = sts(sdk, from.clone())
        .assume_role()
        .role_arn(role)
        .role_session_name(&session)
        .duration_seconds(assume::SESSION_SECONDS)
        .send()
        .await;
    let facts = |assumed, caller| Facts {
        form: form.clone(),
        assumed,
        caller,
    };
    let out = match answer {
        Ok(out) => out,
        Err(e) => {
            return Step {
                facts: facts(Answer::from_sdk(&e), None),
                credentials: None,
            }
        }
    };
    let Some(c) = out.credentials() else {
        let missing = Answer::Transport {
            detail: "AssumeRole answered without credentials".to_owned(),
        };
        return Step {
            facts: facts(missing, None),
            credentials: None,
        };
    };
    let credentials = Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        SystemTime::try_from(*c.expiration()).ok(),
        "irsa-verify --chain",
    );
    let caller = match sts(sdk, credentials.clone())
        .get_caller_identity()
        .send()
        .await
    {
        Ok(out) => match (out.arn(), out.account()) {
            (Some(arn), Some(account)) => Ok(Caller {
                arn: arn.to_owned(),
                account: account.to_owned(),
            }),
            _ => Err(Answer::Transport {
                detail: "sts:GetCallerIdentity answered without an ARN or account".to_owned(),
            }),
        },
        Err(e) => Err(Answer::from_sdk(&e)),
    };
    Step {
        facts: facts(Answer::success(200, ""), Some(caller)),
        credentials: Some(credentials),
    }
}

/// The hop's testcase from what its requests answered: passed when the role
/// was assumed and the session is that role; failed with the cause (the
/// caller's identity policy, the role's trust policy, another policy) when
/// AWS refused; could not tell otherwise. `caller` sent the AssumeRole (a
/// session ARN), `source` is the principal a trust policy names it by. Pure.
pub fn conclude(
    hop: usize,
    role: &str,
    caller: &str,
    source: &str,
    facts: &Facts,
    duration: Duration,
) -> (Finding, ChainHop) {
    let form = facts.form.clone();
    let mut identity = ChainHop {
        hop,
        role: role.to_owned(),
        caller_arn: None,
        account: None,
        status: Status::Error,
    };
    let mut resource = role.to_owned();
    let (status, observation) = match assume::classify(&facts.assumed, caller) {
        Assumed::Allowed => match &facts.caller {
            Some(Ok(session)) => {
                resource = session.arn.clone();
                identity.caller_arn = Some(session.arn.clone());
                identity.account = Some(session.account.clone());
                let matched = RoleRef::parse(role)
                    .map_err(|e| e.to_string())
                    .and_then(|r| r.matches(&session.arn).map_err(|m| m.to_string()));
                match matched {
                    Ok(m) => (
                        Status::Pass,
                        Observation::new(
                            Answer::success(200, format!("{m}: {}", session.arn)),
                            &[],
                            form,
                        ),
                    ),
                    Err(why) => (
                        Status::Fail,
                        Observation::new(
                            Answer::success(200, format!("the session is {}", session.arn)),
                            &[],
                            form,
                        )
                        .note(format!("the session is not the role given to --chain: {why}")),
                    ),
                }
            }
            Some(Err(answer)) => (
                Status::Error,
                Observation::new(answer.clone(), &[], form).unsure(
                    "sts:GetCallerIdentity as the session failed",
                    format!(
                        "AssumeRole answered with a session of {role}, but sts:GetCallerIdentity with it failed: who the hop is was not proven"
                    ),
                ),
            ),
            None => (
                Status::Error,
                Observation::unknown("internal: the session was not asked who it is", form),
            ),
        },
        Assumed::Refused(refusal) => (
            Status::Fail,
            Observation::new(facts.assumed.clone(), &[], form).note(refusal.explain(source, role)),
        ),
        Assumed::CouldNotTell(why) => (
            Status::Error,
            Observation::new(facts.assumed.clone(), &[], form).unsure(
                why.clone(),
                format!("could not tell whether {source} may assume {role}: {why}"),
            ),
        ),
    };
    identity.status = status;
    let finding =
        Finding::new(subject(hop, role, resource), status, observation, duration).in_hop(hop);
    (finding, identity)
}

/// A hop not attempted, and why (an earlier hop failed, no identity). Pure.
pub fn skipped(hop: usize, role: &str, why: &str) -> (Finding, ChainHop) {
    let finding = Finding::new(
        subject(hop, role, role.to_owned()),
        Status::Skip,
        Observation::skipped(format!("not attempted: {why}")),
        Duration::ZERO,
    )
    .in_group(SkipGroup::NotAttempted)
    .in_hop(hop);
    let identity = ChainHop {
        hop,
        role: role.to_owned(),
        caller_arn: None,
        account: None,
        status: Status::Skip,
    };
    (finding, identity)
}

fn subject(hop: usize, role: &str, resource: String) -> Subject {
    Subject {
        action: assume::ACTION.to_owned(),
        service: "sts".to_owned(),
        label: label(hop, role),
        resource,
        expect: Some(Expect::Allow),
        display_name: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::Observed;

    const POD: &str = "arn:aws:sts::111122223333:assumed-role/app/irsa";
    const SOURCE: &str = "arn:aws:iam::111122223333:role/eks/app";
    const ROLE: &str = "arn:aws:iam::222233334444:role/x";

    fn facts(assumed: Answer, caller: Option<Result<Caller, Answer>>) -> Facts {
        Facts {
            form: "AssumeRole RoleArn=... RoleSessionName=irsa-verify-0 DurationSeconds=900".into(),
            assumed,
            caller,
        }
    }

    fn session() -> Caller {
        Caller {
            arn: "arn:aws:sts::222233334444:assumed-role/x/irsa-verify-0123".into(),
            account: "222233334444".into(),
        }
    }

    #[test]
    fn a_value_is_a_role_arn_and_maybe_a_policy_path() {
        assert_eq!(parse(ROLE), Ok((ROLE.to_owned(), None)));
        assert_eq!(
            parse(&format!("{ROLE}=policies/x.json")),
            Ok((ROLE.to_owned(), Some(PathBuf::from("policies/x.json"))))
        );
        assert_eq!(
            parse(&format!("{ROLE}=a=b")),
            Ok((ROLE.to_owned(), Some(PathBuf::from("a=b")))),
            "split at the first `=`"
        );
        assert_eq!(
            parse(&format!("{ROLE}=")),
            Err(HopError::EmptyPath(format!("{ROLE}=")))
        );
        for bad in [
            "x",
            "arn:aws:iam::222233334444:role/*",
            "arn:aws:iam::222233334444:user/x",
            "",
        ] {
            assert_eq!(parse(bad), Err(HopError::Role(bad.to_owned())), "{bad}");
        }
    }

    #[test]
    fn an_assumed_hop_passes_and_shows_its_session() {
        let (f, id) = conclude(
            1,
            ROLE,
            POD,
            SOURCE,
            &facts(Answer::success(200, ""), Some(Ok(session()))),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Pass);
        assert_eq!(
            f.name,
            format!("sts:AssumeRole chain hop 1 to {ROLE} expect allow")
        );
        assert_eq!(
            f.resource,
            session().arn,
            "the per-run session is in the output"
        );
        assert!(
            f.answer.summary().contains(&session().arn),
            "{}",
            f.answer.summary()
        );
        assert_eq!(f.hop, Some(1));
        assert_eq!(id.caller_arn.as_deref(), Some(session().arn.as_str()));
        assert_eq!(id.account.as_deref(), Some("222233334444"));
        assert_eq!(id.status, Status::Pass);
    }

    #[test]
    fn a_session_of_another_role_fails() {
        let other = Caller {
            arn: "arn:aws:sts::222233334444:assumed-role/y/irsa-verify-0".into(),
            account: "222233334444".into(),
        };
        let (f, _) = conclude(
            2,
            ROLE,
            POD,
            SOURCE,
            &facts(Answer::success(200, ""), Some(Ok(other))),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.notes[0].contains("not the role given to --chain"),
            "{:?}",
            f.notes
        );
    }

    #[test]
    fn a_refused_hop_fails_naming_the_policy_and_the_fix() {
        let trust = Answer::ServiceError {
            status: Some(403),
            code: Some("AccessDenied".into()),
            message: Some(format!(
                "User: {POD} is not authorized to perform: sts:AssumeRole on resource: {ROLE}"
            )),
        };
        let (f, id) = conclude(1, ROLE, POD, SOURCE, &facts(trust, None), Duration::ZERO);
        assert_eq!((f.status, f.observed), (Status::Fail, Observed::Denied));
        assert_eq!(f.denied_by, Some(assume::TRUST_LABEL));
        assert!(
            f.notes[0].contains(&format!(
                "the target role's trust policy must allow Principal AWS {SOURCE} Action sts:AssumeRole"
            )),
            "{:?}",
            f.notes
        );
        assert_eq!((id.status, id.caller_arn), (Status::Fail, None));
        let identity = Answer::ServiceError {
            status: Some(403),
            code: Some("AccessDenied".into()),
            message: Some(format!(
                "User: {POD} is not authorized to perform: sts:AssumeRole on resource: {ROLE} because no identity-based policy allows the sts:AssumeRole action"
            )),
        };
        let (f, _) = conclude(1, ROLE, POD, SOURCE, &facts(identity, None), Duration::ZERO);
        assert_eq!(f.status, Status::Fail);
        assert_eq!(f.denied_by, Some("no identity-based policy allows it"));
        assert!(
            f.notes[0].contains("the identity policy lacks it"),
            "{:?}",
            f.notes
        );
    }

    #[test]
    fn a_timeout_or_a_failed_who_am_i_is_could_not_tell() {
        let timeout = Answer::Transport {
            detail: "timed out waiting for AWS".into(),
        };
        let (f, id) = conclude(1, ROLE, POD, SOURCE, &facts(timeout, None), Duration::ZERO);
        assert_eq!((f.status, id.status), (Status::Error, Status::Error));
        let gci = Answer::ServiceError {
            status: Some(500),
            code: Some("InternalFailure".into()),
            message: None,
        };
        let (f, _) = conclude(
            1,
            ROLE,
            POD,
            SOURCE,
            &facts(Answer::success(200, ""), Some(Err(gci))),
            Duration::ZERO,
        );
        assert_eq!(f.status, Status::Error);
        assert!(f
            .unsure
            .as_deref()
            .unwrap_or("")
            .contains("GetCallerIdentity"));
    }

    #[test]
    fn a_skipped_hop_says_why_under_a_stable_name() {
        let (f, id) = skipped(2, ROLE, "chain hop 1 failed");
        assert_eq!(f.status, Status::Skip);
        assert_eq!(
            f.name,
            format!("sts:AssumeRole chain hop 2 to {ROLE} expect allow")
        );
        assert!(
            f.skip_message().contains("chain hop 1 failed"),
            "{}",
            f.skip_message()
        );
        assert_eq!(id.status, Status::Skip);
        assert_eq!(as_hop("account", 2), "account as chain hop 2");
    }
}

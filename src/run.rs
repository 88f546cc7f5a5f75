//! The flow: identity first, then every check concurrently, then results.

use std::time::{Duration, Instant};

use aws_credential_types::provider::SharedCredentialsProvider;
use futures_util::stream::{self, StreamExt};
use time::OffsetDateTime;
use tokio::time::timeout_at;

use crate::identity::{self, Arn, Established, Expectations, PodEnv};
use crate::outcome::{denied_principal, Answer, Observed};
use crate::probe::{self, Ctx, Probed};
use crate::results::{CheckResult, RunReport};
use crate::spec::Check;
use crate::verdict::{judge, Expect, Status};

/// Everything the run needs, decided before anything is sent.
#[derive(Debug, Clone)]
pub struct Plan {
    pub checks: Vec<Check>,
    pub expect: Expectations,
    /// Display name for the identity check, from the spec.
    pub identity_name: Option<String>,
    pub timeout: Duration,
    pub allow_destructive: bool,
    pub concurrency: usize,
    /// Stop after planning: nothing is sent.
    pub validate_only: bool,
}

impl Plan {
    /// The planned checks, for --validate-only.
    pub fn describe(&self) -> String {
        let mut out = format!(
            "valid: the identity check and {} check(s) would run (expected source: {})\n",
            self.checks.len(),
            self.expect.source.as_str()
        );
        if let Some((role, from)) = &self.expect.role {
            out.push_str(&format!("  expect role {} (from {from})\n", role.raw));
        }
        for c in &self.checks {
            let target = [c.bucket.as_deref(), c.object_key(), c.table.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            out.push_str(&format!(
                "  {} {target} expect {}\n",
                c.action.name,
                c.expect.as_str()
            ));
        }
        out
    }
}

pub async fn run(plan: &Plan) -> RunReport {
    let started_at = OffsetDateTime::now_utc();
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + plan.timeout;
    let env = PodEnv::from_env();

    let sdk = crate::aws::load(plan.timeout).await;
    let run_secs = plan.timeout.as_secs() as i64 + 1;
    let establish = identity::establish(&sdk, &plan.expect, env.clone(), run_secs);
    let mut est = match timeout_at(deadline, establish).await {
        Ok(est) => est,
        Err(_) => Established {
            identity: plan.expect.blank_identity(env),
            probed: timed_out(plan.timeout, "establishing the identity"),
            status: Status::Error,
            credentials: None,
        },
    };
    if let Some(problem) = crate::aws::tls_roots_problem() {
        est.probed.notes.push(problem.to_owned());
    }
    let identity_result = CheckResult::new(
        probe::identity_action(),
        est.identity
            .caller_arn
            .clone()
            .unwrap_or_else(|| "caller".to_owned()),
        Expect::Allow,
        plan.identity_name.clone(),
        est.status,
        est.probed,
        started.elapsed(),
    );

    let mut results = vec![identity_result];
    match est.credentials {
        Some(credentials) => {
            let caller = est.identity.caller_arn.clone().unwrap_or_default();
            let partition = Arn::parse(&caller)
                .map(|a| a.partition.to_owned())
                .unwrap_or_else(|| "aws".to_owned());
            let sdk = sdk
                .to_builder()
                .credentials_provider(SharedCredentialsProvider::new(credentials))
                .build();
            let ctx = Ctx::new(
                &sdk,
                est.identity.account.clone().unwrap_or_default(),
                partition,
                // Never destroy anything on behalf of the wrong identity.
                plan.allow_destructive && est.status == Status::Pass,
                &plan.checks,
            );
            // Unordered, so a slow check never holds a slot another could use;
            // the report keeps the order given.
            let (ctx, caller) = (&ctx, caller.as_str());
            let mut checked: Vec<(usize, CheckResult)> =
                stream::iter(plan.checks.iter().enumerate())
                    .map(|(i, check)| async move {
                        (
                            i,
                            run_check(ctx, check, caller, deadline, plan.timeout).await,
                        )
                    })
                    .buffer_unordered(plan.concurrency.max(1))
                    .collect()
                    .await;
            checked.sort_by_key(|(i, _)| *i);
            results.extend(checked.into_iter().map(|(_, r)| r));
        }
        None => {
            let reason = "not attempted: the identity could not be established (see the sts:GetCallerIdentity check)";
            results.extend(plan.checks.iter().map(|c| {
                let resource = probe::resource(c, "aws", &sdk_region(&sdk), "ACCOUNT");
                let probed = Probed::skipped(reason);
                CheckResult::new(
                    c.action,
                    resource,
                    c.expect,
                    c.name.clone(),
                    Status::Skip,
                    probed,
                    Duration::ZERO,
                )
            }));
        }
    }
    RunReport::new(started_at, started.elapsed(), est.identity, results)
}

fn sdk_region(sdk: &aws_config::SdkConfig) -> String {
    sdk.region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "REGION".to_owned())
}

fn timed_out(timeout: Duration, what: &str) -> Probed {
    Probed {
        observed: Observed::Unknown,
        answer: Answer::Transport {
            detail: format!(
                "timed out: --timeout {}s elapsed {what}",
                timeout.as_secs_f64()
            ),
        },
        form: "bounded by --timeout".to_owned(),
        notes: Vec::new(),
    }
}

async fn run_check(
    ctx: &Ctx,
    check: &Check,
    caller: &str,
    deadline: tokio::time::Instant,
    timeout: Duration,
) -> CheckResult {
    let started = Instant::now();
    let resource = probe::resource(check, &ctx.partition, &ctx.region, &ctx.account);
    let probed = match check.action.probe {
        Some(probe) => match timeout_at(deadline, probe(ctx, check)).await {
            Ok(p) => p,
            Err(_) => timed_out(timeout, "before AWS answered"),
        },
        None => Probed::skipped("internal: this action has no probe"),
    };
    let probed = other_principal(probed, caller);
    let status = judge(check.expect, probed.observed);
    let probed = if status == Status::Fail {
        with_fix(probed, check, &resource)
    } else {
        probed
    };
    CheckResult::new(
        check.action,
        resource,
        check.expect,
        check.name.clone(),
        status,
        probed,
        started.elapsed(),
    )
}

/// What a mismatch means and where to fix it.
fn with_fix(probed: Probed, check: &Check, resource: &str) -> Probed {
    let action = check.action.name;
    match check.expect {
        Expect::Deny => probed.note(format!(
            "the role may {action} on {resource}: a policy attached to it grants this (look for wildcards such as {}:* or Resource \"*\"); \
             remove the grant or add an explicit Deny",
            check.action.service.as_str()
        )),
        Expect::Allow => probed.note(format!(
            "the role may not {action} on {resource}: grant it in the role's policy (and check the resource ARN in the statement); \
             the \"denied by\" line says which kind of policy refused when AWS tells"
        )),
    }
}

/// A denial that names someone other than the caller says nothing about the
/// caller's permissions: could not tell, and say so loudly.
fn other_principal(probed: Probed, caller: &str) -> Probed {
    if probed.observed != Observed::Denied || caller.is_empty() {
        return probed;
    }
    match probed.answer.message().and_then(denied_principal) {
        Some(principal) if principal != caller => {
            let note = format!(
                "WARNING: AWS denied {principal}, not the caller {caller}: this request did not run as the identity checked above"
            );
            Probed {
                observed: Observed::Unknown,
                ..probed
            }
            .note(note)
        }
        _ => probed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denial_of_someone_else_is_not_a_denial_of_the_caller() {
        let denied = |msg: &str| {
            Probed::new(
                Answer::ServiceError {
                    status: Some(400),
                    code: Some("AccessDeniedException".into()),
                    message: Some(msg.into()),
                },
                &[],
                "f",
            )
        };
        let me = "arn:aws:sts::1:assumed-role/app/s";
        let p = other_principal(
            denied("User: arn:aws:sts::1:assumed-role/node/i-1 is not authorized to perform: x"),
            me,
        );
        assert_eq!(p.observed, Observed::Unknown);
        assert!(p.notes[0].starts_with("WARNING"));
        let p = other_principal(
            denied(&format!("User: {me} is not authorized to perform: x")),
            me,
        );
        assert_eq!(p.observed, Observed::Denied);
        assert_eq!(
            other_principal(denied("Access Denied"), me).observed,
            Observed::Denied
        );
    }
}

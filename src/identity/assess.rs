//! The pure half of the identity step: facts and expectations in, the
//! identity verdict, its notes and the report's identity data out.

use super::gather::{Facts, StsFailure, TokenFacts};
use super::source::{ExpectSource, Source};
use super::token::{self, TokenError};
use super::{Expectations, Identity};
use crate::answer::{Answer, Observation};
use crate::verdict::Status;

/// SigV4 tolerates 5 minutes of skew.
const MAX_SKEW_SECS: i64 = 300;

#[derive(Debug, Clone)]
pub struct Assessment {
    pub status: Status,
    pub observation: Observation,
    pub identity: Identity,
}

pub fn assess(f: &Facts, expect: &Expectations, run_secs: i64) -> Assessment {
    let mut identity = Identity::blank(expect, f.env.clone());
    identity.clock_skew_seconds = f.clock_skew_seconds;
    let (mut fails, mut warns) = (Vec::new(), Vec::new());
    let claims = match &f.token {
        TokenFacts::Read { kind, claims } => {
            let (fl, w) = token::assess(
                claims,
                kind.audience(),
                f.now,
                run_secs,
                expect.service_account.as_ref(),
            );
            fails.extend(fl);
            warns.extend(w);
            identity.token = Some(claims.clone());
            Some(claims)
        }
        TokenFacts::Failed { error, .. } => {
            identity.token_error = Some(error.to_string());
            None
        }
        TokenFacts::Absent => None,
    };
    let verdict = |status, observation, identity| Assessment {
        status,
        observation,
        identity,
    };

    if let Some(e) = f.malformed_irsa_token() {
        let path = f.env.aws_web_identity_token_file.as_deref().unwrap_or("");
        let o = Observation::unknown(e.to_string(), "not sent").note(format!(
            "the file at AWS_WEB_IDENTITY_TOKEN_FILE must be the projected ServiceAccount token the EKS webhook mounts \
             (volume aws-iam-token, path {path}); {e}"
        ));
        return verdict(Status::Fail, o, identity);
    }
    if claims.is_none() && expect.service_account.is_some() {
        fails.push("cannot confirm the ServiceAccount: no readable projected token".to_owned());
    }
    if !f.region_set {
        let mut o = Observation::unknown(
            "no AWS region: set AWS_REGION (the EKS webhook sets it for IRSA pods)",
            "not sent",
        );
        // The webhook sets AWS_REGION with the rest: say what else it did not inject.
        o.notes.extend(setup_hints(f, expect.source));
        return verdict(Status::Error, o, identity);
    }
    let Some((attempts, chain)) = &f.chain else {
        let o = Observation::unknown("internal: the credential chain was not asked", "not sent");
        return verdict(Status::Error, o, identity);
    };
    identity.providers = attempts.clone();
    let source = match chain {
        Ok(source) => *source,
        Err(failure) => {
            let what = failure
                .failed
                .map(|s| format!("{} failed", s.label()))
                .unwrap_or_else(|| "no source provided any".to_owned());
            let mut o = Observation::unknown(
                format!(
                    "no AWS credentials could be loaded: {what}: {}",
                    failure.message
                ),
                "the SDK's credential chain, provider by provider",
            );
            o.notes
                .extend(failure.causes.iter().map(|c| c.explain(claims)));
            o.notes.extend(setup_hints(f, expect.source));
            let tried: Vec<String> = attempts
                .iter()
                .map(|a| format!("{} -> {}", a.source.label(), a.outcome))
                .collect();
            o.notes
                .push(format!("sources tried, in order: {}", tried.join("; ")));
            o.notes.extend(warns);
            return verdict(Status::Error, o, identity);
        }
    };
    identity.source = Some(source);
    if !expect.source.accepts(source) {
        fails.push(source_mismatch(source, expect.source));
    }
    if let Some(skew) = f.clock_skew_seconds.filter(|s| s.abs() > MAX_SKEW_SECS) {
        warns.push(format!(
            "the local clock is {skew}s off AWS's (RequestTimeTooSkewed / Signature expired past 300s): synchronise the node's clock (chrony, Amazon Time Sync)"
        ));
    }
    let form = format!(
        "sts:GetCallerIdentity with credentials from {}",
        source.label()
    );
    let caller = match &f.sts {
        Some(Ok(caller)) => caller,
        Some(Err(StsFailure { answer, causes })) => {
            // A wrong source is a wrong identity even if STS could not confirm it.
            let status = if fails.is_empty() {
                Status::Error
            } else {
                Status::Fail
            };
            let mut o = Observation::new(answer.clone(), &[], form).inconclusive();
            o.notes.extend(fails);
            o.notes.extend(causes.iter().map(|c| c.explain(claims)));
            o.notes.extend(warns);
            return verdict(status, o, identity);
        }
        None => {
            let o = Observation::unknown("internal: STS was not asked", form);
            return verdict(Status::Error, o, identity);
        }
    };
    identity.caller_arn = Some(caller.arn.clone());
    identity.account = Some(caller.account.clone());
    identity.user_id = Some(caller.user_id.clone());

    let mut notes = Vec::new();
    let detail = match &expect.role {
        Some((role, origin)) => match role.matches(&caller.arn) {
            Ok(matched) => matched.to_string(),
            Err(mismatch) => {
                let msg = mismatch.to_string();
                notes.push(format!(
                    "expected role {} (from {}); the pod runs as {}",
                    role.raw,
                    origin.label(),
                    caller.arn
                ));
                if f.env.aws_role_arn.is_none() {
                    notes.extend(setup_hints(f, expect.source));
                }
                fails.insert(0, msg.clone());
                msg
            }
        },
        None => {
            notes.push("no expected role: pass --expect-role (or set AWS_ROLE_ARN) to check who the caller is, not only that credentials work".to_owned());
            format!("caller is {}", caller.arn)
        }
    };
    let status = if fails.is_empty() {
        Status::Pass
    } else {
        Status::Fail
    };
    let mut o = Observation::new(
        Answer::success(
            200,
            format!("{detail}; credentials from {}", source.label()),
        ),
        &[],
        form,
    );
    o.notes = fails.into_iter().chain(notes).chain(warns).collect();
    verdict(status, o, identity)
}

/// Why the expected credentials could not have loaded, as far as the
/// environment and the token file tell.
fn setup_hints(f: &Facts, expected: ExpectSource) -> Vec<String> {
    let env = &f.env;
    let mut hints = Vec::new();
    if expected == ExpectSource::PodIdentity {
        if env.aws_container_credentials_full_uri.is_none() {
            hints.push(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI is absent: EKS Pod Identity did not reach this pod. \
                 Create the association (aws eks create-pod-identity-association) for this namespace and ServiceAccount, \
                 make sure the eks-pod-identity-agent add-on runs, then restart the pod"
                    .to_owned(),
            );
        }
        return hints;
    }
    match (&env.aws_role_arn, &env.aws_web_identity_token_file) {
        (None, None) => hints.push(
            "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE are both absent: the EKS webhook did not inject IRSA into this pod. \
             Annotate the ServiceAccount with eks.amazonaws.com/role-arn, then restart the pod (kubectl rollout restart): \
             a pod that started before the annotation keeps its old environment"
                .to_owned(),
        ),
        (Some(_), None) => hints.push("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is absent: the webhook did not mount the token".to_owned()),
        (None, Some(_)) => hints.push("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is absent: the ServiceAccount's role annotation is missing".to_owned()),
        (Some(_), Some(_)) => {
            if let TokenFacts::Failed {
                error:
                    TokenError::Unreadable {
                        path,
                        reason,
                        permission_denied,
                    },
                ..
            } = &f.token
            {
                let fix = if *permission_denied {
                    "set the pod's securityContext.fsGroup so a non-root user can read it"
                } else {
                    "the webhook did not mount it (check the pod's aws-iam-token volume)"
                };
                hints.push(format!("the token file {path} cannot be read ({reason}): {fix}"));
            }
        }
    }
    hints
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::Observed;
    use crate::arn::{RoleRef, ServiceAccount};
    use crate::identity::gather::{Caller, ChainFailure, PodEnv, TokenKind};
    use crate::identity::hints::Cause;
    use crate::identity::source::Attempt;
    use crate::identity::token::Claims;
    use crate::identity::RoleOrigin;

    const ROLE: &str = "arn:aws:iam::111122223333:role/eks/my-app";
    const CALLER: &str = "arn:aws:sts::111122223333:assumed-role/my-app/web-identity-token-1";
    const NOW: i64 = 1_000_000;

    fn claims() -> Claims {
        Claims {
            iss: Some("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC".into()),
            sub: Some("system:serviceaccount:demo:app".into()),
            aud: vec!["sts.amazonaws.com".into()],
            exp: Some(NOW + 3600),
            iat: Some(NOW - 60),
            namespace: Some("demo".into()),
            service_account: Some("app".into()),
        }
    }

    fn irsa_env() -> PodEnv {
        PodEnv {
            aws_role_arn: Some(ROLE.into()),
            aws_web_identity_token_file: Some(
                "/var/run/secrets/eks.amazonaws.com/serviceaccount/token".into(),
            ),
            aws_region: Some("eu-west-1".into()),
            ..PodEnv::default()
        }
    }

    fn chain_ok(source: Source) -> Option<(Vec<Attempt>, Result<Source, ChainFailure>)> {
        let attempt = Attempt {
            source,
            outcome: "provided credentials".into(),
        };
        Some((vec![attempt], Ok(source)))
    }

    fn caller(arn: &str) -> Option<Result<Caller, StsFailure>> {
        Some(Ok(Caller {
            arn: arn.into(),
            account: "111122223333".into(),
            user_id: "AROA:x".into(),
        }))
    }

    fn sts_error(code: &str, message: &str) -> Option<Result<Caller, StsFailure>> {
        let answer = Answer::ServiceError {
            status: Some(403),
            code: Some(code.into()),
            message: Some(message.into()),
        };
        let causes = Cause::recognise(&answer.summary());
        Some(Err(StsFailure { answer, causes }))
    }

    /// A healthy IRSA pod: every row below changes one thing.
    fn healthy() -> Facts {
        Facts {
            env: irsa_env(),
            now: NOW,
            token: TokenFacts::Read {
                kind: TokenKind::Irsa,
                claims: claims(),
            },
            region_set: true,
            chain: chain_ok(Source::WebIdentity),
            sts: caller(CALLER),
            clock_skew_seconds: Some(0),
        }
    }

    fn expect() -> Expectations {
        Expectations {
            role: Some((RoleRef::parse(ROLE).unwrap(), RoleOrigin::Env)),
            source: ExpectSource::WebIdentity,
            service_account: Some(ServiceAccount::parse("demo:app").unwrap()),
        }
    }

    struct Row {
        mode: &'static str,
        facts: Facts,
        expect: Expectations,
        status: Status,
        observed: Observed,
        /// Text the verdict or one of its notes must contain.
        says: &'static str,
    }

    fn rows() -> Vec<Row> {
        let row = |mode, facts, expect, status, observed, says| Row {
            mode,
            facts,
            expect,
            status,
            observed,
            says,
        };
        use Observed::*;
        use Status::*;
        vec![
            row("healthy IRSA pod", healthy(), expect(), Pass, Allowed, "caller is role my-app in account 111122223333"),
            row("no expected role", healthy(), Expectations { role: None, ..expect() }, Pass, Allowed, "no expected role"),
            row("token file holds no JWT", Facts {
                token: TokenFacts::Failed { kind: TokenKind::Irsa, error: TokenError::NotAJwt { path: "/t".into(), reason: crate::identity::token::NotAJwt::Empty } },
                chain: None, sts: None, ..healthy()
            }, expect(), Fail, Unknown, "must be the projected ServiceAccount token"),
            row("no region", Facts { region_set: false, chain: None, sts: None, ..healthy() }, expect(), Error, Unknown, "no AWS region"),
            row("IRSA not injected, nothing in the chain", Facts {
                env: PodEnv { aws_region: Some("eu-west-1".into()), ..PodEnv::default() },
                token: TokenFacts::Absent,
                chain: Some((vec![], Err(ChainFailure { failed: None, message: "no source in the chain provided credentials".into(), causes: vec![] }))),
                sts: None, ..healthy()
            }, Expectations { service_account: None, ..expect() }, Error, Unknown, "the EKS webhook did not inject IRSA"),
            row("token unreadable for a non-root user", Facts {
                token: TokenFacts::Failed { kind: TokenKind::Irsa, error: TokenError::Unreadable { path: "/t".into(), reason: "Permission denied (os error 13)".into(), permission_denied: true } },
                chain: Some((vec![], Err(ChainFailure { failed: Some(Source::WebIdentity), message: "failed to read token file: Permission denied".into(), causes: vec![Cause::TokenUnreadable] }))),
                sts: None, ..healthy()
            }, Expectations { service_account: None, ..expect() }, Error, Unknown, "securityContext.fsGroup"),
            row("no OIDC provider", Facts {
                chain: Some((vec![], Err(ChainFailure { failed: Some(Source::WebIdentity), message: "InvalidIdentityToken: No OpenIDConnect provider found".into(), causes: vec![Cause::NoOidcProvider] }))),
                sts: None, ..healthy()
            }, expect(), Error, Unknown, "create-open-id-connect-provider --url https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"),
            row("trust policy refuses the token", Facts {
                chain: Some((vec![], Err(ChainFailure { failed: Some(Source::WebIdentity), message: "AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity".into(), causes: vec![Cause::TrustPolicyRefusesToken] }))),
                sts: None, ..healthy()
            }, expect(), Error, Unknown, "\"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub\": \"system:serviceaccount:demo:app\""),
            row("node role fallback", Facts {
                env: PodEnv { aws_region: Some("eu-west-1".into()), ..PodEnv::default() },
                token: TokenFacts::Absent,
                chain: chain_ok(Source::InstanceMetadata),
                sts: caller("arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc"), ..healthy()
            }, Expectations { service_account: None, ..expect() }, Fail, Allowed, "node's instance role"),
            row("static keys shadow IRSA", Facts { chain: chain_ok(Source::Environment), sts: caller("arn:aws:iam::111122223333:user/ci"), ..healthy() },
                expect(), Fail, Allowed, "static AWS_ACCESS_KEY_ID"),
            row("another role", Facts { sts: caller("arn:aws:sts::111122223333:assumed-role/other/s"), ..healthy() },
                expect(), Fail, Allowed, "role `other` is not the expected `my-app`"),
            row("another account", Facts { sts: caller("arn:aws:sts::999999999999:assumed-role/my-app/s"), ..healthy() },
                expect(), Fail, Allowed, "account 999999999999 is not the expected 111122223333"),
            row("another ServiceAccount", healthy(), Expectations { service_account: Some(ServiceAccount::parse("demo:other").unwrap()), ..expect() },
                Fail, Allowed, "not the expected system:serviceaccount:demo:other"),
            row("ServiceAccount expected, no token", Facts { token: TokenFacts::Absent, ..healthy() }, expect(), Fail, Allowed, "cannot confirm the ServiceAccount"),
            row("STS refuses, cause known", Facts { sts: sts_error("InvalidClientTokenId", "The security token included in the request is invalid."), ..healthy() },
                expect(), Error, Unknown, "AWS does not recognise these credentials"),
            row("STS refuses a wrong source", Facts { chain: chain_ok(Source::InstanceMetadata), sts: sts_error("ExpiredToken", "expired"), ..healthy() },
                expect(), Fail, Unknown, "wrong credential source"),
            row("clock skew", Facts { clock_skew_seconds: Some(-900), ..healthy() }, expect(), Pass, Allowed, "the local clock is -900s off"),
            row("token for the wrong audience", Facts {
                token: TokenFacts::Read { kind: TokenKind::Irsa, claims: Claims { aud: vec!["https://kubernetes.default.svc".into()], ..claims() } }, ..healthy()
            }, expect(), Pass, Allowed, "Incorrect token audience"),
            row("expired token", Facts { now: NOW + 7200, ..healthy() }, expect(), Pass, Allowed, "the token expired 3600s ago"),
            row("Pod Identity token for the wrong audience", Facts {
                env: PodEnv { aws_container_credentials_full_uri: Some("http://169.254.170.23/v1/credentials".into()), aws_container_authorization_token_file: Some("/t".into()), aws_region: Some("eu-west-1".into()), ..PodEnv::default() },
                token: TokenFacts::Read { kind: TokenKind::PodIdentity, claims: claims() },
                chain: chain_ok(Source::PodIdentity), ..healthy()
            }, Expectations { source: ExpectSource::PodIdentity, ..expect() }, Pass, Allowed, "the Pod Identity token's aud is [\"sts.amazonaws.com\"], not \"pods.eks.amazonaws.com\""),
            row("Pod Identity expected, IRSA answered", healthy(), Expectations { source: ExpectSource::PodIdentity, ..expect() }, Fail, Allowed, "IRSA's web identity takes precedence"),
        ]
    }

    #[test]
    fn each_failure_mode_gets_its_verdict_and_says_why() {
        for r in rows() {
            let a = assess(&r.facts, &r.expect, 30);
            let text = format!(
                "{} | {}",
                a.observation.answer.summary(),
                a.observation.notes.join(" | ")
            );
            assert_eq!(
                (a.status, a.observation.observed),
                (r.status, r.observed),
                "{}: {text}",
                r.mode
            );
            assert!(
                text.contains(r.says),
                "{}: should say `{}`: {text}",
                r.mode,
                r.says
            );
        }
    }

    #[test]
    fn skew_up_to_sigv4s_five_minutes_is_no_warning() {
        let skewed = |secs| {
            let a = assess(
                &Facts {
                    clock_skew_seconds: Some(secs),
                    ..healthy()
                },
                &expect(),
                30,
            );
            a.observation
                .notes
                .iter()
                .any(|n| n.contains("the local clock"))
        };
        assert!(!skewed(300) && !skewed(-300));
        assert!(skewed(301) && skewed(-301));
    }

    #[test]
    fn a_pod_identity_token_gets_one_audience_warning() {
        let r = rows()
            .into_iter()
            .find(|r| r.mode.starts_with("Pod Identity token"))
            .unwrap();
        let a = assess(&r.facts, &r.expect, 30);
        let aud: Vec<_> = a
            .observation
            .notes
            .iter()
            .filter(|n| n.contains("aud"))
            .collect();
        assert_eq!(aud.len(), 1, "{aud:?}");
    }

    #[test]
    fn nothing_is_sent_with_a_malformed_token_or_without_a_region() {
        let malformed = Facts {
            token: TokenFacts::Failed {
                kind: TokenKind::Irsa,
                error: TokenError::NotAJwt {
                    path: "/t".into(),
                    reason: crate::identity::token::NotAJwt::Empty,
                },
            },
            ..healthy()
        };
        assert!(Facts::sends_nothing(&malformed));
        assert!(Facts::sends_nothing(&Facts {
            region_set: false,
            ..healthy()
        }));
        assert!(!Facts::sends_nothing(&healthy()));
        let unreadable = Facts {
            token: TokenFacts::Failed {
                kind: TokenKind::Irsa,
                error: TokenError::Unreadable {
                    path: "/t".into(),
                    reason: "x".into(),
                    permission_denied: false,
                },
            },
            ..healthy()
        };
        assert!(
            !Facts::sends_nothing(&unreadable),
            "the SDK's own error names an unreadable file"
        );
    }

    #[test]
    fn the_report_carries_the_caller_and_the_token() {
        let a = assess(&healthy(), &expect(), 30);
        assert_eq!(a.identity.caller_arn.as_deref(), Some(CALLER));
        assert_eq!(a.identity.source, Some(Source::WebIdentity));
        assert_eq!(a.identity.token, Some(claims()));
        assert_eq!(a.identity.label(), format!("as {ROLE}"));
    }

    #[test]
    fn without_a_region_the_setup_diagnosis_is_still_given() {
        let mut f = Facts {
            region_set: false,
            chain: None,
            sts: None,
            ..healthy()
        };
        f.env.aws_role_arn = None;
        f.env.aws_web_identity_token_file = None;
        f.token = TokenFacts::Absent;
        let a = assess(&f, &expect(), 30);
        assert!(a.observation.answer.summary().contains("no AWS region"));
        assert!(
            a.observation
                .notes
                .iter()
                .any(|n| n.contains("the EKS webhook did not inject IRSA")),
            "{:?}",
            a.observation.notes
        );
    }
}

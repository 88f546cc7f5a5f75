//! The role's trust policy, checked offline against the pod's token before
//! STS is asked: does it let this pod's identity assume the role? Pure.

use crate::answer::{Answer, Observation, Observed};
use crate::arn::RoleRef;
use crate::identity::hints::Cause;
use crate::identity::token::Claims;
use crate::policy::eval::wildcard;
use crate::policy::{Condition, Effect, Policy, Statement};
use crate::verdict::Status;

pub const IRSA_ACTION: &str = "sts:AssumeRoleWithWebIdentity";
pub const POD_IDENTITY_ACTION: &str = "sts:AssumeRole";
const POD_IDENTITY_SERVICE: &str = "pods.eks.amazonaws.com";

/// How the pod assumes its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Irsa,
    PodIdentity,
}

impl Mode {
    pub fn action(self) -> &'static str {
        match self {
            Mode::Irsa => IRSA_ACTION,
            Mode::PodIdentity => POD_IDENTITY_ACTION,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub status: Status,
    pub observation: Observation,
}

fn allows_action(s: &Statement, action: &str) -> bool {
    let any = s.actions.patterns.iter().any(|p| wildcard(p, action, true));
    any != s.actions.negated
}

fn principals<'a>(s: &'a Statement, kind: &'a str) -> impl Iterator<Item = &'a String> {
    s.principal
        .iter()
        .filter(move |(k, _)| k == kind || k == "*")
        .flat_map(|(_, v)| v.iter())
}

fn verdict(status: Status, detail: String, form: String, notes: Vec<String>) -> Verdict {
    let observed = match status {
        Status::Pass => Observed::Allowed,
        Status::Fail => Observed::Denied,
        _ => Observed::Unknown,
    };
    Verdict {
        status,
        observation: Observation {
            observed,
            answer: Answer::not_sent(detail),
            form,
            notes,
            unsure: None,
            probed: None,
        },
    }
}

/// The operator without IAM's set and IfExists qualifiers, and whether it negates.
fn base_operator(op: &str) -> (&str, bool) {
    let op = op
        .trim_start_matches("ForAnyValue:")
        .trim_start_matches("ForAllValues:");
    let op = op.strip_suffix("IfExists").unwrap_or(op);
    match op {
        "StringNotEquals" => ("StringEquals", true),
        "StringNotLike" => ("StringLike", true),
        other => (other, false),
    }
}

/// Whether something about the token holds, and why: an explanation either way.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Held<T> {
    Yes(T),
    No(String),
}

/// One condition on the token's sub or aud.
fn check_condition(c: &Condition, token_values: &[String], claim: &str) -> Held<String> {
    let (op, negated) = base_operator(&c.operator);
    let matches = |v: &String| {
        c.values.iter().any(|want| match op {
            "StringLike" => wildcard(want, v, false),
            _ => want == v,
        })
    };
    let hit = token_values.iter().any(matches);
    let holds = hit != negated;
    let shown = token_values.join(",");
    let wants = format!("{} {} {:?}", c.operator, c.key, c.values);
    let literal_wildcard = op == "StringEquals" && c.values.iter().any(|v| v.contains(['*', '?']));
    if holds {
        return Held::Yes(format!("{wants} holds for the token's {claim} `{shown}`"));
    }
    let mut why = format!("{wants} does not hold: the token's {claim} is `{shown}`");
    if literal_wildcard {
        why.push_str(
            "; StringEquals compares literally, so its wildcard matches only a literal `*`: use StringLike",
        );
    }
    Held::No(why)
}

/// Why one statement does or does not accept the token, and the conditions it
/// could not evaluate.
fn irsa_statement(
    s: &Statement,
    provider_suffix: &str,
    provider: &str,
    claims: &Claims,
    issuer_host: &str,
) -> (Held<Vec<String>>, Vec<String>) {
    let mut unevaluated = Vec::new();
    if !allows_action(s, IRSA_ACTION) {
        return (
            Held::No(format!("{} does not name {IRSA_ACTION}", s.label)),
            unevaluated,
        );
    }
    let federated: Vec<&String> = principals(s, "Federated").collect();
    if !federated
        .iter()
        .any(|f| *f == "*" || f.ends_with(provider_suffix))
    {
        return (
            Held::No(format!(
                "{} trusts Federated {:?}, not the OIDC provider of the token's issuer ({provider})",
                s.label, federated
            )),
            unevaluated,
        );
    }
    let mut held = Vec::new();
    for c in &s.conditions {
        let claim = c
            .key
            .rsplit_once(':')
            .filter(|(host, _)| host.eq_ignore_ascii_case(issuer_host))
            .map(|(_, claim)| claim.to_ascii_lowercase());
        let (op, _) = base_operator(&c.operator);
        let values = match claim.as_deref() {
            Some("sub") => claims.sub.iter().cloned().collect::<Vec<_>>(),
            Some("aud") => claims.aud.clone(),
            _ => {
                unevaluated.push(format!("{} {} (not evaluated)", c.operator, c.key));
                continue;
            }
        };
        if !matches!(op, "StringEquals" | "StringLike") {
            unevaluated.push(format!("{} {} (operator not evaluated)", c.operator, c.key));
            continue;
        }
        let claim = claim.unwrap_or_default();
        match check_condition(c, &values, &claim) {
            Held::Yes(why) => held.push(why),
            Held::No(why) => return (Held::No(format!("{}: {why}", s.label)), unevaluated),
        }
    }
    (Held::Yes(held), unevaluated)
}

fn irsa(policy: &Policy, claims: Option<&Claims>, role: Option<&RoleRef>, form: String) -> Verdict {
    let Some(claims) = claims else {
        return verdict(
            Status::Error,
            "cannot check the trust policy: no readable projected token to check it against"
                .to_owned(),
            form,
            Vec::new(),
        );
    };
    let Some(iss) = claims.iss.as_deref() else {
        return verdict(
            Status::Error,
            "cannot check the trust policy: the token has no iss".to_owned(),
            form,
            Vec::new(),
        );
    };
    let issuer_host = iss.trim_start_matches("https://");
    let provider_suffix = format!(":oidc-provider/{issuer_host}");
    // With the role's account known, the provider must be in it; else only
    // the issuer part can be compared.
    let known = role
        .and_then(|r| Some((r.partition.as_deref()?, r.account.as_deref()?)))
        .map(|(partition, account)| format!("arn:{partition}:iam::{account}{provider_suffix}"));
    let provider = known
        .clone()
        .unwrap_or_else(|| format!("arn:aws:iam::<the role's account>{provider_suffix}"));
    let suffix = known.unwrap_or_else(|| provider_suffix.clone());
    let mut refusals = Vec::new();
    let mut accepted: Option<(String, Vec<String>, Vec<String>)> = None;
    let mut denied_by = None;
    for s in &policy.statements {
        let (result, unevaluated) = irsa_statement(s, &suffix, &provider, claims, issuer_host);
        match (s.effect, result) {
            (Effect::Deny, Held::Yes(_)) => denied_by = Some(s.label.clone()),
            (Effect::Allow, Held::Yes(held)) if accepted.is_none() => {
                accepted = Some((s.label.clone(), held, unevaluated))
            }
            (Effect::Allow, Held::No(why)) => refusals.push(why),
            _ => {}
        }
    }
    if let Some(deny) = denied_by {
        return verdict(
            Status::Fail,
            format!("the trust policy refuses this pod's token: {deny} denies {IRSA_ACTION} to it"),
            form,
            Vec::new(),
        );
    }
    match accepted {
        Some((label, held, unevaluated)) => {
            let mut notes = held;
            if !unevaluated.is_empty() {
                notes.push(format!(
                    "conditions not evaluated: {}",
                    unevaluated.join("; ")
                ));
            }
            verdict(
                Status::Pass,
                format!(
                    "{label} lets Federated {provider} assume the role with this token (sub {}, aud {})",
                    claims.sub.as_deref().unwrap_or("(none)"),
                    claims.aud.join(",")
                ),
                form,
                notes,
            )
        }
        None => {
            let detail = if refusals.is_empty() {
                format!("the trust policy has no Allow statement for {IRSA_ACTION}")
            } else {
                format!(
                    "the trust policy does not accept this pod's token: {}",
                    refusals.join("; ")
                )
            };
            let fix = format!(
                "fix: an Allow statement with Action {IRSA_ACTION}, Principal Federated {provider}, and Condition StringEquals \
                 {{\"{issuer_host}:sub\": \"{}\", \"{issuer_host}:aud\": \"sts.amazonaws.com\"}} (StringLike for wildcards)",
                claims.sub.as_deref().unwrap_or("system:serviceaccount:<namespace>:<serviceaccount>")
            );
            verdict(Status::Fail, detail, form, vec![fix])
        }
    }
}

fn pod_identity(policy: &Policy, form: String) -> Verdict {
    let trusted: Vec<&Statement> = policy
        .statements
        .iter()
        .filter(|s| {
            s.effect == Effect::Allow
                && principals(s, "Service").any(|p| p == POD_IDENTITY_SERVICE || p == "*")
        })
        .collect();
    let needed = [POD_IDENTITY_ACTION, "sts:TagSession"];
    let missing: Vec<&str> = needed
        .into_iter()
        .filter(|a| !trusted.iter().any(|s| allows_action(s, a)))
        .collect();
    let denied: Vec<&str> = policy
        .statements
        .iter()
        .filter(|s| {
            s.effect == Effect::Deny
                && principals(s, "Service").any(|p| p == POD_IDENTITY_SERVICE || p == "*")
        })
        .flat_map(|s| {
            needed
                .into_iter()
                .filter(move |a| allows_action(s, a))
                .map(move |_| s.label.as_str())
        })
        .collect();
    if let Some(deny) = denied.first() {
        return verdict(
            Status::Fail,
            format!("{deny} denies EKS Pod Identity ({POD_IDENTITY_SERVICE})"),
            form,
            Vec::new(),
        );
    }
    if trusted.is_empty() {
        return verdict(
            Status::Fail,
            format!("no Allow statement trusts Service {POD_IDENTITY_SERVICE}"),
            form,
            vec![format!("fix: trust Principal {{\"Service\": \"{POD_IDENTITY_SERVICE}\"}} with Action [\"sts:AssumeRole\", \"sts:TagSession\"]")],
        );
    }
    if !missing.is_empty() {
        return verdict(
            Status::Fail,
            format!(
                "the statements trusting {POD_IDENTITY_SERVICE} ({}) do not allow {}: EKS Pod Identity needs both sts:AssumeRole and sts:TagSession",
                trusted.iter().map(|s| s.label.as_str()).collect::<Vec<_>>().join(", "),
                missing.join(" and ")
            ),
            form,
            Vec::new(),
        );
    }
    let notes = trusted
        .iter()
        .filter(|s| !s.conditions.is_empty())
        .map(|s| {
            format!(
                "{}: conditions not evaluated ({})",
                s.label,
                s.conditions
                    .iter()
                    .map(|c| c.key.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    verdict(
        Status::Pass,
        format!(
            "{} lets Service {POD_IDENTITY_SERVICE} sts:AssumeRole and sts:TagSession",
            trusted[0].label
        ),
        form,
        notes,
    )
}

pub fn check(
    policy: &Policy,
    mode: Mode,
    claims: Option<&Claims>,
    role: Option<&RoleRef>,
) -> Verdict {
    let form = format!(
        "evaluated offline, before STS: the trust policy {} against {}",
        policy.source.display(),
        match mode {
            Mode::Irsa => "the pod's projected token (iss, sub, aud) and the expected role",
            Mode::PodIdentity => "EKS Pod Identity's service principal",
        }
    );
    match mode {
        Mode::Irsa => irsa(policy, claims, role, form),
        Mode::PodIdentity => pod_identity(policy, form),
    }
}

/// When the trust policy accepts the token and STS still refuses it, the
/// refusal comes from somewhere else: say where to look.
pub fn elsewhere(trust: Status, causes: &[Cause]) -> Option<String> {
    let refused = causes
        .iter()
        .any(|c| matches!(c, Cause::TrustPolicyRefusesToken | Cause::IncorrectAudience));
    (trust == Status::Pass && refused).then(|| {
        "the trust policy given with --trust-policy accepts this token, yet STS refused it: the refusal comes from elsewhere. \
         Check the IAM OIDC provider's audience (client ID) list, and that the file is the role's current trust policy \
         (aws iam get-role --role-name ROLE)"
            .to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;
    use std::path::Path;

    const ISS: &str = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC";
    const HOST: &str = "oidc.eks.eu-west-1.amazonaws.com/id/ABC";

    fn claims() -> Claims {
        Claims {
            iss: Some(ISS.into()),
            sub: Some("system:serviceaccount:demo:app".into()),
            aud: vec!["sts.amazonaws.com".into()],
            ..Claims::default()
        }
    }

    fn role() -> RoleRef {
        RoleRef::parse("arn:aws:iam::111122223333:role/app").unwrap()
    }

    fn trust(principal: &str, op: &str, sub: &str, aud: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{principal}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"{op}":{{"{HOST}:sub":"{sub}","{HOST}:aud":"{aud}"}}}}}}]}}"#
        )
    }

    fn run(doc: &str, mode: Mode) -> Verdict {
        let p = parse(doc.as_bytes(), Path::new("trust.json")).unwrap();
        check(&p, mode, Some(&claims()), Some(&role()))
    }

    fn text(v: &Verdict) -> String {
        format!(
            "{} | {}",
            v.observation.answer.summary(),
            v.observation.notes.join(" | ")
        )
    }

    #[test]
    fn each_trust_policy_failure_is_named_exactly() {
        let provider = format!("arn:aws:iam::111122223333:oidc-provider/{HOST}");
        let cases = [
            ("correct", trust(&provider, "StringEquals", "system:serviceaccount:demo:app", "sts.amazonaws.com"), Status::Pass,
             "trust.json statement 1 lets Federated arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"),
            ("StringLike wildcard", trust(&provider, "StringLike", "system:serviceaccount:demo:*", "sts.amazonaws.com"), Status::Pass, "holds for the token's sub"),
            ("sub mismatch", trust(&provider, "StringEquals", "system:serviceaccount:demo:other", "sts.amazonaws.com"), Status::Fail,
             "StringEquals oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub [\"system:serviceaccount:demo:other\"] does not hold: the token's sub is `system:serviceaccount:demo:app`"),
            ("aud mismatch", trust(&provider, "StringEquals", "system:serviceaccount:demo:app", "https://kubernetes.default.svc"), Status::Fail,
             "aud [\"https://kubernetes.default.svc\"] does not hold: the token's aud is `sts.amazonaws.com`"),
            ("wildcard under StringEquals", trust(&provider, "StringEquals", "system:serviceaccount:demo:*", "sts.amazonaws.com"), Status::Fail,
             "StringEquals compares literally"),
            ("wrong provider", trust("arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/OTHER", "StringEquals", "system:serviceaccount:demo:app", "sts.amazonaws.com"), Status::Fail,
             "trusts Federated [\"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/OTHER\"], not the OIDC provider of the token's issuer (arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC)"),
            ("provider in another account", trust(&format!("arn:aws:iam::999999999999:oidc-provider/{HOST}"), "StringEquals", "system:serviceaccount:demo:app", "sts.amazonaws.com"), Status::Fail,
             "not the OIDC provider"),
            ("negated operator", trust(&provider, "StringNotEquals", "system:serviceaccount:demo:app", "x"), Status::Fail, "StringNotEquals"),
        ];
        for (name, doc, status, says) in cases {
            let v = run(&doc, Mode::Irsa);
            assert_eq!(v.status, status, "{name}: {}", text(&v));
            assert!(
                text(&v).contains(says),
                "{name}: should say `{says}`: {}",
                text(&v)
            );
        }
    }

    #[test]
    fn other_operators_and_keys_are_named_not_evaluated() {
        let provider = format!("arn:aws:iam::111122223333:oidc-provider/{HOST}");
        let doc = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringEquals":{{"{HOST}:sub":"system:serviceaccount:demo:app"}},"ArnLike":{{"{HOST}:sub":"x"}},"IpAddress":{{"aws:SourceIp":"10.0.0.0/8"}}}}}}]}}"#
        );
        let v = run(&doc, Mode::Irsa);
        assert_eq!(v.status, Status::Pass, "{}", text(&v));
        assert!(
            text(&v).contains("ArnLike") && text(&v).contains("aws:SourceIp (not evaluated)"),
            "{}",
            text(&v)
        );
    }

    #[test]
    fn an_explicit_deny_refuses() {
        let provider = format!("arn:aws:iam::111122223333:oidc-provider/{HOST}");
        let doc = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity"}},{{"Sid":"NoDemo","Effect":"Deny","Principal":"*","Action":"sts:*","Condition":{{"StringLike":{{"{HOST}:sub":"system:serviceaccount:demo:*"}}}}}}]}}"#
        );
        let v = run(&doc, Mode::Irsa);
        assert_eq!(v.status, Status::Fail);
        assert!(text(&v).contains("Sid NoDemo"), "{}", text(&v));
    }

    #[test]
    fn pod_identity_needs_assume_role_and_tag_session() {
        let ok = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
        assert_eq!(run(ok, Mode::PodIdentity).status, Status::Pass);
        let no_tag = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let v = run(no_tag, Mode::PodIdentity);
        assert_eq!(v.status, Status::Fail);
        assert!(
            text(&v).contains("do not allow sts:TagSession"),
            "{}",
            text(&v)
        );
        let irsa_only = trust("arn:aws:iam::1:oidc-provider/x", "StringEquals", "a", "b");
        assert!(text(&run(&irsa_only, Mode::PodIdentity))
            .contains("no Allow statement trusts Service pods.eks.amazonaws.com"));
    }

    #[test]
    fn verdicts_carry_the_action_and_the_observation() {
        assert_eq!(Mode::Irsa.action(), "sts:AssumeRoleWithWebIdentity");
        assert_eq!(Mode::PodIdentity.action(), "sts:AssumeRole");
        let provider = format!("arn:aws:iam::111122223333:oidc-provider/{HOST}");
        let pass = run(
            &trust(
                &provider,
                "StringEquals",
                "system:serviceaccount:demo:app",
                "sts.amazonaws.com",
            ),
            Mode::Irsa,
        );
        assert_eq!(pass.observation.observed, Observed::Allowed);
        let fail = run(
            &trust(&provider, "StringEquals", "x", "sts.amazonaws.com"),
            Mode::Irsa,
        );
        assert_eq!(fail.observation.observed, Observed::Denied);
        // A StringLike that does not hold says nothing of literal comparison.
        let like = run(
            &trust(
                &provider,
                "StringLike",
                "system:serviceaccount:other:*",
                "sts.amazonaws.com",
            ),
            Mode::Irsa,
        );
        assert_eq!(like.status, Status::Fail);
        assert!(
            !text(&like).contains("compares literally"),
            "{}",
            text(&like)
        );
    }

    #[test]
    fn the_first_accepting_statement_is_named() {
        let provider = format!("arn:aws:iam::111122223333:oidc-provider/{HOST}");
        let doc = format!(
            r#"{{"Statement":[{{"Sid":"First","Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity"}},{{"Sid":"Second","Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithWebIdentity"}}]}}"#
        );
        assert!(text(&run(&doc, Mode::Irsa)).contains("Sid First"));
    }

    #[test]
    fn pod_identity_principals_denials_and_conditions() {
        let star = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"*"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
        assert_eq!(run(star, Mode::PodIdentity).status, Status::Pass);
        let other = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#;
        assert!(text(&run(other, Mode::PodIdentity))
            .contains("no Allow statement trusts Service pods.eks.amazonaws.com"));
        let denied = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},
            {"Sid":"NoPods","Effect":"Deny","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":"sts:TagSession"}]}"#;
        let v = run(denied, Mode::PodIdentity);
        assert_eq!(v.status, Status::Fail);
        assert!(
            text(&v).contains("Sid NoPods") && text(&v).contains("denies EKS Pod Identity"),
            "{}",
            text(&v)
        );
        let deny_other = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},
            {"Effect":"Deny","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(run(deny_other, Mode::PodIdentity).status, Status::Pass);
        let deny_star = r#"{"Statement":[
            {"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]},
            {"Effect":"Deny","Principal":{"Service":"*"},"Action":"sts:AssumeRole"}]}"#;
        assert_eq!(run(deny_star, Mode::PodIdentity).status, Status::Fail);
        let conditional = r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"pods.eks.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}"#;
        let v = run(conditional, Mode::PodIdentity);
        assert_eq!(v.status, Status::Pass);
        assert!(
            text(&v).contains("conditions not evaluated (aws:SourceAccount)"),
            "{}",
            text(&v)
        );
        assert!(!text(&run(star, Mode::PodIdentity)).contains("conditions not evaluated"));
    }

    #[test]
    fn without_a_token_the_trust_policy_cannot_be_checked() {
        let p = parse(
            trust("x", "StringEquals", "a", "b").as_bytes(),
            Path::new("t.json"),
        )
        .unwrap();
        assert_eq!(check(&p, Mode::Irsa, None, None).status, Status::Error);
    }

    #[test]
    fn a_refusal_despite_an_accepting_trust_policy_points_elsewhere() {
        assert!(elsewhere(Status::Pass, &[Cause::TrustPolicyRefusesToken])
            .unwrap()
            .contains("audience"));
        assert!(elsewhere(Status::Fail, &[Cause::TrustPolicyRefusesToken]).is_none());
        assert!(elsewhere(Status::Pass, &[Cause::Expired]).is_none());
    }
}

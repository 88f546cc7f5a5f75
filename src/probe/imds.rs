//! Can this pod reach the node's instance role? It should not: a pod without
//! IRSA would silently use it.
//!
//! Only the role's NAME is read (the listing of security-credentials/): it is
//! proof enough that the role is reachable, and the node's credentials are
//! never requested, so they can never be printed.
//!
//! A hop limit of 1 only drops the answer to the IMDSv2 token PUT. With
//! HttpTokens=optional the same endpoint still answers a tokenless IMDSv1 GET
//! (EC2 User Guide, "Configure the instance metadata options"), so a failed
//! token request is followed by that GET before anything is called out of reach.

use std::time::Duration;

use aws_smithy_types::timeout::TimeoutConfig;

use crate::answer::{Answer, Observation, Observed};
use crate::aws::Unanswered;

const TOKEN_PATH: &str = "/latest/api/token";
const CREDENTIALS_PATH: &str = "/latest/meta-data/iam/security-credentials/";
/// The shortest TTL that still covers the one GET that follows.
const TOKEN_TTL_SECONDS: &str = "60";

pub fn endpoint() -> String {
    std::env::var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or_else(|_| "http://169.254.169.254".to_owned())
}

/// What one request to the metadata endpoint got back.
type Reply = Result<(u16, String), Unanswered>;

/// How the role listing was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// With an IMDSv2 token the endpoint handed out.
    V2,
    /// Without a token (IMDSv1), after the token request failed.
    V1,
}

const REQUIRE_IMDSV2: &str = "Require IMDSv2 with a hop limit of 1 \
     (aws ec2 modify-instance-metadata-options --instance-id ... --http-tokens required --http-put-response-hop-limit 1, \
     or the launch template's metadata options HttpTokens: required, HttpPutResponseHopLimit: 1), \
     or block 169.254.169.254/32 with a NetworkPolicy";

pub async fn unreachable() -> Observation {
    let base = endpoint();
    let base = base.trim_end_matches('/');
    let token = send(
        "PUT",
        &format!("{base}{TOKEN_PATH}"),
        vec![(
            "x-aws-ec2-metadata-token-ttl-seconds",
            TOKEN_TTL_SECONDS.to_owned(),
        )],
    )
    .await;
    let url = format!("{base}{CREDENTIALS_PATH}");
    match issued_token(&token) {
        Some(t) => {
            let listed = send("GET", &url, vec![("x-aws-ec2-metadata-token", t)]).await;
            let form = format!(
                "PUT {TOKEN_PATH} for an IMDSv2 token, then GET {CREDENTIALS_PATH} with it, at {base} \
                 (1 s timeouts, one attempt each); only the role's name is read, never its credentials"
            );
            verdict(Listing::V2, &token, &listed, form)
        }
        None => {
            let listed = send("GET", &url, Vec::new()).await;
            let form = format!(
                "PUT {TOKEN_PATH} for an IMDSv2 token ({}), then GET {CREDENTIALS_PATH} without a token (IMDSv1), at {base} \
                 (1 s timeouts, one attempt each); only the role's name is read, never its credentials",
                summary(&token)
            );
            verdict(Listing::V1, &token, &listed, form)
        }
    }
}

async fn send(method: &'static str, url: &str, headers: Vec<(&'static str, String)>) -> Reply {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(1))
        // A backstop: connect and read timeouts alone leave a slow trickle unbounded.
        .operation_timeout(Duration::from_secs(3))
        .build();
    crate::aws::plain(method, url, headers, timeouts).await
}

/// The token, when the PUT handed one out.
fn issued_token(reply: &Reply) -> Option<String> {
    match reply {
        Ok((200, body)) => {
            let t = body.trim();
            // A token is one printable header value; anything else is not one.
            (!t.is_empty() && t.len() <= 1024 && t.bytes().all(|b| b.is_ascii_graphic()))
                .then(|| t.to_owned())
        }
        _ => None,
    }
}

/// The role name a listing names, if its first line is one. IAM role names are
/// 1-64 of [A-Za-z0-9+=,.@_-]: a 200 from a proxy or a captive page is not a role.
fn role_name(body: &str) -> Option<&str> {
    let name = body.lines().next()?.trim();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    ok.then_some(name)
}

fn summary(reply: &Reply) -> String {
    match reply {
        Ok((status, _)) => format!("answered {status}"),
        Err(Unanswered::Silent(d)) => format!("no answer: {d}"),
        Err(Unanswered::Garbled(d)) => format!("an unreadable answer: {d}"),
    }
}

/// Pure: what the token request and the role listing show. The listing's
/// answer decides; the token's only matters when the listing got none.
fn verdict(how: Listing, token: &Reply, listed: &Reply, form: String) -> Observation {
    let result = |observed, answer, note: String| Observation {
        observed,
        answer,
        form: form.clone(),
        notes: vec![note],
        unsure: None,
        probed: None,
    };
    let status_answer = |status: u16| Answer::ServiceError {
        status: Some(status),
        code: None,
        message: None,
    };
    match listed {
        Ok((200, body)) => match role_name(body) {
            Some(role) => {
                let how_seen = match how {
                    Listing::V2 => "IMDSv2 handed this pod a token and listed it".to_owned(),
                    Listing::V1 => format!(
                        "IMDSv1 answered without a token (the IMDSv2 token request {}, as behind a hop limit of 1, \
                         but HttpTokens is optional, so the hop limit does not protect the role)",
                        summary(token)
                    ),
                };
                result(
                    Observed::Allowed,
                    Answer::success(200, format!("the node role {role} is listed")),
                    format!(
                        "the node role {role} is reachable: {how_seen}; a pod without IRSA would silently use it. {REQUIRE_IMDSV2}"
                    ),
                )
            }
            None if body.trim().is_empty() => result(
                Observed::Denied,
                Answer::success(200, "no role listed"),
                "IMDS answers but lists no instance role".to_owned(),
            ),
            None => result(
                Observed::Unknown,
                Answer::success(200, format!("{} bytes that are not a role name", body.len())),
                "could not tell: the endpoint answered 200, but not with an instance role's name (a proxy in the way?)".to_owned(),
            ),
        },
        Ok((status @ (401 | 403 | 404), _)) => {
            let note = match (how, status) {
                (Listing::V1, 401) => format!(
                    "IMDSv1 is refused (401: HttpTokens is required) and the IMDSv2 token request {}: \
                     the node role is out of reach from this pod",
                    summary(token)
                ),
                _ => "IMDS answers but hands out no instance-role credentials".to_owned(),
            };
            result(Observed::Denied, status_answer(*status), note)
        }
        Ok((status, _)) => result(
            Observed::Unknown,
            status_answer(*status),
            format!(
                "could not tell: IMDS answered the role listing {status}, which shows neither a role nor a refusal"
            ),
        ),
        // Silence counts only when the token request met silence too: an
        // endpoint that answered one request and not the other is not "out of reach".
        Err(Unanswered::Silent(d)) if how == Listing::V1 && matches!(token, Err(Unanswered::Silent(_))) => result(
            Observed::Denied,
            Answer::Transport { detail: d.clone() },
            "instance metadata is out of reach from this pod: neither the IMDSv2 token request nor a tokenless IMDSv1 GET was answered \
             (as with no EC2 node, or a NetworkPolicy blocking 169.254.169.254)"
                .to_owned(),
        ),
        Err(e @ (Unanswered::Silent(d) | Unanswered::Garbled(d))) => result(
            Observed::Unknown,
            Answer::Transport { detail: d.clone() },
            format!(
                "could not tell: the IMDSv2 token request {}, and the role listing got {}",
                summary(token),
                summary(&Err(e.clone()))
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn silent() -> Reply {
        Err(Unanswered::Silent("timed out".into()))
    }

    fn garbled() -> Reply {
        Err(Unanswered::Garbled("invalid HTTP".into()))
    }

    fn answered(status: u16, body: &str) -> Reply {
        Ok((status, body.to_owned()))
    }

    fn observed(how: Listing, token: Reply, listed: Reply) -> Observation {
        verdict(how, &token, &listed, "f".into())
    }

    #[test]
    fn a_role_listed_without_a_token_is_reachable_and_says_how_to_require_imdsv2() {
        let o = observed(Listing::V1, silent(), answered(200, "node-role\n"));
        assert_eq!(o.observed, Observed::Allowed);
        let note = &o.notes[0];
        assert!(note.contains("node-role"), "{note}");
        assert!(note.contains("IMDSv1 answered without a token"), "{note}");
        assert!(
            note.contains("--http-tokens required --http-put-response-hop-limit 1"),
            "{note}"
        );
        assert!(note.contains("HttpTokens: required"), "{note}");
        let o = observed(
            Listing::V2,
            answered(200, "tok"),
            answered(200, "node-role"),
        );
        assert_eq!(o.observed, Observed::Allowed);
        assert!(o.notes[0].contains("a pod without IRSA would silently use it"));
    }

    #[test]
    fn refusals_and_silence_everywhere_are_out_of_reach() {
        for listed in [
            answered(401, ""),
            answered(403, ""),
            answered(404, ""),
            answered(200, "  \n"),
        ] {
            for token in [silent(), answered(401, ""), answered(403, "")] {
                assert_eq!(
                    observed(Listing::V1, token.clone(), listed.clone()).observed,
                    Observed::Denied,
                    "{token:?} {listed:?}"
                );
            }
        }
        let o = observed(Listing::V1, silent(), answered(401, ""));
        assert!(o.notes[0].contains("IMDSv1 is refused"), "{:?}", o.notes);
        assert_eq!(
            observed(Listing::V1, silent(), silent()).observed,
            Observed::Denied
        );
    }

    #[test]
    fn anything_else_could_not_tell_never_passes() {
        let unknown = [
            (Listing::V1, answered(500, "boom"), answered(500, "boom")),
            (Listing::V1, silent(), answered(500, "")),
            (Listing::V1, silent(), answered(200, "<html>proxy</html>")),
            (Listing::V1, silent(), garbled()),
            // An endpoint that answered the token request, then went silent.
            (Listing::V1, answered(500, ""), silent()),
            (Listing::V1, garbled(), silent()),
            (Listing::V2, answered(200, "tok"), silent()),
            (Listing::V2, answered(200, "tok"), answered(503, "")),
        ];
        for (how, token, listed) in unknown {
            assert_eq!(
                observed(how, token.clone(), listed.clone()).observed,
                Observed::Unknown,
                "{how:?} {token:?} {listed:?}"
            );
        }
    }

    #[test]
    fn only_a_role_name_shaped_first_line_is_a_role() {
        assert_eq!(role_name("node-role\nother"), Some("node-role"));
        assert_eq!(
            role_name("eks_Node+role=a,b.c@d"),
            Some("eks_Node+role=a,b.c@d")
        );
        assert_eq!(role_name(""), None);
        assert_eq!(role_name("<html>"), None);
        assert_eq!(role_name("a role"), None);
        assert_eq!(role_name(&"r".repeat(65)), None);
    }

    #[test]
    fn only_a_200_with_one_printable_value_is_a_token() {
        assert_eq!(
            issued_token(&answered(200, "AQAE-tok==\n")),
            Some("AQAE-tok==".into())
        );
        assert_eq!(issued_token(&answered(200, "")), None);
        assert_eq!(issued_token(&answered(200, "two words")), None);
        assert_eq!(issued_token(&answered(401, "tok")), None);
        assert_eq!(issued_token(&silent()), None);
    }
}

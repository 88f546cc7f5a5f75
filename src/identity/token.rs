//! The projected ServiceAccount token: decoded to show its claims, never
//! verified, and its signature never kept or printed.

use serde::Serialize;
use serde_json::Value;

use std::path::Path;

use crate::arn::ServiceAccount;
use crate::file::{read_limited, LimitedError};

/// A projected token is a few KiB; anything larger is not one.
const MAX_TOKEN_BYTES: u64 = 64 * 1024;

pub const STS_AUDIENCE: &str = "sts.amazonaws.com";
pub const POD_IDENTITY_AUDIENCE: &str = "pods.eks.amazonaws.com";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Claims {
    pub iss: Option<String>,
    pub sub: Option<String>,
    pub aud: Vec<String>,
    /// Unix seconds.
    pub exp: Option<i64>,
    pub iat: Option<i64>,
    pub namespace: Option<String>,
    pub service_account: Option<String>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token file {path} cannot be read: {reason}")]
    Unreadable {
        path: String,
        reason: String,
        permission_denied: bool,
    },
    #[error("the token file {path} is {size} bytes, too large for a projected token")]
    TooLarge { path: String, size: u64 },
    #[error("the token file {path} is not a JWT: {reason}")]
    NotAJwt { path: String, reason: NotAJwt },
}

/// Why some bytes are not a JWT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAJwt {
    #[error("it is not text")]
    NotText,
    #[error("it is empty")]
    Empty,
    #[error("it has {0} dot-separated parts, a JWT has 3")]
    Parts(usize),
    #[error("its payload is not base64url")]
    NotBase64,
    #[error("its payload is not JSON")]
    NotJson,
    #[error("its payload is not a JSON object")]
    NotObject,
}

pub fn read(path: &str) -> Result<Claims, TokenError> {
    let unreadable = |e: std::io::Error| TokenError::Unreadable {
        path: path.to_owned(),
        reason: e.to_string(),
        permission_denied: e.kind() == std::io::ErrorKind::PermissionDenied,
    };
    let bytes = read_limited(Path::new(path), MAX_TOKEN_BYTES).map_err(|e| match e {
        LimitedError::Io(e) => unreadable(e),
        LimitedError::TooLarge(size) => TokenError::TooLarge {
            path: path.to_owned(),
            size,
        },
    })?;
    decode(&bytes).map_err(|reason| TokenError::NotAJwt {
        path: path.to_owned(),
        reason,
    })
}

/// Reads the claims of `header.payload.signature`; the signature is ignored.
pub fn decode(token: &[u8]) -> Result<Claims, NotAJwt> {
    let text = std::str::from_utf8(token)
        .map_err(|_| NotAJwt::NotText)?
        .trim();
    if text.is_empty() {
        return Err(NotAJwt::Empty);
    }
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() != 3 {
        return Err(NotAJwt::Parts(parts.len()));
    }
    let payload = base64url(parts[1]).ok_or(NotAJwt::NotBase64)?;
    let v: Value = serde_json::from_slice(&payload).map_err(|_| NotAJwt::NotJson)?;
    if !v.is_object() {
        return Err(NotAJwt::NotObject);
    }
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let aud = match v.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    let k8s = v.get("kubernetes.io");
    let k8s_str = |path: &[&str]| {
        let mut cur = k8s?;
        for p in path {
            cur = cur.get(p)?;
        }
        cur.as_str().map(str::to_owned)
    };
    Ok(Claims {
        iss: s("iss"),
        sub: s("sub"),
        aud,
        exp: v.get("exp").and_then(Value::as_i64),
        iat: v.get("iat").and_then(Value::as_i64),
        namespace: k8s_str(&["namespace"]),
        service_account: k8s_str(&["serviceaccount", "name"]),
    })
}

/// JWT segments are unpadded base64url; padding is tolerated.
fn base64url(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode};
    use base64::Engine;
    const JWT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    JWT.decode(s).ok()
}

/// What is wrong with the claims: (failures, warnings).
pub fn assess(
    c: &Claims,
    audience: &str,
    now: i64,
    run_secs: i64,
    expected_sa: Option<&ServiceAccount>,
) -> (Vec<String>, Vec<String>) {
    let (mut fails, mut warns) = (Vec::new(), Vec::new());
    if let Some(exp) = c.exp {
        if exp <= now {
            warns.push(format!(
                "the token expired {}s ago: the kubelet refreshes the projected token, so a stale file means it is not re-read or the node's clock is off",
                now - exp
            ));
        } else if exp <= now + run_secs {
            warns.push(format!(
                "the token expires in {}s, within this run",
                exp - now
            ));
        }
    }
    if !c.aud.iter().any(|a| a == audience) {
        warns.push(if audience == STS_AUDIENCE {
            format!(
                "the token's aud is {:?}, not \"{STS_AUDIENCE}\": STS refuses it (Incorrect token audience); fix the eks.amazonaws.com/audience annotation or the projected volume's audience",
                c.aud
            )
        } else {
            format!("the Pod Identity token's aud is {:?}, not \"{audience}\"", c.aud)
        });
    }
    if let Some(expected) = expected_sa {
        let want = expected.subject();
        if c.sub.as_deref() != Some(want.as_str()) {
            fails.push(format!(
                "the token's sub is {}, not the expected {want}: the pod runs under another ServiceAccount (check spec.serviceAccountName)",
                c.sub.as_deref().unwrap_or("(none)")
            ));
        }
    }
    (fails, warns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        // Test-only encoder, to build tokens.
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let b = s.as_bytes();
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, &x| acc << 8 | u32::from(x))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn token(payload: &str) -> String {
        format!(
            "{}.{}.c2lnbmF0dXJl",
            b64(r#"{"alg":"RS256"}"#),
            b64(payload)
        )
    }

    const EKS: &str = r#"{"aud":["sts.amazonaws.com"],"exp":2000,"iat":1000,"iss":"https://oidc.eks.eu-west-1.amazonaws.com/id/X","kubernetes.io":{"namespace":"demo","serviceaccount":{"name":"app","uid":"u"}},"sub":"system:serviceaccount:demo:app"}"#;

    #[test]
    fn decodes_an_eks_token() {
        let c = decode(token(EKS).as_bytes()).unwrap();
        assert_eq!(c.sub.as_deref(), Some("system:serviceaccount:demo:app"));
        assert_eq!(c.aud, ["sts.amazonaws.com"]);
        assert_eq!((c.exp, c.iat), (Some(2000), Some(1000)));
        assert_eq!(
            (c.namespace.as_deref(), c.service_account.as_deref()),
            (Some("demo"), Some("app"))
        );
        let single = decode(token(r#"{"aud":"sts.amazonaws.com"}"#).as_bytes()).unwrap();
        assert_eq!(single.aud, ["sts.amazonaws.com"]);
    }

    #[test]
    fn padded_and_unpadded_payloads_decode_alike() {
        let unpadded = token(r#"{"sub":"ab"}"#);
        let payload = unpadded.split('.').nth(1).unwrap();
        let padded = format!("a.{payload}{}.c", "=".repeat((4 - payload.len() % 4) % 4));
        assert_eq!(decode(unpadded.as_bytes()), decode(padded.as_bytes()));
        assert_eq!(
            decode(padded.as_bytes()).unwrap().sub.as_deref(),
            Some("ab")
        );
    }

    #[test]
    fn refuses_what_is_not_a_jwt() {
        assert_eq!(decode(b"").unwrap_err(), NotAJwt::Empty);
        assert_eq!(decode(b"abc").unwrap_err(), NotAJwt::Parts(1));
        assert!(decode(b"abc").unwrap_err().to_string().contains("3"));
        assert_eq!(decode(b"a.!!!.c").unwrap_err(), NotAJwt::NotBase64);
        assert_eq!(
            decode(format!("a.{}.c", b64("not json")).as_bytes()).unwrap_err(),
            NotAJwt::NotJson
        );
        assert_eq!(decode(&[0xff, 0xfe, 0x2e]).unwrap_err(), NotAJwt::NotText);
        assert_eq!(
            decode(format!("a.{}.c", b64("[1]")).as_bytes()).unwrap_err(),
            NotAJwt::NotObject
        );
    }

    #[test]
    fn assessment_flags_expiry_audience_and_service_account() {
        let c = decode(token(EKS).as_bytes()).unwrap();
        let sa = |s: &str| ServiceAccount::parse(s).unwrap();
        assert_eq!(
            assess(&c, STS_AUDIENCE, 1500, 30, Some(&sa("demo:app"))),
            (vec![], vec![])
        );
        let (_, w) = assess(&c, STS_AUDIENCE, 2100, 30, None);
        assert!(w[0].contains("expired 100s ago"), "{w:?}");
        let (_, w) = assess(&c, STS_AUDIENCE, 1990, 30, None);
        assert!(w[0].contains("within this run"), "{w:?}");
        let (f, _) = assess(&c, STS_AUDIENCE, 1500, 30, Some(&sa("demo:other")));
        assert!(
            f[0].contains("not the expected system:serviceaccount:demo:other"),
            "{f:?}"
        );
        let wrong_aud = Claims {
            aud: vec!["https://kubernetes.default.svc".into()],
            ..c.clone()
        };
        let (_, w) = assess(&wrong_aud, STS_AUDIENCE, 1500, 30, None);
        assert!(w[0].contains("Incorrect token audience"), "{w:?}");
        let (_, w) = assess(&c, POD_IDENTITY_AUDIENCE, 1500, 30, None);
        assert_eq!(
            w.len(),
            1,
            "one audience warning, for the audience this token needs: {w:?}"
        );
        assert!(w[0].contains("Pod Identity token's aud"), "{w:?}");
    }
}

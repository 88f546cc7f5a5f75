//! An error answer's code and message, in whichever shape the service sent:
//! EC2's `<Response><Errors><Error>`, awsQuery and restXml's
//! `<ErrorResponse><Error>`, JSON `__type`/`code` with `message`, the
//! `x-amzn-ErrorType` header, and awsJson's query-compatible
//! `x-amzn-query-error: Code;Fault`. Pure.

use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder};

/// Header values the parser reads, looked up case-insensitively by the caller.
#[derive(Debug, Default, Clone, Copy)]
pub struct Headers<'a> {
    pub query_error: Option<&'a str>,
    pub error_type: Option<&'a str>,
}

/// `ns#Code`, `Code:http://...` and `aws.protocoltests#Code` name `Code`.
fn sanitize(code: &str) -> &str {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code).trim()
}

fn json_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, None);
    };
    let field = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| map.get(*n).and_then(|v| v.as_str()).map(str::to_owned))
    };
    (
        field(&["__type", "code", "Code"]),
        field(&["message", "Message", "errorMessage"]),
    )
}

/// The first `Code` and `Message` elements, at any depth (their parents differ
/// between the XML shapes).
fn xml_fields(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(text) = std::str::from_utf8(body) else {
        return (None, None);
    };
    let mut doc = Document::new(text);
    let Ok(mut root) = doc.root_element() else {
        return (None, None);
    };
    let (mut code, mut message) = (None, None);
    walk(&mut root, &mut code, &mut message, 0);
    (code, message)
}

fn walk(
    el: &mut ScopedDecoder,
    code: &mut Option<String>,
    message: &mut Option<String>,
    depth: usize,
) {
    while let Some(mut tag) = el.next_tag() {
        let name = tag.start_el().local().to_owned();
        match name.as_str() {
            "Code" if code.is_none() => {
                *code = try_data(&mut tag).ok().map(|d| d.trim().to_owned())
            }
            "Message" if message.is_none() => {
                *message = try_data(&mut tag).ok().map(|d| d.trim().to_owned())
            }
            _ if depth < 4 => walk(&mut tag, code, message, depth + 1),
            _ => {}
        }
    }
}

pub fn parse(json: bool, headers: Headers, body: &[u8]) -> ErrorMetadata {
    let (body_code, message) = if json {
        json_fields(body)
    } else {
        xml_fields(body)
    };
    // The query-compatible code is the one the service documents (SQS's
    // `AWS.SimpleQueueService.NonExistentQueue`), so it wins.
    let code = headers
        .query_error
        .and_then(|q| q.split(';').next())
        .filter(|c| !c.is_empty())
        .or(headers.error_type)
        .map(str::to_owned)
        .or(body_code);
    let mut builder = ErrorMetadata::builder();
    if let Some(code) = code.as_deref().map(sanitize).filter(|c| !c.is_empty()) {
        builder = builder.code(code);
    }
    if let Some(message) = message.filter(|m| !m.is_empty()) {
        builder = builder.message(message);
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(json: bool, headers: Headers, body: &str) -> (Option<String>, Option<String>) {
        let e = parse(json, headers, body.as_bytes());
        (e.code().map(str::to_owned), e.message().map(str::to_owned))
    }

    fn pair(c: &str, m: &str) -> (Option<String>, Option<String>) {
        (Some(c.to_owned()), Some(m.to_owned()))
    }

    #[test]
    fn ec2_query_and_rest_xml_shapes() {
        let ec2 = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>DryRunOperation</Code><Message>Request would have succeeded, but DryRun flag is set.</Message></Error></Errors><RequestID>1</RequestID></Response>"#;
        assert_eq!(
            codes(false, Headers::default(), ec2),
            pair(
                "DryRunOperation",
                "Request would have succeeded, but DryRun flag is set."
            )
        );
        let query = r#"<ErrorResponse xmlns="https://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::1:assumed-role/r/s is not authorized</Message></Error><RequestId>x</RequestId></ErrorResponse>"#;
        assert_eq!(
            codes(false, Headers::default(), query),
            pair(
                "AccessDenied",
                "User: arn:aws:sts::1:assumed-role/r/s is not authorized"
            )
        );
    }

    #[test]
    fn json_shapes_headers_and_query_compatible_codes() {
        let body = r#"{"__type":"com.amazonaws.secretsmanager#ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#;
        assert_eq!(
            codes(true, Headers::default(), body),
            pair(
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret."
            )
        );
        let rest = r#"{"message":"User is not authorized"}"#;
        let h = Headers {
            error_type: Some("AccessDeniedException:http://internal.amazon.com/coral/"),
            ..Headers::default()
        };
        assert_eq!(
            codes(true, h, rest),
            pair("AccessDeniedException", "User is not authorized")
        );
        let sqs = r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#;
        let h = Headers {
            query_error: Some("AWS.SimpleQueueService.NonExistentQueue;Sender"),
            ..Headers::default()
        };
        assert_eq!(
            codes(true, h, sqs).0.as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue")
        );
    }

    #[test]
    fn the_first_code_and_message_win_and_depth_is_bounded() {
        let two = "<Response><Errors><Error><Code>First</Code><Message>m1</Message></Error>\
                   <Error><Code>Second</Code><Message>m2</Message></Error></Errors></Response>";
        assert_eq!(codes(false, Headers::default(), two), pair("First", "m1"));
        let at5 = "<a><b><c><d><e><Code>Deep</Code></e></d></c></b></a>";
        assert_eq!(
            codes(false, Headers::default(), at5).0.as_deref(),
            Some("Deep")
        );
        let at6 = "<a><b><c><d><e><f><Code>Deeper</Code></f></e></d></c></b></a>";
        assert_eq!(
            codes(false, Headers::default(), at6).0,
            None,
            "no deeper than the shapes AWS uses"
        );
    }

    #[test]
    fn unreadable_bodies_give_no_code() {
        assert_eq!(
            codes(false, Headers::default(), "<html>503</html>"),
            (None, None)
        );
        assert_eq!(codes(true, Headers::default(), "not json"), (None, None));
        assert_eq!(codes(false, Headers::default(), ""), (None, None));
    }
}

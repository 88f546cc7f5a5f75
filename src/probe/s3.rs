//! S3 probes. Writes use ETag conditions on fresh random keys, so an allowed
//! call is answered 404/412 and changes nothing.

use aws_sdk_s3::primitives::ByteStream;

use super::{random_token, Ctx};
use crate::answer::{classify, Answer, Observation, Observed};
use crate::check::{BucketName, KeyPrefix, ObjectKey, ObjectKeyChoice};

use crate::catalogue::rows_answers::{
    S3_CONDITIONAL_AUTHORIZED as CONDITIONAL_AUTHORIZED, S3_READ_AUTHORIZED as READ_AUTHORIZED,
};

pub async fn list_bucket(ctx: &Ctx, bucket: &BucketName) -> Observation {
    let answer = match ctx
        .s3
        .list_objects_v2()
        .bucket(bucket.as_str())
        .max_keys(1)
        .send()
        .await
    {
        Ok(out) => Answer::success(
            200,
            format!("{} key(s) listed", out.key_count().unwrap_or(0)),
        ),
        Err(e) => Answer::from_sdk(&e),
    };
    Observation::new(
        answer,
        &[],
        format!("ListObjectsV2 on {bucket}, max-keys 1"),
    )
}

/// The bucket-level reads other than ListBucket: each a 2xx or a denial.
pub async fn bucket_read(
    ctx: &Ctx,
    bucket: &BucketName,
    read: crate::catalogue::Sdk,
) -> Observation {
    use crate::catalogue::Sdk;
    let b = bucket.as_str();
    let (answer, form) = match read {
        Sdk::GetBucketLocation => (
            ctx.s3
                .get_bucket_location()
                .bucket(b)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Answer::from_sdk(&e)),
            format!("GetBucketLocation on {bucket}"),
        ),
        Sdk::ListBucketMultipartUploads => (
            ctx.s3
                .list_multipart_uploads()
                .bucket(b)
                .max_uploads(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Answer::from_sdk(&e)),
            format!("ListMultipartUploads on {bucket}, max-uploads 1"),
        ),
        _ => (
            ctx.s3
                .list_object_versions()
                .bucket(b)
                .max_keys(1)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Answer::from_sdk(&e)),
            format!("ListObjectVersions on {bucket}, max-keys 1"),
        ),
    };
    let answer = answer.map_or_else(|a| a, |()| Answer::success(200, ""));
    Observation::new(answer, &[], form)
}

async fn read_one_byte(ctx: &Ctx, bucket: &BucketName, key: &str) -> Answer {
    match ctx
        .s3
        .get_object()
        .bucket(bucket.as_str())
        .key(key)
        .range("bytes=0-0")
        .send()
        .await
    {
        Ok(out) => Answer::success(
            if out.content_range().is_some() {
                206
            } else {
                200
            },
            "read at most one byte",
        ),
        Err(e) => Answer::from_sdk(&e),
    }
}

pub async fn get_object(ctx: &Ctx, bucket: &BucketName, key: &ObjectKey) -> Observation {
    let answer = read_one_byte(ctx, bucket, key.as_str()).await;
    read_observation(
        answer,
        format!("GetObject {bucket}/{key} with Range bytes=0-0"),
    )
}

/// GetObject on a fresh key, after ListObjectsV2 on its prefix: with
/// s3:ListBucket proven, S3 answers a reader of a missing key 404 NoSuchKey,
/// so a 403 is s3:GetObject's own denial.
pub async fn get_fresh_object(ctx: &Ctx, bucket: &BucketName, prefix: &KeyPrefix) -> Observation {
    let key = fresh_key(prefix);
    let listed = match ctx
        .s3
        .list_objects_v2()
        .bucket(bucket.as_str())
        .prefix(&key)
        .max_keys(1)
        .send()
        .await
    {
        Ok(_) => Answer::success(200, ""),
        Err(e) => Answer::from_sdk(&e),
    };
    let read = read_one_byte(ctx, bucket, &key).await;
    let form = format!("ListObjectsV2 {bucket} prefix {key}, then GetObject {bucket}/{key} with Range bytes=0-0 (a fresh key)");
    settle_fresh_read(Observation::new(read, READ_AUTHORIZED, form), &listed)
}

/// Pure: what a fresh-key read means, given the listing's answer.
fn settle_fresh_read(read: Observation, listed: &Answer) -> Observation {
    let list_allowed = classify(listed, &[]) == Observed::Allowed;
    match read.observed {
        Observed::Allowed => read.note("the fresh key does not exist; S3 says NoSuchKey only to a caller allowed to read it"),
        Observed::Denied if list_allowed => read.note(
            "s3:ListBucket is proven on this prefix (ListObjectsV2 answered 200), so S3 would have answered 404 NoSuchKey to a caller allowed \
             s3:GetObject: the 403 is GetObject's own",
        ),
        Observed::Denied => {
            let note = format!(
                "could not tell: ListObjectsV2 answered {}, and without s3:ListBucket S3 answers 403 for a missing key whatever s3:GetObject \
                 says. Grant s3:ListBucket, or give --object KEY naming an existing object",
                listed.summary()
            );
            read.unsure("without s3:ListBucket, S3 answers 403 for a missing key whatever s3:GetObject says", note)
        }
        _ => read,
    }
}

/// What a one-byte read shows.
fn read_observation(answer: Answer, form: String) -> Observation {
    let o = Observation::new(answer, READ_AUTHORIZED, form);
    match (o.observed, o.answer.code()) {
        (Observed::Allowed, Some("NoSuchKey")) => {
            o.note("the key does not exist; S3 says NoSuchKey only to a caller allowed to read it")
        }
        (Observed::Denied, _) => o.note(
            "S3 also answers AccessDenied for a missing key when the caller lacks s3:ListBucket: `key` must name an existing object for this denial to mean what it says",
        ),
        _ => o,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    Put,
    Delete,
}

impl Write {
    fn action(self) -> &'static str {
        match self {
            Write::Put => "s3:PutObject",
            Write::Delete => "s3:DeleteObject",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Write::Put => "PutObject",
            Write::Delete => "DeleteObject",
        }
    }
}

/// A write with `If-Match` on an ETag no object has: authorized, it fails with
/// 412 (key exists) or 404 (key missing) and writes nothing.
async fn conditional_write(ctx: &Ctx, bucket: &BucketName, key: &str, op: Write) -> Observation {
    let etag = format!("\"{}\"", random_token());
    let result = match op {
        Write::Put => ctx
            .s3
            .put_object()
            .bucket(bucket.as_str())
            .key(key)
            .if_match(&etag)
            .body(ByteStream::from_static(b""))
            .send()
            .await
            .map(|_| 200)
            .map_err(|e| Answer::from_sdk(&e)),
        Write::Delete => ctx
            .s3
            .delete_object()
            .bucket(bucket.as_str())
            .key(key)
            .if_match(&etag)
            .send()
            .await
            .map(|_| 204)
            .map_err(|e| Answer::from_sdk(&e)),
    };
    let form = format!(
        "{} {bucket}/{key} with If-Match {etag}: no object has that ETag, so an allowed call is refused with 404 or 412 and writes nothing",
        op.verb()
    );
    let answer = match result {
        Ok(status) => Answer::success(status, "the conditional write was carried out"),
        Err(a) => a,
    };
    let written = Observation::new(answer, CONDITIONAL_AUTHORIZED, form);
    match written.observed {
        Observed::Allowed if matches!(written.answer, Answer::Success { .. }) => {
            condition_ignored(written, bucket, key, op)
        }
        Observed::Denied => {
            let read = read_one_byte(ctx, bucket, key).await;
            settle_write_denial(written, &read, bucket, op)
        }
        _ => written,
    }
}

/// The store carried out a write whose condition cannot hold: it ignored
/// `If-Match`. Still "allowed", and the reader must learn what it may have left.
fn condition_ignored(
    written: Observation,
    bucket: &BucketName,
    key: &str,
    op: Write,
) -> Observation {
    let note = match op {
        Write::Put => format!(
            "UNEXPECTED: the endpoint ignored If-Match and carried out the PutObject: an empty object may now be at {bucket}/{key}; \
             some S3-compatible stores ignore conditional writes. Remove it (aws s3api delete-object --bucket {bucket} --key {key})"
        ),
        Write::Delete => format!(
            "UNEXPECTED: the endpoint ignored If-Match and answered the DeleteObject with success: some S3-compatible stores ignore \
             conditional deletes. Nothing was stored at the fresh key {bucket}/{key}, but in a versioned bucket this leaves a delete \
             marker on it: list it with aws s3api list-object-versions --bucket {bucket} --prefix {key} and delete the marker by its version id"
        ),
    };
    written.note(note)
}

/// AWS requires s3:GetObject too for an ETag-conditional write, so a 403 may
/// be GetObject's. A read of the same key settles it: an authorized answer
/// (the byte, or NoSuchKey, which S3 gives only to a caller allowed GetObject
/// and ListBucket) proves the denial is the write's own; anything else leaves
/// the check undecided.
fn settle_write_denial(
    written: Observation,
    read: &Answer,
    bucket: &BucketName,
    op: Write,
) -> Observation {
    if classify(read, READ_AUTHORIZED) == Observed::Allowed {
        let note = format!(
            "GetObject on the same key was authorized ({}), so the denial is {}'s own",
            read.summary(),
            op.action()
        );
        return written.note(note);
    }
    let note = format!(
        "could not tell: an ETag-conditional write also needs s3:GetObject, and GetObject on the same key answered {} \
         (a caller allowed s3:GetObject and s3:ListBucket gets the object or 404 NoSuchKey), so the AccessDenied may be GetObject's rather than {}'s. \
         Allow s3:GetObject and s3:ListBucket on {bucket} and the probe's key to make this probe conclusive",
        read.summary(),
        op.action(),
    );
    written.unsure(
        format!(
            "the 403 may be s3:GetObject's: an ETag-conditional {} needs it too",
            op.verb()
        ),
        note,
    )
}

fn fresh_key(prefix: &KeyPrefix) -> String {
    prefix.fresh_key(&random_token())
}

pub async fn put_object(ctx: &Ctx, bucket: &BucketName, key: &ObjectKeyChoice) -> Observation {
    let key = match key {
        ObjectKeyChoice::Named(k) => k,
        ObjectKeyChoice::Fresh(prefix) => {
            return conditional_write(ctx, bucket, &fresh_key(prefix), Write::Put).await
        }
    };
    // On a named key only If-Match stands between the probe and an overwrite,
    // and some S3-compatible stores ignore it: gated as a named delete is.
    if !ctx.allow_destructive {
        return Observation::skipped(named_put_refused(bucket, key));
    }
    conditional_write(ctx, bucket, key.as_str(), Write::Put)
        .await
        .note(format!(
            "sent to the named key {bucket}/{key} because of --allow-destructive: a store that ignores If-Match would have overwritten it"
        ))
}

/// Why a PutObject on a named key is not sent without --allow-destructive.
fn named_put_refused(bucket: &BucketName, key: &ObjectKey) -> String {
    format!(
        "not attempted: `key` names {bucket}/{key}, and only If-Match on a random ETag would keep an allowed PutObject from \
         overwriting it (some S3-compatible stores ignore If-Match). Omit `key` to probe a fresh random key harmlessly, \
         or pass --allow-destructive to send the conditional PutObject to that key"
    )
}

pub async fn delete_object(ctx: &Ctx, bucket: &BucketName, key: &ObjectKeyChoice) -> Observation {
    let key = match key {
        ObjectKeyChoice::Named(k) => k,
        ObjectKeyChoice::Fresh(prefix) => {
            return conditional_write(ctx, bucket, &fresh_key(prefix), Write::Delete).await
        }
    };
    if !ctx.allow_destructive {
        return Observation::skipped(format!(
            "not attempted: `key` names {bucket}/{key}, which an allowed DeleteObject would really delete. \
             Omit `key` to probe a fresh random key harmlessly, or pass --allow-destructive to attempt the real delete"
        ));
    }
    let answer = match ctx
        .s3
        .delete_object()
        .bucket(bucket.as_str())
        .key(key.as_str())
        .send()
        .await
    {
        Ok(_) => Answer::success(204, "deleted"),
        Err(e) => Answer::from_sdk(&e),
    };
    let o = Observation::new(
        answer,
        &[],
        format!("DeleteObject {bucket}/{key}, unconditional (--allow-destructive)"),
    );
    if o.observed == Observed::Allowed {
        o.note(format!(
            "{bucket}/{key} was deleted (or, in a versioned bucket, hidden behind a delete marker)"
        ))
    } else {
        o
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_fresh_key_read_tells_both_ways_only_with_list_bucket_proven() {
        let err = |status, code: &str| Answer::ServiceError {
            status: Some(status),
            code: Some(code.to_owned()),
            message: None,
        };
        let read = |a| Observation::new(a, READ_AUTHORIZED, "f");
        let listed = Answer::success(200, "");
        let list_denied = err(403, "AccessDenied");
        let allowed = settle_fresh_read(read(err(404, "NoSuchKey")), &listed);
        assert_eq!(allowed.observed, Observed::Allowed);
        assert!(
            allowed.notes[0].contains("NoSuchKey only to a caller allowed"),
            "{:?}",
            allowed.notes
        );
        assert_eq!(
            settle_fresh_read(read(err(403, "AccessDenied")), &listed).observed,
            Observed::Denied
        );
        let unsure = settle_fresh_read(read(err(403, "AccessDenied")), &list_denied);
        assert_eq!(unsure.observed, Observed::Unknown);
        assert!(unsure.notes[0].contains("--object"));
        assert_eq!(
            settle_fresh_read(read(err(404, "NoSuchBucket")), &listed).observed,
            Observed::Unknown
        );
    }
    use super::*;

    fn err(status: u16, code: &str) -> Answer {
        Answer::ServiceError {
            status: Some(status),
            code: Some(code.to_owned()),
            message: Some("m".to_owned()),
        }
    }

    fn bucket() -> BucketName {
        BucketName::parse("b-1").unwrap()
    }

    #[test]
    fn reads_are_allowed_only_on_answers_given_after_authorization() {
        let read = |a| Observation::new(a, READ_AUTHORIZED, "f").observed;
        assert_eq!(read(err(404, "NoSuchKey")), Observed::Allowed);
        assert_eq!(read(err(416, "InvalidRange")), Observed::Allowed);
        assert_eq!(read(err(403, "AccessDenied")), Observed::Denied);
        // A missing bucket proves nothing about the caller's permissions.
        assert_eq!(read(err(404, "NoSuchBucket")), Observed::Unknown);
        assert_eq!(read(err(412, "PreconditionFailed")), Observed::Unknown);
    }

    #[test]
    fn conditional_writes_are_allowed_on_404_and_412_only() {
        let write = |a| Observation::new(a, CONDITIONAL_AUTHORIZED, "f").observed;
        assert_eq!(write(err(404, "NoSuchKey")), Observed::Allowed);
        assert_eq!(write(err(412, "PreconditionFailed")), Observed::Allowed);
        assert_eq!(write(err(404, "NoSuchBucket")), Observed::Unknown);
        assert_eq!(write(err(416, "InvalidRange")), Observed::Unknown);
        assert_eq!(write(err(403, "AccessDenied")), Observed::Denied);
    }

    #[test]
    fn a_write_denial_stands_only_when_the_read_was_authorized() {
        let denied = || Observation::new(err(403, "AccessDenied"), CONDITIONAL_AUTHORIZED, "f");
        let settled = settle_write_denial(denied(), &err(404, "NoSuchKey"), &bucket(), Write::Put);
        assert_eq!(settled.observed, Observed::Denied);
        assert!(settled.notes[0].contains("the denial is s3:PutObject's own"));
        let settled = settle_write_denial(
            denied(),
            &Answer::success(206, ""),
            &bucket(),
            Write::Delete,
        );
        assert_eq!(settled.observed, Observed::Denied);
        // The read was refused too: the 403 may be GetObject's.
        for read in [
            err(403, "AccessDenied"),
            err(404, "NoSuchBucket"),
            Answer::Transport {
                detail: "reset".into(),
            },
        ] {
            let settled = settle_write_denial(denied(), &read, &bucket(), Write::Delete);
            assert_eq!(settled.observed, Observed::Unknown, "{read:?}");
            assert!(settled.notes[0].starts_with("could not tell"));
        }
    }

    #[test]
    fn an_ignored_condition_names_what_may_be_left_behind() {
        let done = Observation::new(Answer::success(204, "x"), CONDITIONAL_AUTHORIZED, "f");
        let o = condition_ignored(
            done.clone(),
            &bucket(),
            "irsa-verify-probe/abc",
            Write::Delete,
        );
        assert_eq!(o.observed, Observed::Allowed);
        assert!(
            o.notes[0].contains("delete marker")
                && o.notes[0].contains("b-1/irsa-verify-probe/abc"),
            "{:?}",
            o.notes
        );
        let o = condition_ignored(done, &bucket(), "k", Write::Put);
        assert!(
            o.notes[0].contains("empty object may now be at b-1/k"),
            "{:?}",
            o.notes
        );
    }

    #[test]
    fn a_named_put_is_refused_with_the_opt_in_named() {
        let why = named_put_refused(&bucket(), &ObjectKey::parse("demo-test-file").unwrap());
        assert!(why.starts_with("not attempted"), "{why}");
        assert!(
            why.contains("b-1/demo-test-file") && why.contains("--allow-destructive"),
            "{why}"
        );
    }

    #[test]
    fn a_denied_read_warns_that_a_missing_key_looks_the_same() {
        let o = read_observation(err(403, "AccessDenied"), "f".into());
        assert_eq!(o.observed, Observed::Denied);
        assert!(o.notes[0].contains("missing key"));
        let o = read_observation(err(404, "NoSuchKey"), "f".into());
        assert_eq!(o.observed, Observed::Allowed);
        assert!(
            o.notes[0].contains("the key does not exist"),
            "{:?}",
            o.notes
        );
    }
}

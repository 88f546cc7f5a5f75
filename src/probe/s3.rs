//! S3 probes. Writes use ETag conditions on fresh random keys, so an allowed
//! call is answered 404/412 and changes nothing.

use aws_sdk_s3::primitives::ByteStream;

use super::{random_token, Ctx, Probed, PROBE_PREFIX};
use crate::outcome::{Answer, AuthorizedError, Observed};
use crate::spec::Check;

/// Answers S3 gives a read only after authorizing it.
const READ_AUTHORIZED: &[AuthorizedError] = &[
    AuthorizedError::code("NoSuchKey"),
    AuthorizedError::code("InvalidRange"),
];
/// Answers S3 gives a conditional write only after authorizing it.
const CONDITIONAL_AUTHORIZED: &[AuthorizedError] = &[
    AuthorizedError::code("NoSuchKey"),
    AuthorizedError::code("PreconditionFailed"),
];

fn bucket(check: &Check) -> &str {
    check.bucket.as_deref().unwrap_or_default()
}

pub async fn list_bucket(ctx: &Ctx, check: &Check) -> Probed {
    let bucket = bucket(check);
    let answer = match ctx
        .s3
        .list_objects_v2()
        .bucket(bucket)
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
    Probed::new(
        answer,
        &[],
        format!("ListObjectsV2 on {bucket}, max-keys 1"),
    )
}

async fn read_one_byte(ctx: &Ctx, bucket: &str, key: &str) -> Answer {
    match ctx
        .s3
        .get_object()
        .bucket(bucket)
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

pub async fn get_object(ctx: &Ctx, check: &Check) -> Probed {
    let (bucket, key) = (bucket(check), check.object_key().unwrap_or_default());
    let answer = read_one_byte(ctx, bucket, key).await;
    let probed = Probed::new(
        answer,
        READ_AUTHORIZED,
        format!("GetObject {bucket}/{key} with Range bytes=0-0"),
    );
    match (probed.observed, probed.answer.code()) {
        (Observed::Allowed, Some("NoSuchKey")) => {
            probed.note("the key does not exist; S3 says NoSuchKey only to a caller allowed to read it")
        }
        (Observed::Denied, _) => probed.note(
            "S3 also answers AccessDenied for a missing key when the caller lacks s3:ListBucket: `key` must name an existing object for this denial to mean what it says",
        ),
        _ => probed,
    }
}

#[derive(Clone, Copy)]
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
}

/// A write with `If-Match` on an ETag no object has: authorized, it fails with
/// 412 (key exists) or 404 (key missing) and writes nothing.
async fn conditional_write(ctx: &Ctx, check: &Check, key: &str, op: Write) -> Probed {
    let bucket = bucket(check);
    let etag = format!("\"{}\"", random_token());
    let (verb, result) = match op {
        Write::Put => (
            "PutObject",
            ctx.s3
                .put_object()
                .bucket(bucket)
                .key(key)
                .if_match(&etag)
                .body(ByteStream::from_static(b""))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Answer::from_sdk(&e)),
        ),
        Write::Delete => (
            "DeleteObject",
            ctx.s3
                .delete_object()
                .bucket(bucket)
                .key(key)
                .if_match(&etag)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| Answer::from_sdk(&e)),
        ),
    };
    let form = format!(
        "{verb} {bucket}/{key} with If-Match {etag}: no object has that ETag, so an allowed call is refused with 404 or 412 and writes nothing"
    );
    let answer = match result {
        Ok(()) => Answer::success(200, "the conditional write was carried out"),
        Err(a) => a,
    };
    let probed = Probed::new(answer, CONDITIONAL_AUTHORIZED, form);
    match probed.observed {
        Observed::Allowed if matches!(probed.answer, Answer::Success { .. }) => probed.note(format!(
            "UNEXPECTED: the endpoint ignored If-Match and carried out the {verb} on {key}; please report this"
        )),
        Observed::Denied => confirm_denial(ctx, bucket, key, op, probed).await,
        _ => probed,
    }
}

/// AWS requires s3:GetObject too for an ETag-conditional write, so a 403 may be
/// GetObject's. A read of the same key settles it: an authorized answer (the
/// byte, or NoSuchKey, which S3 gives only to a caller allowed GetObject and
/// ListBucket) proves the denial is the write's own.
async fn confirm_denial(ctx: &Ctx, bucket: &str, key: &str, op: Write, probed: Probed) -> Probed {
    let read = read_one_byte(ctx, bucket, key).await;
    if crate::outcome::classify(&read, READ_AUTHORIZED) == Observed::Allowed {
        return probed.note(format!(
            "GetObject on the same key was authorized ({}), so the denial is {}'s own",
            read.summary(),
            op.action()
        ));
    }
    Probed { observed: Observed::Unknown, ..probed }.note(format!(
        "could not tell: an ETag-conditional write also needs s3:GetObject, and GetObject on the same key answered {} \
         (a caller allowed s3:GetObject and s3:ListBucket gets the object or 404 NoSuchKey), so the AccessDenied may be GetObject's rather than {}'s. \
         Allow s3:GetObject and s3:ListBucket on {}/{PROBE_PREFIX}* to make this probe conclusive",
        read.summary(),
        op.action(),
        bucket
    ))
}

pub async fn put_object(ctx: &Ctx, check: &Check) -> Probed {
    // Harmless even on a real key: the ETag condition cannot hold.
    let key = check
        .object_key()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{PROBE_PREFIX}{}", random_token()));
    conditional_write(ctx, check, &key, Write::Put).await
}

pub async fn delete_object(ctx: &Ctx, check: &Check) -> Probed {
    let Some(key) = check.object_key() else {
        let key = format!("{PROBE_PREFIX}{}", random_token());
        return conditional_write(ctx, check, &key, Write::Delete).await;
    };
    let bucket = bucket(check);
    if !ctx.allow_destructive {
        return Probed::skipped(format!(
            "not attempted: `key` names {bucket}/{key}, which an allowed DeleteObject would really delete. \
             Omit `key` to probe a fresh random key harmlessly, or pass --allow-destructive to attempt the real delete"
        ));
    }
    let answer = match ctx.s3.delete_object().bucket(bucket).key(key).send().await {
        Ok(_) => Answer::success(204, "deleted"),
        Err(e) => Answer::from_sdk(&e),
    };
    let probed = Probed::new(
        answer,
        &[],
        format!("DeleteObject {bucket}/{key}, unconditional (--allow-destructive)"),
    );
    if probed.observed == Observed::Allowed {
        probed.note(format!(
            "{bucket}/{key} was deleted (or, in a versioned bucket, hidden behind a delete marker)"
        ))
    } else {
        probed
    }
}

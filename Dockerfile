# syntax=docker/dockerfile:1
# irsa-verify: one static binary on an empty image, running as a non-root user.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     -t REGISTRY/irsa-verify:0.1.0 --push .
#
# Each platform's binary is built natively (buildx runs the arm64 stage under
# emulation, or on an arm64 builder), so no cross C toolchain is needed for
# ring, the C and assembly behind rustls. Pin the base images by digest in your registry mirror if you can:
# the tags below are exact versions, the digests are left to your tooling
# (e.g. Renovate), since they differ per mirror.

# Where the binary comes from. "builder" compiles it. The repository's own
# container test passes BINARY_FROM=prebuilt with a static binary built on the
# test machine, because no base image can be pulled there; the final stage is
# the same either way.
ARG BINARY_FROM=builder

FROM docker.io/library/rust:1.95.0-alpine3.22 AS builder
# musl-dev: headers for the static musl build (ring, under rustls, has C parts).
RUN apk add --no-cache musl-dev=~1.2
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# On Alpine the host target is musl, which links statically.
RUN cargo build --release --locked \
 && mkdir /out \
 && cp target/release/irsa-verify /out/irsa-verify \
 && cp /etc/ssl/certs/ca-certificates.crt /out/ca-certificates.crt

FROM scratch AS prebuilt
COPY out/irsa-verify out/ca-certificates.crt /out/

# hadolint ignore=DL3006
FROM ${BINARY_FROM} AS binary

FROM scratch
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="irsa-verify" \
      org.opencontainers.image.description="Proves from inside a pod that its AWS identity can do exactly what it should and nothing more" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=binary /out/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=binary --chmod=0555 /out/irsa-verify /irsa-verify
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# The UID distroless calls "nonroot"; the Job's securityContext uses it too.
USER 65532:65532
# A Job runs to completion: there is nothing to health-check.
HEALTHCHECK NONE
ENTRYPOINT ["/irsa-verify"]

# syntax=docker/dockerfile:1
# fanout in a small image: a static (musl) binary, the CA certificates it
# trusts and a non-root user, on an empty base.
#
#   docker build -t fanout .
#   docker run --rm -i fanout -c 32 < urls.txt
#   docker run --rm -i -v "$PWD:/work" fanout -i urls.txt -o bodies > records.jsonl

FROM rust:1.94-alpine3.23 AS build
# rust:alpine has the musl C toolchain the C parts (TLS, allocator, zstd)
# build with, and its Rust targets musl: the binary is static.
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin fanout \
    && cp target/release/fanout /usr/local/bin/fanout
# The user and a working directory it owns, to copy into the empty image.
RUN mkdir -p /rootfs/etc /rootfs/work \
    && echo 'fanout:x:10001:10001:fanout:/work:/sbin/nologin' > /rootfs/etc/passwd \
    && echo 'fanout:x:10001:' > /rootfs/etc/group \
    && chown 10001:10001 /rootfs/work

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /rootfs/ /
COPY --from=build /usr/local/bin/fanout /usr/local/bin/fanout
ENV PATH=/usr/local/bin \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["fanout"]

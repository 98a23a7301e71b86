# Multi-stage build: compile in the Rust image, run in a slim Debian with only the binary.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p techex-api

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/techex techex
COPY --from=build /src/target/release/techex /usr/local/bin/techex
USER techex
ENV TECHEX_DATA_DIR=/var/lib/techex \
    TECHEX_BIND=0.0.0.0:8080 \
    TECHEX_LOG_FORMAT=json
VOLUME /var/lib/techex
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["techex"]
CMD ["serve"]

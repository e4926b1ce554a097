//! RFC 3263 server location through the tokio shell, against a fake recursive name
//! server on 127.0.0.1 ephemeral ports. One test binary, one module per behaviour family.

mod fake;

mod cache;
mod failures;
mod fallback;
mod srv;

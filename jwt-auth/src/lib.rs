//! JWT verification and signing on `ring`.
#![forbid(unsafe_code)]

//! Engine.IO v4 server.
#![forbid(unsafe_code)]

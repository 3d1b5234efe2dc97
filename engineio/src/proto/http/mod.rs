//! HTTP/1.1 as bytes in, bytes out: the request head parser, the facts the Engine.IO path reads
//! from a head, the owned request and response, and the response encoder. No socket: the runtime
//! reads bytes into a buffer until [`parse_head`] says [`Status::Complete`], and writes what
//! [`encode`] gives.

mod error;
mod head;
mod request;
mod response;

pub use error::HttpError;
pub use head::{parse_head, Head, Layout, Status, MAX_HEADERS};
pub use request::{content_length, HttpRequest};
pub use response::{encode, HttpResponse};

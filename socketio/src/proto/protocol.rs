//! The Socket.IO protocol revision a client speaks, and what revision 4 (socket.io-client 2.x,
//! over Engine.IO v3) does differently from revision 5:
//!
//! - the server joins the client to `/` as soon as the Engine.IO session opens: a `0` CONNECT goes
//!   out without the client asking (it never sends a CONNECT for `/`);
//! - a CONNECT for another namespace carries a query string instead of an auth payload
//!   (`0/admin?token=abc,`): its parameters are that namespace's auth payload (`{"token":"abc"}`),
//!   as Node's `allowEIO3` reads them;
//! - the CONNECT reply has no payload (`0/admin,`), and the socket id is the Engine.IO sid for
//!   `/` and `<nsp>#<sid>` for another namespace (the client computes the same id itself);
//! - a refusal is an ERROR packet whose payload is the error's `data`, or its message as a string
//!   when it has none (`4"Not authorized"`, `4{"message":..,"code":..,"type":"UnauthorizedError"}`).
//!
//! Events, acknowledgements, binary attachments and DISCONNECT are the same in both revisions.

use super::packet::Namespace;
use super::raw_json::RawJson;

/// The Socket.IO protocol revision of a [`super::Connection`]: chosen by the runtime from the
/// Engine.IO handshake (`EIO=3` is revision 4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Protocol {
    /// Revision 5 (socket.io-client 3.x and later): the default.
    #[default]
    V5,
    /// Revision 4 (socket.io-client 2.x, Engine.IO v3).
    V4 {
        /// The Engine.IO session id, which the socket ids are made of.
        engine_sid: Box<str>,
    },
}

impl Protocol {
    /// Whether this is revision 4.
    pub fn is_v4(&self) -> bool {
        matches!(self, Protocol::V4 { .. })
    }
}

/// The socket id of a revision-4 client on `nsp`: the Engine.IO sid on `/`, `<nsp>#<sid>`
/// elsewhere (Node's `allowEIO3` does the same).
pub(crate) fn v4_socket_id(nsp: &str, engine_sid: &str) -> String {
    if nsp == "/" {
        engine_sid.to_owned()
    } else {
        format!("{nsp}#{engine_sid}")
    }
}

/// Splits the namespace of a revision-4 CONNECT (`/admin?token=abc`) into the namespace and its
/// query as an auth payload (`{"token":"abc"}`; the first of repeated keys counts). `None` when
/// there is no query.
pub(crate) fn split_connect_namespace(nsp: &Namespace) -> (Namespace, Option<RawJson>) {
    let Some((name, query)) = nsp.as_str().split_once('?') else {
        return (nsp.clone(), None);
    };
    let mut fields = serde_json::Map::new();
    for (key, value) in engineio::proto::query::pairs(query) {
        fields
            .entry(key)
            .or_insert_with(|| serde_json::Value::String(value));
    }
    let auth = serde_json::Value::Object(fields).to_string();
    let name = if name.is_empty() { "/" } else { name };
    (
        Namespace::from_wire(name),
        Some(RawJson::from_trusted(auth)),
    )
}

/// The ERROR payload a revision-4 client gets for a refusal whose revision-5 CONNECT_ERROR data is
/// `data` (`{"message":..,"data":..}`): the `data` when present, else the message as a string
/// (`err.data || err.message` in Node). Anything else goes as it is.
pub(crate) fn v4_error(data: &RawJson) -> RawJson {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(data.as_str()) else {
        return data.clone();
    };
    match (fields.get("data"), fields.get("message")) {
        (Some(inner), _) if !inner.is_null() => RawJson::from_trusted(inner.to_string()),
        (_, Some(message)) => RawJson::from_trusted(message.to_string()),
        _ => data.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_ids() {
        assert_eq!(v4_socket_id("/", "abc"), "abc");
        assert_eq!(v4_socket_id("/admin", "abc"), "/admin#abc");
    }

    #[test]
    fn namespace_query() {
        let (nsp, auth) =
            split_connect_namespace(&Namespace::from_wire("/admin?token=a%20b&x=1&x=2"));
        assert_eq!(nsp.as_str(), "/admin");
        assert_eq!(
            auth.map(|a| a.as_str().to_owned()).as_deref(),
            Some(r#"{"token":"a b","x":"1"}"#)
        );
        let (nsp, auth) = split_connect_namespace(&Namespace::from_wire("/admin"));
        assert_eq!((nsp.as_str(), auth), ("/admin", None));
        let (nsp, auth) = split_connect_namespace(&Namespace::from_wire("/?"));
        assert_eq!(nsp.as_str(), "/");
        assert_eq!(auth.map(|a| a.as_str().to_owned()).as_deref(), Some("{}"));
    }

    #[test]
    fn errors() {
        let json = |s: &str| RawJson::from_trusted(s.to_owned());
        assert_eq!(
            v4_error(&json(r#"{"message":"Not authorized"}"#)).as_str(),
            r#""Not authorized""#
        );
        assert_eq!(
            v4_error(&json(r#"{"message":"m","data":{"code":1}}"#)).as_str(),
            r#"{"code":1}"#
        );
        assert_eq!(
            v4_error(&json(r#"{"message":"m","data":null}"#)).as_str(),
            r#""m""#
        );
        assert_eq!(v4_error(&json(r#""s""#)).as_str(), r#""s""#);
    }
}

//! What a namespace's connect checks see and answer: the [`ConnectContext`] of a CONNECT, the
//! [`ConnectError`] that refuses it, and the check and authentication callbacks.

use crate::proto::{AppClaims, AuthError, Identity, RawJson};
use engineio::runtime::Handshake;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// What the application stores on a socket: one value per type.
pub(crate) type DataMap = HashMap<TypeId, Arc<dyn Any + Send + Sync>>;

/// A boxed future of a connect check.
pub type CheckFuture = Pin<Box<dyn Future<Output = Result<(), ConnectError>> + Send>>;

/// Decides whether a CONNECT is accepted; runs before the socket exists and may store data on it.
pub type ConnectCheck = Arc<dyn Fn(ConnectContext) -> CheckFuture + Send + Sync>;

/// A boxed future of an application's authentication check.
pub type AuthFuture = Pin<Box<dyn Future<Output = Result<AppClaims, AuthError>> + Send>>;

/// The application's own authentication (the namespace policy [`crate::proto::AuthPolicy::App`]):
/// gives the claims of the connection, or a typed refusal.
pub type AuthCheck = Arc<dyn Fn(ConnectContext) -> AuthFuture + Send + Sync>;

/// What a connect check sees, and where it leaves data for the socket.
#[derive(Clone)]
pub struct ConnectContext {
    /// The namespace.
    pub nsp: String,
    /// The Engine.IO handshake request.
    pub handshake: Arc<Handshake>,
    /// The CONNECT payload (`{}` when none).
    pub auth: RawJson,
    /// What the namespace's policy established so far: a verified token, or anonymous (`None`
    /// while the token is still to come in event mode, or the application's check is to decide).
    pub identity: Option<Identity>,
    /// The CONNECT restores a kept session (connection state recovery with `skip_middlewares`
    /// off): the socket will keep its id, rooms and data.
    pub recovered: bool,
    data: Arc<std::sync::Mutex<DataMap>>,
}

impl fmt::Debug for ConnectContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectContext")
            .field("nsp", &self.nsp)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl ConnectContext {
    pub(crate) fn new(
        nsp: String,
        handshake: Arc<Handshake>,
        auth: RawJson,
        identity: Option<Identity>,
    ) -> Self {
        Self {
            nsp,
            handshake,
            auth,
            identity,
            recovered: false,
            data: Arc::default(),
        }
    }

    /// The verified claims, when the policy already verified a token.
    pub fn claims(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        self.identity.as_ref()?.claims()
    }

    /// Stores a value on the socket-to-be (see [`Socket::data`](crate::runtime::Socket::data)).
    pub fn set_data<T: Any + Send + Sync>(&self, value: T) {
        if let Ok(mut data) = self.data.lock() {
            data.insert(TypeId::of::<T>(), Arc::new(value));
        }
    }

    pub(crate) fn take_data(&self) -> DataMap {
        self.data
            .lock()
            .map(|mut d| std::mem::take(&mut *d))
            .unwrap_or_default()
    }
}

/// A refused CONNECT: the client's `connect_error` gets `message` and `data`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectError {
    /// `err.message` on the client.
    pub message: String,
    /// `err.data` on the client.
    pub data: Option<serde_json::Value>,
}

impl ConnectError {
    /// A refusal with a message only.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
        }
    }

    /// A refusal with a message and data.
    pub fn with_data(message: impl Into<String>, data: serde_json::Value) -> Self {
        Self {
            message: message.into(),
            data: Some(data),
        }
    }

    /// The CONNECT_ERROR payload `{"message":...,"data":...}`.
    pub fn to_json(&self) -> RawJson {
        let mut object = serde_json::Map::new();
        object.insert(
            "message".to_owned(),
            serde_json::Value::String(self.message.clone()),
        );
        if let Some(data) = &self.data {
            object.insert("data".to_owned(), data.clone());
        }
        RawJson::from(&serde_json::Value::Object(object))
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnectError {}

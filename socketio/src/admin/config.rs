//! [`AdminConfig`]: what `SocketIo::instrument` sets up, and the mistakes it refuses.

use super::password::PasswordHash;
use std::fmt;

/// How the Admin UI logs in (Node's `auth` option, which must be given: there is no default).
#[derive(Clone, Debug)]
pub enum AdminAuth {
    /// No login: anyone who reaches the admin namespace may use it (Node's `auth: false`).
    /// Put the namespace behind the server's JWT policy (`AuthPolicies`) or a network boundary.
    None,
    /// A username and a bcrypt hash of the password (Node's `{ type: "basic" }`): hashes made
    /// by npm `bcryptjs` or `bcrypt` (`$2a$`, `$2b$`, `$2y$`) carry over unchanged.
    Basic {
        /// The username the UI sends.
        username: String,
        /// The bcrypt hash of the password.
        password_hash: String,
    },
}

impl AdminAuth {
    /// Basic authentication with a bcrypt hash (see [`AdminAuth::Basic`]).
    pub fn basic(username: impl Into<String>, password_hash: impl Into<String>) -> Self {
        Self::Basic {
            username: username.into(),
            password_hash: password_hash.into(),
        }
    }

    /// Basic authentication with a password in clear, hashed here with bcrypt at `cost`
    /// (4 to 31; 10 is bcryptjs' default): for a password made at start-up, as the demo does.
    pub fn basic_with_password(
        username: impl Into<String>,
        password: &str,
        cost: u32,
    ) -> Result<Self, AdminConfigError> {
        let hash = bcrypt::hash(password, cost).map_err(|_| AdminConfigError::InvalidCost)?;
        Ok(Self::basic(username, hash))
    }
}

/// What the Admin UI is told: Node's `mode` option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AdminMode {
    /// Statistics only: server stats every 2 s and the aggregated counters (cheap).
    Production,
    /// Also every socket, its rooms and its events as they happen (Node's default).
    #[default]
    Development,
}

/// Settings of [`crate::runtime::SocketIo::instrument`]: Node's `instrument(io, options)`.
#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// The admin namespace (`/admin` by default).
    pub namespace: String,
    /// How the UI logs in.
    pub auth: AdminAuth,
    /// Statistics only, or every socket and event too.
    pub mode: AdminMode,
    /// The id the UI shows for this server (the host name by default); give each node of a
    /// cluster its own.
    pub server_id: Option<String>,
    /// The UI may look but not act: no emit, join, leave or disconnect.
    pub read_only: bool,
}

impl AdminConfig {
    /// Settings with the given login and Node's defaults otherwise: namespace `/admin`,
    /// development mode, the host name as server id, not read-only.
    pub fn new(auth: AdminAuth) -> Self {
        Self {
            namespace: "/admin".to_owned(),
            auth,
            mode: AdminMode::default(),
            server_id: None,
            read_only: false,
        }
    }

    /// Sets the admin namespace.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Sets the mode.
    pub fn mode(mut self, mode: AdminMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the server id.
    pub fn server_id(mut self, server_id: impl Into<String>) -> Self {
        self.server_id = Some(server_id.into());
        self
    }

    /// Makes the UI read-only (or not).
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Checks the settings: the hash is a bcrypt hash, the namespace a namespace name.
    pub(crate) fn validate(&self) -> Result<Option<(String, PasswordHash)>, AdminConfigError> {
        if !self.namespace.starts_with('/')
            || crate::proto::Namespace::new(&self.namespace).is_err()
        {
            return Err(AdminConfigError::InvalidNamespace);
        }
        match &self.auth {
            AdminAuth::None => Ok(None),
            AdminAuth::Basic {
                username,
                password_hash,
            } => {
                let hash =
                    PasswordHash::parse(password_hash).ok_or(AdminConfigError::InvalidHash)?;
                Ok(Some((username.clone(), hash)))
            }
        }
    }
}

/// A mistake in the settings given to `instrument` (the application's fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminConfigError {
    /// The password hash is not a bcrypt hash (`$2a$`, `$2b$`, `$2x$` or `$2y$`, a cost from 04
    /// to 31, 53 characters of salt and hash).
    InvalidHash,
    /// A bcrypt cost out of 4..=31 was asked for.
    InvalidCost,
    /// The namespace name does not start with `/` or is not a valid name.
    InvalidNamespace,
    /// The server is instrumented already (once per server).
    AlreadyInstrumented,
}

impl fmt::Display for AdminConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InvalidHash => "admin: the password hash is not a valid bcrypt hash",
            Self::InvalidCost => "admin: a bcrypt cost is from 4 to 31",
            Self::InvalidNamespace => "admin: the namespace name must start with '/'",
            Self::AlreadyInstrumented => "admin: the server is instrumented already",
        })
    }
}

impl std::error::Error for AdminConfigError {}

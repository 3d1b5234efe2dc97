//! Choosing the key for a token from its header and the caller's context: rotation, per-tenant
//! secrets, and the "secret function" of auth0's `socketio-jwt`.

use std::sync::Arc;

use crate::error::Error;
use crate::header::Header;
use crate::key::Key;
use crate::key_set::KeySet;

/// Finds the key for a token. It sees the decoded header (`alg`, `kid`, `typ`, `cty`, nothing a
/// token could use to supply a key) and the caller's context (e.g. the HTTP request), and returns
/// a key; the verifier still checks the key can do the token's `alg`.
///
/// Any `Fn(&Header, &Ctx) -> Result<Arc<Key>, Error> + Send + Sync` is a resolver. Return
/// [`Error::KeyNotFound`] for an unknown `kid` and [`Error::KeyUnavailable`] when the key store
/// itself failed (that one is the server's fault).
pub trait KeyResolver<Ctx: ?Sized>: Send + Sync {
    /// The key to verify this token with.
    fn resolve(&self, header: &Header<'_>, ctx: &Ctx) -> Result<Arc<Key>, Error>;
}

impl<Ctx: ?Sized, F> KeyResolver<Ctx> for F
where
    F: Fn(&Header<'_>, &Ctx) -> Result<Arc<Key>, Error> + Send + Sync,
{
    fn resolve(&self, header: &Header<'_>, ctx: &Ctx) -> Result<Arc<Key>, Error> {
        self(header, ctx)
    }
}

impl<Ctx: ?Sized> KeyResolver<Ctx> for KeySet {
    fn resolve(&self, header: &Header<'_>, _ctx: &Ctx) -> Result<Arc<Key>, Error> {
        self.find(header)
    }
}

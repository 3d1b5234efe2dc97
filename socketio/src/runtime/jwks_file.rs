//! A JWKS file that is read again when it changes: keys rotate without a restart.

use jwt_auth::{Error, Header, Key, KeyResolver, KeySet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// A [`KeyResolver`] over a JWKS file. The file's modification time is looked at no more than
/// once per `recheck` (1 s by default); when it changed, the file is parsed again. A file that no
/// longer parses keeps the last good key set (the error is the server's, not the client's).
#[derive(Debug)]
pub struct JwksFile {
    path: PathBuf,
    keys: RwLock<Arc<KeySet>>,
    checked: Mutex<(Instant, Option<SystemTime>)>,
    recheck: Duration,
}

impl JwksFile {
    /// Reads the file now; fails if it does not hold a usable key set.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, String> {
        let path = path.as_ref().to_path_buf();
        let (keys, modified) = read(&path)?;
        Ok(Self {
            path,
            keys: RwLock::new(Arc::new(keys)),
            checked: Mutex::new((Instant::now(), modified)),
            recheck: Duration::from_secs(1),
        })
    }

    /// Sets how often the file's modification time is looked at.
    pub fn recheck_every(mut self, every: Duration) -> Self {
        self.recheck = every;
        self
    }

    /// The key set in force.
    pub fn key_set(&self) -> Arc<KeySet> {
        self.maybe_reload();
        self.keys
            .read()
            .map(|k| k.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    fn maybe_reload(&self) {
        let Ok(mut checked) = self.checked.try_lock() else {
            return;
        };
        if checked.0.elapsed() < self.recheck {
            return;
        }
        checked.0 = Instant::now();
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if modified == checked.1 {
            return;
        }
        if let Ok((keys, modified)) = read(&self.path) {
            checked.1 = modified;
            if let Ok(mut current) = self.keys.write() {
                *current = Arc::new(keys);
            }
        }
    }
}

fn read(path: &Path) -> Result<(KeySet, Option<SystemTime>), String> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let keys = KeySet::from_jwks(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((keys, modified))
}

impl<Ctx: ?Sized> KeyResolver<Ctx> for JwksFile {
    fn resolve(&self, header: &Header<'_>, _ctx: &Ctx) -> Result<Arc<Key>, Error> {
        self.key_set().find(header)
    }
}

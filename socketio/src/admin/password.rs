//! Password checks of the admin login: bcrypt hashes as npm `bcryptjs` writes them, verified with
//! the `bcrypt` crate (Blowfish is not in `ring`; hand-written crypto is not worth the risk).

use std::fmt;

/// A well-formed bcrypt hash: `$2a$10$` (version, two-digit cost) then 53 characters of the
/// bcrypt base64 alphabet (22 of salt, 31 of hash).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PasswordHash(String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

const ALPHABET: &[u8] = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl PasswordHash {
    /// The hash, if `text` is one.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix("$2")?;
        let rest = ["a$", "b$", "x$", "y$"]
            .iter()
            .find_map(|v| rest.strip_prefix(v))?;
        let (cost, tail) = rest.split_once('$')?;
        let cost: u32 = (cost.len() == 2).then(|| cost.parse().ok())??;
        let well_formed = (4..=31).contains(&cost)
            && tail.len() == 53
            && tail.bytes().all(|b| ALPHABET.contains(&b));
        well_formed.then(|| Self(text.to_owned()))
    }

    /// Whether `password` matches (its first 72 bytes, as bcryptjs reads it). Slow on purpose
    /// (2^cost rounds): run it off the async workers.
    pub(crate) fn verify(&self, password: &str) -> bool {
        bcrypt::verify(password, &self.0).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hashes_verify() {
        // OpenBSD's test vector (`$2a$`, cost 5).
        let openbsd =
            PasswordHash::parse("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW");
        assert!(openbsd.is_some_and(|h| h.verify("U*U")));
        // Made by npm bcryptjs 2.4.3 (`bcrypt.hashSync("admin-password", 4)`).
        let bcryptjs = "$2a$04$Szxb9QR4zLLZ0z5S1AcTi.kNzNbip5u4W7E.eXzP/uREl/Fvl2rEe";
        let hash = PasswordHash::parse(bcryptjs);
        assert!(hash.as_ref().is_some_and(|h| h.verify("admin-password")));
        assert!(hash.is_some_and(|h| !h.verify("admin-passworD")));
        // `$2b$`, as bcrypt (the C library and npm bcrypt) writes them: the same vector.
        let b = PasswordHash::parse("$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW");
        assert!(b.is_some_and(|h| h.verify("U*U")));
    }

    #[test]
    fn malformed_hashes_are_refused() {
        for bad in [
            "",
            "admin",
            "$2a$",
            "$2c$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2a$5$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2a$03$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe",
            "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOe!",
        ] {
            assert!(PasswordHash::parse(bad).is_none(), "{bad}");
        }
    }
}

//! PEM (RFC 7468): the first block with a label we know, its base64 body decoded.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::error::KeyRejected;

/// The kinds of PEM block this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    /// `PUBLIC KEY`: SubjectPublicKeyInfo.
    Spki,
    /// `RSA PUBLIC KEY`: PKCS#1 RSAPublicKey.
    Pkcs1Public,
    /// `PRIVATE KEY`: PKCS#8.
    Pkcs8,
    /// `RSA PRIVATE KEY`: PKCS#1 RSAPrivateKey.
    Pkcs1Private,
    /// `EC PRIVATE KEY`: SEC1 ECPrivateKey (what `openssl ecparam -genkey` writes).
    Sec1,
}

impl Label {
    fn from_text(text: &str) -> Option<Label> {
        Some(match text {
            "PUBLIC KEY" => Label::Spki,
            "RSA PUBLIC KEY" => Label::Pkcs1Public,
            "PRIVATE KEY" => Label::Pkcs8,
            "RSA PRIVATE KEY" => Label::Pkcs1Private,
            "EC PRIVATE KEY" => Label::Sec1,
            _ => return None,
        })
    }
}

/// Finds the first block with a known label (skipping e.g. `EC PARAMETERS`) and decodes it.
pub(crate) fn parse(text: &str) -> Result<(Label, Vec<u8>), KeyRejected> {
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after_begin = rest.get(start + 11..).ok_or(KeyRejected::Pem)?;
        let label_end = after_begin.find("-----").ok_or(KeyRejected::Pem)?;
        let label_text = after_begin.get(..label_end).ok_or(KeyRejected::Pem)?;
        let body_and_more = after_begin.get(label_end + 5..).ok_or(KeyRejected::Pem)?;
        let end_marker = format!("-----END {label_text}-----");
        let body_end = body_and_more.find(&end_marker).ok_or(KeyRejected::Pem)?;
        let body = body_and_more.get(..body_end).ok_or(KeyRejected::Pem)?;
        if let Some(label) = Label::from_text(label_text) {
            // Encrypted legacy PEM has "Proc-Type:" headers: ':' is not base64, so it fails here.
            let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            let der = STANDARD.decode(compact).map_err(|_| KeyRejected::Pem)?;
            return Ok((label, der));
        }
        rest = body_and_more
            .get(body_end + end_marker.len()..)
            .ok_or(KeyRejected::Pem)?;
    }
    Err(KeyRejected::Pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_known_block() {
        let text =
            "junk\n-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n\
                    -----BEGIN PUBLIC KEY-----\nAAEC\r\nAw==\n-----END PUBLIC KEY-----\n";
        assert_eq!(parse(text), Ok((Label::Spki, vec![0, 1, 2, 3])));
    }

    #[test]
    fn refuses_broken_blocks() {
        for bad in [
            "",
            "-----BEGIN PUBLIC KEY-----\nAAEC\n",
            "-----BEGIN PUBLIC KEY-----\nAA!C\n-----END PUBLIC KEY-----",
            "-----BEGIN PUBLIC KEY-----\nAAEC\n-----END PRIVATE KEY-----",
            "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----",
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nAAEC\n-----END RSA PRIVATE KEY-----",
            "-----BEGIN ",
            "-----BEGIN PUBLIC KEY",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}

//! Just enough strict DER to find what ring needs in SPKI, PKCS#1 and PKCS#8 structures:
//! single-byte tags, definite minimal lengths, nothing left over.

use crate::error::KeyRejected;

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const OID: u8 = 0x06;

/// Algorithm and curve identifiers (the content bytes of the OIDs).
pub(crate) mod oid {
    /// rsaEncryption, 1.2.840.113549.1.1.1
    pub(crate) const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// id-ecPublicKey, 1.2.840.10045.2.1
    pub(crate) const EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// prime256v1, 1.2.840.10045.3.1.7
    pub(crate) const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1, 1.3.132.0.34
    pub(crate) const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// id-Ed25519, 1.3.101.112
    pub(crate) const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
}

/// A cursor over DER bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8]) -> Self {
        Reader { rest: input }
    }

    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one element with this tag and returns its contents.
    pub(crate) fn read(&mut self, tag: u8) -> Result<&'a [u8], KeyRejected> {
        let (&actual, rest) = self.rest.split_first().ok_or(KeyRejected::Der)?;
        if actual != tag {
            return Err(KeyRejected::Der);
        }
        let (&first, mut rest) = rest.split_first().ok_or(KeyRejected::Der)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 3 {
                return Err(KeyRejected::Der); // indefinite, or absurdly long for a key
            }
            let (bytes, after) = rest.split_at_checked(count).ok_or(KeyRejected::Der)?;
            rest = after;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            // Minimal: no leading zero byte, and the short form when it would do.
            if bytes.first() == Some(&0) || len < 0x80 {
                return Err(KeyRejected::Der);
            }
            len
        };
        let (contents, after) = rest.split_at_checked(len).ok_or(KeyRejected::Der)?;
        self.rest = after;
        Ok(contents)
    }

    /// Reads a non-negative INTEGER and returns it big-endian without leading zeros.
    pub(crate) fn read_unsigned(&mut self) -> Result<&'a [u8], KeyRejected> {
        let bytes = self.read(INTEGER)?;
        match bytes {
            [] => Err(KeyRejected::Der),
            [b, ..] if b & 0x80 != 0 => Err(KeyRejected::Der), // negative
            [0] => Ok(&[]),
            [0, next, ..] if next & 0x80 == 0 => Err(KeyRejected::Der), // not minimal
            [0, rest @ ..] => Ok(rest),
            _ => Ok(bytes),
        }
    }

    /// Reads a BIT STRING with no unused bits and returns its bytes.
    pub(crate) fn read_bits(&mut self) -> Result<&'a [u8], KeyRejected> {
        match self.read(BIT_STRING)? {
            [0, bits @ ..] => Ok(bits),
            _ => Err(KeyRejected::Der),
        }
    }

    /// Reads `SEQUENCE { OID, params? }` and returns (algorithm OID, params element if any).
    pub(crate) fn read_algorithm(&mut self) -> Result<(&'a [u8], Option<Param<'a>>), KeyRejected> {
        let mut seq = Reader::new(self.read(SEQUENCE)?);
        let algorithm = seq.read(OID)?;
        let param = match seq.peek_tag() {
            None => None,
            Some(OID) => Some(Param::Oid(seq.read(OID)?)),
            Some(NULL) => {
                if !seq.read(NULL)?.is_empty() {
                    return Err(KeyRejected::Der);
                }
                Some(Param::Null)
            }
            Some(_) => return Err(KeyRejected::UnsupportedKeyType),
        };
        seq.finish()?;
        Ok((algorithm, param))
    }

    /// Fails unless every byte was consumed.
    pub(crate) fn finish(&self) -> Result<(), KeyRejected> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(KeyRejected::Der)
        }
    }
}

/// Encodes one element (the few keys we wrap are far below 16 MiB).
pub(crate) fn write(tag: u8, contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = Vec::with_capacity(len + 5);
    out.push(tag);
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(contents);
    out
}

/// Wraps a SEC1 ECPrivateKey in PKCS#8 (RFC 5915 §3 inside RFC 5208), taking the curve from its
/// `[0]` parameters, so ring can load it.
pub(crate) fn sec1_to_pkcs8(sec1: &[u8]) -> Result<(&'static [u8], Vec<u8>), KeyRejected> {
    let mut outer = Reader::new(sec1);
    let mut key = Reader::new(outer.read(SEQUENCE)?);
    outer.finish()?;
    if key.read_unsigned()? != [1] {
        return Err(KeyRejected::Der);
    }
    key.read(OCTET_STRING)?;
    let mut params = Reader::new(key.read(0xa0)?);
    let curve = params.read(OID)?;
    params.finish()?;
    let curve: &'static [u8] = match curve {
        oid::P256 => oid::P256,
        oid::P384 => oid::P384,
        _ => return Err(KeyRejected::UnsupportedCurve),
    };
    let algorithm = [write(OID, oid::EC), write(OID, curve)].concat();
    let info = [
        write(INTEGER, &[0]),
        write(SEQUENCE, &algorithm),
        write(OCTET_STRING, sec1),
    ]
    .concat();
    Ok((curve, write(SEQUENCE, &info)))
}

/// The parameters of an AlgorithmIdentifier.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Param<'a> {
    Null,
    Oid(&'a [u8]),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_must_be_minimal_and_in_bounds() {
        assert_eq!(
            Reader::new(&[0x04, 0x01, 0xaa]).read(OCTET_STRING),
            Ok(&[0xaa][..])
        );
        assert!(Reader::new(&[0x04, 0x81, 0x01, 0xaa])
            .read(OCTET_STRING)
            .is_err());
        assert!(Reader::new(&[0x04, 0x82, 0x00, 0x81])
            .read(OCTET_STRING)
            .is_err());
        assert!(Reader::new(&[0x04, 0x80]).read(OCTET_STRING).is_err());
        assert!(Reader::new(&[0x04, 0x05, 0xaa]).read(OCTET_STRING).is_err());
        assert!(Reader::new(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff])
            .read(OCTET_STRING)
            .is_err());
        assert!(Reader::new(&[0x02, 0x01, 0x01]).read(OCTET_STRING).is_err());
        assert!(Reader::new(&[]).read(OCTET_STRING).is_err());
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(
            Reader::new(&long).read(OCTET_STRING).map(<[u8]>::len),
            Ok(0x80)
        );
    }

    #[test]
    fn integers() {
        assert_eq!(
            Reader::new(&[0x02, 0x01, 0x05]).read_unsigned(),
            Ok(&[5u8][..])
        );
        assert_eq!(
            Reader::new(&[0x02, 0x02, 0x00, 0x80]).read_unsigned(),
            Ok(&[0x80u8][..])
        );
        assert!(Reader::new(&[0x02, 0x02, 0x00, 0x05])
            .read_unsigned()
            .is_err());
        assert!(Reader::new(&[0x02, 0x01, 0x80]).read_unsigned().is_err());
        assert!(Reader::new(&[0x02, 0x00]).read_unsigned().is_err());
    }
}

//! The Engine.IO v3 polling payload as socket.io-client 2.x (engine.io-parser 2.x) writes and
//! reads it, written here from the protocol's description (not from the server's code): text
//! records `<length>:<packet>` (the length in UTF-16 code units), and binary records `0|1`,
//! length digits as bytes 0-9, `0xff`, the packet (a binary one starts with its type byte).

/// One record of a v3 payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A text packet (`4hello`, `b4AQID` for binary as base64).
    Text(String),
    /// A binary packet: its type byte, then the bytes.
    Binary(Vec<u8>),
}

/// A text payload of these packets.
pub fn encode(packets: &[&str]) -> String {
    packets
        .iter()
        .map(|p| format!("{}:{p}", p.encode_utf16().count()))
        .collect()
}

/// Parses a text payload into its packets (empty records are skipped, as the client does).
pub fn decode_text(body: &[u8]) -> Result<Vec<String>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("payload is not UTF-8: {e}"))?;
    let mut records = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (digits, after) = rest
            .split_once(':')
            .ok_or_else(|| format!("no `<length>:` in {rest:?} (payload {text:?})"))?;
        let units: usize = digits
            .parse()
            .map_err(|_| format!("bad length {digits:?} in payload {text:?}"))?;
        let (mut taken, mut end) = (0, 0);
        for c in after.chars() {
            if taken >= units {
                break;
            }
            taken += c.len_utf16();
            end += c.len_utf8();
        }
        if taken != units {
            return Err(format!(
                "length {units} does not match what follows in {text:?}"
            ));
        }
        if units > 0 {
            records.push(after[..end].to_owned());
        }
        rest = &after[end..];
    }
    Ok(records)
}

/// Parses a binary payload into its records.
pub fn decode_binary(body: &[u8]) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    let mut rest = body;
    while let Some((&kind, after)) = rest.split_first() {
        let end = after
            .iter()
            .position(|&b| b == 0xff)
            .ok_or_else(|| format!("no 0xff after the length in {body:?}"))?;
        let mut len = 0usize;
        for &d in &after[..end] {
            if d > 9 || end > 10 {
                return Err(format!("bad length digits {:?}", &after[..end]));
            }
            len = len * 10 + usize::from(d);
        }
        let data = after
            .get(end + 1..end + 1 + len)
            .ok_or_else(|| format!("record of {len} bytes runs past the payload {body:?}"))?;
        records.push(match kind {
            0 => Record::Text(String::from_utf8(data.to_vec()).map_err(|e| e.to_string())?),
            1 => Record::Binary(data.to_vec()),
            other => return Err(format!("record kind {other} is neither 0 nor 1")),
        });
        rest = &after[end + 1 + len..];
    }
    Ok(records)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let wire = encode(&["4é😀", "2"]);
        assert_eq!(wire, "4:4é😀1:2");
        assert_eq!(decode_text(wire.as_bytes()).unwrap(), vec!["4é😀", "2"]);
        assert!(decode_text(b"3:4a").is_err());
        assert_eq!(
            decode_binary(&[0, 2, 0xff, b'4', b'a', 1, 2, 0xff, 4, 7]).unwrap(),
            vec![Record::Text("4a".into()), Record::Binary(vec![4, 7])]
        );
    }
}

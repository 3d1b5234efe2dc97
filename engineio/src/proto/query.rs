//! Query-string parsing: `a=1&b=x%20y`, with percent- and `+`-decoding.

/// Iterates over the decoded `(key, value)` pairs of a query string (without the `?`).
pub fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k), decode(v))
    })
}

/// The decoded value of the first `key` in `query`.
pub fn get(query: &str, key: &str) -> Option<String> {
    pairs(query).find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Percent-decodes a query component (`+` is a space). Invalid escapes are kept as written;
/// invalid UTF-8 is replaced.
pub fn decode(s: &str) -> String {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(
            get("EIO=4&transport=polling&t=N8", "transport").as_deref(),
            Some("polling")
        );
        assert_eq!(get("a=x%20y+z&b", "a").as_deref(), Some("x y z"));
        assert_eq!(get("a=x%20y+z&b", "b").as_deref(), Some(""));
        assert_eq!(get("a=%zz%4", "a").as_deref(), Some("%zz%4"));
        assert_eq!(get("a=%C3%A9", "a").as_deref(), Some("é"));
        assert_eq!(get("", "a"), None);
    }
}

//! Query-string parsing: `a=1&b=x%20y`, with percent- and `+`-decoding.
//!
//! [`borrowed_pairs`] and [`decoded`] borrow from the query and copy only a component that has
//! escapes to decode; [`pairs`], [`get`] and [`decode`] are the same with owned strings.

use std::borrow::Cow;

/// Iterates over the decoded `(key, value)` pairs of a query string (without the `?`).
pub fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    borrowed_pairs(query).map(|(k, v)| (k.into_owned(), v.into_owned()))
}

/// [`pairs`] without copies: a key or value is borrowed from `query` unless it has a `%` or `+`
/// to decode.
pub fn borrowed_pairs(query: &str) -> BorrowedPairs<'_> {
    BorrowedPairs { rest: query }
}

/// The iterator of [`borrowed_pairs`].
#[derive(Clone, Debug)]
pub struct BorrowedPairs<'q> {
    rest: &'q str,
}

impl<'q> Iterator for BorrowedPairs<'q> {
    type Item = (Cow<'q, str>, Cow<'q, str>);

    fn next(&mut self) -> Option<Self::Item> {
        // One pass over each pair finds its end, its first `=`, and whether either side has an
        // escape; empty pairs (`a&&b`, a trailing `&`) are skipped.
        while !self.rest.is_empty() {
            let bytes = self.rest.as_bytes();
            let mut end = bytes.len();
            let mut eq = None;
            let (mut escaped_key, mut escaped_value) = (false, false);
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'&' => {
                        end = i;
                        break;
                    }
                    b'=' if eq.is_none() => eq = Some(i),
                    b'%' | b'+' if eq.is_none() => escaped_key = true,
                    b'%' | b'+' => escaped_value = true,
                    _ => {}
                }
            }
            // `end` and `eq` are positions of ASCII bytes: char boundaries.
            let pair = self.rest.get(..end).unwrap_or_default();
            self.rest = self.rest.get(end + 1..).unwrap_or_default();
            if pair.is_empty() {
                continue;
            }
            let (key, value) = match eq {
                Some(i) => (
                    pair.get(..i).unwrap_or_default(),
                    pair.get(i + 1..).unwrap_or_default(),
                ),
                None => (pair, ""),
            };
            let component = |s: &'q str, escaped: bool| {
                if escaped {
                    Cow::Owned(percent_decode(s))
                } else {
                    Cow::Borrowed(s)
                }
            };
            return Some((component(key, escaped_key), component(value, escaped_value)));
        }
        None
    }
}

/// The decoded value of the first `key` in `query`.
pub fn get(query: &str, key: &str) -> Option<String> {
    borrowed_pairs(query)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Percent-decodes a query component (`+` is a space). Invalid escapes are kept as written;
/// invalid UTF-8 is replaced.
pub fn decode(s: &str) -> String {
    decoded(s).into_owned()
}

/// [`decode`], borrowing `s` when it has nothing to decode.
pub fn decoded(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b == b'%' || b == b'+') {
        Cow::Owned(percent_decode(s))
    } else {
        Cow::Borrowed(s)
    }
}

fn percent_decode(s: &str) -> String {
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
        assert_eq!(get("a=%FF", "a").as_deref(), Some("\u{FFFD}"));
        assert_eq!(get("", "a"), None);
    }

    /// The former parser: `split('&')`, skip empty pairs, `split_once('=')`, decode both sides.
    fn reference(query: &str) -> Vec<(String, String)> {
        query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(k), decode(v))
            })
            .collect()
    }

    #[test]
    fn borrows_unless_escaped() {
        let pairs: Vec<_> = borrowed_pairs("EIO=4&transport=polling&a%41=x+y").collect();
        assert!(matches!(
            pairs[0],
            (Cow::Borrowed("EIO"), Cow::Borrowed("4"))
        ));
        assert!(matches!(
            pairs[1],
            (Cow::Borrowed("transport"), Cow::Borrowed("polling"))
        ));
        assert_eq!(pairs[2], (Cow::<str>::from("aA"), Cow::from("x y")));
        assert!(matches!(pairs[2], (Cow::Owned(_), Cow::Owned(_))));
        assert!(matches!(decoded("plain"), Cow::Borrowed("plain")));
        assert_eq!(decoded("a+b%2B"), "a b+");
    }

    #[test]
    fn same_pairs_as_the_former_parser() {
        let cases = [
            "",
            "&",
            "&&",
            "=",
            "==",
            "a",
            "a=",
            "=b",
            "a=b=c",
            "a==b",
            "a&b",
            "&a=1&&b=2&",
            "a+b=c+d",
            "a%3D=%26&x=%",
            "k=%e2%82%ac&%zz=%4",
            "é=ü&ü%C3%A9=+",
            "EIO=4&transport=polling&t=PaBcD1e&sid=AAAAAAAAAAAAAAAAAAAA",
            "x=1%&y=%%41",
        ];
        for query in cases {
            let ours: Vec<_> = pairs(query).collect();
            assert_eq!(ours, reference(query), "{query:?}");
        }
        // Every string over a small alphabet, up to length 5.
        let alphabet = ['a', '=', '&', '%', '+', '4', '1', 'é'];
        let mut queue = vec![String::new()];
        while let Some(query) = queue.pop() {
            let ours: Vec<_> = pairs(&query).collect();
            assert_eq!(ours, reference(&query), "{query:?}");
            if query.chars().count() < 5 {
                for c in alphabet {
                    let mut next = query.clone();
                    next.push(c);
                    queue.push(next);
                }
            }
        }
    }
}

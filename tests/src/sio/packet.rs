//! The few Socket.IO wire formats a check must read: the CONNECT reply, placeholders, and
//! arguments with their binary attachments put back in place (to compare two packets by meaning
//! when their bytes may legitimately differ).

use serde_json::{Map, Value};

/// The binary placeholder for attachment `num`, as the reference parser writes it.
pub fn placeholder(num: usize) -> String {
    format!("{{\"_placeholder\":true,\"num\":{num}}}")
}

/// What goes between the packet type (and attachment count) and the rest: `""` for the main
/// namespace, `"/custom,"` for `/custom`.
pub fn nsp_prefix(nsp: &str) -> String {
    if nsp == "/" {
        String::new()
    } else {
        format!("{nsp},")
    }
}

/// Parses the CONNECT reply for `nsp` (`40{"sid":"..."}`, `40/custom,{"sid":"..."}`, as an
/// Engine.IO message) and returns the namespace socket id. The JSON must hold exactly `sid`, a
/// non-empty string.
pub fn parse_connect_reply(packet: &str, nsp: &str) -> Result<String, String> {
    let prefix = format!("40{}", nsp_prefix(nsp));
    let Some(json) = packet.strip_prefix(prefix.as_str()) else {
        let refused = format!("44{}", nsp_prefix(nsp));
        if packet.starts_with(&refused) {
            return Err(format!(
                "CONNECT to {nsp} was refused with {packet:?}, expected {prefix}{{\"sid\":...}}"
            ));
        }
        return Err(format!(
            "expected the CONNECT reply {prefix}{{\"sid\":...}}, got {packet:?}"
        ));
    };
    let value: Value = serde_json::from_str(json)
        .map_err(|e| format!("CONNECT reply JSON does not parse ({e}): {packet:?}"))?;
    let object = value
        .as_object()
        .ok_or_else(|| format!("CONNECT reply payload is not an object: {packet:?}"))?;
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    if keys != ["sid"] {
        return Err(format!(
            "CONNECT reply keys are {keys:?}, expected exactly [\"sid\"]: {packet:?}"
        ));
    }
    object
        .get("sid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("CONNECT reply `sid` is not a non-empty string: {packet:?}"))
}

/// The header and JSON of a binary packet (`452-/nsp,12[...]` without the Engine.IO `4`): the
/// text before the JSON and the JSON itself.
pub fn split_json(packet: &str) -> (&str, &str) {
    let at = packet.find(['[', '{']).unwrap_or(packet.len());
    packet.split_at(at)
}

/// The arguments of `json` with every placeholder replaced by `{"<binary>":[bytes]}` taken from
/// `attachments`: two packets mean the same when these are equal, whatever their numbering.
pub fn reconstruct(json: &str, attachments: &[Vec<u8>]) -> Result<Value, String> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| format!("JSON does not parse ({e}): {json:?}"))?;
    replace_placeholders(value, attachments)
}

fn replace_placeholders(value: Value, attachments: &[Vec<u8>]) -> Result<Value, String> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|v| replace_placeholders(v, attachments))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        Value::Object(map) if map.get("_placeholder") == Some(&Value::Bool(true)) => {
            let num = map
                .get("num")
                .and_then(Value::as_u64)
                .ok_or_else(|| format!("placeholder without a numeric `num`: {map:?}"))?;
            let bytes = usize::try_from(num)
                .ok()
                .and_then(|n| attachments.get(n))
                .ok_or_else(|| {
                    format!(
                        "placeholder {num} but only {} attachments",
                        attachments.len()
                    )
                })?;
            let mut marker = Map::new();
            marker.insert(
                "<binary>".into(),
                Value::Array(bytes.iter().map(|&b| Value::from(b)).collect()),
            );
            Ok(Value::Object(marker))
        }
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| replace_placeholders(v, attachments).map(|v| (k, v)))
            .collect::<Result<Map<_, _>, _>>()
            .map(Value::Object),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_reply_parses() {
        assert_eq!(
            parse_connect_reply(r#"40{"sid":"abc"}"#, "/"),
            Ok("abc".to_string())
        );
        assert_eq!(
            parse_connect_reply(r#"40/custom,{"sid":"x-y"}"#, "/custom"),
            Ok("x-y".to_string())
        );
    }

    #[test]
    fn connect_reply_with_extra_keys_or_wrong_namespace_is_refused() {
        assert!(parse_connect_reply(r#"40{"sid":"a","pid":"b"}"#, "/").is_err());
        assert!(parse_connect_reply(r#"40{"sid":""}"#, "/").is_err());
        assert!(parse_connect_reply(r#"40{"sid":"a"}"#, "/custom").is_err());
        let refused = parse_connect_reply(r#"44/custom,{"message":"no"}"#, "/custom");
        assert!(matches!(refused, Err(why) if why.contains("refused")));
    }

    #[test]
    fn placeholders_are_replaced_wherever_they_are() {
        let json = r#"["m",{"a":{"_placeholder":true,"num":1}},[{"_placeholder":true,"num":0}]]"#;
        let got = reconstruct(json, &[vec![1], vec![2, 3]]);
        let want: Result<Value, String> =
            serde_json::from_str(r#"["m",{"a":{"<binary>":[2,3]}},[{"<binary>":[1]}]]"#)
                .map_err(|e| e.to_string());
        assert_eq!(got, want);
        assert!(reconstruct(json, &[vec![1]]).is_err());
    }

    #[test]
    fn binary_header_splits_from_json() {
        assert_eq!(
            split_json(r#"52-/custom,12["x"]"#),
            ("52-/custom,12", r#"["x"]"#)
        );
        assert_eq!(split_json("41"), ("41", ""));
    }
}

//! A MessagePack float written as JSON the way `JSON.stringify` writes the JavaScript number that
//! notepack.io decodes it to (ECMAScript `Number::toString`), so a float argument reads the same
//! whether the client used the text parser or the MessagePack one.

/// Appends `value` as `JSON.stringify` would: shortest round-trip digits, plain notation for
/// exponents from -7 to 20, `1e+21` style beyond, `0` for both zeros and `null` for NaN and the
/// infinities (which JSON cannot write).
pub(super) fn write_js_number(out: &mut String, value: f64) {
    if !value.is_finite() {
        out.push_str("null");
        return;
    }
    if value == 0.0 {
        out.push('0');
        return;
    }
    if value < 0.0 {
        out.push('-');
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, as ECMAScript requires:
    // "d.ddde-7" or "de21".
    let sci = format!("{:e}", value.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let k = digits.len() as i32;
    // value = 0.digits × 10^n
    let n = exponent + 1;
    if k <= n && n <= 21 {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n - 1 < 0 { '-' } else { '+' });
        out.push_str(&(n - 1).abs().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(value: f64) -> String {
        let mut out = String::new();
        write_js_number(&mut out, value);
        out
    }

    #[test]
    fn matches_ecmascript_number_to_string() {
        // Expected values are what `String(x)` prints in Node.
        for (value, text) in [
            (1.5, "1.5"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (100.0, "100"),
            (-0.0, "0"),
            (123456.789, "123456.789"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e21, "1.5e+21"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.30000000000000004, "0.30000000000000004"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
            (f64::NEG_INFINITY, "null"),
        ] {
            assert_eq!(js(value), text, "{value:e}");
        }
    }
}

//! The report as JUnit XML, for CI systems that show test results (GitLab, Jenkins, GitHub
//! actions that read JUnit): one `<testsuite>` per protocol, one `<testcase>` per check, a
//! `<failure>` carrying the check's wire conversation, a `<skipped>` saying which option would
//! enable it.
//!
//! Written by hand: the format needs a dozen lines, and escaping is the only subtle part (a
//! transcript holds whatever bytes the server sent).

use std::io::{self, Write};
use std::time::Duration;

use crate::check::{CheckReport, Outcome, Report};

/// One `<testsuite>`: a name (it is also every test case's `classname`) and its results.
#[derive(Debug, Clone, Copy)]
pub struct Suite<'a> {
    /// `engineio` or `socketio`.
    pub name: &'a str,
    /// The checks that ran.
    pub report: &'a Report,
}

/// Writes `suites` as one JUnit XML document.
pub fn write(out: &mut impl Write, suites: &[Suite<'_>]) -> io::Result<()> {
    let all = suites.iter().map(|s| s.report);
    let (tests, failures, skipped) = all.fold((0, 0, 0), |(t, f, s), r| {
        (t + r.checks.len(), f + r.failed(), s + r.skipped())
    });
    let time: Duration = suites.iter().map(|s| total_time(s.report)).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="conformance" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}" time="{}">"#,
        seconds(time)
    )?;
    for suite in suites {
        write_suite(out, suite)?;
    }
    writeln!(out, "</testsuites>")
}

fn write_suite(out: &mut impl Write, suite: &Suite<'_>) -> io::Result<()> {
    let report = suite.report;
    writeln!(
        out,
        r#"  <testsuite name="{}" tests="{}" failures="{}" errors="0" skipped="{}" time="{}">"#,
        escape(suite.name),
        report.checks.len(),
        report.failed(),
        report.skipped(),
        seconds(total_time(report))
    )?;
    for check in &report.checks {
        write_case(out, suite.name, check)?;
    }
    writeln!(out, "  </testsuite>")
}

fn write_case(out: &mut impl Write, classname: &str, check: &CheckReport) -> io::Result<()> {
    let open = format!(
        r#"    <testcase name="{}" classname="{}" time="{}""#,
        escape(check.name),
        escape(classname),
        seconds(check.elapsed)
    );
    match &check.outcome {
        Outcome::Passed => writeln!(out, "{open}/>"),
        Outcome::Failed(why) => {
            writeln!(out, "{open}>")?;
            write!(out, r#"      <failure message="{}">"#, escape(why))?;
            for line in &check.transcript {
                writeln!(out, "{}", escape(line))?;
            }
            writeln!(out, "</failure>")?;
            writeln!(out, "    </testcase>")
        }
        Outcome::Skipped(why) => {
            writeln!(out, "{open}>")?;
            writeln!(out, r#"      <skipped message="{}"/>"#, escape(why))?;
            writeln!(out, "    </testcase>")
        }
    }
}

/// The checks ran concurrently: the suite's time is the longest check, not the sum.
fn total_time(report: &Report) -> Duration {
    report
        .checks
        .iter()
        .map(|c| c.elapsed)
        .max()
        .unwrap_or_default()
}

fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// Escapes `text` for XML text and attribute values. Characters XML 1.0 cannot carry at all
/// (most control characters) become `\u{..}`, so a server's stray bytes cannot make the
/// document unreadable.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if allowed_in_xml(c) => out.push(c),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    out
}

/// XML 1.0's `Char` production, less the whitespace handled above.
fn allowed_in_xml(c: char) -> bool {
    matches!(u32::from(c), 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &'static str, outcome: Outcome, transcript: &[&str]) -> CheckReport {
        CheckReport {
            name,
            outcome,
            elapsed: Duration::from_millis(1500),
            transcript: transcript.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            escape(r#"<a b="c" d='e'>&</a>"#),
            "&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape("x\u{0}y\u{1b}z\ttab"), "x\\u{0}y\\u{1b}z\ttab");
        assert_eq!(escape("h\u{e9} \u{1f600}"), "h\u{e9} \u{1f600}");
    }

    #[test]
    fn one_testcase_per_check_with_the_transcript_on_failure() {
        let report = Report {
            checks: vec![
                case("a.ok", Outcome::Passed, &[]),
                case(
                    "b.fails",
                    Outcome::Failed("expected \"6\", got <400>".into()),
                    &["C#1> GET /?sid=a&b", "S#1< 400 \"{\\\"code\\\":1}\""],
                ),
                case("c.skips", Outcome::Skipped("no --cors".into()), &[]),
            ],
        };
        let mut out = Vec::new();
        write(
            &mut out,
            &[Suite {
                name: "engineio",
                report: &report,
            }],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let xml = String::from_utf8(out).unwrap_or_default();
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert!(xml.contains(
            r#"<testsuite name="engineio" tests="3" failures="1" errors="0" skipped="1" time="1.500">"#
        ));
        assert!(xml.contains(r#"<testcase name="a.ok" classname="engineio" time="1.500"/>"#));
        assert!(xml.contains(
            r#"<failure message="expected &quot;6&quot;, got &lt;400&gt;">C#1&gt; GET /?sid=a&amp;b"#
        ));
        assert!(xml.contains(r#"<skipped message="no --cors"/>"#));
        assert!(xml.ends_with("</testsuites>\n"));
    }
}

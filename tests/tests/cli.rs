//! The `conformance` binary as a CI job runs it: `--list`, `--only`, `--junit`, and the exit
//! status, against OUR conformance server (Socket.IO on `/socket.io/`, the Engine.IO echo on
//! `/engine.io/`) started in-process.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Output;

use conformance::{eio, sio};

/// Runs the binary with `args` (off the async runtime: the server under test runs on it).
async fn conformance(args: Vec<String>) -> Output {
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
            .args(&args)
            .output()
    });
    match run.await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => panic!("cannot run the conformance binary: {e}"),
        Err(e) => panic!("running the conformance binary crashed: {e}"),
    }
}

fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        TempFile(std::env::temp_dir().join(format!("{}-{name}", std::process::id())))
    }

    fn read(&self) -> String {
        std::fs::read_to_string(&self.0)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", self.0.display()))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Well-formed enough for a JUnit reader: tags balance, every `&` starts one of the five
/// predefined entities (so no raw `<` or `&` from a transcript leaked into the text).
fn assert_well_formed(xml: &str) {
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        "no XML declaration: {xml}"
    );
    let mut open: Vec<&str> = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find('<') {
        let Some(end) = rest[at..].find('>') else {
            panic!("unterminated tag in {xml}");
        };
        let tag = &rest[at + 1..at + end];
        rest = &rest[at + end + 1..];
        if tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "mismatched </{name}> in {xml}");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap_or_default());
        }
    }
    assert!(open.is_empty(), "unclosed tags {open:?} in {xml}");
    for (at, _) in xml.match_indices('&') {
        let entity = &xml[at..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e)),
            "a bare & in {}",
            &xml[at..xml.len().min(at + 20)]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_prints_every_check_once() {
    let output = conformance(args(&["--list"])).await;
    assert!(output.status.success(), "--list failed: {output:?}");
    let names = stdout_lines(&output);
    let expected: Vec<String> = eio::checks()
        .iter()
        .map(|c| c.name.to_string())
        .chain(sio::checks().iter().map(|c| c.name.to_string()))
        .chain(sio::recovery_checks().iter().map(|c| c.name.to_string()))
        .chain(sio::msgpack_checks().iter().map(|c| c.name.to_string()))
        .collect();
    assert_eq!(names, expected);
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "a check name is listed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_with_eio_3_prints_the_v3_checks_in_place_of_the_socketio_ones() {
    let output = conformance(args(&["--list", "--eio", "3"])).await;
    assert!(output.status.success(), "--list --eio 3 failed: {output:?}");
    let expected: Vec<String> = eio::checks()
        .iter()
        .chain(conformance::eio3::checks().iter())
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(stdout_lines(&output), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_takes_repeated_and_comma_separated_patterns() {
    let output = conformance(args(&[
        "--list",
        "--only",
        "handshake.polling,sio.event.ack",
        "--only",
        "websocket-close.1007",
    ]))
    .await;
    assert!(output.status.success(), "--list --only failed: {output:?}");
    assert_eq!(
        stdout_lines(&output),
        [
            "handshake.polling",
            "websocket-close.1007-invalid-utf8",
            "sio.event.ack",
            "sio.event.ack-without-arguments",
            "sio.event.ack-id-zero",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junit_has_one_testcase_per_check_run() {
    let server = match test_servers::conformance::start(([127, 0, 0, 1], 0).into()).await {
        Ok(server) => server,
        Err(e) => panic!("could not start the conformance server: {e}"),
    };
    let addr = server.local_addr();
    let urls = [
        "--eio-url".to_string(),
        format!("http://{addr}/engine.io/"),
        "--sio-url".to_string(),
        format!("http://{addr}/socket.io/"),
    ];
    let only = ["--only", "handshake,polling.echo,cors.,sio.event.echo"];

    // Passing checks and a skipped one (CORS is only checked with --cors): exit status 0.
    let listed = stdout_lines(&conformance(args(&["--list", only[0], only[1]])).await);
    let junit = TempFile::new("conformance-junit.xml");
    let mut run = urls.to_vec();
    run.extend(args(&only));
    run.extend(["--junit".to_string(), junit.0.display().to_string()]);
    let output = conformance(run.clone()).await;
    assert!(output.status.success(), "the run failed: {output:?}");
    let xml = junit.read();
    assert_well_formed(&xml);
    assert_eq!(xml.matches("<testcase ").count(), listed.len(), "{xml}");
    for name in &listed {
        assert!(
            xml.contains(&format!("<testcase name=\"{name}\"")),
            "{name}: {xml}"
        );
    }
    assert_eq!(
        xml.matches("classname=\"engineio\"").count()
            + xml.matches("classname=\"socketio\"").count(),
        listed.len()
    );
    assert!(
        xml.contains("<skipped message=\"CORS not checked (pass --cors)\"/>"),
        "{xml}"
    );
    assert!(!xml.contains("<failure"), "{xml}");

    // A server that does not advertise what the checks expect: failures with their transcript,
    // exit status 1.
    run.extend(args(&["--ping-interval", "999"]));
    let output = conformance(run).await;
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let xml = junit.read();
    assert_well_formed(&xml);
    assert_eq!(xml.matches("<testcase ").count(), listed.len(), "{xml}");
    assert!(
        xml.contains("<testcase name=\"handshake.polling\" classname=\"engineio\"")
            && xml.contains("<failure message=\"open packet pingInterval 300, expected 999\">"),
        "{xml}"
    );
    assert!(
        xml.contains("GET /engine.io/?EIO=4&amp;transport=polling"),
        "the failure carries no transcript: {xml}"
    );
}

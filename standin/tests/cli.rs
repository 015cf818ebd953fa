//! `kroki-standin encode` and `kroki-standin decode`: the app's encoder on the command line, as
//! the benchmark scripts call it (bench/tools.py, bench/loadtest.py).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{client, svg_text};
use kroki_standin::StandIn;

const DOT: &str = "digraph G {\n  Hello -> World\n}\n";

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kroki-standin"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn lines(output: &Output) -> Vec<String> {
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn encode_prints_the_apps_encoding_of_stdin_or_a_file() {
    let expected = kroki_encoding::encode(DOT);
    assert_eq!(
        lines(&run(&["encode"], DOT.as_bytes())),
        [expected.as_str()]
    );
    let file = std::env::temp_dir().join(format!("kroki-standin-cli-{}.dot", std::process::id()));
    std::fs::write(&file, DOT).unwrap();
    let from_file = run(&["encode", file.to_str().unwrap()], b"");
    std::fs::remove_file(&file).unwrap();
    assert_eq!(lines(&from_file), [expected]);
}

#[test]
fn encode_each_prints_one_line_per_nul_ended_source() {
    let sources = ["digraph a {\n  x -> y\n}", "", "é → 日本\n"];
    let input: Vec<u8> = sources
        .iter()
        .flat_map(|s| [s.as_bytes(), b"\0"].concat())
        .collect();
    let encoded = lines(&run(&["encode", "--each"], &input));
    assert_eq!(encoded.len(), sources.len());
    for (line, source) in encoded.iter().zip(sources) {
        assert_eq!(kroki_encoding::decode(line, 1 << 20).as_deref(), Ok(source));
    }
}

#[test]
fn decode_reads_what_encode_writes_and_fails_with_krokis_message() {
    let encoded = lines(&run(&["encode"], DOT.as_bytes())).remove(0);
    let decoded = run(&["decode", &encoded], b"");
    assert!(decoded.status.success(), "{decoded:?}");
    assert_eq!(decoded.stdout, DOT.as_bytes());
    let from_stdin = run(&["decode"], format!("{encoded}\n").as_bytes());
    assert_eq!(from_stdin.stdout, DOT.as_bytes());

    let plantuml = lines(&run(&["encode", "--plantuml"], b"Bob -> Alice : hello")).remove(0);
    assert_eq!(
        plantuml,
        kroki_encoding::encode_plantuml("Bob -> Alice : hello")
    );
    assert_eq!(
        run(&["decode", "--plantuml", &plantuml], b"").stdout,
        b"Bob -> Alice : hello"
    );

    let bad = run(&["decode", "eNpL+UwvSizIUKhWSFTQtVNIUqgFADrsBaY="], b"");
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("Unable to decode the source. The source is not in valid Base64 scheme."),
        "{bad:?}"
    );
    assert_eq!(run(&["encode", "--bogus"], b"").status.code(), Some(1));
}

#[tokio::test]
async fn the_served_stand_in_renders_what_encode_printed() {
    let encoded = lines(&run(&["encode"], DOT.as_bytes())).remove(0);
    let kroki = StandIn::start().await.unwrap();
    let resp = client()
        .get(format!("{}/graphviz/svg/{encoded}", kroki.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let text = svg_text(&resp.bytes().await.unwrap());
    assert!(text.contains("Hello -> World"), "{text}");
}

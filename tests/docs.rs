//! The README's configuration table is the code's list of settings, so neither drifts.

use kroki_web::config::SETTINGS;

#[test]
fn readme_documents_every_setting_with_its_default() {
    let readme = include_str!("../README.md");
    for setting in SETTINGS {
        let row = format!(
            "| `{}` | `{}` | {} |",
            setting.variable, setting.default, setting.meaning
        );
        assert!(readme.contains(&row), "README.md lacks the row:\n{row}");
    }
    assert_eq!(
        readme_setting_rows(readme).len(),
        SETTINGS.len(),
        "README.md documents a setting the code does not read"
    );
}

/// The rows of README.md's configuration table (from its `| variable | default | meaning |`
/// header to the first line after it that is not a table row), as (variable, default).
fn readme_setting_rows(readme: &str) -> Vec<(&str, &str)> {
    readme
        .lines()
        .skip_while(|line| !line.starts_with("| variable | default | meaning |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`'), cells[2].trim_matches('`'))
        })
        .collect()
}

/// Statements of docs/benchmarks.md checked against the code: the answer size of the benchmark
/// diagram (from the stand-in, as the benchmark gets it) and the build command `bench/lib.sh`
/// really runs.
#[tokio::test]
async fn benchmarks_doc_states_the_diagram_and_the_build_as_they_are() {
    let doc = include_str!("../docs/benchmarks.md");
    let source = include_str!("../bench/diagram.dot");
    let kroki = kroki_standin::StandIn::start()
        .await
        .expect("the stand-in starts");
    let url = format!(
        "{}/graphviz/svg/{}",
        kroki.url(),
        kroki_web::domain::encoding::encode(source)
    );
    let answer = reqwest::get(url).await.expect("an answer");
    assert_eq!(answer.status(), 200);
    let bytes = answer.bytes().await.expect("a body").len();
    let stated = format!(
        "`bench/diagram.dot` (a {:.1} KB Graphviz source, a {}-byte SVG answer from the stand-in",
        source.len() as f64 / 1000.0,
        thousands(bytes)
    );
    assert!(
        doc.replace('\n', " ").contains(&stated),
        "docs/benchmarks.md should say: {stated}"
    );
    let lib = include_str!("../bench/lib.sh");
    let intro = doc
        .split("It builds the release binaries")
        .nth(1)
        .and_then(|rest| rest.split("installs").next())
        .expect("the build sentence");
    let commands: Vec<&str> = intro
        .split('`')
        .filter(|part| part.starts_with("cargo build"))
        .collect();
    assert!(!commands.is_empty(), "no build command quoted");
    for command in commands {
        assert!(
            lib.contains(command),
            "bench/lib.sh does not run `{command}`"
        );
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every results section of docs/benchmarks.md and docs/loadtest.md names the command that
/// produced its figures and the commit it ran on (or says the commit was not recorded).
#[test]
fn figures_in_docs_name_their_command_and_commit() {
    for (name, doc) in [
        ("docs/benchmarks.md", include_str!("../docs/benchmarks.md")),
        ("docs/loadtest.md", include_str!("../docs/loadtest.md")),
    ] {
        let mut sections = Vec::new();
        let mut current: Option<(String, String)> = None;
        for line in doc.lines() {
            if line.starts_with('#') {
                if let Some(section) = current.take() {
                    sections.push(section);
                }
                let heading = line.trim_start_matches('#').trim();
                if heading.starts_with("Results")
                    || heading.starts_with("Runs of")
                    || heading.starts_with("Micro-benchmarks")
                {
                    current = Some((heading.to_owned(), String::new()));
                }
            } else if let Some((_, text)) = current.as_mut() {
                text.push_str(line);
                text.push('\n');
            }
        }
        sections.extend(current);
        assert!(!sections.is_empty(), "{name} has no results section");
        for (heading, text) in sections {
            let quoted: Vec<&str> = text.split('`').skip(1).step_by(2).collect();
            let command = quoted
                .iter()
                .any(|q| q.contains("make ") || q.contains("scripts/") || q.starts_with("cargo "));
            let commit = quoted
                .iter()
                .any(|q| q.len() >= 7 && q.len() <= 40 && q.chars().all(|c| c.is_ascii_hexdigit()))
                || text.contains("commit not recorded");
            assert!(command, "{name}, \"{heading}\": no command named");
            assert!(commit, "{name}, \"{heading}\": no commit named");
        }
    }
}

/// docs/kroki-protocol.md is the project's own statement of the protocol: the stand-in's
/// README points there, and no document points outside the repository for it.
#[test]
fn the_protocol_reference_is_in_the_repository() {
    let protocol = include_str!("../docs/kroki-protocol.md");
    for section in 1..=9 {
        assert!(
            protocol.contains(&format!("\n## {section}. ")),
            "docs/kroki-protocol.md lacks section {section}"
        );
    }
    let standin = include_str!("../standin/README.md");
    assert!(standin.contains("(../docs/kroki-protocol.md)"));
    for (name, doc) in [
        ("README.md", include_str!("../README.md")),
        ("standin/README.md", standin),
        ("docs/benchmarks.md", include_str!("../docs/benchmarks.md")),
        ("docs/deployment.md", include_str!("../docs/deployment.md")),
    ] {
        assert!(
            !doc.contains("shared/"),
            "{name} points outside the repository"
        );
    }
}

/// The README's /health statements match the OpenAPI schema and the settings.
#[test]
fn health_and_timeout_statements_agree_with_the_code() {
    let readme = include_str!("../README.md");
    let openapi = kroki_web::openapi::document();
    let check = &openapi["components"]["schemas"]["Check"];
    let required: Vec<&str> = check["required"]
        .as_array()
        .expect("Check lists its required fields")
        .iter()
        .filter_map(|field| field.as_str())
        .collect();
    for field in ["status", "response_time_ms", "message"] {
        assert!(
            required.contains(&field),
            "{field} is not required: {check}"
        );
    }
    assert!(readme.contains("each check with `status`, `response_time_ms` and `message`"));
    // A connect timeout is documented as 502 everywhere, the render timeout as 504.
    let connect = SETTINGS
        .iter()
        .find(|s| s.variable == "KROKI_CONNECT_TIMEOUT")
        .expect("the setting");
    assert!(connect.meaning.contains("502"));
    let generate = &openapi["paths"]["/api/generate"]["post"]["responses"];
    assert!(generate["502"]["description"]
        .as_str()
        .is_some_and(|d| d.contains("KROKI_CONNECT_TIMEOUT")));
    assert!(generate["504"]["description"]
        .as_str()
        .is_some_and(|d| !d.contains("CONNECT")));
    for variable in ["HEALTH_SLOW_THRESHOLD", "HEALTH_PROBE_TIMEOUT"] {
        assert!(
            SETTINGS.iter().any(|s| s.variable == variable),
            "{variable}"
        );
    }
}

/// `kroki-web --help` prints the README's table: every variable with the same default.
#[test]
fn help_prints_every_readme_variable_with_its_default() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_kroki-web"))
        .arg("--help")
        .env_clear()
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("UTF-8 help");
    let readme = include_str!("../README.md");
    let rows = readme_setting_rows(readme);
    assert_eq!(rows.len(), SETTINGS.len());
    for (variable, default) in rows {
        let line = help
            .lines()
            .find(|line| line.split_whitespace().next() == Some(variable))
            .unwrap_or_else(|| panic!("--help lacks {variable}"));
        assert!(
            line.contains(&format!("default {default} ")),
            "--help gives {variable} another default than the README's `{default}`: {line}"
        );
    }
}

/// "A bad value stops start-up with a message naming the variable": each variable on its own,
/// whether or not it is used.
#[test]
fn a_bad_value_stops_the_binary_naming_its_variable() {
    for (env, variable) in [
        (&[("RATE_LIMIT_BURST", "x")][..], "RATE_LIMIT_BURST"),
        (
            &[("RATE_LIMIT", "5/s"), ("RATE_LIMIT_BURST", "x")],
            "RATE_LIMIT_BURST",
        ),
        (&[("WORKERS", "0")], "WORKERS"),
        (&[("HEALTH_PROBE_TIMEOUT", "soon")], "HEALTH_PROBE_TIMEOUT"),
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kroki-web"))
            .env_clear()
            .env("PORT", "0")
            .env("LISTEN_HOST", "127.0.0.1")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary runs");
        // Bounded: a binary that accepted the value would serve forever.
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("the binary can be waited for") {
                break Some(status);
            }
            if started.elapsed() > std::time::Duration::from_secs(10) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(
            status.and_then(|s| s.code()),
            Some(2),
            "{env:?}: the binary did not stop with status 2"
        );
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut stderr)
            .expect("stderr is text");
        assert!(
            stderr.contains(&format!("invalid configuration: {variable}=")),
            "{env:?}: {stderr}"
        );
    }
}

/// README's "How it is built" says the arrows between modules run one way: `routes` uses
/// `views`, `error`, `renderer` and `domain`, never the reverse. Each layer below `routes` is
/// read here, and a code line (comments aside) naming a module it may not use fails the test.
#[test]
fn module_arrows_run_one_way() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // (layer, pure): a pure layer (the domain) names nothing of the crate but itself; the others
    // may not name `routes` or what is built on it.
    let layers = [
        ("domain", true),
        ("error", false),
        ("views", false),
        ("renderer.rs", false),
        ("cache", false),
        ("kroki", false),
        ("health", false),
        ("metrics.rs", false),
    ];
    let forbidden = |pure: bool, module: &str| {
        if pure {
            module != "domain"
        } else {
            matches!(module, "routes" | "startup" | "openapi")
        }
    };
    let mut crossings = Vec::new();
    let mut files_read = 0;
    for (layer, pure) in layers {
        for file in rust_files(&src.join(layer)) {
            files_read += 1;
            let text = std::fs::read_to_string(&file).expect("source file");
            for (number, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                let crosses = code.split("crate::").skip(1).any(|rest| {
                    let module: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    forbidden(pure, &module)
                });
                if crosses {
                    crossings.push(format!("{}:{}: {code}", file.display(), number + 1));
                }
            }
        }
    }
    assert!(files_read >= 20, "read only {files_read} files under src/");
    assert!(
        crossings.is_empty(),
        "a lower layer imports a higher one:\n{}",
        crossings.join("\n")
    );
    let readme = include_str!("../README.md");
    assert!(
        readme.contains("\n  views/ "),
        "README's tree lacks src/views"
    );
}

/// `path` itself when it is a Rust file, else every Rust file under it.
fn rust_files(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files
}

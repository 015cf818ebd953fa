//! Running a test in a real browser: the app and a stand-in Kroki started in-process (the
//! shared `kroki_test_support::spawn_app`, as tests/api does), a chromedriver on a free port,
//! a headless Chromium with a fresh profile and download folder, and helpers that wait for the page rather than sleep.
//!
//! Without Chromium the tests report `SKIPPED <name>: chromium not installed` on stderr and
//! return; with `CI=true` a missing browser fails them instead.

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use kroki_test_support::binary::on_path;
use kroki_test_support::free_port;
use serde_json::{json, Value};
use std::future::Future;
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The app under test, as every suite starts it.
pub use kroki_test_support::{spawn_app, spawn_app_with, TestApp};

/// How long a wait lasts before the test fails (generous: CI machines have two busy cores).
pub const WAIT: Duration = Duration::from_secs(20);
/// The longest a whole test may take.
const TEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Text as the pages escape it (askama's numeric entities).
pub fn escape(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// Where screenshots go: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("target"));
    target.join("screenshots")
}

struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
}

fn tools() -> Option<Tools> {
    let chosen = |variable: &str, names: &[&str]| match std::env::var_os(variable) {
        Some(path) => Some(PathBuf::from(path)).filter(|path| path.is_file()),
        None => names.iter().find_map(|name| on_path(name)),
    };
    Some(Tools {
        chromium: chosen(
            "CHROME_BIN",
            &["chromium", "chromium-browser", "google-chrome"],
        )?,
        chromedriver: chosen("CHROMEDRIVER", &["chromedriver"])?,
    })
}

/// The browser side of a test: the page, the app behind it, and the test's own folders.
#[derive(Clone)]
pub struct Page {
    pub client: Client,
    pub app: Arc<TestApp>,
    pub downloads: PathBuf,
    pub name: &'static str,
}

/// Owns what a browser test started, and stops it however the test ends.
pub struct Session {
    page: Page,
    driver: Child,
    dir: PathBuf,
}

pub struct Options {
    pub javascript: bool,
    pub width: u32,
    pub height: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            javascript: true,
            width: 1366,
            height: 900,
        }
    }
}

/// Runs `test` in a fresh browser against a fresh app, or reports the test skipped.
pub async fn browser_test<F, Fut>(name: &'static str, test: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()>,
{
    browser_test_with(name, Options::default(), test).await;
}

pub async fn browser_test_with<F, Fut>(name: &'static str, options: Options, test: F)
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(tools) = tools() else {
        if std::env::var("CI").is_ok_and(|value| value == "true") {
            panic!("{name}: chromium and chromedriver are required in CI (run scripts/setup-browser.sh)");
        }
        // Straight to stderr, past the test harness's capture, so a skip is never silent.
        let _ = writeln!(std::io::stderr(), "SKIPPED {name}: chromium not installed");
        return;
    };
    let _ = std::fs::remove_file(screenshot_dir().join(format!("failed-{name}.png")));
    let session = Session::start(name, &tools, &options).await;
    let page = session.page.clone();
    let outcome =
        tokio::time::timeout(TEST_TIMEOUT, AssertUnwindSafe(test(page)).catch_unwind()).await;
    if !matches!(outcome, Ok(Ok(()))) {
        session.page.screenshot(&format!("failed-{name}")).await;
    }
    session.stop().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("{name} did not finish within {TEST_TIMEOUT:?}"),
    }
}

impl Session {
    async fn start(name: &'static str, tools: &Tools, options: &Options) -> Session {
        let app = Arc::new(spawn_app().await);
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("browser")
            .join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let downloads = dir.join("downloads");
        std::fs::create_dir_all(&downloads).expect("a download folder");
        let port = free_port();
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver_url = format!("http://127.0.0.1:{port}");
        wait_for_driver(&driver_url).await;
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-extensions".to_owned(),
            "--lang=en-US".to_owned(),
            "--force-color-profile=srgb".to_owned(),
            format!("--user-data-dir={}", dir.join("profile").display()),
            format!("--window-size={},{}", options.width, options.height),
        ];
        if !options.javascript {
            args.push("--blink-settings=scriptEnabled=false".to_owned());
        }
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": args,
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                    "safebrowsing.enabled": false,
                },
            },
        });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .expect("a Chromium session");
        let page = Page {
            client,
            app,
            downloads,
            name,
        };
        page.cdp(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": page.downloads}),
        )
        .await;
        // Any Content-Security-Policy violation is recorded for the tests to assert on.
        page.cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"}),
        )
        .await;
        Session { page, driver, dir }
    }

    async fn stop(mut self) {
        let _ = self.page.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn wait_for_driver(url: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let ready = client
            .get(format!("{url}/status"))
            .send()
            .await
            .ok()
            .filter(|response| response.status().is_success());
        if ready.is_some() {
            return;
        }
        assert!(started.elapsed() < WAIT, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Chrome DevTools command, through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    command: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.command, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

impl Page {
    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    pub async fn cdp(&self, command: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { command, params })
            .await
            .unwrap_or_else(|error| panic!("CDP {command} failed: {error}"))
    }

    pub async fn open(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|error| panic!("cannot open {path}: {error}"));
    }

    /// Opens a page and waits until the editor's script has taken over and rendered once.
    pub async fn open_editor(&self, path: &str) {
        self.open(path).await;
        self.wait_for_editor().await;
    }

    /// Reloads the editor and waits for its first render.
    pub async fn reload_editor(&self) {
        self.client.refresh().await.expect("the page reloads");
        self.wait_for_editor().await;
    }

    async fn wait_for_editor(&self) {
        self.wait_js(
            "the editor to start and render",
            "return document.querySelector('.cm-content') && document.querySelector('#viewport').getAttribute('aria-busy') === 'false' && /Rendered|Error/.test(document.querySelector('#status').textContent)",
        )
        .await;
    }

    /// Runs a script (a function body) and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Runs `script` until it returns something other than null, false or ""; returns that.
    pub async fn wait_js(&self, what: &str, script: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.js(script).await;
            let done = match &value {
                Value::Null => false,
                Value::Bool(done) => *done,
                Value::String(text) => !text.is_empty(),
                _ => true,
            };
            if done {
                return value;
            }
            if started.elapsed() > WAIT {
                panic!(
                    "{}: timed out waiting for {what} (last value {value})",
                    self.name
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for a render newer than `previous` (a count from `renders_done`) to end.
    pub async fn wait_render_after(&self, previous: u64) {
        let script = format!(
            "return Number(document.querySelector('#viewport').dataset.renders || 0) > {previous} && document.querySelector('#viewport').getAttribute('aria-busy') === 'false'"
        );
        self.wait_js("a new render", &script).await;
    }

    /// How many renders the page has finished so far (success or error).
    pub async fn renders_done(&self) -> u64 {
        self.js("return Number(document.querySelector('#viewport').dataset.renders || 0)")
            .await
            .as_u64()
            .unwrap_or(0)
    }

    /// The source in the code editor.
    pub async fn source(&self) -> String {
        self.js("return [...document.querySelectorAll('.cm-content .cm-line')].map((line) => line.textContent).join('\\n')")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Focuses the source editor and selects all of it (Ctrl+A); returns its element.
    async fn select_all_source(&self) -> fantoccini::elements::Element {
        let editor = self.find(".cm-content").await;
        editor.click().await.expect("the editor takes focus");
        let select_all = format!(
            "{}a{}",
            char::from(fantoccini::key::Key::Control),
            char::from(fantoccini::key::Key::Null)
        );
        editor.send_keys(&select_all).await.expect("select all");
        editor
    }

    /// Replaces the source by typing it (select all, then the keys), as a person would.
    pub async fn type_source(&self, text: &str) {
        let editor = self.select_all_source().await;
        editor
            .send_keys(&format!(
                "{}{text}",
                char::from(fantoccini::key::Key::Delete)
            ))
            .await
            .expect("typing");
    }

    /// Replaces the source by pasting `text` (select all, then a paste event), for sources too
    /// long to type.
    pub async fn paste_source(&self, text: &str) {
        self.select_all_source().await;
        self.client
            .execute(
                "const content = document.querySelector('.cm-content');
                 const data = new DataTransfer();
                 data.setData('text/plain', arguments[0]);
                 content.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
                 return true;",
                vec![Value::String(text.to_owned())],
            )
            .await
            .expect("pasting");
    }

    pub async fn press_render_shortcut(&self) {
        let editor = self.find(".cm-content").await;
        let chord = format!(
            "{}{}{}",
            char::from(fantoccini::key::Key::Control),
            char::from(fantoccini::key::Key::Enter),
            char::from(fantoccini::key::Key::Null)
        );
        editor.send_keys(&chord).await.expect("Ctrl+Enter");
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{}: no element {css}: {error}", self.name))
    }

    pub async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|error| panic!("{}: cannot click {css}: {error}", self.name));
    }

    /// Chooses an option of a <select> as a person would, firing its change event.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| {
                panic!("{}: cannot choose {value} in {css}: {error}", self.name)
            });
    }

    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    /// The shown diagram once it is an image loaded from a render (`blob:`), with its size.
    pub async fn wait_for_image(&self) -> (String, u64) {
        let value = self
            .wait_js(
                "a rendered diagram image",
                "const img = document.querySelector('#preview img'); return img && img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:') ? [img.src, img.naturalWidth] : null",
            )
            .await;
        (
            value[0].as_str().unwrap_or_default().to_owned(),
            value[1].as_u64().unwrap_or_default(),
        )
    }

    /// The bytes behind the shown diagram, as text (the stand-in draws the source into it).
    pub async fn shown_diagram_text(&self) -> String {
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1]; const img = document.querySelector('#preview img'); fetch(img.src).then((r) => r.text()).then(done, (e) => done('error: ' + e));",
                Vec::new(),
            )
            .await
            .expect("the diagram can be read")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn screenshot(&self, name: &str) {
        let dir = screenshot_dir();
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }

    /// Emulates a phone's screen (a window cannot be made that narrow).
    pub async fn emulate_phone(&self) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
        )
        .await;
    }

    pub async fn csp_violations(&self) -> Vec<String> {
        let value = self.js("return window.__cspViolations || []").await;
        serde_json::from_value(value).unwrap_or_default()
    }
}

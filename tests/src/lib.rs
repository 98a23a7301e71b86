//! Harness for end-to-end tests: starts the real `techex` binary on a random port
//! against a fresh database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set)
//! and talks to it over HTTP.
//!
//! The binary is the one `cargo test --workspace` builds next to the test
//! executables (`target/debug/techex`); `TECHEX_BIN` points elsewhere.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test harness: a failed step is a failed test"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::HeaderMap;
use serde_json::Value;
pub use techex_store::testing::TestDatabase;

/// The JWT secret the test servers are started with, so tests can forge tokens.
pub const JWT_SECRET: &str = "e2e-test-secret-0123456789abcdef-0123456789";
pub const PASSWORD: &str = "correct horse battery staple";

/// Path of the `techex` binary under test.
pub fn techex_binary() -> PathBuf {
    if let Ok(path) = std::env::var("TECHEX_BIN") {
        return PathBuf::from(path);
    }
    // target/debug/deps/<test> → target/debug/techex
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let binary = dir.join(format!("techex{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: run the suite with `cargo test --workspace` (which builds it) \
         or `cargo build -p techex-api` first",
        binary.display()
    );
    binary
}

/// A `techex` command with the test environment: its own data directory, the
/// given database, quiet logs, and nothing inherited that could change behaviour.
pub fn techex(db: &TestDatabase, data_dir: &Path) -> Command {
    techex_for(&db.url_string(), data_dir)
}

fn techex_for(database_url: &str, data_dir: &Path) -> Command {
    let mut command = Command::new(techex_binary());
    for (name, _) in std::env::vars() {
        if name.starts_with("TECHEX_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    command
        .env("TECHEX_DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("TECHEX_JWT_SECRET", JWT_SECRET)
        .env("TECHEX_LOG", "warn")
        .env("TECHEX_MAX_CONCURRENT_HASHES", "4")
        .stdin(Stdio::null());
    command
}

/// A running `techex serve`, killed when dropped.
pub struct Server {
    child: Child,
    base: String,
    client: Client,
    data_dir: tempfile::TempDir,
    db_url: String,
}

impl Server {
    pub fn start(db: &TestDatabase) -> Self {
        Self::start_with(db, &[])
    }

    /// Starts with extra environment variables (configuration overrides).
    pub fn start_with(db: &TestDatabase, env: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().expect("data directory");
        Self::start_in(db, data_dir, env)
    }

    /// Starts on an existing data directory (e.g. after [`Server::kill`]).
    pub fn start_in(db: &TestDatabase, data_dir: tempfile::TempDir, env: &[(&str, &str)]) -> Self {
        Self::launch(db, data_dir, env, "serve")
    }

    /// Starts `techex demo` (its own SQLite database under the data directory).
    pub fn start_demo(db: &TestDatabase) -> Self {
        Self::launch(
            db,
            tempfile::tempdir().expect("data directory"),
            &[],
            "demo",
        )
    }

    fn launch(
        db: &TestDatabase,
        data_dir: tempfile::TempDir,
        env: &[(&str, &str)],
        command_name: &str,
    ) -> Self {
        let log = std::fs::File::create(data_dir.path().join("server.log")).expect("log file");
        let mut command = techex(db, data_dir.path());
        command
            .env("TECHEX_BIND", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(log);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.arg(command_name).spawn().expect("start techex");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            // Keep reading to the end so the server never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.strip_prefix("techex listening on ") {
                    let _ = sender.send(address.trim().to_owned());
                }
            }
        });
        let Ok(base) = receiver.recv_timeout(Duration::from_secs(180)) else {
            let _ = child.kill();
            let log =
                std::fs::read_to_string(data_dir.path().join("server.log")).unwrap_or_default();
            panic!("techex did not start within 180 s; its log:\n{log}");
        };
        // reqwest is built with `rustls-no-provider` for the API's webhooks (features
        // unify across the workspace): a client needs the process's crypto provider.
        techex_api::webhooks::install_tls_provider();
        let client = Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("HTTP client");
        Self {
            child,
            base,
            client,
            data_dir,
            db_url: db.url_string(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn get(&self, path: &str) -> Call {
        Call::new(self.client.get(self.url(path)))
    }

    pub fn post(&self, path: &str) -> Call {
        Call::new(self.client.post(self.url(path)))
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> Call {
        Call::new(self.client.request(method, self.url(path)))
    }

    /// Runs `techex create-operator` against this server's database.
    pub fn create_operator(&self, email: &str) {
        let output = techex_for(&self.db_url, self.data_dir())
            .env("TECHEX_OPERATOR_PASSWORD", PASSWORD)
            .args(["create-operator", "--email", email])
            .output()
            .expect("run create-operator");
        assert!(
            output.status.success(),
            "create-operator failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Creates an operator of the exchange and logs them in: (token, user id).
    pub fn operator_account(&self, email: &str) -> (String, String) {
        self.create_operator(email);
        let token = self.login(email);
        let me = self.get("/api/v1/me").bearer(&token).send();
        let id = me.body["user"]["id"].as_str().expect("user id").to_owned();
        (token, id)
    }

    /// Registers an organisation of `kind` with one member; returns its account JSON.
    pub fn register(&self, email: &str, organisation: &str, kind: &str) -> Value {
        let reply = self.post("/api/v1/auth/register").json(&serde_json::json!({
            "organisation": {"name": organisation, "kind": kind, "province": "Hà Nội", "country": "VN"},
            "user": {"email": email, "password": PASSWORD, "full_name": "Nguyễn Văn An"}
        }));
        assert_eq!(reply.status, 201, "registration failed: {}", reply.body);
        reply.body
    }

    /// Logs in and returns the access token.
    pub fn login(&self, email: &str) -> String {
        self.login_with(email, PASSWORD)
    }

    /// Logs in with a given password and returns the access token.
    pub fn login_with(&self, email: &str, password: &str) -> String {
        let reply = self
            .post("/api/v1/auth/login")
            .json(&serde_json::json!({"email": email, "password": password}));
        assert_eq!(reply.status, 200, "login failed: {}", reply.body);
        reply.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Kills the server with SIGKILL — no shutdown, no flush — and hands back its
    /// data directory for a restart.
    pub fn kill(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let dir = tempfile::tempdir().expect("placeholder directory");
        std::mem::replace(&mut self.data_dir, dir)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("server.log")).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request being built.
pub struct Call {
    builder: RequestBuilder,
}

impl Call {
    fn new(builder: RequestBuilder) -> Self {
        Self { builder }
    }

    pub fn bearer(mut self, token: &str) -> Self {
        self.builder = self.builder.bearer_auth(token);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    pub fn json(self, body: &Value) -> Reply {
        self.raw("application/json", serde_json::to_vec(body).unwrap())
    }

    pub fn raw(self, content_type: &str, body: impl Into<reqwest::blocking::Body>) -> Reply {
        Reply::from(
            self.builder
                .header("content-type", content_type)
                .body(body)
                .send()
                .expect("send request"),
        )
    }

    pub fn send(self) -> Reply {
        Reply::from(self.builder.send().expect("send request"))
    }
}

/// A response, read whole.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON, or `Null` when it is not JSON.
    pub body: Value,
}

impl Reply {
    fn from(response: reqwest::blocking::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().expect("read body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            text,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    /// Asserts an RFC 9457 problem with this status and type code; returns the body.
    pub fn assert_problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.text
        );
        assert_eq!(
            self.body["type"],
            format!("urn:techex:problem:{code}"),
            "body: {}",
            self.text
        );
        assert_eq!(self.body["status"], status);
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "body: {}",
            self.text
        );
        assert!(
            self.body["request_id"].is_string(),
            "problems carry the request id"
        );
        &self.body
    }

    /// Asserts a problem as [`Self::assert_problem`] whose detail says `because`.
    pub fn assert_problem_saying(&self, status: u16, code: &str, because: &str) {
        let detail = self.assert_problem(status, code)["detail"]
            .as_str()
            .unwrap_or_default();
        assert!(
            detail.contains(because),
            "{because:?} not said: {}",
            self.text
        );
    }

    /// The `field` of every validation error.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs the binary to completion (for commands that are expected to exit).
pub fn run_to_end(mut command: Command, timeout: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn techex");
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if child.try_wait().expect("poll child").is_some() {
            return child.wait_with_output().expect("collect output");
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("collect output");
            panic!(
                "techex was still running after {timeout:?}; stdout: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A complete, valid listing body (every quality check satisfied).
pub fn listing_body(kind: &str, title: &str) -> Value {
    serde_json::json!({
        "kind": kind,
        "title": title,
        "summary": "Hệ thống keo tụ điện hóa giảm 90% COD và 95% độ màu của nước thải dệt nhuộm, \
                    công suất 50 m3/ngày, chi phí vận hành thấp hơn 30% so với hóa chất.",
        "description": "Module lắp đặt trong 2 tuần; đã vận hành 3 năm tại Bình Dương.",
        "language": "vi",
        "sectors": ["2.7"],
        "keywords": ["nước thải", "dệt nhuộm"],
        "trl": 7,
        "ip_status": "patent_granted",
        "patent_numbers": ["1-0023456"],
        "transfer_modes": ["licence", "technical_service"],
        "price": {"min": 500000000, "max": 900000000, "currency": "VND"},
        "province": "Hà Nội",
        "valid_until": (chrono::Utc::now().date_naive() + chrono::Duration::days(180)).to_string()
    })
}

impl Server {
    /// Creates a listing and returns its JSON.
    pub fn create_listing(&self, token: &str, body: &Value) -> Value {
        let reply = self.post("/api/v1/listings").bearer(token).json(body);
        assert_eq!(
            reply.status, 201,
            "creating a listing failed: {}",
            reply.text
        );
        reply.body
    }

    /// POSTs a lifecycle action with an optional JSON body.
    pub fn act(&self, token: &str, id: &str, action: &str, body: Option<&Value>) -> Reply {
        let call = self
            .post(&format!("/api/v1/listings/{id}/{action}"))
            .bearer(token);
        match body {
            Some(body) => call.json(body),
            None => call.send(),
        }
    }

    /// Creates, submits and approves a listing; returns its id.
    pub fn publish(&self, owner: &str, operator: &str, body: &Value) -> String {
        let id = self.create_listing(owner, body)["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let submitted = self.act(owner, &id, "submit", None);
        assert_eq!(submitted.status, 200, "submit failed: {}", submitted.text);
        let approved = self.act(
            operator,
            &id,
            "approve",
            Some(&serde_json::json!({"version": submitted.body["version"]})),
        );
        assert_eq!(approved.status, 200, "approve failed: {}", approved.text);
        id
    }
}

/// An exchange with one account of each kind, signed in: an operator, a research
/// institute member (offers) and an enterprise member (needs).
pub struct Exchange {
    pub server: Server,
    pub operator: String,
    pub institute: String,
    pub enterprise: String,
}

impl Exchange {
    pub fn start(db: &TestDatabase, env: &[(&str, &str)]) -> Self {
        let server = Server::start_with(db, env);
        server.create_operator("op@techmart.vn");
        server.register(
            "lan@iet.ac.vn",
            "Viện Công nghệ Môi trường",
            "research_institute",
        );
        server.register("minh@detmay.vn", "Công ty Dệt may Hòa Bình", "enterprise");
        Self {
            operator: server.login("op@techmart.vn"),
            institute: server.login("lan@iet.ac.vn"),
            enterprise: server.login("minh@detmay.vn"),
            server,
        }
    }
}

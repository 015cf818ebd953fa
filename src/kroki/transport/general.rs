//! reqwest as the transport, for the Kroki URLs the lean client leaves to it (`https://`,
//! credentials in the URL, a proxy in the environment). One client, and so one pool, per thread:
//! hyper runs each upstream connection as a task on the runtime that opened it, and actix-web
//! gives every worker its own single-threaded runtime, so with one shared pool a worker that took
//! another's connection sent its request through that worker's thread.

use super::{
    error_chain, Answer, BodyBuffer, Failure, Outgoing, Settings, IDLE_TIMEOUT, MAX_IDLE,
    TCP_KEEPALIVE, USER_AGENT,
};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::redirect;
use std::time::Duration;
use thread_local::ThreadLocal;

#[derive(Debug)]
pub struct Client {
    /// Built at start-up (so a setting reqwest refuses fails there), and used by a thread whose
    /// own build fails.
    shared: reqwest::Client,
    per_thread: ThreadLocal<reqwest::Client>,
    /// `KROKI_URL` without its trailing slash.
    base: String,
    connect_timeout: Duration,
    max_response_size: usize,
}

impl Client {
    pub fn new(settings: Settings) -> Result<Client, reqwest::Error> {
        Ok(Client {
            shared: build(settings.connect_timeout)?,
            per_thread: ThreadLocal::new(),
            base: settings.base.as_str().trim_end_matches('/').to_owned(),
            connect_timeout: settings.connect_timeout,
            max_response_size: settings.max_response_size,
        })
    }

    /// This thread's client, built on its first request.
    fn get(&self) -> &reqwest::Client {
        self.per_thread
            .get_or(|| build(self.connect_timeout).unwrap_or_else(|_| self.shared.clone()))
    }

    /// `path` below `KROKI_URL`, whatever its trailing slash.
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn exchange(&self, outgoing: Outgoing<'_>) -> Result<Answer, Failure> {
        let url = self.url(outgoing.path);
        let http = self.get();
        let mut request = match outgoing.json_body {
            Some(body) => http
                .post(url)
                .header(CONTENT_TYPE, "application/json")
                .body(body),
            None => http.get(url),
        };
        if let Some(id) = outgoing.request_id {
            request = request.header(crate::request_id::HEADER, &*id);
        }
        let mut response = request
            .timeout(outgoing.timeout)
            .header(ACCEPT, "application/json")
            .send()
            .await
            .map_err(|error| failure(&error))?;
        let status = response.status().as_u16();
        let mut body = BodyBuffer::new(self.max_response_size, response.content_length())?;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => body.push(chunk)?,
                Ok(None) => {
                    return Ok(Answer {
                        status,
                        body: body.finish(),
                    })
                }
                Err(error) if error.is_timeout() => return Err(Failure::Timeout),
                Err(error) => {
                    return Err(Failure::Broken {
                        detail: error_chain(&error),
                    })
                }
            }
        }
    }
}

/// A connection that could not be made, refused or never completed, is `Connect`: only a Kroki
/// that accepted the request and then took too long is a `Timeout`.
fn failure(error: &reqwest::Error) -> Failure {
    if error.is_connect() {
        Failure::Connect {
            detail: error_chain(error),
            timed_out: error.is_timeout(),
        }
    } else if error.is_timeout() {
        Failure::Timeout
    } else {
        Failure::Broken {
            detail: error_chain(error),
        }
    }
}

fn build(connect_timeout: Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(IDLE_TIMEOUT)
        .pool_max_idle_per_host(MAX_IDLE)
        .tcp_keepalive(TCP_KEEPALIVE)
        .tcp_nodelay(true)
        // The app talks to the configured Kroki only: never follow a redirect elsewhere.
        .redirect(redirect::Policy::none())
        .build()
}

#[cfg(test)]
mod tests {
    use super::{Client, Settings};
    use std::time::Duration;

    /// `KROKI_URL`'s path is kept, with or without its trailing slash.
    #[test]
    fn urls_keep_the_configured_base_path() {
        let cases = [
            ("http://kroki:8000", "http://kroki:8000/graphviz/svg"),
            ("http://kroki:8000/", "http://kroki:8000/graphviz/svg"),
            (
                "https://example.test/base/",
                "https://example.test/base/graphviz/svg",
            ),
            (
                "http://[::1]:8000/a/b",
                "http://[::1]:8000/a/b/graphviz/svg",
            ),
        ];
        for (base, expected) in cases {
            let kroki = Client::new(Settings {
                base: base.parse().unwrap(),
                connect_timeout: Duration::from_secs(1),
                max_response_size: 1024,
            })
            .unwrap();
            assert_eq!(kroki.url("/graphviz/svg"), expected, "KROKI_URL={base}");
        }
    }

    /// Each thread gets its own client (and so its own pool, whose connections run on that
    /// thread's runtime), built once and kept.
    #[test]
    fn each_thread_has_its_own_client() {
        let kroki = Client::new(Settings {
            base: "https://kroki.example.test".parse().unwrap(),
            connect_timeout: Duration::from_secs(1),
            max_response_size: 1024,
        })
        .unwrap();
        let address = |client: &reqwest::Client| client as *const reqwest::Client as usize;
        let here = address(kroki.get());
        assert_eq!(here, address(kroki.get()));
        let there =
            std::thread::scope(|scope| scope.spawn(|| address(kroki.get())).join().unwrap());
        assert_ne!(here, there);
        assert_ne!(here, address(&kroki.shared));
    }
}

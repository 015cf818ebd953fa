//! The Redis tier (`CACHE_REDIS_URL`) against a real `redis-server`, started by each test on a
//! free loopback port (no persistence) and killed when the test ends. Without `redis-server`
//! the tests are skipped with a message, or fail when `CI=true`.

use crate::helpers::{encode, free_port, header, start_app, Forwarded, RunningApp};
use kroki_standin::{StandIn, StandInConfig};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process of this test.
struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    /// `None` (after saying why) when `redis-server` is not installed and CI is not set.
    async fn start() -> Option<RedisServer> {
        RedisServer::start_on(free_port()).await
    }

    /// A new server on `port` (after the last one there was killed).
    async fn start_on(port: u16) -> Option<RedisServer> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                let reason = format!("redis-server cannot be started ({error}); install it with scripts/setup-test-env.sh");
                assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
                eprintln!("skipped: {reason}");
                return None;
            }
        };
        let server = RedisServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal}");
    }

    async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .expect("the test connects to Redis")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // A stopped process must be continued to die on SIGKILL promptly everywhere.
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One running app instance.
struct Instance {
    address: String,
    server: actix_web::dev::ServerHandle,
}

impl Instance {
    async fn start(kroki: &StandIn, redis: &RedisServer, overrides: &[(&str, &str)]) -> Instance {
        let redis_url = redis.url();
        let settings: Vec<(&str, &str)> = [
            ("KROKI_COMPANIONS", "none"),
            // Generous, so a busy test machine does not make Redis look down; the tests about
            // slowness set their own.
            ("CACHE_REDIS_TIMEOUT", "2s"),
            ("CACHE_REDIS_URL", redis_url.as_str()),
        ]
        .into_iter()
        .chain(overrides.iter().copied())
        .collect();
        let RunningApp { address, server } = start_app(&kroki.url(), &settings);
        Instance { address, server }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        reqwest::Client::new()
            .get(format!("{}{}", self.address, path))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("the app answers")
    }

    async fn stop(self) {
        self.server.stop(true).await;
    }
}

fn renders(kroki: &StandIn) -> usize {
    kroki
        .requests()
        .iter()
        .filter(|request| request.is_render())
        .count()
}

fn diagram(text: &str) -> String {
    format!("/graphviz/svg/{}", encode(&format!("digraph {{ {text} }}")))
}

async fn slow_kroki(latency: Duration) -> StandIn {
    StandIn::start_with(StandInConfig {
        latency,
        ..StandInConfig::default()
    })
    .await
    .expect("the stand-in starts")
}

#[tokio::test]
async fn a_render_through_one_instance_is_a_redis_hit_on_the_other() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::ZERO).await;
    let a = Instance::start(&kroki, &redis, &[]).await;
    let b = Instance::start(&kroki, &redis, &[]).await;
    let path = diagram("shared -> redis");
    let first = a.get(&path).await;
    assert_eq!(
        (first.status().as_u16(), header(&first, "x-cache")),
        (200, "MISS".into())
    );
    let etag = header(&first, "etag");
    let body = first.bytes().await.unwrap();
    let other = b.get(&path).await;
    assert_eq!(other.status(), 200);
    assert_eq!(header(&other, "x-cache"), "HIT-REDIS");
    assert_eq!(header(&other, "etag"), etag);
    assert_eq!(header(&other, "content-type"), "image/svg+xml");
    assert_eq!(other.bytes().await.unwrap(), body);
    // The Redis hit filled B's memory.
    assert_eq!(header(&b.get(&path).await, "x-cache"), "HIT");
    assert_eq!(renders(&kroki), 1, "exactly one Kroki render");
    let metrics = b.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("kroki_web_cache_tier2_hits_total 1"),
        "{metrics}"
    );
    assert!(metrics.contains("kroki_web_cache_tier2_up 1"), "{metrics}");
    let metrics = a.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("kroki_web_cache_tier2_misses_total 1"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("kroki_web_cache_tier2_written_bytes_total 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn twenty_concurrent_misses_over_two_instances_cost_one_render() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::from_millis(400)).await;
    let a = Instance::start(&kroki, &redis, &[]).await;
    let b = Instance::start(&kroki, &redis, &[]).await;
    // Both instances know Kroki's versions before the burst.
    a.get(&diagram("warm a")).await;
    b.get(&diagram("warm b")).await;
    let before = renders(&kroki);
    let path = diagram("twenty -> misses");
    let requests = (0..20).map(|i| {
        let (instance, path) = (if i % 2 == 0 { &a } else { &b }, path.clone());
        async move {
            let response = instance.get(&path).await;
            (response.status().as_u16(), response.bytes().await.unwrap())
        }
    });
    let answers = futures::future::join_all(requests).await;
    assert!(answers
        .iter()
        .all(|(status, body)| *status == 200 && body == &answers[0].1));
    assert_eq!(
        renders(&kroki) - before,
        1,
        "one Kroki render for 20 misses"
    );
}

#[tokio::test]
async fn an_instance_restarted_on_the_same_redis_serves_without_kroki() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::ZERO).await;
    let first = Instance::start(&kroki, &redis, &[]).await;
    let paths: Vec<String> = (0..5).map(|i| diagram(&format!("restart{i}"))).collect();
    let mut etags = Vec::new();
    for path in &paths {
        etags.push(header(&first.get(path).await, "etag"));
    }
    first.stop().await;
    let rendered = renders(&kroki);
    let second = Instance::start(&kroki, &redis, &[]).await;
    for (path, etag) in paths.iter().zip(&etags) {
        let response = second.get(path).await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-cache"), "HIT-REDIS");
        assert_eq!(&header(&response, "etag"), etag);
    }
    assert_eq!(renders(&kroki), rendered, "no render after the restart");
    // With the version pinned, Kroki need not even be up.
    second.stop().await;
    let pinned = Instance::start(&kroki, &redis, &[("KROKI_VERSION", "pinned")]).await;
    let path = diagram("pinned");
    assert_eq!(pinned.get(&path).await.status(), 200);
    pinned.stop().await;
    kroki.stop().await;
    let again = Instance::start(&kroki, &redis, &[("KROKI_VERSION", "pinned")]).await;
    let response = again.get(&path).await;
    assert_eq!(
        (response.status().as_u16(), header(&response, "x-cache")),
        (200, "HIT-REDIS".into())
    );
}

#[tokio::test]
async fn redis_killed_during_mixed_load_fails_no_request() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::from_millis(5)).await;
    let app = Instance::start(&kroki, &redis, &[]).await;
    let hot: Vec<String> = (0..10).map(|i| diagram(&format!("hot{i}"))).collect();
    for path in &hot {
        assert_eq!(app.get(path).await.status(), 200);
    }
    let app = &app;
    let load = (0..8).map(|worker| {
        let hot = hot.clone();
        async move {
            let mut failed = Vec::new();
            for i in 0..40 {
                let path = if i % 2 == 0 {
                    hot[i % hot.len()].clone()
                } else {
                    diagram(&format!("cold{worker}-{i}"))
                };
                let response = app.get(&path).await;
                let status = response.status();
                if status != 200 {
                    failed.push((path, status, response.text().await.unwrap_or_default()));
                }
            }
            failed
        }
    });
    let killer = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        redis.signal("-KILL");
    };
    let (failed, ()) = tokio::join!(futures::future::join_all(load), killer);
    let failed: Vec<_> = failed.into_iter().flatten().collect();
    assert!(failed.is_empty(), "failed requests: {failed:?}");
    // After the load, Redis is known to be down: /health says degraded, not unhealthy.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let _ = app
            .get(&diagram(&format!("probe{:?}", Instant::now())))
            .await;
        let health: serde_json::Value = app.get("/health").await.json().await.unwrap();
        if health["checks"]["cache"]["status"] == "degraded" {
            assert_eq!(health["status"], "degraded", "{health}");
            break;
        }
        assert!(Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("kroki_web_cache_tier2_up 0"), "{metrics}");
    assert!(
        metrics.contains("kroki_web_cache_tier2_errors_total{operation="),
        "{metrics}"
    );
    assert!(
        metrics.contains("kroki_web_health_check{check=\"cache\",status=\"degraded\"} 1"),
        "{metrics}"
    );
    // A new Redis on the same address: the app reconnects by itself and stores renders again.
    let revived = RedisServer::start_on(redis.port)
        .await
        .expect("redis-server restarts");
    let mut connection = revived.connection().await;
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut attempt = 0;
    loop {
        attempt += 1;
        assert_eq!(
            app.get(&diagram(&format!("revived{attempt}")))
                .await
                .status(),
            200
        );
        let stored: Vec<String> = redis::cmd("KEYS")
            .arg("kroki-web:r:*")
            .query_async(&mut connection)
            .await
            .unwrap();
        if !stored.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the app never wrote to the new Redis"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("kroki_web_cache_tier2_up 1"), "{metrics}");
}

#[tokio::test]
async fn a_stalled_redis_costs_at_most_its_timeout_and_is_used_again_once_back() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::ZERO).await;
    let timeout = Duration::from_secs(1);
    let settings = [("CACHE_REDIS_TIMEOUT", "1s"), ("HEALTH_CACHE_TTL", "10ms")];
    let a = Instance::start(&kroki, &redis, &settings).await;
    let b = Instance::start(&kroki, &redis, &settings).await;
    assert_eq!(a.get(&diagram("before")).await.status(), 200);
    redis.signal("-STOP");
    // At most the tier timeout plus the render; a second of slack for a busy machine. Without
    // the timeout the first request would wait for Redis forever.
    let bound = timeout + Duration::from_secs(1);
    let mut times = Vec::new();
    for i in 0..6 {
        let started = Instant::now();
        let response = a.get(&diagram(&format!("stalled{i}"))).await;
        times.push(started.elapsed());
        assert_eq!(response.status(), 200);
        assert!(started.elapsed() < bound, "{times:?} (bound {bound:?})");
    }
    // The first misses each paid the timeout; after three failures in a row Redis is skipped,
    // so the last misses pay nothing for it.
    assert!(times[0] >= timeout, "{times:?}");
    assert!(
        times[4] < timeout / 2 && times[5] < timeout / 2,
        "{times:?}"
    );
    let health: serde_json::Value = a.get("/health").await.json().await.unwrap();
    assert_eq!(health["checks"]["cache"]["status"], "degraded", "{health}");
    redis.signal("-CONT");
    // Back: within the back-off, a render on A becomes a Redis hit on B again.
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let path = diagram(&format!("back{attempt}"));
        assert_eq!(a.get(&path).await.status(), 200);
        tokio::time::sleep(Duration::from_millis(50)).await;
        if header(&b.get(&path).await, "x-cache") == "HIT-REDIS" {
            break;
        }
        assert!(Instant::now() < deadline, "tier 2 not used again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let health: serde_json::Value = a.get("/health").await.json().await.unwrap();
    assert_eq!(health["checks"]["cache"]["status"], "healthy", "{health}");
}

#[tokio::test]
async fn garbage_in_redis_is_a_miss() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::ZERO).await;
    let a = Instance::start(&kroki, &redis, &[]).await;
    let path = diagram("garbage");
    let body = a.get(&path).await.bytes().await.unwrap();
    let mut connection = redis.connection().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let keys: Vec<String> = loop {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("kroki-web:r:*")
            .query_async(&mut connection)
            .await
            .unwrap();
        if !keys.is_empty() {
            break keys;
        }
        assert!(Instant::now() < deadline, "the render was never stored");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    for (i, key) in keys.iter().enumerate() {
        // A truncated value, then a key of another type.
        if i % 2 == 0 {
            let _: () = redis::cmd("SET")
                .arg(key)
                .arg(&b"KWR\x01\x0dimage/svg+xml\x01\x08identity\xff\xff"[..])
                .query_async(&mut connection)
                .await
                .unwrap();
        } else {
            let _: () = redis::cmd("DEL")
                .arg(key)
                .query_async(&mut connection)
                .await
                .unwrap();
            let _: () = redis::cmd("LPUSH")
                .arg(key)
                .arg("x")
                .query_async(&mut connection)
                .await
                .unwrap();
        }
    }
    let b = Instance::start(&kroki, &redis, &[]).await;
    let response = b.get(&path).await;
    assert_eq!(
        (response.status().as_u16(), header(&response, "x-cache")),
        (200, "MISS".into())
    );
    assert_eq!(response.bytes().await.unwrap(), body);
    assert_eq!(renders(&kroki), 2);
}

#[tokio::test]
async fn a_new_engine_version_renders_again_with_a_new_etag() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::ZERO).await;
    let a = Instance::start(&kroki, &redis, &[]).await;
    let graphviz = diagram("versioned");
    let nomnoml = format!("/nomnoml/svg/{}", encode("[kept] -> [as is]"));
    let old_graphviz = header(&a.get(&graphviz).await, "etag");
    let old_nomnoml = header(&a.get(&nomnoml).await, "etag");
    assert_eq!(renders(&kroki), 2);
    // Kroki upgraded: a new Kroki number and Graphviz, the same nomnoml.
    kroki.set_version("kroki", "0.33.0");
    kroki.set_version("graphviz", "15.0.0");
    kroki.set_version("dot", "15.0.0");
    // The health probes read the new versions (so would the background refresh, within 60 s).
    assert_eq!(a.get("/health").await.status(), 200);
    let renders_before = renders(&kroki);
    let again = a.get(&graphviz).await;
    assert_eq!(header(&again, "x-cache"), "MISS");
    let new_graphviz = header(&again, "etag");
    assert_ne!(new_graphviz, old_graphviz);
    assert_eq!(renders(&kroki), renders_before + 1, "rendered again");
    let kept = a.get(&nomnoml).await;
    assert_eq!(
        (header(&kept, "x-cache"), header(&kept, "etag")),
        ("HIT".into(), old_nomnoml)
    );
    // A replica started after the upgrade finds the new render in Redis, not the old one.
    let b = Instance::start(&kroki, &redis, &[]).await;
    let other = b.get(&graphviz).await;
    assert_eq!(
        (header(&other, "x-cache"), header(&other, "etag")),
        ("HIT-REDIS".into(), new_graphviz)
    );
}

#[tokio::test]
async fn a_lock_whose_holder_died_costs_a_bounded_wait_then_a_render() {
    use kroki_web::cache::CacheKey;
    use kroki_web::domain::request::{parse_format, parse_type};
    use kroki_web::domain::{DiagramOptions, DiagramSource, RenderRequest};
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::ZERO).await;
    // The lock lives as long as a render may take: KROKI_TIMEOUT.
    let app = Instance::start(&kroki, &redis, &[("KROKI_TIMEOUT", "1500ms")]).await;
    assert_eq!(app.get(&diagram("versions known")).await.status(), 200);
    let source = "digraph { orphaned -> lock }";
    let kind = parse_type("graphviz").unwrap();
    let request = RenderRequest {
        kind,
        format: parse_format(kind, "svg").unwrap(),
        source: DiagramSource::parse(source.to_owned(), 1 << 20).unwrap(),
        options: DiagramOptions::new(),
        encoded: None,
    };
    let key = CacheKey::of(&request, "engine@14.1.3");
    // A replica took the lock and died: nobody will release it or store a render.
    let mut connection = redis.connection().await;
    let _: () = redis::cmd("SET")
        .arg(format!("kroki-web:l:{}", key.hex()))
        .arg("dead-replica")
        .arg("PX")
        .arg(1500)
        .query_async(&mut connection)
        .await
        .unwrap();
    let before = renders(&kroki);
    let started = Instant::now();
    let response = app.get(&format!("/graphviz/svg/{}", encode(source))).await;
    let waited = started.elapsed();
    assert_eq!(
        (response.status().as_u16(), header(&response, "x-cache")),
        (200, "MISS".into())
    );
    assert_eq!(
        header(&response, "etag"),
        key.etag(),
        "the key the test computed"
    );
    assert!(
        waited >= Duration::from_millis(1000),
        "it waited for the holder: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "bounded by the lock's life: {waited:?}"
    );
    assert_eq!(renders(&kroki), before + 1);
}

/// Variants one replica compressed reach Redis, so another replica's Redis hit is served
/// from them (a strong per-coding ETag: stored bytes, not compressed again on the fly).
#[tokio::test]
async fn compressed_variants_travel_through_redis() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let kroki = slow_kroki(Duration::ZERO).await;
    let a = Instance::start(&kroki, &redis, &[]).await;
    let b = Instance::start(&kroki, &redis, &[]).await;
    let path = diagram("variants -> redis");
    let brotli = |instance: &Instance| {
        reqwest::Client::new()
            .get(format!("{}{}", instance.address, path))
            .header("accept-encoding", "br")
            .timeout(Duration::from_secs(30))
            .send()
    };
    let first = brotli(&a).await.unwrap();
    assert_eq!(header(&first, "x-cache"), "MISS");
    // Compressed on the fly, under the weak form of the tag the stored variant will have.
    let on_the_fly = header(&first, "etag");
    let stored_etag = on_the_fly.trim_start_matches("W/").to_owned();
    assert!(
        on_the_fly.starts_with("W/\"") && stored_etag.ends_with("-br\""),
        "{on_the_fly}"
    );
    // Hits on A compress the render in the background; poll until A serves the stored variant.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let hit = brotli(&a).await.unwrap();
        if header(&hit, "etag") == stored_etag {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "A never served its stored variant"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A wrote the variants over its Redis entry in the background; B's first request finds them.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut connection = redis.connection().await;
    loop {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut connection)
            .await
            .unwrap();
        let mut with_variants = false;
        for key in keys {
            let value: Option<Vec<u8>> = redis::cmd("GET")
                .arg(&key)
                .query_async(&mut connection)
                .await
                .unwrap_or(None);
            with_variants |= value.is_some_and(|v| v.windows(3).any(|w| w == b"\x02br"));
        }
        if with_variants {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the variants never reached Redis"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let other = brotli(&b).await.unwrap();
    assert_eq!(header(&other, "x-cache"), "HIT-REDIS");
    assert_eq!(header(&other, "content-encoding"), "br");
    assert_eq!(
        header(&other, "etag"),
        stored_etag,
        "B sends the stored bytes"
    );
    assert_eq!(renders(&kroki), 1, "exactly one Kroki render");
    a.stop().await;
    b.stop().await;
}

//! Bytes that are not text, in every place a request carries a diagram: a clear 4xx without
//! Kroki, or, where Kroki itself is lenient (a text body), the same lenient reading.

use crate::helpers::{api_error, spawn_app};

const INVALID_UTF8: &[u8] = b"digraph { \xff\xfe -> \xc3 }";

#[tokio::test]
async fn invalid_utf8_in_json_is_a_400_without_kroki() {
    let app = spawn_app().await;
    let mut body = br#"{"diagram_type": "graphviz", "diagram_source": ""#.to_vec();
    body.extend_from_slice(INVALID_UTF8);
    body.extend_from_slice(b"\"}");
    let response = app
        .client
        .post(app.url("/api/generate"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    api_error(response, 400, "invalid_json").await;
    for path in ["/", "/graphviz/svg"] {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{path}");
    }
    assert_eq!(app.kroki.request_count(), 0);
}

#[tokio::test]
async fn invalid_utf8_in_a_text_body_is_read_as_kroki_reads_it() {
    // Kroki decodes text bodies as UTF-8 with replacement characters; so does the app, and
    // what reaches Kroki is valid UTF-8.
    let app = spawn_app().await;
    for path in ["/graphviz/svg", "/api/generate?diagram_type=graphviz"] {
        let response = app
            .client
            .post(app.url(path))
            .header("content-type", "text/plain")
            .body(INVALID_UTF8.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let forwarded = app.last_render().body;
        let text = std::str::from_utf8(&forwarded).expect("Kroki gets valid UTF-8");
        assert!(text.contains('\u{fffd}'), "{path}: {text}");
    }
}

#[tokio::test]
async fn undecodable_get_paths_are_4xx_without_kroki() {
    let app = spawn_app().await;
    for path in [
        "/graphviz/svg/%FF%FE%FD",
        "/graphviz/svg/not*base64!",
        "/graphviz/svg/%00%01",
        "/%FF/svg/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY",
        "/graphviz/%FF/eNpLyUwvSizIUKhWSFTQtVNIUqgFADrsBaY",
    ] {
        let response = app.get(path).await;
        let status = response.status().as_u16();
        assert!((400..500).contains(&status), "{path}: {status}");
    }
    assert_eq!(app.kroki.request_count(), 0);
}

#[tokio::test]
async fn wrong_content_types_are_refused_or_read_as_kroki_does() {
    let app = spawn_app().await;
    for content_type in ["application/xml", "multipart/form-data; boundary=x"] {
        let response = app
            .client
            .post(app.url("/api/generate"))
            .header("content-type", content_type)
            .body("digraph { a }")
            .send()
            .await
            .unwrap();
        api_error(response, 415, "unsupported_media_type").await;
    }
    // Kroki's own routes read any non-JSON body as the source, and `POST /` as JSON whatever
    // the Content-Type: a source in XML clothing renders, a non-JSON body to `/` is a 400.
    let response = app
        .client
        .post(app.url("/graphviz/svg"))
        .header("content-type", "application/xml")
        .body("digraph { a }")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = app
        .client
        .post(app.url("/"))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\n\r\ndigraph { a }\r\n--x--")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        app.kroki.request_count(),
        1,
        "only the readable source reached Kroki"
    );
}

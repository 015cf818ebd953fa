//! The `/_standin` control endpoints.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{client, encode};
use kroki_standin::{Fault, StandIn};
use serde_json::{json, Value};

#[tokio::test]
async fn fault_endpoint() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    let put = |body: Value| {
        let req = c.put(format!("{url}/_standin/fault")).json(&body);
        async move { req.send().await.unwrap() }
    };
    let resp = put(json!({"fault": "status", "status": 502})).await;
    assert_eq!(resp.status(), 204);
    let resp = c.get(format!("{url}/_standin/fault")).send().await.unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"fault": "status", "status": 502})
    );
    let resp = c.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(resp.status(), 502);
    let resp = put(json!({"fault": "slow", "delay_ms": 10})).await;
    assert_eq!(resp.status(), 204);
    let resp = put(json!({"fault": "oversized", "bytes": 100})).await;
    assert_eq!(resp.status(), 204);
    let resp = c.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap().len(), 100);
    for (body, ok) in [
        (json!({"fault": "reset"}), true),
        (json!({"fault": "hang"}), true),
        (json!({"fault": "none"}), true),
        (json!({"fault": "slow"}), false),
        (json!({"fault": "boom"}), false),
        (json!({"nope": 1}), false),
    ] {
        let resp = put(body.clone()).await;
        assert_eq!(resp.status().as_u16(), if ok { 204 } else { 400 }, "{body}");
    }
    let resp = c
        .put(format!("{url}/_standin/fault"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let resp = c.get(format!("{url}/health")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // The library API and the control API share the state.
    kroki.set_fault(Fault::Status(418));
    let resp = c.get(format!("{url}/_standin/fault")).send().await.unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], 418);
}

#[tokio::test]
async fn companions_endpoint() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    let resp = c
        .put(format!("{url}/_standin/companions/bpmn"))
        .json(&json!({"down": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let resp = c
        .get(format!("{url}/_standin/companions"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.json::<Value>().await.unwrap(),
        json!({"down": ["bpmn"]})
    );
    let resp = c
        .post(format!("{url}/bpmn/svg"))
        .body("<xml/>")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(
        resp.text().await.unwrap(),
        "Error 503: Connection refused: localhost/127.0.0.1:8003"
    );
    let resp = c
        .put(format!("{url}/_standin/companions/bpmn"))
        .json(&json!({"down": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let resp = c
        .post(format!("{url}/bpmn/svg"))
        .body("<xml/>")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp = c
        .put(format!("{url}/_standin/companions/graphviz"))
        .json(&json!({"down": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = c
        .put(format!("{url}/_standin/companions/mermaid"))
        .json(&json!({"down": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn requests_endpoint() {
    let kroki = StandIn::start().await.unwrap();
    let c = client();
    let url = kroki.url();
    c.get(format!("{url}/graphviz/svg/{}?a=b", encode("digraph {}")))
        .header("X-Test", "1")
        .send()
        .await
        .unwrap();
    c.post(format!("{url}/graphviz/svg"))
        .body("digraph { é }")
        .send()
        .await
        .unwrap();
    let resp = c
        .get(format!("{url}/_standin/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/json");
    let list: Value = resp.json().await.unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["method"], "GET");
    assert_eq!(list[0]["query"], "a=b");
    assert!(list[0]["headers"]
        .as_array()
        .unwrap()
        .contains(&json!(["x-test", "1"])));
    assert_eq!(list[1]["method"], "POST");
    assert_eq!(list[1]["path"], "/graphviz/svg");
    assert_eq!(list[1]["body"], "digraph { é }");
    // Control requests are neither recorded nor counted.
    assert_eq!(kroki.request_count(), 2);
    assert_eq!(kroki.requests().len(), 2);
    let resp = c
        .delete(format!("{url}/_standin/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    assert!(kroki.requests().is_empty());
    let resp = c
        .get(format!("{url}/_standin/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap(), json!([]));
    let resp = c
        .get(format!("{url}/_standin/unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let resp = c
        .post(format!("{url}/_standin/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
}

//! The individual probes behind `/health`.

use super::{Check, Status};
use crate::domain::{Companion, DiagramOptions, DiagramSource, OutputFormat, RenderRequest};
use crate::kroki::KrokiClient;
use std::time::{Duration, Instant};

/// Kroki itself: its own `/health` (which is static, but carries the version map) and, at the
/// same time, a tiny Graphviz render, which Kroki draws in-process: a Kroki whose engines fail
/// is unhealthy even though its `/health` says "pass". Returns the check and the version map.
pub async fn kroki(
    client: &KrokiClient,
    timeout: Duration,
    slow: Duration,
) -> (Check, Option<serde_json::Map<String, serde_json::Value>>) {
    let started = Instant::now();
    let render = graphviz_probe();
    let (info, rendered) = futures_util::future::join(client.info(timeout), async {
        match &render {
            Some(request) => client.render_within(request, timeout).await.map(|_| ()),
            None => Ok(()),
        }
    })
    .await;
    let elapsed = started.elapsed();
    let (status, message, version, versions) = match (info, rendered) {
        (Err(error), _) => (Status::Unhealthy, error.to_string(), None, None),
        (Ok(info), Err(error)) => (
            Status::Unhealthy,
            format!("Kroki answers /health but cannot render a Graphviz test diagram: {error}"),
            info.version,
            info.versions,
        ),
        (Ok(info), Ok(_)) if elapsed > slow => (
            Status::Degraded,
            format!(
                "Kroki answered and rendered in {} ms, slower than the {} ms threshold",
                elapsed.as_millis(),
                slow.as_millis()
            ),
            info.version,
            info.versions,
        ),
        (Ok(info), Ok(_)) => (
            Status::Healthy,
            "Kroki is up and rendered a Graphviz test diagram".to_owned(),
            info.version,
            info.versions,
        ),
    };
    let check = Check {
        status,
        response_time_ms: Some(millis(elapsed)),
        message,
        url: Some(client.base_url().to_owned()),
        version,
        diagram_types: None,
    };
    (check, versions)
}

/// Renders a tiny diagram of the companion's type through Kroki.
pub async fn companion(
    client: &KrokiClient,
    companion: Companion,
    timeout: Duration,
    slow: Duration,
) -> Check {
    let started = Instant::now();
    let result = match probe_request(companion) {
        Some(request) => client.render_within(&request, timeout).await.map(|_| ()),
        None => Ok(()),
    };
    let elapsed = started.elapsed();
    let (status, message) = match result {
        Ok(()) if elapsed > slow => (
            Status::Degraded,
            format!(
                "rendered in {} ms, slower than the {} ms threshold",
                elapsed.as_millis(),
                slow.as_millis()
            ),
        ),
        Ok(()) => (
            Status::Healthy,
            format!("rendered a {} test diagram", companion.name()),
        ),
        Err(error) => (Status::Unhealthy, error.to_string()),
    };
    Check {
        status,
        response_time_ms: Some(millis(elapsed)),
        message,
        url: None,
        version: None,
        diagram_types: Some(companion.diagram_types().map(|kind| kind.name).collect()),
    }
}

/// A companion cannot be reached while Kroki itself is down.
pub fn not_probed(companion: Companion) -> Check {
    Check {
        status: Status::Unhealthy,
        response_time_ms: None,
        message: "not probed: Kroki is unreachable".to_owned(),
        url: None,
        version: None,
        diagram_types: Some(companion.diagram_types().map(|kind| kind.name).collect()),
    }
}

/// `digraph { probe -> ok }` as SVG: Graphviz runs inside Kroki, no companion involved.
fn graphviz_probe() -> Option<RenderRequest> {
    Some(RenderRequest {
        kind: crate::domain::request::parse_type("graphviz").ok()?,
        format: OutputFormat::Svg,
        source: DiagramSource::parse("digraph { probe -> ok }".to_owned(), usize::MAX).ok()?,
        options: DiagramOptions::new(),
        encoded: None,
    })
}

fn probe_request(companion: Companion) -> Option<RenderRequest> {
    let source = match companion {
        Companion::Mermaid => "graph LR\n  probe --> ok",
        Companion::Bpmn => BPMN_PROBE,
        Companion::Excalidraw => EXCALIDRAW_PROBE,
        Companion::Diagramsnet => DIAGRAMSNET_PROBE,
    };
    Some(RenderRequest {
        kind: companion.probe_kind(),
        format: OutputFormat::Svg,
        source: DiagramSource::parse(source.to_owned(), usize::MAX).ok()?,
        options: DiagramOptions::new(),
        encoded: None,
    })
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

const BPMN_PROBE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="probe" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_probe" isExecutable="false">
    <bpmn:startEvent id="Start_probe" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_probe">
    <bpmndi:BPMNPlane id="Plane_probe" bpmnElement="Process_probe">
      <bpmndi:BPMNShape id="Start_probe_di" bpmnElement="Start_probe">
        <dc:Bounds x="10" y="10" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>"#;

const EXCALIDRAW_PROBE: &str = r##"{"type":"excalidraw","version":2,"source":"kroki-web","elements":[{"type":"rectangle","version":1,"versionNonce":1,"isDeleted":false,"id":"probe","fillStyle":"hachure","strokeWidth":1,"strokeStyle":"solid","roughness":1,"opacity":100,"angle":0,"x":0,"y":0,"strokeColor":"#000000","backgroundColor":"transparent","width":40,"height":20,"seed":1,"groupIds":[],"boundElements":[],"updated":1,"link":null,"locked":false}],"appState":{"viewBackgroundColor":"#ffffff","gridSize":null},"files":{}}"##;

const DIAGRAMSNET_PROBE: &str = r#"<mxfile><diagram id="probe" name="probe"><mxGraphModel><root><mxCell id="0"/><mxCell id="1" parent="0"/><mxCell id="2" value="ok" style="rounded=0;" vertex="1" parent="1"><mxGeometry x="10" y="10" width="60" height="30" as="geometry"/></mxCell></root></mxGraphModel></diagram></mxfile>"#;

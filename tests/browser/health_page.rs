//! The status page for people: the header's "Health" link opens it (not raw JSON), it shows each
//! check and what is affected, and it passes axe and the page policy.

use crate::accessibility::serious_violations;
use crate::harness::browser_test;

#[tokio::test]
async fn the_health_link_opens_a_status_page() {
    browser_test("the_health_link_opens_a_status_page", |page| async move {
        page.open_editor("/").await;
        page.click("header a[href='/health']").await;
        let verdict = page
            .wait_js(
                "the status page",
                "const v = document.querySelector('.health-verdict'); return v && v.textContent",
            )
            .await;
        assert!(
            verdict.as_str().unwrap().contains("Overall: healthy"),
            "{verdict}"
        );
        let checks = page
            .js("return [...document.querySelectorAll('tr[data-check]')].map((r) => r.dataset.check)")
            .await;
        assert_eq!(
            checks,
            serde_json::json!(["bpmn", "excalidraw", "kroki", "mermaid", "service"])
        );
        page.screenshot("health-page").await;
        let healthy = serious_violations(&page).await;

        page.app.kroki.set_companion_down("mermaid", true);
        // HEALTH_CACHE_TTL is 5 s by default: wait for a new round.
        let text = page
            .wait_js(
                "the degraded verdict",
                "return fetch('/health', {headers: {accept: 'text/html'}}).then((r) => r.text()).then((t) => t.includes('Overall: degraded') && t)",
            )
            .await;
        assert!(text.as_str().unwrap().contains("Affected: mermaid."));
        page.open("/health").await;
        page.wait_js(
            "the degraded page",
            "const v = document.querySelector('.health-verdict'); return v && v.textContent.includes('degraded')",
        )
        .await;
        page.screenshot("health-page-degraded").await;
        let degraded = serious_violations(&page).await;
        assert!(healthy.is_empty(), "axe, healthy: {healthy:#?}");
        assert!(degraded.is_empty(), "axe, degraded: {degraded:#?}");
        assert_eq!(page.csp_violations().await, Vec::<String>::new());
    })
    .await;
}

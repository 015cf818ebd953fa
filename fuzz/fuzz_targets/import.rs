//! Opening a diagram from pasted text (`GET /api/decode?url=`, the page's `/?import=`): a Kroki
//! image URL `…/{type}/{format}/{encoded}` (any host, path prefix, query options) or one of this
//! app's share links (`/?type=…&src=…`), parsed and decoded, never fetched.
//!
//! Checked, on arbitrary text: nothing panics; an opened diagram's type supports its format and
//! its options either build or are refused with a 4xx; a refusal is a 4xx; and the share link
//! of whatever opened opens again to the same type, format and source.

#![no_main]

use kroki_web::routes::editor::import::import;
use libfuzzer_sys::fuzz_target;

const LIMIT: usize = 16 * 1024;

/// A share link carries any source the form held, not only decoded ones.
const SHARE_LIMIT: usize = 1024 * 1024;

/// Shorter than the import's own cap on URL length (64 KiB), with room for the `/?`.
const SHARE_QUERY_MAX: usize = 60 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let form = match import(input, LIMIT) {
        Ok(form) => form,
        Err(error) => {
            assert!(error.status().is_client_error(), "not a 4xx: {error:?}");
            return;
        }
    };
    assert!(form.kind.supports(form.format), "{form:?}");
    if let Err(error) = form.options() {
        assert!(error.status().is_client_error(), "not a 4xx: {error:?}");
    }
    let share = form.share_query();
    if share.len() > SHARE_QUERY_MAX {
        return;
    }
    let again = import(&format!("/?{share}"), SHARE_LIMIT).expect("a share link opens");
    assert_eq!(again.kind.name, form.kind.name, "{share}");
    assert_eq!(again.format, form.format, "{share}");
    assert_eq!(again.source, form.source, "{share}");
});

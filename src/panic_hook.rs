//! The binary's panic hook: a panic becomes one error-level log line, in the configured log
//! format, with its place in the code, the thread and the request id, instead of the default
//! hook's free text on stderr.
//!
//! A formatted panic message is withheld, since diagrams are never logged and such a message
//! may quote request data: slicing a string off a character boundary quotes up to 256 bytes of
//! the string, and `Result::unwrap` prints the error's contents. A literal message
//! (`panic!("…")`, `Option::unwrap`) is fixed at compile time and is logged. `RUST_BACKTRACE=1`
//! adds the backtrace, which holds code locations only.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};

const WITHHELD: &str = "(withheld: a formatted panic message may quote request data)";

/// Replaces the default hook for the whole process. Only the binary calls this: in tests the
/// default hook's full messages are what a failing test should show.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(ToString::to_string).unwrap_or_default();
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("unnamed");
        let request_id = crate::request_id::current().unwrap_or_default();
        let backtrace = Backtrace::capture();
        let backtrace =
            (backtrace.status() == BacktraceStatus::Captured).then(|| backtrace.to_string());
        tracing::error!(
            panic_message = safe_message(info.payload()),
            location,
            thread,
            request_id = &*request_id,
            backtrace = backtrace.as_deref(),
            "panic"
        );
    }));
}

/// The panic's message if it is a literal, which cannot hold request data.
fn safe_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&'static str>()
        .copied()
        .unwrap_or(WITHHELD)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The payload a panic with these arguments carries, caught without the hook's output.
    fn payload_of(panicking: impl FnOnce() + std::panic::UnwindSafe) -> Box<dyn Any + Send> {
        std::panic::catch_unwind(panicking).expect_err("it panicked")
    }

    #[test]
    fn literal_messages_are_kept_and_formatted_ones_withheld() {
        let literal = payload_of(|| panic!("a literal message"));
        assert_eq!(safe_message(literal.as_ref()), "a literal message");
        let none: Option<u8> = std::hint::black_box(None);
        let unwrap = payload_of(|| {
            none.unwrap();
        });
        assert!(safe_message(unwrap.as_ref()).contains("None"));

        let source = String::from("digraph { secret_é }");
        let formatted = payload_of(|| panic!("failed on {source}"));
        assert_eq!(safe_message(formatted.as_ref()), WITHHELD);
        // Slicing inside a character quotes the string in the panic message.
        let sliced = payload_of(|| {
            let _ = &source[..18];
        });
        assert_eq!(safe_message(sliced.as_ref()), WITHHELD);
        let result: Result<u8, String> = std::hint::black_box(Err(source.clone()));
        let unwrapped = payload_of(|| {
            result.unwrap();
        });
        assert_eq!(safe_message(unwrapped.as_ref()), WITHHELD);
    }
}

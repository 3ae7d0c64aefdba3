//! Writes `js/src/codes.js` and `js/src/names.js`: every number and name the JS wrapper shares
//! with the core, from the definitions in this crate (`cargo run --example codes-js`, which
//! scripts/build.sh runs). Two files, for the bundle's sake: codes.js holds single numbers,
//! imported only by modules of the main chunk, so that a bundler inlines them (the table costs
//! nothing); names.js the lists and objects that modules loaded later (thrown.js) share.

use super::rows::{self, is_class, verdict, Row, CLASSIFY, HINTS, LATE, NAMED_LIMITS, NO_RETRY, OUTCOMES, POLL_HEADER, ROW_LEN};
use super::settings::{limit_at, Setting, LIMITS_AT, SETTINGS_LEN};
use crate::{LimitKind, JOB_SLOTS, READ_HEADERS, READ_HEADER_PREFIXES};

/// `MaxConcurrent` → `MAX_CONCURRENT`.
fn screaming(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.char_indices() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn quoted(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric()) {
        name.to_string()
    } else {
        format!("'{name}'")
    }
}

fn object<'a>(entries: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let body: Vec<String> = entries.into_iter().map(|(k, v)| format!("  {}: {v},", quoted(k))).collect();
    format!("{{\n{}\n}}", body.join("\n"))
}

fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.into_iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", items.join(", "))
}

/// The generated files, as `(path in the repository, text)`.
pub fn modules() -> [(&'static str, String); 2] {
    [("js/src/codes.js", codes()), ("js/src/names.js", names())]
}

const HEADER: &str = "// Generated from src/wire/ by `cargo run --example codes-js -- --write` (scripts/build.sh runs it): do not edit.";

/// The text of `js/src/codes.js`: numbers only (esbuild stops inlining a module's constants
/// at its first object or array, so there are none).
fn codes() -> String {
    let mut js = String::new();
    let mut line = |text: &str| {
        js.push_str(text);
        js.push('\n');
    };
    line(HEADER);
    line("// The numbers the wasm boundary carries, each defined once in Rust; the names are in names.js.");
    line("");
    line("/** Core.poll's output: a header ([rows, next wake or -1, verdict]), then rows of ROW_LENGTH numbers. */");
    line(&format!("export const POLL_HEADER = {POLL_HEADER};"));
    line(&format!("export const ROW_LENGTH = {ROW_LEN};"));
    line("/** The first number of a row, [kind, a, b, c, d]: decisions, then events. */");
    for row in Row::ALL {
        line(&format!("export const {} = {};", row.js_name(), row.code()));
    }
    line("/** Rows from this code on are events. */");
    line(&format!("export const FIRST_EVENT = {};", Row::FIRST_EVENT.code()));
    line("");
    line("/** Core.finish's outcome kind for \"classify it from the status and hint\" (names.js OUTCOME has the others). */");
    line(&format!("export const CLASSIFY = {CLASSIFY};"));
    line("/** A bit of Core.finish's hint: the job is never retried (its stream reached the caller). */");
    line(&format!("export const NO_RETRY = {NO_RETRY};"));
    line("");
    line("/** Verdicts of Core.finish; EXHAUSTED is packed: + EXHAUSTED_BUDGET when the retry budget ran out, + EXHAUSTED_PER_ATTEMPT × attempts. */");
    for (name, value) in [
        ("DONE", verdict::DONE),
        ("FAILED", verdict::FAILED),
        ("RETRY", verdict::RETRY),
        ("EXHAUSTED", verdict::EXHAUSTED),
        ("LATE", verdict::LATE),
        ("UNKNOWN", verdict::UNKNOWN),
        ("EXHAUSTED_BUDGET", verdict::BUDGET),
        ("EXHAUSTED_PER_ATTEMPT", verdict::PER_ATTEMPT),
    ] {
        line(&format!("export const {name} = {value};"));
    }
    line("");
    line("/** Where each option's number goes in the settings of `new Core(settings)` (-1: the core's default). */");
    for s in Setting::ALL {
        line(&format!("export const SET_{} = {};", screaming(&format!("{s:?}")), s.index()));
    }
    line("/** Then one number per rate limit, in the order of names.js LIMIT_NAMES. */");
    line(&format!("export const SET_LIMITS = {LIMITS_AT};"));
    line(&format!("export const SETTINGS_LENGTH = {SETTINGS_LEN};"));
    line("");
    line("/** A job id's slot in the core: the id modulo SLOTS (the rest is the slot's generation). */");
    line(&format!("export const SLOTS = {JOB_SLOTS};"));
    js
}

/// The text of `js/src/names.js`: the lists and objects.
fn names() -> String {
    let mut js = String::new();
    let mut line = |text: &str| {
        js.push_str(text);
        js.push('\n');
    };
    line(HEADER);
    line("// The names the wasm boundary carries, each defined once in Rust; the numbers are in codes.js.");
    line("");
    line("/** Outcome kinds for Core.finish, by the names `classify` returns. */");
    line(&format!("export const OUTCOME = {};", object(OUTCOMES.iter().enumerate().map(|(i, (_, n))| (*n, i.to_string())))));
    line("/** What a `classify` option may return. */");
    line(&format!("export const CLASSES = {};", list(OUTCOMES.iter().filter(|(k, _)| is_class(*k)).map(|(_, n)| *n))));
    line("/** Hints for Core.finish: what an error says beside its status. */");
    line(&format!("export const HINT = {};", object(HINTS.iter().enumerate().map(|(i, (_, n))| (*n, i.to_string())))));
    line("/** The limit a 429's body names, for Core.feedback. */");
    line(&format!("export const NAMED = {};", object(NAMED_LIMITS.iter().enumerate().map(|(i, (_, n))| (*n, i.to_string())))));
    line("/** Why a job cannot finish by its deadline (DeadlineError's `why`), by the core's number. */");
    line(&format!("export const LATE_REASONS = {};", list(LATE.map(rows::late_name))));
        line("/** The rate limits, by the core's number (LimitKind), as the options name them. */");
    line(&format!("export const LIMIT_NAMES = {};", list(LimitKind::ALL.map(LimitKind::name))));
    line("/** Header names the core reads, and the prefixes of the others it reads: no other crosses into wasm. */");
    line(&format!("export const READ_HEADERS = {};", list(READ_HEADERS)));
    line(&format!("export const READ_HEADER_PREFIXES = {};", list(READ_HEADER_PREFIXES)));
    line("/** The option behind each number of the settings (for tests: the package uses the constants). */");
    let options = Setting::ALL.iter().map(|s| (s.option(), s.index().to_string())).chain(LimitKind::ALL.iter().map(|k| (k.name(), limit_at(*k).to_string())));
    line(&format!("export const SETTING_OPTIONS = {};", object(options)));
    js
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checked-in table is what the definitions give: a code added, changed or dropped on
    /// one side only fails here (scripts/build.sh rewrites the file; this catches a commit of a
    /// stale one, or an edit by hand).
    #[test]
    fn the_js_tables_are_generated_from_these_definitions() {
        for (path, text) in modules() {
            let on_disk = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_default();
            assert!(on_disk == text, "{path} is stale or edited by hand: run `cargo run --example codes-js -- --write`");
        }
    }

    #[test]
    fn names_turn_into_constants() {
        assert_eq!(screaming("MaxRetryAfterMs"), "MAX_RETRY_AFTER_MS");
        assert_eq!(quoted("rate-limited"), "'rate-limited'");
        assert_eq!(quoted("rateLimit"), "rateLimit");
    }
}

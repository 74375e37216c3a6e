//! Fuzzes config.toml loading with arbitrary text: the read path
//! (`jackin::config::read_str`: TOML parse with the `toml` crate's spanned
//! `DeTable`, then the strict schema walk and validation) and the edit path
//! (`jackin::config::parse_str`: the same walk, plus the `toml_edit`
//! document that edits change).
//!
//! Must never panic, hang, or allocate beyond the limits (run with
//! `-rss_limit_mb=512`). An error must render (file, line, column). The two
//! paths must agree exactly (same config, same error), and the two parsers
//! on what is TOML: whatever `toml_edit` accepts, `DeTable` accepts, and
//! what only `DeTable` accepts (numbers overflowing i64/f64) the read path
//! refuses. What is accepted must resolve for every workspace × role ×
//! agent, and survive a round trip: the document printed back parses to
//! the same model.
//!
//! `toml_edit` 0.23.10 panics on some malformed texts (`a= = {}` then
//! `[a.b]`); jackin never hands it a text `DeTable` refused, and this
//! target only tolerates that panic on such texts.
#![no_main]

use jackin::agents::AGENTS;
use jackin::config::{parse_str, read_str, ConfigError};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/config.toml");

    let de_ok = toml::de::DeTable::parse(text).is_ok();
    let edit_ok = if de_ok {
        toml_edit::Document::parse(text).is_ok()
    } else {
        // Quietly, without libFuzzer's abort-on-panic hook: a panic here is
        // toml_edit's (see above), on a text jackin refuses before it.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let parsed = std::panic::catch_unwind(|| toml_edit::Document::parse(text).is_ok());
        std::panic::set_hook(hook);
        parsed.unwrap_or(false)
    };
    assert!(de_ok || !edit_ok, "toml_edit accepts what DeTable refuses");

    let read = read_str(path, text);
    if de_ok && !edit_ok {
        assert!(
            matches!(read, Err(ConfigError::Parse { .. })),
            "the read path accepted a text toml_edit refuses: {read:?}"
        );
    }
    let edited = parse_str(path, text);
    assert_eq!(
        format!("{read:?}"),
        format!("{:?}", edited.as_ref().map(|(cfg, _)| cfg)),
        "read_str and parse_str disagree"
    );
    let (cfg, doc) = match edited {
        Ok(x) => x,
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains("/fuzz/config.toml"), "{msg}");
            return;
        }
    };
    let workspaces: Vec<Option<&str>> = std::iter::once(None)
        .chain(cfg.workspaces.keys().map(|w| Some(w.as_str())))
        .collect();
    let roles: Vec<Option<&str>> = std::iter::once(None)
        .chain(cfg.roles.keys().map(|r| Some(r.as_str())))
        .collect();
    for w in &workspaces {
        for r in &roles {
            for a in AGENTS {
                let m = jackin::resolve::mode(&cfg, *w, *r, a.name);
                assert!(a.modes.contains(&m.value), "{} resolved to {}", a.name, m.value);
                let _ = jackin::resolve::source_dir(&cfg, *w, *r, a.name);
            }
        }
    }
    let again = parse_str(path, &doc.to_string()).expect("a printed-back config parses");
    assert_eq!(again.0, cfg);
});

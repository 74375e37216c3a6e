//! Fuzzes config.toml loading (`jackin::config::load::parse_str`: TOML
//! parse with `toml_edit`, then the strict schema walk and validation) with
//! arbitrary text.
//!
//! Must never panic, hang, or allocate beyond the limits (run with
//! `-rss_limit_mb=512`). An error must render (file, line, column). What it
//! accepts must resolve for every workspace × role × agent, and survive a
//! round trip: the document printed back parses to the same model.
#![no_main]

use jackin::agents::AGENTS;
use jackin::config::load::parse_str;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/fuzz/config.toml");
    let (cfg, doc) = match parse_str(path, text) {
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

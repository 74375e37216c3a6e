//! Fuzzes `read_bundle` with arbitrary bytes as the exec's stdin.
//!
//! Must never panic, hang, or allocate beyond the limits (run with
//! `-rss_limit_mb=512`). Whatever it accepts must satisfy the format's
//! invariants and survive a write/read round trip.
#![no_main]

use jackin_init::bundle::{read_bundle, write_bundle, BundleFile, MAX_FILE_BYTES};
use jackin_init::manifest::{FileAction, FORMAT_VERSION};
use jackin_init::validate::rel_path_components;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = read_bundle(data) else {
        return;
    };
    assert_eq!(bundle.manifest.version, FORMAT_VERSION);
    for plan in &bundle.manifest.agents {
        for op in &plan.files {
            let comps = rel_path_components(&op.path).expect("accepted path is valid");
            assert!(!op.path.starts_with('/') && !comps.contains(&".."));
            if let FileAction::Write { entry } = &op.op {
                assert!(bundle.files.contains_key(entry));
            }
        }
    }
    for data in bundle.files.values() {
        assert!(data.len() as u64 <= MAX_FILE_BYTES);
    }
    // Round trip through the host's writer.
    let files: Vec<BundleFile> = bundle
        .files
        .iter()
        .map(|(entry, data)| BundleFile {
            entry: entry.clone(),
            data: data.clone(),
        })
        .collect();
    let mut out = Vec::new();
    if write_bundle(&bundle.manifest, &files, &mut out).is_ok() {
        let again = read_bundle(&out[..]).expect("a re-written bundle reads back");
        assert_eq!(again.files, bundle.files);
        assert_eq!(again.manifest.agents.len(), bundle.manifest.agents.len());
        for (a, b) in again.manifest.agents.iter().zip(&bundle.manifest.agents) {
            assert_eq!(
                (&a.agent, &a.mode, a.action, &a.env),
                (&b.agent, &b.mode, b.action, &b.env)
            );
            let pa: Vec<_> = a.files.iter().map(|f| &f.path).collect();
            let pb: Vec<_> = b.files.iter().map(|f| &f.path).collect();
            assert_eq!(pa, pb);
        }
    }
});

//! The parser underneath the schema walk: TOML shapes that two parsers
//! could read differently (dotted keys, inline tables, arrays of tables,
//! quoted keys, tables defined out of order), numbers only `toml_edit`
//! refuses, and texts `toml_edit` cannot report on. Every expected message
//! below is the one the loader printed when it walked `toml_edit`'s
//! document (checked against that walker before it was removed), except
//! where a test says otherwise. Every case also checks that the read path
//! ([`read_str`]) and the edit path ([`parse_str`]) agree.

use super::*;
use crate::mode::Mode;
use std::path::Path;

const PATH: &str = "/cfg/config.toml";

/// Loads `text` both ways; they must agree. Returns the config or the
/// error's Display.
fn load(text: &str) -> Result<Config, String> {
    let path = Path::new(PATH);
    let read = read_str(path, text);
    let parsed = parse_str(path, text).map(|(cfg, _)| cfg);
    assert_eq!(
        format!("{read:?}"),
        format!("{parsed:?}"),
        "read_str and parse_str disagree on:\n{text}"
    );
    read.map_err(|e| e.to_string())
}

fn err(text: &str) -> String {
    match load(text) {
        Ok(cfg) => panic!("accepted:\n{text}\n{cfg:?}"),
        Err(e) => e.strip_prefix(&format!("{PATH}:")).unwrap_or(&e).to_owned(),
    }
}

#[test]
fn dotted_keys_and_inline_tables_are_tables() {
    let cfg = load(
        "roles.r.image = \"i\"\nroles.r.agents = [\"codex\"]\n\
         workspaces = { w = { workdir = \"/w\", roles = { r = { codex = { auth_forward = \"ignore\" } } } } }\n",
    )
    .unwrap();
    assert_eq!(cfg.roles["r"].image, "i");
    let wr = &cfg.workspaces["w"].roles["r"];
    assert_eq!(wr.agents["codex"].auth_forward, Some(Mode::Ignore));
    // Positions inside them: a dotted table is at its key, an inline table
    // at its `{`.
    assert_eq!(
        err("[roles.r]\nimage = \"i\"\nagents = [\"claude\"]\nenv.A.B = \"x\"\n"),
        "4:5: roles.r.env.A: must be a string"
    );
    assert_eq!(
        err("workspaces = { w = { roles = { r = { } } } }\n"),
        "1:20: workspaces.w: missing required key 'workdir'"
    );
    // TOML 1.1 inline tables (newlines, trailing comma) and escapes: both
    // parsers share toml_parser and accept them.
    let cfg =
        load("codex = {\n  auth_forward = \"ignore\",\n}\n[env]\nA = \"\\e\\x41\"\n").unwrap();
    assert_eq!(cfg.agents["codex"].auth_forward, Some(Mode::Ignore));
    assert_eq!(cfg.env["A"], "\u{1b}A");
}

#[test]
fn arrays_of_tables_are_neither_tables_nor_lists_of_strings() {
    assert_eq!(
        err("[[roles]]\nimage = \"i\"\n"),
        "1:1: roles: must be a table"
    );
    assert_eq!(
        err("[workspaces.w]\nworkdir = \"/w\"\n[[workspaces.w.mounts]]\na = 1\n[[workspaces.w.mounts]]\n"),
        "3:1: workspaces.w.mounts: must be a list of strings"
    );
    assert_eq!(
        err("[roles.r]\nimage = \"i\"\n[[roles.r.agents]]\n"),
        "3:1: roles.r.agents: must be a list of strings"
    );
}

#[test]
fn quoted_keys_are_decoded_and_named_unescaped() {
    let cfg = load("[\"claude\"]\n\"auth\\u005fforward\" = \"sync\"\n['roles'.\"r\"]\nimage = \"i\"\nagents = [\"claude\"]\n").unwrap();
    assert_eq!(cfg.agents["claude"].auth_forward, Some(Mode::Sync));
    assert!(cfg.roles.contains_key("r"));
    // The dotted path joins the keys as they are, dots and all.
    assert!(
        err("[roles.\"a.b\"]\nimage = \"i\"\nagents = [\"claude\"]\n")
            .starts_with("1:8: roles.a.b: 'a.b' is not a valid role name")
    );
    assert_eq!(
        err("[claude]\n\"auth.forward\" = \"sync\"\n"),
        "2:1: claude.auth.forward: unknown key 'auth.forward' (allowed here: auth_forward, sync_source_dir)"
    );
    assert!(err("[env]\n'' = \"x\"\n").starts_with("2:1: env.: '' is not a valid variable name"));
}

#[test]
fn tables_are_walked_in_toml_edit_order() {
    // `[workspaces.w]` after `[workspaces.w.roles.r.codex]` moves w after v
    // (toml_edit and DeTable re-insert a table defined after its children),
    // so v's error is met first.
    assert_eq!(
        err("[workspaces.w.roles.r.codex]\nauth_forward = \"bad\"\n[workspaces.v]\nworkdir = \"rel\"\n[workspaces.w]\nworkdir = \"/w\"\n"),
        "4:11: workspaces.v.workdir: 'rel' is not an absolute path (or ~/…)"
    );
    assert!(err("[workspaces.v]\nworkdir = \"/v\"\n[workspaces.w.codex]\nauth_forward = \"sync\"\n[workspaces.u]\nfoo = 1\n[workspaces.w]\nbar = 1\n")
        .starts_with("6:1: workspaces.u.foo: unknown key 'foo'"));
    // A table that only exists through a deeper header is at that key.
    assert_eq!(
        err("[roles.r.env]\nA = \"x\"\n"),
        "1:8: roles.r: missing required key 'image'"
    );
    assert_eq!(
        err("[workspaces  .  w . codex ]\nauth_forward = \"sync\"\n"),
        "1:17: workspaces.w: missing required key 'workdir'"
    );
}

#[test]
fn duplicate_keys_and_tables_are_parse_errors_with_a_position() {
    let cases = [
        (
            "[claude]\nauth_forward = \"sync\"\nauth_forward = \"sync\"\n",
            "3:1",
        ),
        ("[claude]\n[claude]\n", "2:2"),
        ("[a.b]\n[a]\n[a.b]\n", "3:4"),
        ("a.b = 1\n[a]\n", "2:2"),
        ("[a]\nb.c = 1\n[a.b]\n", "3:4"),
        ("[[a]]\n[a]\n", "2:2"),
        ("[env]\n\"\\u0041\" = \"x\"\nA = \"y\"\n", "3:1"),
    ];
    for (text, pos) in cases {
        assert_eq!(
            err(text),
            format!("{pos}: invalid TOML: duplicate key"),
            "{text}"
        );
    }
    assert_eq!(
        err("a = {}\na.b = 1\n"),
        "2:1: invalid TOML: cannot extend value of type inline table with a dotted key"
    );
}

#[test]
fn numbers_toml_edit_refuses_are_refused_on_every_path() {
    // DeTable keeps these as text; toml_edit refuses them, and its syntax
    // error comes before any schema error, as before.
    let cases = [
        (
            "x = 99999999999999999999\n",
            "1:5: invalid TOML: integer number overflowed",
        ),
        (
            "engine = 1e999\n",
            "1:10: invalid TOML: floating-point number overflowed",
        ),
        (
            "engine = 0x7FFFFFFFFFFFFFFFF\n",
            "1:10: invalid TOML: integer number overflowed",
        ),
        (
            "[env]\nA = [99999999999999999999]\n",
            "2:6: invalid TOML: integer number overflowed",
        ),
        (
            "engine = \"lxc\"\nb = 99999999999999999999\n",
            "2:5: invalid TOML: integer number overflowed",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(err(text), want, "{text}");
    }
    // In range, they are ordinary schema errors.
    assert_eq!(
        err("engine = 9223372036854775807\n"),
        "1:10: engine: must be a string"
    );
    assert_eq!(err("engine = inf\n"), "1:10: engine: must be a string");
}

#[test]
fn texts_toml_edit_cannot_report_on_are_parse_errors() {
    // toml_edit 0.23.10 panics on this one ("all items have spans"); the
    // loader used to crash on it.
    assert_eq!(
        err("a= = {}\n[a.b]\n"),
        "1:4: invalid TOML: extra `=`, expected nothing"
    );
    // An overflowing number before another error: toml_edit named the
    // number, DeTable (which never sees it as an error) names the later
    // problem. Still refused, with a position.
    assert_eq!(
        err("a = 99999999999999999999\nb = \n"),
        "2:5: invalid TOML: string values must be quoted, expected literal string"
    );
}

#[test]
fn an_edit_never_hands_toml_edit_a_text_it_panics_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let broken = "a= = {}\n[a.b]\n";
    std::fs::write(&path, broken).unwrap();
    let err = edit(&path, |_| Ok(())).unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
    let overflow = "[env]\nA = 99999999999999999999\n";
    std::fs::write(&path, overflow).unwrap();
    let err = edit(&path, |_| Ok(())).unwrap_err();
    assert!(
        err.to_string().contains("integer number overflowed"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), overflow);
}

//! Technology files are located as configs are (issue 25, class 4): the
//! key's own line and column whether it is indented, quoted or written as
//! a `[table]`; a syntax error at its line; never an empty key; an unknown
//! key blamed on itself.

use xbar_cost::Technology;

/// A preset's text with `key`'s line replaced by `with`.
fn edited(key: &str, with: &str) -> String {
    let text = Technology::preset_text("generic-22nm").unwrap();
    let mut found = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{key} =")) {
                found = true;
                with.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(found, "{key}");
    lines.join("\n") + "\n"
}

/// The line (1-based) of the first line of `text` that starts with `start`.
fn line_of(text: &str, start: &str) -> usize {
    text.lines().position(|l| l.starts_with(start)).unwrap() + 1
}

fn error(text: &str) -> String {
    Technology::from_toml(text, "t.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn values_out_of_range_are_located_however_the_key_is_written() {
    let bad = "{ value = -1.0, source = \"x\" }";
    // Indented.
    let text = edited("read_time_s", &format!("   read_time_s = {bad}"));
    let line = line_of(&text, "   read_time_s");
    let e = error(&text);
    assert!(
        e.starts_with(&format!("t.toml:{line}:4: read_time_s")),
        "{e}"
    );
    // Quoted.
    let text = edited("read_time_s", &format!("\"read_time_s\" = {bad}"));
    let e = error(&text);
    assert!(
        e.starts_with(&format!("t.toml:{line}:1: read_time_s")),
        "{e}"
    );
    // As a table at the end of the file.
    let text = edited("read_time_s", "") + "[read_time_s]\nvalue = -1.0\nsource = \"x\"\n";
    let table = line_of(&text, "[read_time_s]");
    let e = error(&text);
    assert!(
        e.starts_with(&format!("t.toml:{}:", table + 1))
            || e.starts_with(&format!("t.toml:{table}:")),
        "{e}"
    );
    assert!(e.contains("read_time_s"), "{e}");
}

#[test]
fn syntax_errors_missing_and_unknown_keys_are_located_at_their_own_line() {
    let text = edited(
        "read_time_s",
        "read_time_s = { value = 1e-8,, source = \"x\" }",
    );
    let line = line_of(&text, "read_time_s");
    let e = error(&text);
    assert!(e.starts_with(&format!("t.toml:{line}:")), "{e}");
    // A missing field names itself, never an empty key.
    let text = edited("read_time_s", "");
    let e = error(&text);
    assert!(!e.contains(": : "), "{e}");
    assert!(e.contains("read_time_s"), "{e}");
    let text = edited("read_time_s", "read_time_s = { value = 1e-8 }");
    let e = error(&text);
    assert!(
        e.starts_with(&format!("t.toml:{line}:")) && !e.contains(": : ") && e.contains("source"),
        "{e}"
    );
    // An unknown key is blamed on itself.
    let text = edited(
        "read_time_s",
        "read_time_s = { value = 1e-8, source = \"x\" }\nread_tiem_s = 3",
    );
    let e = error(&text);
    assert!(
        e.starts_with(&format!("t.toml:{}:1: read_tiem_s", line + 1)),
        "{e}"
    );
}

//! The JSON schemas in `docs/schemas/` agree with what the commands print.
//!
//! A small validator for the subset of JSON Schema the files use (`type`,
//! `const`, `enum`, `properties`, `required`, `additionalProperties: false`,
//! `items`, `minItems`/`maxItems`, `minimum`/`maximum`, `oneOf`, and `$ref`
//! to another file or to `#/$defs/…`) checks every output line, so a field
//! added to the model without updating its schema fails here.

use std::path::Path;

use serde_json::Value;

use crate::util::{bin, root as repo};

fn load(file: &str) -> Value {
    let path = repo().join("docs/schemas").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Validates `v` against `schema` (from file `file`); errors are pushed with a JSON path.
fn check(v: &Value, schema: &Value, file: &str, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let (target_file, pointer) = match r.split_once('#') {
            Some(("", p)) => (file.to_string(), p.to_string()),
            Some((f, p)) => (f.to_string(), p.to_string()),
            None => (r.to_string(), String::new()),
        };
        let root = load(&target_file);
        let target = if pointer.is_empty() { &root } else { root.pointer(&pointer).expect("$ref target") };
        check(v, target, &target_file, at, errors);
        return;
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let passing = options
            .iter()
            .filter(|o| {
                let mut e = Vec::new();
                check(v, o, file, at, &mut e);
                e.is_empty()
            })
            .count();
        if passing != 1 {
            errors.push(format!("{at}: matches {passing} of the oneOf options: {v}"));
        }
        return;
    }
    if let Some(c) = schema.get("const") {
        if v != c {
            errors.push(format!("{at}: {v} is not {c}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{at}: {v} is not one of {e:?}"));
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errors.push(format!("{at}: {v} is not of type {types:?}"));
            return;
        }
    }
    if let Some(n) = v.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|m| n < m) {
            errors.push(format!("{at}: {n} below minimum"));
        }
        if schema.get("maximum").and_then(Value::as_f64).is_some_and(|m| n > m) {
            errors.push(format!("{at}: {n} above maximum"));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        for req in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(r) = req.as_str() {
                if !obj.contains_key(r) {
                    errors.push(format!("{at}: missing required `{r}`"));
                }
            }
        }
        for (k, val) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(val, s, file, &format!("{at}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    errors.push(format!("{at}: `{k}` is not in the schema"))
                }
                None => {}
            }
        }
    }
    if let Some(arr) = v.as_array() {
        if schema.get("minItems").and_then(Value::as_u64).is_some_and(|m| (arr.len() as u64) < m) {
            errors.push(format!("{at}: too few items"));
        }
        if schema.get("maxItems").and_then(Value::as_u64).is_some_and(|m| (arr.len() as u64) > m) {
            errors.push(format!("{at}: too many items"));
        }
        if let Some(items) = schema.get("items") {
            for (i, item) in arr.iter().enumerate() {
                check(item, items, file, &format!("{at}[{i}]"), errors);
            }
        }
    }
}

fn validate(v: &Value, file: &str) {
    let mut errors = Vec::new();
    check(v, &load(file), file, "$", &mut errors);
    assert!(errors.is_empty(), "{file}:\n{}", errors.join("\n"));
}

fn run(args: &[&str], paths: &[&Path]) -> String {
    let o = bin().args(args).args(paths).output().expect("run evtriage");
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect()
}

#[test]
fn every_schema_is_json_with_a_title() {
    let dir = repo().join("docs/schemas");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("docs/schemas") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("name").to_string();
            let v = load(&name);
            assert!(v["title"].is_string(), "{name} has no title");
            assert_eq!(v["$id"], name.as_str());
            n += 1;
        }
    }
    assert!(n >= 8, "{n} schemas");
}

#[test]
fn dump_records_match_record_schema() {
    let inputs = repo().join("fixtures/inputs");
    let xml = repo().join("fixtures/evtx/example-dc-boot.xml");
    let records = lines(&run(&["-q", "dump"], &[&inputs, &xml]));
    assert!(records.len() >= 88, "{}", records.len());
    let mut kinds = std::collections::BTreeSet::new();
    for r in &records {
        validate(r, "record.schema.json");
        kinds.insert(r["kind"].as_str().unwrap_or("").to_string());
    }
    // Every kind of record is covered by the fixtures.
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), ["command", "event", "process", "registry", "socket"]);
    // Events with display names, from a log's LocaleMetaData (corpus).
    if let Some(mta) = crate::util::corpus("mta") {
        let records = lines(&run(&["-q", "dump"], &[&mta]));
        // The log's 239 live records; the 239 rows of Event Viewer's CSV of it
        // beside it are their twins: they lend their message and names and are
        // not printed again.
        assert_eq!(records.len(), 239);
        let from = |r: &Value, ext: &str| r["origin"]["source"].as_str().is_some_and(|s| s.ends_with(ext));
        assert!(records.iter().all(|r| from(r, ".evtx") && r["message_source"] == "twin"));
        // Event Viewer's level name (the CSV's), and the LocaleMetaData's opcode
        // name, which the CSV does not have.
        assert!(records.iter().all(|r| r["display"]["level"] == "Information" && r["display"]["opcode"] == "Info"));
        records.iter().for_each(|r| validate(r, "record.schema.json"));
        let v: Value = serde_json::from_str(&run(&["inputs", "--format", "json"], &[&mta])).expect("json");
        validate(&v, "inputs.schema.json");
        assert!(v["files"].as_array().is_some_and(|f| f.iter().any(|f| f["format"] == "locale-metadata")));
    }
}

#[test]
fn timeline_lines_match_their_schemas() {
    let inputs = repo().join("fixtures/inputs");
    let xml = repo().join("fixtures/evtx/example-dc-boot.xml");
    let rows = lines(&run(&["-q", "timeline", "--format", "jsonl", "--tz", "+01:00"], &[&inputs, &xml]));
    assert!(rows.len() > 20);
    assert!(rows.iter().any(|r| r["boot"] == true));
    rows.iter().for_each(|r| validate(r, "timeline.schema.json"));
    let rows = lines(&run(&["-q", "timeline", "--format", "timesketch"], &[&inputs, &xml]));
    rows.iter().for_each(|r| validate(r, "timesketch.schema.json"));
}

#[test]
fn inputs_and_explain_match_their_schemas() {
    let inputs = repo().join("fixtures/inputs");
    let v: Value = serde_json::from_str(&run(&["inputs", "--format", "json"], &[&inputs])).expect("json");
    validate(&v, "inputs.schema.json");
    let v: Value = serde_json::from_str(&run(
        &["explain", "--format", "json", "0x5b", "%%58", "-2147024882", "nonsense", "STATUS_NO_LOGON_SERVERS"],
        &[],
    ))
    .expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(5));
    validate(&v, "explain.schema.json");
}

#[test]
fn the_validator_rejects_what_it_should() {
    let mut errors = Vec::new();
    let bad = serde_json::json!({"type": "line", "line": 0, "extra": 1});
    check(&bad, &load("locator.schema.json"), "locator.schema.json", "$", &mut errors);
    assert_eq!(errors.len(), 1, "{errors:?}"); // matches no oneOf option
    let bad_diag = serde_json::json!({"source": "x", "locator": {"type": "file"}, "severity": "fatal", "message": "m"});
    errors.clear();
    check(&bad_diag, &load("diagnostic.schema.json"), "diagnostic.schema.json", "$", &mut errors);
    assert_eq!(
        errors,
        vec!["$.severity: \"fatal\" is not one of [String(\"note\"), String(\"skipped\"), String(\"failed\")]"]
    );
}

#[test]
fn analyze_report_matches_report_schema() {
    // Every rule fixture at once: several findings, snapshots (null times), diagnostics.
    let rules = repo().join("fixtures/rules");
    let o = bin().args(["analyze", "--format", "json"]).arg(&rules).output().expect("run evtriage");
    assert_eq!(o.status.code(), Some(1), "findings expected: {}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    let findings = v["findings"].as_array().map(Vec::len).unwrap_or(0);
    assert!(findings >= 5, "{findings} findings");
    assert!(v["findings"].as_array().into_iter().flatten().any(|f| f["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|e| e["time"].is_null())));
    validate(&v, "report.schema.json");
}

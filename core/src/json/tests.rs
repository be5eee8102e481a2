//! The reader against serde_json: a hand list of edge cases, then a few thousand generated
//! and mutated texts. For each, the same value (numbers of the same kind, floats bit for
//! bit, keys in the same order) or an error from both.

use super::*;

/// `ours` and `theirs` are the same value: numbers of the same kind (u64, i64 or f64) and,
/// for floats, the same bits (`-0.0` is not `0.0`).
fn same(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) => {
            (a.is_u64(), a.is_i64(), a.is_f64()) == (b.is_u64(), b.is_i64(), b.is_f64())
                && a.as_u64() == b.as_u64()
                && a.as_i64() == b.as_i64()
                && a.as_f64().map(f64::to_bits) == b.as_f64().map(f64::to_bits)
        }
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y)),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
        }
        (a, b) => a == b,
    }
}

/// Checks `text` against serde_json; `Err` with what differs.
fn check(text: &[u8]) -> Result<(), String> {
    let theirs = serde_json::from_slice::<Value>(text);
    let ours = parse(text);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) if same(a, b) => Ok(()),
        (Err(_), Err(_)) => Ok(()),
        _ => Err(format!("{:?}: ours {ours:?}, serde_json's {theirs:?}", String::from_utf8_lossy(text))),
    }
}

const EDGE_CASES: &[&str] = &[
    // Whitespace and trailing text.
    "",
    " ",
    "\t\n\r null \n",
    "null x",
    "nul",
    "nulll",
    "truex",
    "True",
    "[] []",
    "{}{}",
    "\u{a0}1",
    "\u{feff}1",
    "\x0c1",
    "1 ",
    " 1",
    "1\u{0}",
    "/* c */ 1",
    "[1]//",
    // Numbers.
    "0",
    "-0",
    "-0.0",
    "0.0",
    "-",
    "+1",
    "01",
    "-01",
    "00",
    "0.",
    ".5",
    "1.e5",
    "1e",
    "1e+",
    "1e-",
    "1E2",
    "1e+2",
    "1e-2",
    "1.5e3",
    "-1.5E-3",
    "0e0",
    "0e999999999999999999999",
    "1e400",
    "-1e400",
    "1e-400",
    "2.5e-324",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "4.9e-324",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "-18446744073709551615",
    "-18446744073709551616",
    "9223372036854775807",
    "9223372036854775808",
    "123456789012345678901234567890",
    "0.1",
    "0.30000000000000004",
    "1e22",
    "1e23",
    "9007199254740993",
    "9007199254740993.0",
    "[1,2.0,-3,4e0]",
    "1.0e-7",
    "5e-324",
    "1x",
    "0x10",
    "NaN",
    "Infinity",
    "-Infinity",
    "1_000",
    "[01]",
    "[-]",
    "[1.]",
    "[1e]",
    "-a",
    "2.",
    "18446744073709551619.5",
    "18446744073709551615.5e3",
    "184467440737095516150.00000000000000000001",
    "1e2147483647",
    "1e2147483648",
    "0e2147483648",
    "1e-2147483648",
    "1e-2147483649",
    "-1e2147483648",
    "-0e-99999999999",
    "1.5e-2147483648",
    "123456789012345678901234567890.123e-5",
    "0.00000000000000000000000000000000000001e38",
    "1e-308",
    "1e-309",
    "1e-330",
    "9.999999999999999e307",
    "-4.9406564584124654e-324",
    // Strings and escapes.
    r#""""#,
    r#""a""#,
    r#""a"#,
    "\"",
    r#""\"""#,
    r#""\\""#,
    r#""\/""#,
    r#""\b\f\n\r\t""#,
    r#""\a""#,
    r#""\x41""#,
    r#""\u0041""#,
    r#""\u00e9\u00E9""#,
    r#""\u20AC""#,
    r#""\uD83D\uDE00""#,
    r#""\ud83d\ude00""#,
    r#""\uD83D""#,
    r#""\uDE00""#,
    r#""\uD83D\u0041""#,
    r#""\uD83D\uD83D""#,
    r#""\uD83Dx""#,
    r#""\uD83D\""#,
    r#""\uD83D\n""#,
    r#""\u004""#,
    r#""\u00G1""#,
    r#""\u""#,
    r#""\"#,
    r#""\uDBFF\uDFFF""#,
    r#""\uD800\uDC00""#,
    r#""\u0000""#,
    "\"\u{0}\"",
    "\"\u{1f}\"",
    "\"\u{7f}\"",
    "\"\t\"",
    "\"\n\"",
    "\"é€😀\"",
    "\"a\\nb\\u00e9c😀\\\"\"",
    "\"\\u00e9😀é\"",
    r#""\uD83D\uDE00\uD83D\uDE00x""#,
    // Arrays and objects.
    "[]",
    "[ ]",
    "[",
    "]",
    "[1",
    "[1,",
    "[1,]",
    "[,1]",
    "[1 2]",
    "[[[]]]",
    "[[]",
    "{}",
    "{ }",
    "{",
    "}",
    r#"{"a"}"#,
    r#"{"a":}"#,
    r#"{"a":1"#,
    r#"{"a":1,}"#,
    r#"{"a" 1}"#,
    r#"{a:1}"#,
    r#"{1:1}"#,
    r#"{"a":1 "b":2}"#,
    r#"{"a":1,"a":2}"#,
    r#"{"a":{"b":1},"a":[2]}"#,
    r#"{"b":1,"a":2,"c":3}"#,
    r#"{"":0}"#,
    r#"{"a":1}}"#,
    r#"{"a":[1,{"b":null}],"c":"d"}"#,
    r#"[true,false,null]"#,
    r#"{"\u0061":1,"a":2}"#,
    "{\"a\u{0}\":1}",
    r#"{"version":{"secret_string":"s3cr3t","version_metadata":{"id":"v1","version_stages":["SYSCURRENT"]}}}"#,
];

#[test]
fn reads_the_edge_cases_as_serde_json_does() {
    let failures: Vec<String> = EDGE_CASES.iter().filter_map(|text| check(text.as_bytes()).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reads_bytes_that_are_not_utf8_as_serde_json_does() {
    for text in [
        &b"\"\xff\""[..],
        b"\"\xc3\"",
        b"\"\xc3\xa9\"",
        b"\"\xed\xa0\x80\"",
        b"[\"a\",\xff]",
        b"1\xff",
        b"\xef\xbb\xbf1",
    ] {
        check(text).unwrap();
    }
}

#[test]
fn refuses_nesting_beyond_serde_json_limit_without_overflowing() {
    for depth in [1, 126, 127, 128, 129, 100_000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            check(text.as_bytes()).unwrap();
            assert_eq!(parse(text.as_bytes()).is_ok(), depth < 128, "{depth}");
        }
    }
    // Depth is counted down and back up: many arrays side by side are fine.
    let siblings = format!("[{}]", vec!["[[[1]]]"; 1000].join(","));
    assert!(parse(siblings.as_bytes()).is_ok());
}

#[test]
fn errors_name_the_offset_and_never_the_text() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "unexpected end of input at byte 0"),
        (b"[1,]", "expected a value at byte 3"),
        (b"  {\"secret\" \"hunter2\"}", "expected `:` at byte 12"),
        (b"{\"a\":1 \"b\"}", "expected `,` or `}` at byte 7"),
        (b"[1 2]", "expected `,` or `]` at byte 3"),
        (b"{1:1}", "expected a key at byte 1"),
        (b"\"hunter2\\q\"", "invalid escape at byte 8"),
        (b"\"hunter2\\uD800\"", "lone surrogate in an escape at byte 14"),
        (b"\"hunter2\\uDC00\"", "lone surrogate in an escape at byte 8"),
        (b"\"hunter2\\u12x4\"", "invalid escape at byte 10"),
        (b"\"hunter\x012\"", "control character in a string at byte 7"),
        (b"\"hunter2", "unexpected end of input at byte 8"),
        (b"\"hunter2\xff\"", "invalid UTF-8 at byte 8"),
        (b"-01", "trailing characters at byte 2"),
        (b"1.e3", "invalid number at byte 2"),
        (b"[1e999]", "number out of range at byte 1"),
        (b"-x", "invalid number at byte 1"),
        (b"nul", "expected a value at byte 0"),
    ];
    for (text, message) in cases {
        let error = parse(text).unwrap_err();
        assert_eq!(error.to_string(), *message, "{:?}", String::from_utf8_lossy(text));
        assert!(!format!("{error:?}").contains("hunter"));
    }
    let deep = "[".repeat(200);
    assert_eq!(parse(deep.as_bytes()).unwrap_err().to_string(), "nested too deep at byte 127");
}

#[test]
fn a_string_with_escapes_is_allocated_once() {
    // The capacity is the escaped text's length: no growth, so no freed copy of a secret.
    let Value::String(s) = parse(br#""p\u00e9ss\\word\uD83D\uDE00""#).unwrap() else { panic!() };
    assert_eq!(s, "p\u{e9}ss\\word\u{1F600}");
    assert_eq!(s.capacity(), r#"p\u00e9ss\\word\uD83D\uDE00"#.len());
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const SPACE: &[&str] = &["", "", "", " ", "\n", "\t", "\r\n  "];

/// Random JSON text, mostly valid, reaching the corners of numbers and strings.
fn generate(rng: &mut Rng, out: &mut String, depth: u32) {
    out.push_str(rng.pick(SPACE));
    match rng.below(if depth > 4 { 4 } else { 7 }) {
        0 => out.push_str(rng.pick(&["null", "true", "false"])),
        1 | 2 => number(rng, out),
        3 => string(rng, out),
        4 => {
            out.push('[');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                generate(rng, out, depth + 1);
            }
            out.push_str(rng.pick(SPACE));
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(rng.pick(SPACE));
                // Few key names: duplicates are frequent.
                if rng.below(4) == 0 {
                    string(rng, out);
                } else {
                    out.push_str(rng.pick(&["\"a\"", "\"b\"", "\"version\"", "\"\\u0061\""]));
                }
                out.push_str(rng.pick(SPACE));
                out.push(':');
                generate(rng, out, depth + 1);
            }
            out.push_str(rng.pick(SPACE));
            out.push('}');
        }
    }
    out.push_str(rng.pick(SPACE));
}

fn digits(rng: &mut Rng, out: &mut String, most: usize) {
    for _ in 0..=rng.below(most) {
        out.push(char::from(b'0' + rng.below(10) as u8));
    }
}

fn number(rng: &mut Rng, out: &mut String) {
    if rng.below(3) == 0 {
        out.push('-');
    }
    match rng.below(6) {
        0 => out.push('0'),
        1 => out.push_str(rng.pick(&["18446744073709551615", "18446744073709551616", "9223372036854775808"])),
        2 => digits(rng, out, 25),
        _ => {
            out.push(char::from(b'1' + rng.below(9) as u8));
            digits(rng, out, 8);
        }
    }
    if rng.below(3) == 0 {
        out.push('.');
        // Mostly the digits a float prints with (at most 17 significant).
        let most = if rng.below(8) == 0 { 40 } else { 12 };
        digits(rng, out, most);
    }
    if rng.below(3) == 0 {
        out.push_str(rng.pick(&["e", "E", "e+", "e-", "E-"]));
        let exponent = if rng.below(10) == 0 { rng.below(400) } else { rng.below(30) };
        out.push_str(&exponent.to_string());
    }
}

fn string(rng: &mut Rng, out: &mut String) {
    const PARTS: &[&str] = &[
        "a",
        "secret",
        " ",
        "é",
        "€",
        "😀",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0041",
        "\\u00e9",
        "\\u20ac",
        "\\uD83D\\uDE00",
        "\\udbff\\udfff",
        "\\u0000",
        "\\u001F",
        "'",
        "\u{7f}",
        "\u{2028}",
    ];
    out.push('"');
    for _ in 0..rng.below(6) {
        out.push_str(rng.pick(PARTS));
    }
    out.push('"');
}

/// `text` changed in a few places: bytes replaced, inserted or removed, or cut short.
fn mutate(rng: &mut Rng, text: &mut Vec<u8>) {
    const BYTES: &[u8] = b"\"\\{}[],:0123456789-+.eEu tfnlx\n\x00\x01\x7f\xc3\xa9\xff\xed\xa0\x80";
    for _ in 0..=rng.below(3) {
        let at = rng.below(text.len() + 1);
        let byte = BYTES[rng.below(BYTES.len())];
        match rng.below(4) {
            0 if at < text.len() => text[at] = byte,
            1 => text.insert(at, byte),
            2 if at < text.len() => {
                text.remove(at);
            }
            _ => text.truncate(at),
        }
    }
}

#[test]
fn reads_generated_and_mutated_texts_as_serde_json_does() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut valid, mut failures) = (0, Vec::new());
    for round in 0..6000 {
        let mut text = String::new();
        generate(&mut rng, &mut text, 0);
        let mut bytes = text.into_bytes();
        if round % 2 == 1 {
            mutate(&mut rng, &mut bytes);
        }
        valid += usize::from(parse(&bytes).is_ok());
        if let Err(failure) = check(&bytes) {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures[..failures.len().min(20)].join("\n"));
    // Both halves are exercised: most generated texts are valid, most mutated ones not.
    assert!((3000..5500).contains(&valid), "{valid} valid");
}

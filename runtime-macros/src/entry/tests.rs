//! Unit tests of option parsing, validation and expansion. They run on
//! `proc_macro2` tokens outside a compiler; `span-locations` (a dev-dependency
//! feature) lets them check the column each error points at.

use super::*;

/// Parses `args` and returns the options and the errors.
fn options(args: &str) -> (Options, Vec<syn::Error>) {
    Options::parse(args.parse().unwrap()).expect("a comma-separated list")
}

/// The single error for `args`, as (message, column of its first token).
fn option_error(args: &str) -> (String, usize) {
    let (_, errors) = options(args);
    assert_eq!(errors.len(), 1, "{args}: {errors:?}");
    (errors[0].to_string(), errors[0].span().start().column)
}

fn func(item: &str) -> AsyncFn {
    syn::parse_str(item).unwrap()
}

/// The messages of the errors `check` finds in `item`, with the column of each.
fn check_errors(kind: Kind, item: &str) -> Vec<(String, usize)> {
    check(kind, &func(item))
        .iter()
        .map(|e| (e.to_string(), e.span().start().column))
        .collect()
}

/// The expansion as a string without whitespace (token printing spaces tokens apart).
fn expand_str(kind: Kind, args: &str, item: &str) -> String {
    squash(&entry(kind, args.parse().unwrap(), item.parse().unwrap()).to_string())
}

/// `s` without whitespace, to compare code with the printed expansion.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn no_options() {
    let (o, errors) = options("");
    assert!(errors.is_empty());
    assert!(o.worker_threads.is_none() && o.thread_name.is_none() && o.crate_path.is_none());
}

#[test]
fn all_options() {
    let (o, errors) = options(r#"worker_threads = 3, thread_name = "w", crate = "rt","#);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(o.worker_threads.map(|(n, _)| n), Some(3));
    assert_eq!(o.thread_name.map(|s| s.value()).as_deref(), Some("w"));
    assert_eq!(o.crate_path.to_token_stream().to_string(), "rt");
}

#[test]
fn worker_threads_accepts_usize_suffix_and_underscores() {
    let (o, errors) = options("worker_threads = 1_0usize");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(o.worker_threads.map(|(n, _)| n), Some(10));
}

#[test]
fn crate_path_may_be_absolute_or_crate() {
    for path in ["::rt", "crate", "crate::reexport::rt", "self::rt"] {
        let (o, errors) = options(&format!("crate = {path:?}"));
        assert!(errors.is_empty(), "{path}: {errors:?}");
        assert_eq!(
            squash(&o.crate_path.to_token_stream().to_string()),
            squash(path)
        );
    }
}

#[test]
fn worker_threads_zero_points_at_the_literal() {
    let (msg, col) = option_error("worker_threads = 0");
    assert!(msg.contains("at least 1"), "{msg}");
    assert_eq!(col, 17);
}

#[test]
fn worker_threads_must_be_an_integer_literal() {
    for (args, col) in [
        ("worker_threads = \"2\"", 17),
        ("worker_threads = 2.0", 17),
        ("worker_threads = -1", 17),
        ("worker_threads = N", 17),
        ("worker_threads = 2u8", 17),
        ("worker_threads = true", 17),
    ] {
        let (msg, c) = option_error(args);
        assert!(msg.contains("positive integer literal"), "{args}: {msg}");
        assert_eq!(c, col, "{args}");
    }
}

#[test]
fn worker_threads_overflow() {
    let (msg, col) = option_error("worker_threads = 99999999999999999999999999");
    assert!(msg.contains("does not fit"), "{msg}");
    assert_eq!(col, 17);
}

#[test]
fn thread_name_must_be_a_string() {
    let (msg, col) = option_error("thread_name = worker");
    assert!(msg.contains("string literal"), "{msg}");
    assert_eq!(col, 14);
    let (msg, _) = option_error(r#"thread_name = "a\0b""#);
    assert!(msg.contains("NUL"), "{msg}");
}

#[test]
fn crate_must_be_a_path_in_a_string() {
    let (msg, col) = option_error("crate = rt");
    assert!(msg.contains("`crate` must be"), "{msg}");
    assert_eq!(col, 8);
    let (msg, col) = option_error(r#"crate = "not a path""#);
    assert!(msg.contains("`crate` must be"), "{msg}");
    assert_eq!(col, 8);
}

#[test]
fn unknown_option_lists_the_valid_ones() {
    for (args, col) in [
        ("flavor = \"current_thread\"", 0),
        ("worker_threads = 1, workers = 2", 20),
        ("a::b = 1", 0),
        ("Worker_Threads = 1", 0),
    ] {
        let (msg, c) = option_error(args);
        assert!(msg.starts_with("unknown option"), "{msg}");
        assert!(msg.contains(VALID_OPTIONS), "{msg}");
        assert_eq!(c, col, "{args}");
    }
}

#[test]
fn option_without_value() {
    let (msg, col) = option_error("worker_threads");
    assert_eq!(
        msg,
        "`worker_threads` needs a value, as in `worker_threads = 4`"
    );
    assert_eq!(col, 0);
    let (msg, _) = option_error("thread_name(\"x\")");
    assert!(msg.starts_with("expected `thread_name = ...`"), "{msg}");
}

#[test]
fn duplicates_point_at_the_second_one() {
    for (args, col) in [
        ("worker_threads = 1, worker_threads = 2", 20),
        (r#"thread_name = "a", thread_name = "b""#, 19),
        (r#"crate = "a", crate = "b""#, 13),
    ] {
        let (_, errors) = options(args);
        assert_eq!(errors.len(), 1, "{args}");
        assert!(errors[0].to_string().ends_with("is set more than once"));
        assert_eq!(errors[0].span().start().column, col, "{args}");
    }
    // The first value is kept for the recovery expansion.
    let (o, _) = options("worker_threads = 1, worker_threads = 2");
    assert_eq!(o.worker_threads.map(|(n, _)| n), Some(1));
}

#[test]
fn every_bad_option_is_reported() {
    let (o, errors) = options(r#"worker_threads = 0, colour = 1, thread_name = "ok""#);
    assert_eq!(errors.len(), 2);
    assert_eq!(o.thread_name.map(|s| s.value()).as_deref(), Some("ok"));
}

#[test]
fn arguments_that_are_not_a_list_are_an_error() {
    let args: TokenStream = "worker_threads = 1 2".parse().unwrap();
    assert!(Options::parse(args).is_err());
}

#[test]
fn a_good_function_passes() {
    assert!(check_errors(Kind::Main, "async fn main() {}").is_empty());
    assert!(check_errors(
        Kind::Main,
        "pub async fn main() -> Result<(), E> { Ok(()) }"
    )
    .is_empty());
    assert!(check_errors(Kind::Test, "#[should_panic] #[ignore] async fn t() {}").is_empty());
}

#[test]
fn not_async_points_at_fn() {
    let errors = check_errors(Kind::Main, "pub fn main() {}");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].0.contains("`async` keyword is missing"));
    assert_eq!(errors[0].1, 4);
    let errors = check_errors(Kind::Test, "fn t() {}");
    assert!(errors[0].0.starts_with("#[runtime::test]"));
}

#[test]
fn main_with_arguments_points_at_them() {
    let errors = check_errors(Kind::Main, "async fn main(args: Vec<String>) {}");
    assert_eq!(
        errors,
        [("the `main` function cannot take arguments".to_owned(), 14)]
    );
}

#[test]
fn other_functions_may_take_arguments() {
    assert!(check_errors(Kind::Main, "async fn run(n: u32) -> u32 { n }").is_empty());
    assert!(check_errors(Kind::Main, "async fn new() -> Self { Self }").is_empty());
}

#[test]
fn test_with_arguments_is_an_error() {
    let errors = check_errors(Kind::Test, "async fn t(n: u32) {}");
    assert_eq!(
        errors,
        [("a test function cannot take arguments".to_owned(), 11)]
    );
}

#[test]
fn self_receiver_points_at_self() {
    for (item, col) in [
        ("async fn run(&self) {}", 13),
        ("async fn run(self: Box<Self>, n: u32) {}", 13),
        ("async fn main(&mut self) {}", 14),
    ] {
        let errors = check_errors(Kind::Main, item);
        assert_eq!(errors.len(), 1, "{item}: {errors:?}");
        assert!(errors[0].0.contains("takes `self`"), "{}", errors[0].0);
        assert_eq!(errors[0].1, col, "{item}");
    }
}

#[test]
fn second_test_attribute_is_an_error() {
    for item in [
        "#[test] async fn t() {}",
        "#[::core::prelude::v1::test] async fn t() {}",
    ] {
        let errors = check_errors(Kind::Test, item);
        assert_eq!(errors.len(), 1, "{item}");
        assert!(errors[0].0.contains("already adds `#[test]`"));
        assert_eq!(errors[0].1, 0);
    }
    // Other attributes whose last segment is `test` are someone else's.
    assert!(check_errors(Kind::Test, "#[my::test] async fn t() {}").is_empty());
    assert!(check_errors(Kind::Main, "#[test] async fn t() {}").is_empty());
}

#[test]
fn a_second_test_attribute_is_dropped_from_the_expansion() {
    let out = expand_str(Kind::Test, "", "#[test] #[ignore] async fn t() {}");
    assert!(!out.contains("]#[test]"), "{out}");
    assert!(
        out.starts_with(&squash("#[::core::prelude::v1::test] #[ignore] fn t()")),
        "{out}"
    );
    assert_eq!(out.matches("compile_error").count(), 1, "{out}");
}

#[test]
fn all_problems_are_reported_together() {
    let out = expand_str(Kind::Main, "colour = 1", "fn main(&self, n: u32) {}");
    assert_eq!(out.matches("compile_error").count(), 3, "{out}");
}

#[test]
fn not_a_function() {
    let out = expand_str(Kind::Main, "", "struct S;");
    assert!(out.starts_with("structS;"), "the item is given back: {out}");
    assert!(out.contains("expectsan`asyncfn`"), "{out}");
    let out = expand_str(Kind::Main, "", "async fn f();");
    assert!(out.contains("expectsan`asyncfn`"), "{out}");
}

#[test]
fn main_expansion() {
    let out = expand_str(Kind::Main, "", "async fn main() { work(); }");
    // The hygienic `body` and `ret` print as plain identifiers.
    let expected = squash(
        r#"
        fn main() {
            let body = async move {
                #[allow(unreachable_code, clippy::diverging_sub_expression,
                        clippy::let_unit_value)]
                if false {
                    let ret: () = ::core::unreachable!();
                    return ret;
                }
                work();
            };
            #[allow(clippy::expect_used, clippy::diverging_sub_expression,
                    clippy::needless_return)]
            {
                return ::runtime::__private::Builder::new()
                    .build()
                    .expect("failed to build the runtime")
                    .block_on(body);
            }
        }
        "#,
    );
    assert_eq!(out, expected);
}

#[test]
fn options_become_builder_calls() {
    let out = expand_str(
        Kind::Main,
        r#"thread_name = "app", worker_threads = 2, crate = "rt""#,
        "async fn main() {}",
    );
    assert!(
        out.contains(&squash(
            r#"rt::__private::Builder::new().worker_threads(2).thread_name("app").build()"#
        )),
        "{out}"
    );
    assert!(!out.contains("::runtime"), "{out}");
}

#[test]
fn signature_attributes_and_inner_attributes_are_kept() {
    let out = expand_str(
        Kind::Main,
        "",
        "/// Docs.\n#[allow(unused)] pub(crate) async fn main() -> Result<(), E> { #![allow(dead_code)] Ok(()) }",
    );
    let start =
        squash("#[doc = \" Docs.\"] #[allow(unused)] pub(crate) fn main() -> Result<(), E>");
    assert!(out.starts_with(&start), "{out}");
    let inner = squash("#![allow(dead_code)] let body = async move");
    assert!(out.contains(&format!("{{{inner}")), "{out}");
    assert!(
        out.contains(&squash("let ret: Result<(), E> = ::core::unreachable!();")),
        "{out}"
    );
    assert!(out.contains(&squash("return ret; } Ok(()) };")), "{out}");
}

#[test]
fn unnameable_output_is_not_annotated() {
    for item in [
        "async fn f() -> impl std::fmt::Display { 1 }",
        "async fn f() -> Box<impl Fn()> { Box::new(|| ()) }",
        "async fn f() -> ! { loop {} }",
    ] {
        let out = expand_str(Kind::Main, "", item);
        assert!(!out.contains("iffalse"), "{out}");
        assert!(out.contains("block_on(body)"), "{out}");
    }
}

#[test]
fn test_expansion_adds_test_first_and_keeps_the_rest() {
    let out = expand_str(
        Kind::Test,
        "worker_threads = 1",
        "#[should_panic(expected = \"boom\")] #[ignore] async fn t() { panic!(\"boom\") }",
    );
    let start = squash(
        "#[::core::prelude::v1::test] #[should_panic(expected = \"boom\")] #[ignore] fn t()",
    );
    assert!(out.starts_with(&start), "{out}");
    assert!(out.contains(&squash(".worker_threads(1)")), "{out}");
}

#[test]
fn errors_still_expand_the_function() {
    // A bad option: the function is expanded with the options that parsed.
    let out = expand_str(
        Kind::Main,
        "worker_threads = 0, thread_name = \"x\"",
        "async fn main() {}",
    );
    assert!(out.starts_with(&squash("fn main()")), "{out}");
    assert!(out.contains(&squash(".thread_name(\"x\")")), "{out}");
    assert!(!out.contains(".worker_threads"), "{out}");
    assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    // A missing `async`: the body is still run on the runtime, so it type-checks.
    let out = expand_str(Kind::Test, "", "fn t() { let x = 1; }");
    assert!(
        out.contains(&squash("return ret; } let x = 1; };")),
        "{out}"
    );
    assert_eq!(out.matches("compile_error").count(), 1, "{out}");
}

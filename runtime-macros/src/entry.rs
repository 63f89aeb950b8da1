//! Parsing, validation and expansion of `#[runtime::main]` and `#[runtime::test]`.
//!
//! The shape follows tokio-macros' `entry.rs`:
//!
//! 1. [`AsyncFn`] parses the item lazily: attributes, visibility and signature through
//!    `syn`, the body as an opaque token stream that keeps the user's spans (it is never
//!    re-parsed, so a syntax or type error in it is reported by rustc at the user's code).
//! 2. [`Options`] parses the attribute arguments; each setter returns a [`syn::Error`]
//!    spanned on the offending token, and duplicates are rejected.
//! 3. [`check`] validates the function against the attribute (async, receiver, arguments).
//! 4. [`expand`] writes the synchronous function. It runs even when 2 or 3 failed (with
//!    the options that did parse), and the errors are appended as `compile_error!`, so
//!    the rest of the user's crate still type-checks and only our message is shown.
//!
//! No step panics: every failure is a `syn::Error`.

use proc_macro2::{Delimiter, Group, Literal, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{braced, Attribute, Expr, Lit, LitStr, Meta, Path, Signature, Token, Visibility};

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[runtime::main]`: the function blocks on a fresh runtime.
    Main,
    /// `#[runtime::test]`: the same, plus `#[test]`.
    Test,
}

impl Kind {
    /// The attribute as the user writes it, for messages.
    fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[runtime::main]",
            Kind::Test => "#[runtime::test]",
        }
    }
}

/// The options both attributes accept, listed in every "unknown option" message.
const VALID_OPTIONS: &str = "`worker_threads = N`, `thread_name = \"...\"`, `crate = \"...\"`";

/// The message of the panic when the runtime cannot be built (for example when the OS
/// refuses to spawn the worker threads); `Builder::build`'s error follows it.
const BUILD_FAILED: &str = "failed to build the runtime";

/// Expands `#[runtime::main]` or `#[runtime::test]`. Never panics: errors become
/// `compile_error!` next to the best expansion that could be made.
pub(crate) fn entry(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func: AsyncFn = match syn::parse2(item.clone()) {
        Ok(func) => func,
        Err(e) => {
            // Not a function we can rewrite: give the item back untouched so that rustc
            // reports its own errors in it, and say what the attribute expects.
            let msg = format!("{} expects an `async fn`: {e}", kind.attr());
            let mut out = item;
            out.extend(syn::Error::new(e.span(), msg).into_compile_error());
            return out;
        }
    };

    let mut errors = Errors::default();
    let options = match Options::parse(args) {
        Ok((options, option_errors)) => {
            errors.extend(option_errors);
            options
        }
        Err(e) => {
            errors.push(e);
            Options::default()
        }
    };
    errors.extend(check(kind, &func));

    let mut out = expand(kind, func, &options);
    out.extend(errors.into_compile_errors());
    out
}

/// A list of errors, reported together so that one build shows every mistake.
#[derive(Default)]
struct Errors(Vec<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        self.0.push(e);
    }

    fn extend(&mut self, errors: impl IntoIterator<Item = syn::Error>) {
        self.0.extend(errors);
    }

    fn into_compile_errors(self) -> TokenStream {
        self.0.into_iter().map(|e| e.into_compile_error()).collect()
    }
}

// ---------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------

/// The attribute's options, as far as they parsed.
#[derive(Default)]
pub(crate) struct Options {
    /// `worker_threads = N`: the value and the span of the literal.
    worker_threads: Option<(usize, Span)>,
    /// `thread_name = "..."`.
    thread_name: Option<LitStr>,
    /// `crate = "..."`: the path to the `runtime` crate, spanned on the literal.
    crate_path: Option<Path>,
}

impl Options {
    /// Parses the attribute arguments.
    ///
    /// `Err` only when the arguments are not a comma-separated list at all; otherwise
    /// every option that is valid is kept and the errors of the others are returned
    /// beside them.
    fn parse(args: TokenStream) -> syn::Result<(Options, Vec<syn::Error>)> {
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated.parse2(args)?;
        let mut options = Options::default();
        let mut errors = Vec::new();
        for meta in metas {
            if let Err(e) = options.set(meta) {
                errors.push(e);
            }
        }
        Ok((options, errors))
    }

    /// Applies one `name = value` option.
    fn set(&mut self, meta: Meta) -> syn::Result<()> {
        let name = option_name(meta.path())?;
        let nv = match meta {
            Meta::NameValue(nv) => nv,
            Meta::Path(path) => {
                return Err(syn::Error::new_spanned(
                    path,
                    format!("`{name}` needs a value, as in {}", example(&name)),
                ))
            }
            Meta::List(list) => {
                return Err(syn::Error::new_spanned(
                    list,
                    format!("expected `{name} = ...`, as in {}", example(&name)),
                ))
            }
        };
        match name.as_str() {
            "worker_threads" => {
                reject_duplicate(self.worker_threads.is_some(), &nv)?;
                self.worker_threads = Some(parse_worker_threads(&nv.value)?);
            }
            "thread_name" => {
                reject_duplicate(self.thread_name.is_some(), &nv)?;
                self.thread_name = Some(parse_thread_name(&nv.value)?);
            }
            "crate" => {
                reject_duplicate(self.crate_path.is_some(), &nv)?;
                self.crate_path = Some(parse_crate_path(&nv.value)?);
            }
            _ => unreachable!("option_name accepts only the known options"),
        }
        Ok(())
    }
}

/// The name of a known option, or an error spanned on the path that lists the options.
fn option_name(path: &Path) -> syn::Result<String> {
    if let Some(ident) = path.get_ident() {
        let name = ident.to_string();
        if matches!(name.as_str(), "worker_threads" | "thread_name" | "crate") {
            return Ok(name);
        }
    }
    let shown = path.to_token_stream().to_string().replace(' ', "");
    Err(syn::Error::new_spanned(
        path,
        format!("unknown option `{shown}`; the options are {VALID_OPTIONS}"),
    ))
}

/// How each option is written, for messages.
fn example(name: &str) -> &'static str {
    match name {
        "worker_threads" => "`worker_threads = 4`",
        "thread_name" => "`thread_name = \"my-worker\"`",
        _ => "`crate = \"my_runtime\"`",
    }
}

/// The error for an option given twice, spanned on the second occurrence.
fn reject_duplicate(already_set: bool, nv: &syn::MetaNameValue) -> syn::Result<()> {
    if already_set {
        let name = nv.path.to_token_stream();
        return Err(syn::Error::new_spanned(
            nv,
            format!("`{name}` is set more than once"),
        ));
    }
    Ok(())
}

/// `worker_threads = N`: a positive integer literal, unsuffixed or `usize`.
fn parse_worker_threads(value: &Expr) -> syn::Result<(usize, Span)> {
    const MSG: &str =
        "`worker_threads` must be a positive integer literal, as in `worker_threads = 4`";
    let Expr::Lit(syn::ExprLit {
        lit: Lit::Int(lit), ..
    }) = value
    else {
        return Err(syn::Error::new_spanned(value, MSG));
    };
    // `-1` arrives as two tokens from rustc but as one literal from `proc_macro2`'s
    // own lexer (the unit tests); both are rejected here with the same message.
    if !matches!(lit.suffix(), "" | "usize") || lit.base10_digits().starts_with('-') {
        return Err(syn::Error::new_spanned(lit, MSG));
    }
    let n: usize = lit.base10_parse().map_err(|e| {
        syn::Error::new_spanned(
            lit,
            format!("`worker_threads` does not fit in a usize: {e}"),
        )
    })?;
    if n == 0 {
        return Err(syn::Error::new_spanned(
            lit,
            "`worker_threads` must be at least 1: a runtime needs a worker thread",
        ));
    }
    Ok((n, lit.span()))
}

/// `thread_name = "..."`: a string literal that a thread may be named with.
fn parse_thread_name(value: &Expr) -> syn::Result<LitStr> {
    let Expr::Lit(syn::ExprLit {
        lit: Lit::Str(lit), ..
    }) = value
    else {
        return Err(syn::Error::new_spanned(
            value,
            "`thread_name` must be a string literal, as in `thread_name = \"my-worker\"`",
        ));
    };
    if lit.value().contains('\0') {
        return Err(syn::Error::new_spanned(
            lit,
            "`thread_name` may not contain a NUL character: threads could not be named with it",
        ));
    }
    Ok(lit.clone())
}

/// `crate = "..."`: the path of the `runtime` crate in a string, spanned on the literal.
fn parse_crate_path(value: &Expr) -> syn::Result<Path> {
    const MSG: &str =
        "`crate` must be the path to the `runtime` crate in a string, as in `crate = \"my_runtime\"`";
    let Expr::Lit(syn::ExprLit {
        lit: Lit::Str(lit), ..
    }) = value
    else {
        return Err(syn::Error::new_spanned(value, MSG));
    };
    // `LitStr::parse` gives every token of the path the literal's span.
    lit.parse::<Path>()
        .map_err(|e| syn::Error::new_spanned(lit, format!("{MSG}: {e}")))
}

// ---------------------------------------------------------------------------------------
// The function
// ---------------------------------------------------------------------------------------

/// A function with a body, parsed lazily: the body stays the user's tokens.
pub(crate) struct AsyncFn {
    /// Outer attributes (`#[should_panic]`, docs, lints...), kept as they are.
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    /// `#![...]` at the top of the body; they move to the top of the new body.
    inner_attrs: Vec<Attribute>,
    /// The span of the body's braces.
    brace_span: Span,
    /// The statements of the body, untouched.
    body: TokenStream,
}

impl Parse for AsyncFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let content;
        let brace = braced!(content in input);
        let inner_attrs = content.call(Attribute::parse_inner)?;
        let body = content.parse()?;
        Ok(AsyncFn {
            attrs,
            vis,
            sig,
            inner_attrs,
            brace_span: brace.span.join(),
            body,
        })
    }
}

/// Checks the function against the attribute; one error per problem, each spanned on
/// the token to change.
fn check(kind: Kind, func: &AsyncFn) -> Vec<syn::Error> {
    let sig = &func.sig;
    let attr = kind.attr();
    let mut errors = Vec::new();
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            format!("{attr} needs an `async fn`: the `async` keyword is missing"),
        ));
    }
    if let Some(receiver) = sig.receiver() {
        errors.push(syn::Error::new_spanned(
            receiver,
            format!(
                "{attr} cannot be used on a method that takes `self`; \
                 use an associated function or a free function"
            ),
        ));
    } else if !sig.inputs.is_empty() {
        match kind {
            Kind::Main if sig.ident == "main" => errors.push(syn::Error::new_spanned(
                &sig.inputs,
                "the `main` function cannot take arguments",
            )),
            Kind::Main => {} // any other function is just a function that blocks
            Kind::Test => errors.push(syn::Error::new_spanned(
                &sig.inputs,
                "a test function cannot take arguments",
            )),
        }
    }
    if kind == Kind::Test {
        for a in func.attrs.iter().filter(|a| is_test_attr(a)) {
            errors.push(syn::Error::new_spanned(
                a,
                "#[runtime::test] already adds `#[test]`; remove this attribute",
            ));
        }
    }
    errors
}

/// Whether `attr` is `#[test]` (or a path to the built-in one, as `::core::prelude::v1::test`).
fn is_test_attr(attr: &Attribute) -> bool {
    let path = attr.path();
    let Some(last) = path.segments.last() else {
        return false;
    };
    last.ident == "test"
        && (path.segments.len() == 1
            || path
                .segments
                .first()
                .is_some_and(|s| s.ident == "core" || s.ident == "std"))
}

// ---------------------------------------------------------------------------------------
// Expansion
// ---------------------------------------------------------------------------------------

/// Writes the synchronous function:
///
/// ```text
/// #[::core::prelude::v1::test]          // #[runtime::test] only
/// #(user's attributes)*                 // minus a `#[test]`, reported as an error
/// #vis fn #name(#args) #ret {           // the user's signature without `async`
///     #(user's inner attributes)*
///     let body = async move {
///         if false {                    // if #ret can be named, see below
///             let ret: #ret = unreachable!();
///             return ret;
///         }
///         user's statements
///     };
///     {
///         return #krate::__private::Builder::new()
///             .worker_threads(N)        // if given
///             .thread_name("...")       // if given
///             .build()
///             .expect("failed to build the runtime")
///             .block_on(body);
///     }
/// }
/// ```
///
/// `#krate` is `::runtime`, or the `crate = "..."` path; `body` and `ret` are hygienic.
///
/// The `return` that never runs gives the async block the function's return type
/// before rustc checks the user's block, as an `async fn`'s body has it: `?` converts
/// errors into it, and a body whose value has the wrong type is reported at the body
/// ("expected `Result<(), E>`, found `()`"), as for a plain function, not as a second
/// error about `?` nor at the attribute. The allowed lints apply to that `if` alone;
/// nothing wraps the user's block, so every lint still applies to the user's code.
fn expand(kind: Kind, func: AsyncFn, options: &Options) -> TokenStream {
    let AsyncFn {
        mut attrs,
        vis,
        mut sig,
        inner_attrs,
        brace_span,
        body,
    } = func;
    sig.asyncness = None;

    // Spans. The user's block keeps its own tokens, so errors inside it point at the
    // user's code. The generated statements carry the span of the body's last token, so
    // that any error rustc finds in them points at the end of the user's body rather
    // than at the attribute.
    let end = body
        .clone()
        .into_iter()
        .last()
        .map_or(brace_span, |t| t.span());
    // Our local variables are hygienic (`mixed_site`): the user's code cannot name them.
    let body_ident = syn::Ident::new("body", Span::mixed_site());
    let ret_ident = syn::Ident::new("ret", Span::mixed_site());

    let krate = match &options.crate_path {
        Some(path) => path.to_token_stream(),
        None => quote_spanned!(end=> ::runtime),
    };

    let mut builder = quote_spanned!(end=> #krate::__private::Builder::new());
    if let Some((n, span)) = options.worker_threads {
        let mut lit = Literal::usize_unsuffixed(n);
        lit.set_span(span);
        builder.extend(quote_spanned!(span=> .worker_threads(#lit)));
    }
    if let Some(name) = &options.thread_name {
        builder.extend(quote_spanned!(name.span()=> .thread_name(#name)));
    }

    // Fix the async block's output type before rustc checks the user's block: a
    // `return` of the declared type that never runs (see `expand`'s docs).
    let output_type = nameable_output(&sig.output).map(|output| {
        quote_spanned! {end=>
            #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::let_unit_value)]
            if false {
                let #ret_ident: #output = ::core::unreachable!();
                return #ret_ident;
            }
        }
    });
    // The user's statements go straight into the async block, which takes the braces'
    // span: no block of ours wraps them (a nested `{ panic!() }` would trip
    // `unused_braces`, an `#[allow]` around them would hide the user's own lints).
    let mut async_body = Group::new(Delimiter::Brace, quote!(#output_type #body));
    async_body.set_span(brace_span);

    let test_attr = match kind {
        Kind::Test => {
            // A `#[test]` of the user's is reported by `check`; drop it so the only
            // message is ours.
            attrs.retain(|a| !is_test_attr(a));
            quote!(#[::core::prelude::v1::test])
        }
        Kind::Main => TokenStream::new(),
    };

    // `async move` takes the braces' span, so rustc names the async block by the
    // user's body (`{async block@src/main.rs:2:17: 5:2}`).
    let async_move = quote_spanned!(brace_span=> async move);

    let new_body = quote_spanned! {end=>
        #(#inner_attrs)*
        let #body_ident = #async_move #async_body;
        #[allow(
            clippy::expect_used,
            clippy::diverging_sub_expression,
            clippy::needless_return
        )]
        {
            return #builder
                .build()
                .expect(#BUILD_FAILED)
                .block_on(#body_ident);
        }
    };
    let mut new_block = Group::new(Delimiter::Brace, new_body);
    new_block.set_span(brace_span);

    quote! {
        #test_attr
        #(#attrs)*
        #vis #sig #new_block
    }
}

/// The future's output type when a `let` can name it: `()` for no return type, else
/// the return type unless it is `!` or contains `impl Trait` (which a `let` cannot
/// name on stable Rust; the expansion then relies on inference alone).
fn nameable_output(output: &syn::ReturnType) -> Option<TokenStream> {
    match output {
        syn::ReturnType::Default => Some(quote!(())),
        syn::ReturnType::Type(_, ty) if matches!(**ty, syn::Type::Never(_)) => None,
        syn::ReturnType::Type(_, ty) => {
            let tokens = ty.to_token_stream();
            (!contains_impl(tokens.clone())).then_some(tokens)
        }
    }
}

/// Whether a token stream contains the `impl` keyword at any depth.
fn contains_impl(tokens: TokenStream) -> bool {
    tokens.into_iter().any(|t| match t {
        TokenTree::Ident(i) => i == "impl",
        TokenTree::Group(g) => contains_impl(g.stream()),
        _ => false,
    })
}

#[cfg(test)]
#[path = "entry/tests.rs"]
mod tests;

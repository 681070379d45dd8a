//! The thin napi layer: converts JS values to core types and back. All
//! decisions live in `pool` and `exec`; errors cross as JSON payloads that
//! index.js turns into typed error classes.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::ops::RangeInclusive;
use std::ptr;
use std::rc::Rc;
use std::time::Duration;

use napi::bindgen_prelude::{BigInt, Buffer, Either, FromNapiValue, Object, ToNapiValue};
use napi::{sys, Env, JsError, JsValue, Status, Unknown, ValueType};
use napi_derive::napi;

use crate::catalog::CatalogOptions;
use crate::error::Error;
use crate::exec::{
    Encoded, Param, StatementId, FLAG_BIG_ROWID, FLAG_EXTERNAL, HEADER_SLOTS, MAX_STATEMENT_ID,
};
use crate::pool::{Options, Pool, Target};

fn to_js(err: Error) -> napi::Error {
    napi::Error::new(Status::GenericFailure, err.to_payload())
}

/// Runs an entry point's body so that a panic, which must never unwind into
/// Node (it would abort the process), becomes an `INTERNAL` error instead.
fn shielded<T>(what: &str, body: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or_else(|_| {
        Err(to_js(Error::usage(
            "INTERNAL",
            format!("{what} stopped on an internal error; this is a NOORMME bug"),
        )))
    })
}

/// Parameters by their JS type. (Trying an `Either` of types in turn builds
/// an error message for each miss: measurable on every string parameter.)
fn params_from_js(params: Option<Vec<Unknown<'_>>>) -> napi::Result<Vec<Param<'static>>> {
    let Some(params) = params else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(params.len());
    for (i, p) in params.iter().enumerate() {
        // SAFETY: each cast follows the type the value was just checked to have.
        out.push(unsafe {
            match p.get_type()? {
                ValueType::Number => Param::from_f64(p.cast::<f64>()?),
                ValueType::String => Param::Text(p.cast::<String>()?.into()),
                ValueType::BigInt => {
                    let (value, lossless) = p.cast::<BigInt>()?.get_i64();
                    if !lossless {
                        return Err(to_js(Error::usage(
                            "INVALID_PARAMETER",
                            format!(
                                "parameter {} is a bigint outside SQLite's 64-bit integer range",
                                i + 1
                            ),
                        )));
                    }
                    Param::Integer(value)
                }
                ValueType::Null | ValueType::Undefined => Param::Null,
                ValueType::Object if p.is_buffer()? => Param::Blob(p.cast::<Buffer>()?.to_vec()),
                other => {
                    return Err(to_js(Error::usage(
                        "INVALID_PARAMETER",
                        format!(
                            "parameter {} is a {other:?}, which SQLite cannot store",
                            i + 1
                        ),
                    )))
                }
            }
        });
    }
    Ok(out)
}

fn slot(scratch: &[u8], index: usize) -> f64 {
    let at = index * 8;
    scratch
        .get(at..at + 8)
        .map_or(0.0, |b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

const PARAM_NULL: u8 = 0;
const PARAM_NUMBER: u8 = 1;
const PARAM_TEXT: u8 = 2;

/// Parameters the JS layer stored in the scratch buffer: slot 6 holds their
/// count n, slots 8.. their values (a number, or a text's length in UTF-16
/// units) and the n bytes after those slots their kinds. Their texts arrive
/// as one concatenated string, so a statement with many text parameters
/// crosses with one N-API call instead of several per parameter.
/// The parameters are written into `out`, which holds `scratch_param_count()` of them.
fn scratch_params<'t>(scratch: &[u8], texts: &'t str, out: &mut [Param<'t>]) -> napi::Result<()> {
    let bad = || {
        to_js(Error::usage(
            "INTERNAL",
            "scratch parameters do not match their texts; this is a NOORMME bug",
        ))
    };
    let count = out.len();
    let kinds_at = (HEADER_SLOTS + count) * 8;
    let kinds = scratch.get(kinds_at..kinds_at + count).ok_or_else(bad)?;
    let ascii = texts.is_ascii();
    let mut rest = texts;
    for ((i, &kind), param) in kinds.iter().enumerate().zip(out.iter_mut()) {
        let value = slot(scratch, HEADER_SLOTS + i);
        *param = match kind {
            PARAM_NULL => Param::Null,
            PARAM_NUMBER => Param::from_f64(value),
            PARAM_TEXT => {
                let units = value as usize;
                let bytes = if ascii {
                    units
                } else {
                    utf8_len_of_utf16_prefix(rest, units)
                };
                let (text, after) = rest.split_at_checked(bytes).ok_or_else(bad)?;
                rest = after;
                Param::Text(Cow::Borrowed(text))
            }
            _ => return Err(bad()),
        };
    }
    Ok(())
}

/// How many parameters the scratch buffer holds: refused when more than
/// its length has room for, so no count sizes an allocation unchecked.
fn scratch_param_count(scratch: &[u8]) -> napi::Result<usize> {
    let count = slot(scratch, 6);
    let room = scratch.len().saturating_sub(HEADER_SLOTS * 8) / 9;
    if count >= 0.0 && count <= room as f64 {
        Ok(count as usize)
    } else {
        Err(to_js(Error::usage(
            "INTERNAL",
            format!("the scratch buffer says {count} parameters but has room for {room}; this is a NOORMME bug"),
        )))
    }
}

/// Up to this many parameters are read onto the stack rather than into a Vec.
const INLINE_PARAMS: usize = 8;

/// The UTF-8 length of the first `units` UTF-16 code units of `text`.
fn utf8_len_of_utf16_prefix(text: &str, units: usize) -> usize {
    let mut seen = 0;
    let mut bytes = 0;
    for c in text.chars() {
        if seen >= units {
            break;
        }
        seen += c.len_utf16();
        bytes += c.len_utf8();
    }
    bytes
}

/// Checks a `__regex`/`__iregex` value's syntax, length and nesting when the
/// chain is built, so a mistake is a lookup-value error there; the costly
/// compile happens off the JS thread when the query runs (see
/// `regex::check`). Throws INVALID_LOOKUP_VALUE.
#[napi]
pub fn check_regex(pattern: String) -> napi::Result<()> {
    shielded("checkRegex", || {
        crate::regex::check(&pattern)
            .map_err(|e| to_js(Error::usage("INVALID_LOOKUP_VALUE", e.to_string())))
    })
}

/// TypeScript declarations for a schema (the JSON text of `db.schema()`).
#[napi]
pub fn generate_types(schema_json: String, source: String) -> napi::Result<String> {
    shielded("generateTypes", || {
        let schema: serde_json::Value = serde_json::from_str(&schema_json).map_err(|e| {
            to_js(Error::usage(
                "INVALID_ARGUMENT",
                format!("schema JSON: {e}"),
            ))
        })?;
        Ok(crate::codegen::typescript(&schema, &source))
    })
}

/// Each reader is a thread and a connection: more than this is a mistake.
const MAX_READERS: u32 = 64;

/// What `statementCacheSize` may be: fewer than a page's queries would
/// register them again and again; more only holds memory.
const STATEMENT_CACHE_SIZES: RangeInclusive<u32> = 16..=100_000;

/// The `statementCacheSize` option, checked: a whole number in `STATEMENT_CACHE_SIZES`.
fn statement_cache_size(n: f64) -> napi::Result<NonZeroUsize> {
    let (min, max) = (*STATEMENT_CACHE_SIZES.start(), *STATEMENT_CACHE_SIZES.end());
    // NaN and the infinities have no zero fraction.
    let whole = n.fract() == 0.0 && (f64::from(min)..=f64::from(max)).contains(&n);
    whole
        .then(|| NonZeroUsize::new(n as usize))
        .flatten()
        .ok_or_else(|| {
            to_js(Error::usage(
                "INVALID_OPTION",
                format!("statementCacheSize must be a whole number from {min} to {max}, got {n}"),
            ))
        })
}

#[napi(object)]
pub struct NativeOptions {
    pub readers: Option<u32>,
    pub busy_timeout: Option<f64>,
    pub readonly: Option<bool>,
    pub pragmas: Option<HashMap<String, String>>,
    pub inline_budget_ms: Option<f64>,
    pub checkpoint_interval_ms: Option<f64>,
    /// How many registered statements the pool keeps (default 2,000).
    pub statement_cache_size: Option<f64>,
}

#[napi(object)]
pub struct PoolInfo {
    pub path: String,
    pub journal_mode: String,
    pub wal: bool,
    pub readers: u32,
    pub readonly: bool,
    pub fallback_reason: Option<String>,
    pub sqlite_version: String,
    /// Statements registered now (at most `statement_cache_size`).
    pub statements_registered: u32,
    /// How many registered statements the pool keeps before forgetting the
    /// least recently used.
    pub statement_cache_size: u32,
}

#[napi(object)]
pub struct RegisteredStatement {
    /// Below 2^53: a JS number holds it exactly.
    pub id: f64,
    pub readonly: bool,
    pub params: Vec<Option<String>>,
}

/// Everything of a result that does not fit the scratch buffer's fixed layout.
#[napi(object)]
pub struct ResultExtras {
    pub buffer: Option<Buffer>,
    pub texts: Option<Vec<String>>,
    pub blobs: Option<Vec<Buffer>>,
    pub columns: Option<Vec<String>>,
    pub rowid: Option<String>,
}

impl ResultExtras {
    fn from_encoded(enc: Encoded, with_buffer: bool, with_texts: bool) -> Self {
        let rowid = (enc.flags & FLAG_BIG_ROWID != 0).then(|| enc.last_insert_rowid.to_string());
        let buffer = with_buffer.then(|| Buffer::from(enc.to_bytes()));
        ResultExtras {
            buffer,
            texts: with_texts.then_some(enc.texts),
            blobs: (!enc.blobs.is_empty())
                .then(|| enc.blobs.into_iter().map(Buffer::from).collect()),
            columns: enc.column_names,
            rowid,
        }
    }
}

/// What a `NativePool` owns, shared with the JS thread's handle table.
struct Opened {
    pool: Pool,
    extras: RefCell<Option<ResultExtras>>,
}

thread_local! {
    /// Pools opened on this JS thread, by handle: `runInline` finds its pool
    /// by the handle written in the scratch buffer rather than through a
    /// class method, which napi-rs wraps in borrow tracking.
    static OPENED: RefCell<Vec<Option<Rc<Opened>>>> = const { RefCell::new(Vec::new()) };
}

/// A statement id as JS sent it (a number); anything that is not one the
/// pool could have given is an unknown statement.
fn statement_id(id: f64) -> napi::Result<StatementId> {
    if id.fract() == 0.0 && (0.0..=MAX_STATEMENT_ID as f64).contains(&id) {
        Ok(id as StatementId)
    } else {
        Err(to_js(Error::usage(
            "UNKNOWN_STATEMENT",
            format!("no statement #{id}"),
        )))
    }
}

fn opened(handle: u32) -> napi::Result<Rc<Opened>> {
    OPENED
        .with(|o| o.borrow().get(handle as usize).cloned().flatten())
        .ok_or_else(|| to_js(Error::usage("POOL_CLOSED", "the database has been closed")))
}

thread_local! {
    /// Scratch buffers registered on this JS thread (see `setScratch`), as
    /// (address, length). One per loaded copy of the JS layer: a module
    /// reloaded by a dev server registers its own.
    static SCRATCHES: RefCell<Vec<(*mut u8, usize)>> = const { RefCell::new(Vec::new()) };
}

/// Registers a Uint8Array for `runInline` to write results into; returns
/// its number. A reference that is never released keeps its memory alive
/// and in place (a fixed-length ArrayBuffer's backing store does not move).
#[napi]
pub fn set_scratch(env: Env, scratch: Unknown<'_>) -> napi::Result<u32> {
    shielded("setScratch", || {
        let mut kind = sys::TypedarrayType::uint8_array;
        let mut length = 0usize;
        let mut data = ptr::null_mut();
        let mut reference = ptr::null_mut();
        // SAFETY: plain N-API calls on a value of this call, on the JS thread.
        unsafe {
            check(sys::napi_get_typedarray_info(
                env.raw(),
                scratch.raw(),
                &mut kind,
                &mut length,
                &mut data,
                ptr::null_mut(),
                ptr::null_mut(),
            ))?;
            if kind != sys::TypedarrayType::uint8_array || length < HEADER_SLOTS * 8 {
                return Err(to_js(Error::usage(
                    "INVALID_ARGUMENT",
                    "the scratch buffer must be a Uint8Array of at least 64 bytes",
                )));
            }
            check(sys::napi_create_reference(
                env.raw(),
                scratch.raw(),
                1,
                &mut reference,
            ))?;
        }
        Ok(SCRATCHES.with(|s| {
            let mut s = s.borrow_mut();
            s.push((data.cast(), length));
            s.len() - 1
        }) as u32)
    })
}

fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(
            Status::GenericFailure,
            format!("N-API call failed with status {status}"),
        ))
    }
}

/// Registers `runInline` by hand rather than through `#[napi]`: the derived
/// wrapper opens and closes a borrow-tracking scope and converts every
/// argument generically, which on the hottest call costs about as much as
/// binding and stepping a small UPDATE.
#[napi(module_exports)]
pub fn export_run_inline(exports: Object<'_>, env: Env) -> napi::Result<()> {
    shielded("loading the addon", || {
        let mut function = ptr::null_mut();
        // SAFETY: creating and attaching a function on the JS thread at load time.
        unsafe {
            check(sys::napi_create_function(
                env.raw(),
                c"runInline".as_ptr(),
                9,
                Some(run_inline_callback),
                ptr::null_mut(),
                &mut function,
            ))?;
            check(sys::napi_set_named_property(
                env.raw(),
                exports.raw(),
                c"runInline".as_ptr(),
                function,
            ))
        }
    })
}

/// `runInline(scratch, params)`: runs a registered statement on the JS
/// thread. The call itself is written into scratch buffer number `scratch`
/// (slot 3 the pool handle, slot 4 the statement id, slot 5 1 for the
/// writer, slot 6 on the parameters: see `scratch_params`), so it crosses
/// with two arguments; `params` is null or the parameters' texts, or an
/// array when some value has no scratch form. The result's header and
/// cells go into the same buffer; the row strings are returned (a lone
/// string for one row); anything else waits in `takeExtras()`.
unsafe extern "C" fn run_inline_callback(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut argv = [ptr::null_mut(); 2];
        let mut argc = argv.len();
        // SAFETY: `info` is this callback's own; argv has room for argc values.
        unsafe {
            check(sys::napi_get_cb_info(
                env,
                info,
                &mut argc,
                argv.as_mut_ptr(),
                ptr::null_mut(),
                ptr::null_mut(),
            ))?;
            let scratch = u32::from_napi_value(env, argv[0])?;
            let params = match Unknown::from_raw_unchecked(env, argv[1]).get_type()? {
                ValueType::String => Params::Scratch(Some(String::from_napi_value(env, argv[1])?)),
                ValueType::Null | ValueType::Undefined => Params::Scratch(None),
                _ => Params::Values(Vec::<Unknown<'_>>::from_napi_value(env, argv[1])?),
            };
            let texts = run_inline(scratch, params)?;
            ToNapiValue::to_napi_value(env, texts)
        }
    }));
    let error = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(error)) => error,
        Err(_) => to_js(Error::usage(
            "INTERNAL",
            "runInline panicked; this is a NOORMME bug",
        )),
    };
    // SAFETY: throwing on the JS thread inside this call.
    unsafe { JsError::from(error).throw_into(env) };
    ptr::null_mut()
}

/// How `runInline` got its parameters.
enum Params<'a> {
    /// A JS array (when some value has no scratch form: a bigint, a Buffer).
    Values(Vec<Unknown<'a>>),
    /// In the scratch buffer, with their texts concatenated.
    Scratch(Option<String>),
}

fn run_inline(
    scratch: u32,
    params: Params<'_>,
) -> napi::Result<Option<Either<String, Vec<String>>>> {
    let Some((address, length)) = SCRATCHES.with(|s| s.borrow().get(scratch as usize).copied())
    else {
        return Err(to_js(Error::usage(
            "INVALID_ARGUMENT",
            format!("no scratch buffer #{scratch} on this thread"),
        )));
    };
    // SAFETY: the buffer is kept alive by its reference, and the JS thread is
    // inside this call, so nothing else reads or writes it meanwhile.
    let scratch = unsafe { std::slice::from_raw_parts_mut(address, length) };
    let opened = opened(slot(scratch, 3) as u32)?;
    let id = statement_id(slot(scratch, 4))?;
    let target = if slot(scratch, 5) == 1.0 {
        Target::Write
    } else {
        Target::Read
    };
    let (values, texts) = match params {
        Params::Values(values) => (Some(values), None),
        Params::Scratch(texts) => (None, texts),
    };
    let mut inline = [const { Param::Null }; INLINE_PARAMS];
    let mut spilled = Vec::new();
    let params: &[Param<'_>] = match values {
        Some(values) => {
            spilled = params_from_js(Some(values))?;
            &spilled
        }
        None => {
            let count = scratch_param_count(scratch)?;
            let out = if count <= INLINE_PARAMS {
                &mut inline[..count]
            } else {
                spilled.resize_with(count, || Param::Null);
                &mut spilled[..]
            };
            scratch_params(scratch, texts.as_deref().unwrap_or_default(), out)?;
            out
        }
    };
    let mut enc = opened.pool.run_inline(id, params, target).map_err(to_js)?;
    let texts = std::mem::take(&mut enc.texts);
    let fits = enc.byte_len() <= scratch.len();
    if !fits {
        enc.flags |= FLAG_EXTERNAL;
    }
    if fits {
        enc.write_into(scratch);
    } else {
        scratch[..HEADER_SLOTS * 8].copy_from_slice(&enc.to_bytes()[..HEADER_SLOTS * 8]);
    }
    if !fits
        || enc.column_names.is_some()
        || !enc.blobs.is_empty()
        || enc.flags & FLAG_BIG_ROWID != 0
    {
        *opened.extras.borrow_mut() = Some(ResultExtras::from_encoded(enc, !fits, false));
    }
    Ok(match texts.len() {
        0 => None,
        1 => texts.into_iter().next().map(Either::A),
        _ => Some(Either::B(texts)),
    })
}

#[napi]
pub struct NativePool {
    opened: Rc<Opened>,
    handle: u32,
}

impl Drop for NativePool {
    fn drop(&mut self) {
        // At process exit the table may already be gone; nothing to free then.
        let _ = OPENED.try_with(|o| {
            if let Some(slot) = o.borrow_mut().get_mut(self.handle as usize) {
                *slot = None;
            }
        });
    }
}

#[napi]
impl NativePool {
    #[napi(constructor)]
    pub fn new(path: String, options: Option<NativeOptions>) -> napi::Result<Self> {
        shielded("new NativePool", || {
            let mut opts = Options::default();
            if let Some(o) = options {
                if let Some(n) = o.readers.filter(|n| !(1..=MAX_READERS).contains(n)) {
                    return Err(to_js(Error::usage(
                        "INVALID_OPTION",
                        format!("readers must be between 1 and {MAX_READERS}, got {n}"),
                    )));
                }
                opts.readers = o.readers.map(|n| n as usize);
                if let Some(ms) = o.busy_timeout {
                    opts.busy_timeout = Duration::from_millis(ms.max(0.0) as u64);
                }
                opts.readonly = o.readonly.unwrap_or(false);
                opts.pragmas = o.pragmas.unwrap_or_default().into_iter().collect();
                opts.pragmas.sort();
                if let Some(ms) = o.inline_budget_ms {
                    opts.inline_budget = Duration::from_secs_f64(ms.max(0.0) / 1000.0);
                }
                if let Some(ms) = o.checkpoint_interval_ms {
                    opts.checkpoint_interval = Duration::from_millis(ms.max(10.0) as u64);
                }
                if let Some(n) = o.statement_cache_size {
                    opts.statement_cache_size = statement_cache_size(n)?;
                }
            }
            let pool = Pool::open(&path, opts).map_err(to_js)?;
            let opened = Rc::new(Opened {
                pool,
                extras: RefCell::new(None),
            });
            let handle = OPENED.with(|o| {
                let mut o = o.borrow_mut();
                o.push(Some(opened.clone()));
                o.len() - 1
            }) as u32;
            Ok(NativePool { opened, handle })
        })
    }

    /// This pool's handle for `runInline`.
    #[napi(getter)]
    pub fn handle(&self) -> napi::Result<u32> {
        shielded("handle", || Ok(self.handle))
    }

    #[napi]
    pub fn info(&self) -> napi::Result<PoolInfo> {
        shielded("info", || {
            let i = self.opened.pool.info().clone();
            let (registered, bound) = self.opened.pool.statements();
            Ok(PoolInfo {
                path: i.path,
                journal_mode: i.journal_mode,
                wal: i.wal,
                readers: i.readers as u32,
                readonly: i.readonly,
                fallback_reason: i.fallback_reason,
                sqlite_version: i.sqlite_version,
                statements_registered: u32::try_from(registered).unwrap_or(u32::MAX),
                statement_cache_size: u32::try_from(bound).unwrap_or(u32::MAX),
            })
        })
    }

    #[napi]
    pub fn register(&self, sql: String, internal: bool) -> napi::Result<RegisteredStatement> {
        shielded("register", || {
            let r = self.opened.pool.register(&sql, internal).map_err(to_js)?;
            Ok(RegisteredStatement {
                id: r.id as f64,
                readonly: r.readonly,
                params: r.params,
            })
        })
    }

    /// The discovered schema as JSON text; `options` is JSON text too.
    #[napi]
    pub fn discover(&self, options: String) -> napi::Result<String> {
        shielded("discover", || {
            let options = CatalogOptions::from_json(&options).map_err(to_js)?;
            self.opened.pool.discover(&options).map_err(to_js)
        })
    }

    /// Compiles a QuerySet shape (JSON text) to `{ sql, binds, columns, readonly }` (JSON text);
    /// each bind is `[slot, [table, column] | null, asText, list]`.
    #[napi]
    pub fn compile(&self, shape: String) -> napi::Result<String> {
        shielded("compile", || {
            let shape: serde_json::Value = serde_json::from_str(&shape)
                .map_err(|e| to_js(Error::usage("INVALID_QUERY", format!("query shape: {e}"))))?;
            let c = self.opened.pool.compile(&shape).map_err(to_js)?;
            let binds: Vec<serde_json::Value> = c
                .binds
                .iter()
                .map(|b| serde_json::json!([b.slot, b.column, b.as_text, b.list]))
                .collect();
            let columns: Vec<serde_json::Value> = c
                .columns
                .iter()
                .map(|(k, col)| serde_json::json!([k, col]))
                .collect();
            Ok(serde_json::json!({ "sql": c.sql, "binds": binds, "columns": columns, "readonly": c.readonly }).to_string())
        })
    }

    #[napi]
    pub fn take_extras(&self) -> napi::Result<Option<ResultExtras>> {
        shielded("takeExtras", || Ok(self.opened.extras.borrow_mut().take()))
    }

    /// Runs on a worker thread; resolves with the full encoding.
    #[napi]
    pub fn run_async<'env>(
        &self,
        env: &'env Env,
        id: f64,
        params: Option<Vec<Unknown<'_>>>,
        write: bool,
    ) -> napi::Result<Object<'env>> {
        shielded("runAsync", || {
            let id = statement_id(id)?;
            let params = params_from_js(params)?;
            let (deferred, promise) = env.create_deferred()?;
            let target = if write { Target::Write } else { Target::Read };
            self.opened
                .pool
                .run_async(id, params, target, move |result| match result {
                    Ok(enc) => deferred.resolve(move |_| {
                        shielded("runAsync", || {
                            Ok(ResultExtras::from_encoded(enc, true, true))
                        })
                    }),
                    Err(e) => deferred.reject(to_js(e)),
                });
            Ok(promise)
        })
    }

    /// Runs a multi-statement script on the writer thread.
    #[napi]
    pub fn exec_script<'env>(&self, env: &'env Env, sql: String) -> napi::Result<Object<'env>> {
        shielded("execScript", || {
            let (deferred, promise) = env.create_deferred()?;
            self.opened
                .pool
                .exec_script(sql, move |result| match result {
                    Ok(()) => deferred.resolve(|_| Ok(())),
                    Err(e) => deferred.reject(to_js(e)),
                });
            Ok(promise)
        })
    }

    #[napi]
    pub fn close(&self) -> napi::Result<()> {
        shielded("close", || {
            self.opened.pool.close();
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scratch layout the JS layer writes for `values` (None for null).
    fn layout(values: &[Option<Result<f64, &str>>]) -> (Vec<u8>, Option<String>) {
        let n = values.len();
        let mut scratch = vec![0u8; (HEADER_SLOTS + n) * 8 + n];
        scratch[6 * 8..7 * 8].copy_from_slice(&(n as f64).to_le_bytes());
        let mut texts: Option<String> = None;
        for (i, v) in values.iter().enumerate() {
            let (value, kind) = match v {
                None => (0.0, PARAM_NULL),
                Some(Ok(n)) => (*n, PARAM_NUMBER),
                Some(Err(t)) => {
                    texts.get_or_insert_with(String::new).push_str(t);
                    (t.encode_utf16().count() as f64, PARAM_TEXT)
                }
            };
            let at = (HEADER_SLOTS + i) * 8;
            scratch[at..at + 8].copy_from_slice(&value.to_le_bytes());
            scratch[(HEADER_SLOTS + n) * 8 + i] = kind;
        }
        (scratch, texts)
    }

    fn read<'t>(scratch: &[u8], texts: &'t str) -> napi::Result<Vec<Param<'t>>> {
        let mut out = vec![Param::Null; scratch_param_count(scratch)?];
        scratch_params(scratch, texts, &mut out)?;
        Ok(out)
    }

    #[test]
    fn scratch_params_split_the_texts_by_utf16_length() {
        let (scratch, texts) = layout(&[
            Some(Err("ANTÔNIO")),
            Some(Ok(3.0)),
            None,
            Some(Err("😀x")),
            Some(Err("")),
            Some(Ok(2.5)),
            Some(Err("plain")),
        ]);
        let params = read(&scratch, texts.as_deref().unwrap_or_default()).unwrap();
        assert_eq!(
            params,
            vec![
                Param::Text("ANTÔNIO".into()),
                Param::Integer(3),
                Param::Null,
                Param::Text("😀x".into()),
                Param::Text("".into()),
                Param::Real(2.5),
                Param::Text("plain".into()),
            ]
        );
        let (scratch, texts) = layout(&[Some(Err("ab")), Some(Ok(1.0))]);
        assert_eq!(
            read(&scratch, texts.as_deref().unwrap_or_default()).unwrap(),
            vec![Param::Text("ab".into()), Param::Integer(1)]
        );
        // Texts shorter than their lengths say are refused, not read past.
        let (scratch, _) = layout(&[Some(Err("abc"))]);
        assert!(read(&scratch, "ab").is_err());
        // So is a count the buffer has no room for (it would size a Vec).
        let (mut scratch, texts) = layout(&[Some(Ok(1.0)), Some(Ok(2.0))]);
        assert_eq!(read(&scratch, "").unwrap().len(), 2);
        for count in [3.0, 1e15, -1.0, f64::NAN] {
            scratch[6 * 8..7 * 8].copy_from_slice(&f64::to_le_bytes(count));
            assert!(read(&scratch, texts.as_deref().unwrap_or_default()).is_err());
        }
    }

    #[test]
    fn statement_cache_size_must_be_a_whole_number_in_range() {
        for n in [16.0, 2000.0, 100_000.0] {
            assert_eq!(statement_cache_size(n).unwrap().get(), n as usize);
        }
        for n in [15.0, 0.0, -1.0, 100_001.0, 16.5, f64::NAN, f64::INFINITY] {
            let err = statement_cache_size(n).unwrap_err();
            let payload: serde_json::Value = serde_json::from_str(&err.reason).unwrap();
            assert_eq!(payload["code"], "INVALID_OPTION", "{n}");
            assert!(payload["message"]
                .as_str()
                .unwrap()
                .starts_with("statementCacheSize must be"));
        }
    }

    #[test]
    fn info_counts_the_registered_statements_and_their_bound() {
        let options = NativeOptions {
            readers: None,
            busy_timeout: None,
            readonly: None,
            pragmas: None,
            inline_budget_ms: None,
            checkpoint_interval_ms: None,
            statement_cache_size: Some(20.0),
        };
        let pool = NativePool::new(":memory:".into(), Some(options)).unwrap();
        for i in 0..30 {
            pool.register(format!("SELECT {i}"), false).unwrap();
        }
        let info = pool.info().unwrap();
        assert_eq!(
            (info.statements_registered, info.statement_cache_size),
            (20, 20)
        );
        let default = NativePool::new(":memory:".into(), None).unwrap();
        default.register("SELECT 1".into(), false).unwrap();
        let info = default.info().unwrap();
        assert_eq!(
            (info.statements_registered, info.statement_cache_size),
            (1, 2000)
        );
    }

    #[test]
    fn a_panic_in_an_entry_point_becomes_an_internal_error() {
        let err = shielded("compile", || -> napi::Result<()> {
            panic!("capacity overflow")
        })
        .unwrap_err();
        let payload: serde_json::Value = serde_json::from_str(&err.reason).unwrap();
        assert_eq!(payload["code"], "INTERNAL");
        assert!(payload["message"]
            .as_str()
            .unwrap()
            .starts_with("compile stopped"));
        assert_eq!(shielded("compile", || Ok(7)).unwrap(), 7);
    }
}

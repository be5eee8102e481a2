//! Kotlin's fast path of [`CsmsClient::call`] (issue 21): the same retry loop as
//! [`CsmsClient::attempts`], driven from Kotlin one synchronous step at a time through a few
//! JNI methods (`Java_csms_DirectNative_*`, see `jni.rs`): one `byte[]` in, read in place, one
//! `byte[]` out, tens of nanoseconds a crossing. A uniffi call costs tens of microseconds in
//! Kotlin (a JNA `Structure` for its status and one per buffer argument), an async one
//! several thread hops and callbacks, and a foreign transport's `send` as much again; here
//! each attempt crosses twice, and the transport runs in Kotlin without crossing at all.
//! Requests, responses and errors cross in uniffi's own serialized form
//! (`FfiConverterTypeHttpRequest.read` and so on), so both paths give the same values. A
//! client with a credentials provider, a debug hook, or a view's timeout or deadline takes
//! uniffi's path (`callStart` returns 0). Every method catches panics: none crosses into the
//! JVM.

use crate::jni::{Env, JObject, JniEnv};
use crate::{now, random_unit, CsmsClient, CsmsException, UniFfiTag};
use csms_core::{Attempts, Error, Next, OperationSpec};
use std::sync::Arc;

/// A call in progress: its client, and the attempts (or the error that ended it at the start).
pub struct FastCall {
    client: Arc<CsmsClient>,
    state: Result<(&'static OperationSpec, Attempts), CsmsException>,
    /// Whether the result crosses as a tree ([`put_value`]) rather than JSON text.
    tree: bool,
}

/// `next` answers a serialized `HttpRequest` to send.
const SEND: u8 = 0;
/// `next` asks to wait that many milliseconds, then to call it again without an outcome.
const WAIT: u8 = 1;
/// The call is over: its result, JSON text or a tree ([`put_value`]) (or the signed request,
/// the built one, the parsed result of the other functions).
const DONE: u8 = 2;
/// The call (or function) failed: its error, a serialized `CsmsException`.
const FAILED: u8 = 3;

/// The bytes before an answer's code: its length (`i32` big-endian, these bytes included),
/// then the call it is of (`i64` big-endian; 0 once the call is over and freed).
const HEADER: usize = 12;

/// Starts a call on `client`, the handle of a Kotlin `CsmsClient` kept alive for the time of
/// this function (the call takes a reference of its own), and takes its first step: Kotlin's
/// `DirectNative.callStart`. The first `len` bytes of `buf` hold the operation's name and the
/// input's JSON text, each a length and its UTF-8. Returns null when this client takes
/// uniffi's path (a credentials provider, a debug hook, or a view's timeout or deadline), or on
/// a panic here (uniffi's path then reports it); else the answer as
/// [`Java_csms_DirectNative_callNext`] gives it: the request to send (the call then lives
/// until a step ends it or [`Java_csms_DirectNative_callFree`]), or the failure to start (the
/// transport, the operation, the input, in the order [`CsmsClient::call`] checks them; no
/// call is left). With `tree` (a `jboolean`) non-zero, the result crosses as a tree
/// ([`put_value`]), for the typed operations: no JSON text to write here and parse again in
/// Kotlin.
///
/// # Safety
///
/// Called by the JVM: `env` is this thread's, `client` the handle of a live `CsmsClient`,
/// `buf` a non-null `byte[]` at least `len` bytes long.
#[no_mangle]
pub unsafe extern "system" fn Java_csms_DirectNative_callStart(
    env: JniEnv,
    _class: JObject,
    client: i64,
    buf: JObject,
    len: i32,
    tree: u8,
) -> JObject {
    // SAFETY: as the JVM promises.
    let env = unsafe { Env::new(env) };
    let client = client as usize as *const CsmsClient;
    // SAFETY: a handle is `Arc::into_raw` of the object (uniffi's), alive for this function: the
    // call takes a reference of its own.
    let client = unsafe {
        Arc::increment_strong_count(client);
        Arc::from_raw(client)
    };
    // uniffi's path does what this one does not: the provider's credentials, the debug hook,
    // a view's per-attempt timeout and deadline.
    if client.credentials.is_some()
        || client.debug_hook.is_some()
        || client.timeout.is_some()
        || client.deadline.is_some()
    {
        return std::ptr::null_mut();
    }
    let mut output = take_answer();
    let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // Read in place (no copy of the name nor of the text); what is not UTF-8 is reported below.
        let read = env.with_bytes(buf, len, read_start);
        start(client, read, tree != 0)
    }));
    let Ok(mut call) = started else {
        put_answer(output);
        return std::ptr::null_mut();
    };
    let over = answer_step(&mut call, None, &mut output);
    let call = Box::into_raw(call);
    let array = deliver(env, buf, &mut output, if over { 0 } else { call as usize as i64 });
    if over || array.is_null() {
        // Over, or Kotlin never learns of it: freed here.
        // SAFETY: `Box::into_raw` just above, freed once.
        free(unsafe { Box::from_raw(call) });
    }
    put_answer(output);
    array
}

/// What [`Java_csms_DirectNative_callStart`] reads of its `byte[]`: the operation (`None`
/// for a name that is not UTF-8) and the parsed input, each an error where it could not be
/// read.
type StartInput = (
    Result<Option<csms_core::Result<&'static OperationSpec>>, CsmsException>,
    Result<serde_json::Value, CsmsException>,
);

/// Reads the operation's name and the input's JSON text of
/// [`Java_csms_DirectNative_callStart`] from `b`, in place.
fn read_start(mut b: &[u8]) -> StartInput {
    let operation = wire::bytes(&mut b).map(operation);
    let input = wire::bytes(&mut b).and_then(|text| {
        std::str::from_utf8(text)
            .map_err(|_| crate::invalid("input", "is not UTF-8"))
            .and_then(|t| crate::json(t, "input"))
    });
    (operation, input)
}

/// The call [`Java_csms_DirectNative_callStart`] starts on `client` with what it read
/// (`None`: the array could not be read), or the error that ends it at the start (the
/// transport, the operation, the input, in the order [`CsmsClient::call`] checks them).
fn start(client: Arc<CsmsClient>, read: Option<StartInput>, tree: bool) -> Box<FastCall> {
    let state = crate::guard(|| {
        client.open()?;
        client.transport()?;
        let (operation, input) = read.ok_or_else(|| crate::invalid("input", "is not readable"))?;
        let op = operation?.ok_or_else(|| crate::invalid("operation", "is not UTF-8"))??;
        let input = input?;
        Ok((op, client.client.start(op, &input, client.policy)?))
    });
    Box::new(FastCall { client, state, tree })
}

/// The next step of a call: Kotlin's `DirectNative.callNext`. The first `len` bytes of `buf`
/// are the serialized outcome of the request the last step gave (a byte 0 then an
/// `HttpResponse`, or a byte 1 then the `CsmsException` the transport threw), or none
/// (`len` 0) after a `WAIT`. Returns the answer: `buf` itself, written over, where it fits,
/// else a new `byte[]`; its [`HEADER`] (its length, and the call, or 0 when the call is over
/// and freed: after `DONE` and `FAILED`), then its code, `SEND` (0, then a serialized
/// `HttpRequest`), `WAIT` (1, then the milliseconds to wait, 8 bytes big-endian), `DONE` (2,
/// then the result: JSON text, or a tree for a call started with `tree`) or `FAILED` (3, then
/// a serialized `CsmsException`). Null only when the JVM could not make the array (its error
/// is then thrown; the call is left to free).
///
/// # Safety
///
/// Called by the JVM: `env` is this thread's, `call` a live call of
/// [`Java_csms_DirectNative_callStart`] used by one thread at a time, `buf` a non-null
/// `byte[]` at least `len` bytes long.
#[no_mangle]
pub unsafe extern "system" fn Java_csms_DirectNative_callNext(
    env: JniEnv,
    _class: JObject,
    call: i64,
    buf: JObject,
    len: i32,
) -> JObject {
    // SAFETY: as the JVM promises.
    let env = unsafe { Env::new(env) };
    // SAFETY: the caller gives a live call, used by this thread alone.
    let live = unsafe { &mut *(call as usize as *mut FastCall) };
    let mut output = take_answer();
    let over = if len == 0 {
        answer_step(live, None, &mut output)
    } else {
        env.with_bytes(buf, len, |outcome| answer_step(live, Some(outcome), &mut output)).unwrap_or_else(|| {
            put_failed(
                &mut output,
                CsmsException::Internal { reason: "the fast path could not read its input".into() },
            );
            true
        })
    };
    let array = deliver(env, buf, &mut output, if over { 0 } else { call });
    if over && !array.is_null() {
        // SAFETY: Kotlin learnt that the call is over: it frees it no more.
        free(unsafe { Box::from_raw(call as usize as *mut FastCall) });
    }
    put_answer(output);
    array
}

/// This thread's answer buffer ([`ANSWER`]), empty, with room for the [`HEADER`]; a fresh one
/// while the thread's locals are being torn down.
fn take_answer() -> Vec<u8> {
    let mut output = ANSWER.try_with(std::cell::Cell::take).unwrap_or_default();
    output.resize(HEADER, 0);
    output
}

/// Gives `output` back to this thread, wiped (a request or result may hold a secret value).
fn put_answer(mut output: Vec<u8>) {
    wipe(&mut output);
    if output.capacity() <= MAX_KEPT {
        let _ = ANSWER.try_with(|answer| answer.set(output));
    }
}

/// Takes a step, its answer written to `output` after the [`HEADER`]: a failure (a panic
/// included) as `FAILED`. Whether the call is over (`DONE` or `FAILED`).
fn answer_step(call: &mut FastCall, outcome: Option<&[u8]>, output: &mut Vec<u8>) -> bool {
    let stepped = crate::guard(|| step(call, outcome, output));
    if let Err(e) = stepped {
        wipe(output);
        output.resize(HEADER, 0);
        put_failed(output, e);
    }
    matches!(output[HEADER], DONE | FAILED)
}

/// The answer `output` (its [`HEADER`] filled in here, for `call`) written over `buf` where it
/// fits, else in a new array (null when the JVM could not make it).
fn deliver(env: Env, buf: JObject, output: &mut [u8], call: i64) -> JObject {
    let len = output.len() as i32;
    output[..4].copy_from_slice(&len.to_be_bytes());
    output[4..HEADER].copy_from_slice(&call.to_be_bytes());
    if env.set_bytes(buf, output) {
        buf
    } else {
        env.new_bytes(output)
    }
}

/// Drops a call, a panic while doing so (none is known) kept here.
fn free(call: Box<FastCall>) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(call)));
}

/// [`csms_core::operation`] of the name `name` (`None` when it is not UTF-8), this thread's
/// last one kept: a program calls the same few operations again and again. The last one's
/// name is compared as bytes: a name equal to it is UTF-8, with no call to check it.
fn operation(name: &[u8]) -> Option<csms_core::Result<&'static OperationSpec>> {
    let last = LAST_OPERATION.try_with(std::cell::Cell::get).ok().flatten();
    if let Some(op) = last.filter(|op| op.name.as_bytes() == name) {
        return Some(Ok(op));
    }
    let op = csms_core::operation(std::str::from_utf8(name).ok()?);
    if let Ok(op) = op {
        let _ = LAST_OPERATION.try_with(|last| last.set(Some(op)));
    }
    Some(op)
}

thread_local! {
    /// The operation this thread's last call was of ([`operation`]).
    static LAST_OPERATION: std::cell::Cell<Option<&'static OperationSpec>> = const { std::cell::Cell::new(None) };

    /// This thread's answer of [`Java_csms_DirectNative_callNext`], reused from step to step:
    /// no allocation of its own per step, and only what a step wrote is wiped after it.
    static ANSWER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The largest buffer [`ANSWER`] keeps between steps (a larger one, grown by a large request
/// or result, is dropped once wiped).
const MAX_KEPT: usize = 64 * 1024;

/// Writes zeros over what `output` holds, and empties it.
fn wipe(output: &mut Vec<u8>) {
    zeroize::Zeroize::zeroize(output.as_mut_slice());
    output.clear();
}

/// `FAILED` and the serialized error.
fn failed(e: CsmsException) -> Vec<u8> {
    let mut output = Vec::new();
    put_failed(&mut output, e);
    output
}

/// Writes `FAILED` and the serialized error.
fn put_failed(output: &mut Vec<u8>, e: CsmsException) {
    output.push(FAILED);
    <CsmsException as uniffi::Lower<UniFfiTag>>::write(e, output);
}

/// One step: the outcome received, then the next request (`SEND`), wait (`WAIT`) or result
/// (`DONE`) written to `output` (after the [`HEADER`] only), as
/// [`Java_csms_DirectNative_callNext`] answers it.
fn step(call: &mut FastCall, outcome: Option<&[u8]>, output: &mut Vec<u8>) -> Result<(), CsmsException> {
    let (op, attempts) = call.state.as_mut().map_err(|e| e.clone())?;
    let client = &call.client.client;
    if let Some(outcome) = outcome {
        let outcome = match outcome.split_first() {
            Some((0, mut rest)) => Ok(read_response(&mut rest)?),
            Some((1, mut rest)) => Err(Error::from(read::<CsmsException>(&mut rest)?)),
            _ => return Err(CsmsException::Internal { reason: "a malformed outcome of the fast path".into() }),
        };
        return match attempts.receive(client, outcome, now(), random_unit()) {
            Next::Wait(after) => {
                output.push(WAIT);
                output.extend_from_slice(&i64::try_from(after.as_millis()).unwrap_or(i64::MAX).to_be_bytes());
                Ok(())
            }
            Next::Done(response) => {
                let response = response?;
                output.push(DONE);
                if call.tree {
                    // Written as the decoder walks the body (read in place, most often): no `Value` tree.
                    csms_core::parse_response_into(op, &response, &mut Tree(output))?;
                } else {
                    let result = csms_core::parse_response(op, &response)?;
                    serde_json::to_writer(&mut *output, &result)
                        .map_err(|e| CsmsException::Internal { reason: format!("the result as JSON text: {e}") })?;
                }
                Ok(())
            }
        };
    }
    // The attempt's headers beside the call's own method, URL and body, written out as uniffi
    // writes an `HttpRequest` (`FfiConverterTypeHttpRequest.read` reads it): no copy of the
    // request to sign, write and drop.
    let (request, headers) = attempts.request_headers(client, now())?;
    // Room made while the buffer holds no more than the header: growing it later would leave a
    // copy of the body (maybe a secret value) in freed memory.
    output.reserve(1024 + request.body.len());
    output.push(SEND);
    wire::put(output, request.method.as_bytes());
    wire::put(output, request.url.as_bytes());
    wire::put_headers(output, &headers);
    wire::put(output, &request.body);
    Ok(())
}

/// A tag of [`put_value`]: null.
const NULL: u8 = 0;
/// A tag of [`put_value`]: false.
const FALSE: u8 = 1;
/// A tag of [`put_value`]: true.
const TRUE: u8 = 2;
/// A tag of [`put_value`]: an integer, 8 bytes big-endian.
const LONG: u8 = 3;
/// A tag of [`put_value`]: any other number, an IEEE double's 8 bytes big-endian.
const DOUBLE: u8 = 4;
/// A tag of [`put_value`]: a string (a length, then its UTF-8).
const STRING: u8 = 5;
/// A tag of [`put_value`]: an array (a count, then each item).
const ARRAY: u8 = 6;
/// A tag of [`put_value`]: an object (a count, then each key, as a string without its tag,
/// and value, in the order JSON text has them).
const OBJECT: u8 = 7;

/// Writes `value` as a tree (Kotlin's `FastCall.tree` reads it into what `CsmsJson.parse`
/// makes of the JSON text of `value`): a tag byte, then what the tag says. Numbers as the JSON
/// text reads back there: an `i64` as a `Long`, any other as a `Double` (a `u64` beyond
/// `i64` as the nearest double, as Kotlin reads its digits).
fn put_value(out: &mut Vec<u8>, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Null => out.push(NULL),
        Value::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => {
                out.push(LONG);
                out.extend_from_slice(&i.to_be_bytes());
            }
            (None, f) => {
                out.push(DOUBLE);
                out.extend_from_slice(&f.unwrap_or(f64::NAN).to_bits().to_be_bytes());
            }
        },
        Value::String(s) => {
            out.push(STRING);
            wire::put(out, s.as_bytes());
        }
        Value::Array(items) => {
            put_count(out, ARRAY, items.len());
            for item in items {
                put_value(out, item);
            }
        }
        Value::Object(members) => {
            put_count(out, OBJECT, members.len());
            for (key, item) in members {
                wire::put(out, key.as_bytes());
                put_value(out, item);
            }
        }
    }
}

/// Writes `tag` ([`ARRAY`] or [`OBJECT`]) and the count of what follows.
fn put_count(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    out.extend_from_slice(&(len as i32).to_be_bytes());
}

/// The decoded result written as a tree ([`put_value`]) as the core's decoder walks it: the
/// bytes `put_value` writes of the result [`csms_core::parse_response`] makes.
struct Tree<'a>(&'a mut Vec<u8>);

impl csms_core::DecodeSink for Tree<'_> {
    fn value(&mut self, value: &serde_json::Value) {
        put_value(self.0, value);
    }

    fn string(&mut self, value: &str) {
        self.0.push(STRING);
        wire::put(self.0, value.as_bytes());
    }

    fn array(&mut self, len: usize) {
        put_count(self.0, ARRAY, len);
    }

    fn object(&mut self, len: usize) {
        put_count(self.0, OBJECT, len);
    }

    fn key(&mut self, key: &str) {
        wire::put(self.0, key.as_bytes());
    }
}

/// Reading what uniffi's converters write (big-endian lengths), straight into the core's types.
mod wire {
    use crate::CsmsException;

    /// The error of an input the fast path could not read as `what` says.
    pub fn malformed(what: &str) -> CsmsException {
        CsmsException::Internal { reason: format!("malformed input of the fast path: {what}") }
    }

    fn take<'a>(buf: &mut &'a [u8], n: usize) -> Result<&'a [u8], CsmsException> {
        if buf.len() < n {
            return Err(malformed("too short"));
        }
        let (head, rest) = buf.split_at(n);
        *buf = rest;
        Ok(head)
    }

    /// An `i32`.
    pub fn int(buf: &mut &[u8]) -> Result<i32, CsmsException> {
        let b = take(buf, 4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A length, then that many bytes.
    pub fn bytes<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], CsmsException> {
        let n = usize::try_from(int(buf)?).map_err(|_| malformed("a negative length"))?;
        take(buf, n)
    }

    /// A string, borrowed.
    pub fn str<'a>(buf: &mut &'a [u8]) -> Result<&'a str, CsmsException> {
        utf8(bytes(buf)?)
    }

    /// `b` as a string, when it is UTF-8.
    pub fn utf8(b: &[u8]) -> Result<&str, CsmsException> {
        std::str::from_utf8(b).map_err(|_| malformed("not UTF-8"))
    }

    /// Writes a length, then `b`.
    pub fn put(out: &mut Vec<u8>, b: &[u8]) {
        out.extend_from_slice(&(b.len() as i32).to_be_bytes());
        out.extend_from_slice(b);
    }

    /// Writes a list of `Header`s as uniffi writes a `List<Header>`: a count, then each name
    /// and value.
    pub fn put_headers(out: &mut Vec<u8>, headers: &[(impl AsRef<str>, impl AsRef<str>)]) {
        out.extend_from_slice(&(headers.len() as i32).to_be_bytes());
        for (name, value) in headers {
            put(out, name.as_ref().as_bytes());
            put(out, value.as_ref().as_bytes());
        }
    }
}

/// An `HttpResponse` as uniffi writes it (`FfiConverterTypeHttpResponse.write`), read into the
/// core's response as [`crate::to_core_response`] makes it, without uniffi's record between,
/// but for the headers the core does not read of a response of its status
/// (`HttpResponse::headers_read`: nothing else sees this response): no copy of those. (Kotlin
/// writes only those: see [`Java_csms_DirectNative_headersRead`].)
fn read_response(buf: &mut &[u8]) -> Result<csms_core::HttpResponse, CsmsException> {
    let status = wire::int(buf)?;
    let status = u16::try_from(status)
        .map_err(|_| crate::invalid("status", format!("must be between 0 and 65535, not {status}")))?;
    let read = csms_core::HttpResponse::headers_read(status);
    let count = usize::try_from(wire::int(buf)?).map_err(|_| wire::malformed("a negative length"))?;
    let mut headers = Vec::with_capacity(count.min(read.len()));
    for _ in 0..count {
        let (name, value) = (wire::bytes(buf)?, wire::bytes(buf)?);
        if read.iter().any(|read| read.as_bytes().eq_ignore_ascii_case(name)) {
            headers.push((wire::utf8(name)?.to_owned(), wire::utf8(value)?.to_owned()));
        } else if !(name.is_ascii() && value.is_ascii()) {
            // Refused as before when not UTF-8, though not kept; ASCII (the usual header,
            // checked inline) is UTF-8: no call to check it.
            wire::utf8(name)?;
            wire::utf8(value)?;
        }
    }
    Ok(csms_core::HttpResponse::new(status, headers, wire::bytes(buf)?.to_vec()))
}

/// The names of the headers the core reads of a response (`HttpResponse::headers_read`), for
/// Kotlin to write only those into a response it hands to [`Java_csms_DirectNative_callNext`]:
/// `DirectNative.headersRead`. Of a success (2xx) with `success` (a `jboolean`) non-zero,
/// else of any other status; each name a length byte then its ASCII, lower case. Null only
/// when the JVM could not make the array (its error is then thrown).
///
/// # Safety
///
/// Called by the JVM: `env` is this thread's.
#[no_mangle]
pub unsafe extern "system" fn Java_csms_DirectNative_headersRead(env: JniEnv, _class: JObject, success: u8) -> JObject {
    // SAFETY: as the JVM promises.
    let env = unsafe { Env::new(env) };
    // Nothing here panics (three short names copied, no index, no arithmetic): no
    // `catch_unwind` as in the other methods.
    let mut names = Vec::with_capacity(64);
    for name in csms_core::HttpResponse::headers_read(if success != 0 { 200 } else { 500 }) {
        names.push(name.len() as u8);
        names.extend_from_slice(name.as_bytes());
    }
    env.new_bytes(&names)
}

/// A value Kotlin wrote with its `FfiConverterType...write`.
fn read<T: uniffi::Lift<UniFfiTag>>(buf: &mut &[u8]) -> Result<T, CsmsException> {
    <T as uniffi::Lift<UniFfiTag>>::try_read(buf)
        .map_err(|e| CsmsException::Internal { reason: format!("malformed input of the fast path: {e}") })
}

/// Frees a call and its reference to the client: Kotlin's `DirectNative.callFree`, for a call
/// that no answer said was over (a cancellation or an error in Kotlin ended it).
///
/// # Safety
///
/// Called by the JVM; `call` is a live call of [`Java_csms_DirectNative_callStart`], freed once.
#[no_mangle]
pub unsafe extern "system" fn Java_csms_DirectNative_callFree(_env: JniEnv, _class: JObject, call: i64) {
    // SAFETY: a call is `Box::into_raw`, freed once.
    free(unsafe { Box::from_raw(call as usize as *mut FastCall) });
}

/// Kotlin's `signRequest` ([`crate::sign_request`]) in one crossing: `DirectNative.sign`.
/// The first `len` bytes of `input` hold its arguments serialized as uniffi does (the
/// `HttpRequest`, `ak`, `sk`, then the optional `security_token`, `algorithm`, `region`,
/// `service` and `at`). The request is read in place, borrowed from `input`, and signed with
/// [`csms_core::Signer::sign_parts`]. Returns one `byte[]`: `DONE` (2) then the signed
/// request's headers only (a count, then each name and value; Kotlin keeps the method, URL
/// and body it passed), or `FAILED` (3) then the `CsmsException`, serialized: `input` itself,
/// written over, when that fits in it, else a new array.
///
/// # Safety
///
/// Called by the JVM: `env` is this thread's, `input` a `byte[]`.
#[no_mangle]
pub unsafe extern "system" fn Java_csms_DirectNative_sign(
    env: JniEnv,
    _class: JObject,
    input: JObject,
    len: i32,
) -> JObject {
    // SAFETY: as the JVM promises.
    let env = unsafe { Env::new(env) };
    let signed = crate::guard(|| env.with_bytes(input, len, sign_headers).unwrap_or_else(unreadable));
    let mut output = signed.unwrap_or_else(failed);
    // Written over the input where it fits (it is read by then): no new array to allocate.
    let array = if env.set_bytes(input, &output) { input } else { env.new_bytes(&output) };
    // The headers may hold the security token: not left behind in freed memory.
    zeroize::Zeroize::zeroize(&mut output);
    array
}

/// The signed headers of the arguments of [`Java_csms_DirectNative_sign`], after `DONE`.
fn sign_headers(mut input: &[u8]) -> Result<Vec<u8>, CsmsException> {
    let buf = &mut input;
    let method = wire::str(buf)?;
    let url = wire::str(buf)?;
    let count = usize::try_from(wire::int(buf)?).map_err(|_| wire::malformed("a negative length"))?;
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(count.min(256));
    for _ in 0..count {
        headers.push((wire::str(buf)?, wire::str(buf)?));
    }
    let body = wire::bytes(buf)?;
    let (ak, sk) = (read(buf)?, read(buf)?);
    let (token, algorithm, region, service, at) = (read(buf)?, read(buf)?, read(buf)?, read(buf)?, read(buf)?);
    let (algorithm, scope) = crate::algorithm_scope(algorithm, region, service)?;
    let signer = csms_core::Signer::new(crate::access_key(ak, sk, token), algorithm, scope)?;
    let signed = signer.sign_parts(method, url, &headers, body, crate::sdk_date(at)?)?;
    let mut output = Vec::with_capacity(512);
    output.push(DONE);
    wire::put_headers(&mut output, &signed);
    Ok(output)
}

/// The error of an input the fast path could not read (beyond its array, or no memory).
fn unreadable<T>() -> Result<T, CsmsException> {
    Err(CsmsException::Internal { reason: "the fast path could not read its input".into() })
}

/// `result` serialized after `DONE`, or its error after `FAILED`.
fn answer<T: uniffi::Lower<UniFfiTag>>(result: Result<T, CsmsException>) -> Vec<u8> {
    match result {
        Ok(value) => {
            let mut output = Vec::with_capacity(512);
            output.push(DONE);
            <T as uniffi::Lower<UniFfiTag>>::write(value, &mut output);
            output
        }
        Err(e) => failed(e),
    }
}

/// Kotlin's `CsmsClient.buildRequest` (`method == 0`: `input` holds `operation`, `input_json`
/// and the optional `at`) or `parseResponse` (`method == 1`: `operation` and the
/// `HttpResponse`) in one crossing, on `client` (its handle, kept alive for the time of this
/// function): `DirectNative.clientMethod`; answers as [`Java_csms_DirectNative_sign`] does.
///
/// # Safety
///
/// Called by the JVM: `client` is the handle of a live `CsmsClient`; otherwise as
/// [`Java_csms_DirectNative_sign`].
#[no_mangle]
pub unsafe extern "system" fn Java_csms_DirectNative_clientMethod(
    env: JniEnv,
    _class: JObject,
    client: i64,
    method: i32,
    input: JObject,
    len: i32,
) -> JObject {
    // SAFETY: as the JVM promises.
    let env = unsafe { Env::new(env) };
    // SAFETY: a live client, borrowed for this function.
    let client = unsafe { &*(client as usize as *const CsmsClient) };
    let output = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        env.with_bytes(input, len, |mut input| {
            if method == 0 {
                answer(crate::guard(|| {
                    let (operation, json, at) = (read(&mut input)?, read(&mut input)?, read(&mut input)?);
                    client.build_request(operation, json, at)
                }))
            } else {
                answer(crate::guard(|| {
                    let operation: String = read(&mut input)?;
                    Ok(client.client.parse_response(&operation, &read_response(&mut input)?)?.to_string())
                }))
            }
        })
    }));
    let output = match output {
        Ok(Some(output)) => output,
        Ok(None) => failed(CsmsException::Internal { reason: "the fast path could not read its input".into() }),
        Err(panic) => failed(crate::internal(panic)),
    };
    env.new_bytes(&output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HttpRequest, HttpResponse, HttpTransport};

    /// A transport the fast path requires but never uses (Kotlin's sends).
    struct Unused;

    #[async_trait::async_trait]
    impl HttpTransport for Unused {
        async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, CsmsException> {
            unreachable!("the fast path sends from Kotlin")
        }
        async fn sleep(&self, _millis: i64) -> Result<(), CsmsException> {
            unreachable!("the fast path waits in Kotlin")
        }
    }

    /// A client as Kotlin's typed calls use it: a region's endpoint, a project, AK/SK.
    fn client() -> Arc<CsmsClient> {
        let options = r#"{"region":"cn-north-4","project_id":"PID","credentials":{"ak":"AK","sk":"SK"}}"#;
        CsmsClient::new(options.into(), Some(Arc::new(Unused)), None, None, None, None, None, None).unwrap()
    }

    /// What Kotlin's `callStart` writes: the operation's name and the input's JSON text.
    fn start_input(operation: &str, input: &str) -> Vec<u8> {
        let mut buf = Vec::new();
        wire::put(&mut buf, operation.as_bytes());
        wire::put(&mut buf, input.as_bytes());
        buf
    }

    /// What Kotlin's `callNext` writes for a response: a byte 0, then the `HttpResponse` as
    /// uniffi writes it.
    fn outcome(status: i32, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
        let mut buf = vec![0];
        buf.extend_from_slice(&status.to_be_bytes());
        wire::put_headers(&mut buf, headers);
        wire::put(&mut buf, body.as_bytes());
        buf
    }

    /// A `ShowSecretVersion` input and a realistic response to it, as they cross.
    fn show_secret_version() -> (Vec<u8>, Vec<u8>) {
        let input = start_input("ShowSecretVersion", r#"{"secret_name":"db","version_id":"latest"}"#);
        let body = r#"{"version":{"version_metadata":{"id":"v1","create_time":1700000000000,"expire_time":null,"version_stages":["SYSCURRENT"],"secret_name":"db"},"secret_string":"s3cret-value"}}"#;
        let content_length = body.len().to_string();
        let headers = [
            ("Date", "Fri, 04 Dec 2026 12:00:00 GMT"),
            ("X-Request-Id", "0123456789abcdef0123456789abcdef"),
            ("Content-Type", "application/json;charset=UTF-8"),
            ("Content-Length", content_length.as_str()),
        ];
        (input, outcome(200, &headers, body))
    }

    /// One whole typed call as Kotlin drives it, without JNI: `callStart`'s read, start and
    /// first step (the signed request), then `callNext` with the response (the result as a
    /// tree), the call freed and the answer buffer given back; the answers' codes.
    fn fast_call(client: &Arc<CsmsClient>, input: &[u8], response: &[u8]) -> (u8, u8) {
        let mut output = take_answer();
        let mut call = start(Arc::clone(client), Some(read_start(input)), true);
        assert!(!answer_step(&mut call, None, &mut output));
        let sent = output[HEADER];
        output.truncate(HEADER);
        assert!(answer_step(&mut call, Some(response), &mut output));
        let done = output[HEADER];
        free(call);
        put_answer(output);
        (sent, done)
    }

    /// The loop a profiler measures ([`callgrind_fast_call`]): `n` calls.
    #[inline(never)]
    fn fast_call_loop(client: &Arc<CsmsClient>, input: &[u8], response: &[u8], n: usize) {
        for _ in 0..n {
            assert_eq!(std::hint::black_box(fast_call(client, input, response)), (SEND, DONE));
        }
    }

    #[test]
    fn a_typed_call_signs_its_request_and_decodes_its_result_as_a_tree() {
        let client = client();
        let (input, response) = show_secret_version();
        let mut output = take_answer();
        let mut call = start(Arc::clone(&client), Some(read_start(&input)), true);
        assert!(!answer_step(&mut call, None, &mut output));
        let mut sent = &output[HEADER + 1..];
        let (method, url) = (wire::str(&mut sent).unwrap(), wire::str(&mut sent).unwrap());
        assert_eq!(method, "GET");
        assert_eq!(url, "https://kms.cn-north-4.myhuaweicloud.com/v1/PID/secrets/db/versions/latest");
        let count = wire::int(&mut sent).unwrap();
        let headers: Vec<(&str, &str)> =
            (0..count).map(|_| (wire::str(&mut sent).unwrap(), wire::str(&mut sent).unwrap())).collect();
        let names: Vec<&str> = headers.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["Content-Type", "User-Agent", "X-Project-Id", "X-Sdk-Date", "Host", "Authorization"]);
        assert!(headers[5].1.starts_with(
            "SDK-HMAC-SHA256 Access=AK, SignedHeaders=content-type;host;user-agent;x-project-id;x-sdk-date, Signature="
        ));
        assert_eq!(wire::bytes(&mut sent).unwrap(), b"");
        output.truncate(HEADER);
        assert!(answer_step(&mut call, Some(&response[..]), &mut output));
        let mut want = vec![DONE];
        let result = serde_json::json!({"version": {"secret_string": "s3cret-value", "version_metadata": {
            "create_time": 1_700_000_000_000_i64, "id": "v1", "secret_name": "db", "version_stages": ["SYSCURRENT"]}}});
        put_value(&mut want, &result);
        assert_eq!(&output[HEADER..], want);
        free(call);
        put_answer(output);
    }

    /// The native work of Kotlin's typed no-I/O call, repeated for a profiler that counts
    /// instructions (the machine's load does not change them): `CSMS_FAST_CALLS` calls
    /// (1000 when unset). Build with `cargo test --release -p csms-uniffi --no-run`, then run
    /// the test binary under `valgrind --tool=callgrind --toggle-collect='*fast_call_loop*'`
    /// with `--ignored --exact fast::tests::callgrind_fast_call`; the total over the calls
    /// divided by their number is the cost of one. Valgrind's CPU has no SHA extensions: its
    /// SHA-256 blocks run the portable code (about 3,500 instructions a block, 8 a call), so
    /// compare the totals without `sha2::sha256::compress256`.
    #[test]
    #[ignore = "a profiling harness, run by hand"]
    fn callgrind_fast_call() {
        let n = std::env::var("CSMS_FAST_CALLS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
        let client = client();
        let (input, response) = show_secret_version();
        // One call first: the thread's buffers and lazily made state exist before the loop.
        fast_call_loop(&client, &input, &response, 1);
        fast_call_loop(&client, &input, &response, n);
    }
}

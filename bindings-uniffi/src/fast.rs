//! Kotlin's fast path of [`CsmsClient::call`] (issue 21): the same retry loop as
//! [`CsmsClient::attempts`], driven from Kotlin one synchronous step at a time through a few C
//! functions that JNA maps directly (primitive arguments and byte arrays). A uniffi call costs
//! tens of microseconds in Kotlin (a JNA `Structure` for its status and one per buffer
//! argument), an async one several thread hops and callbacks, and a foreign transport's `send`
//! as much again; here each attempt crosses twice (`next` in, one buffer out), and the
//! transport runs in Kotlin without crossing at all. Requests, responses and errors cross
//! in uniffi's own serialized form (`FfiConverterTypeHttpRequest.read` and so on), so both
//! paths give the same values. A client with a credentials provider, a debug hook, or a
//! view's timeout or deadline takes uniffi's path (`csms_uniffi_call_start` returns 0).

use crate::{
    from_core_request, now, random_unit, to_core_response, CsmsClient, CsmsException, HttpResponse, UniFfiTag,
};
use csms_core::{Attempts, Error, Next, OperationSpec};
use std::sync::Arc;

/// A call in progress: its client, and the attempts (or the error that ended it at the start).
pub struct FastCall {
    client: Arc<CsmsClient>,
    state: Result<(&'static OperationSpec, Attempts), CsmsException>,
    /// The last output that did not fit the caller's array (see [`csms_uniffi_call_take`]).
    pending: Vec<u8>,
}

/// `next` wrote (or keeps) a serialized `HttpRequest` to send.
const SEND: i32 = 0;
/// `next` asks to wait `*ret` milliseconds, then to call it again without a response.
const WAIT: i32 = 1;
/// The call is over: its result, JSON text.
const DONE: i32 = 2;
/// The call is over: its error, a serialized `CsmsException`.
const FAILED: i32 = 3;

/// The bytes of `len` at `ptr` (empty for a null pointer or a negative length).
///
/// # Safety
///
/// `ptr` points to `len` readable bytes when it is not null and `len` is positive.
unsafe fn bytes<'a>(ptr: *const u8, len: i32) -> &'a [u8] {
    match usize::try_from(len) {
        // SAFETY: as the caller promises.
        Ok(len) if !ptr.is_null() && len > 0 => unsafe { std::slice::from_raw_parts(ptr, len) },
        _ => &[],
    }
}

/// Starts a call of `operation` (UTF-8) with `input` (JSON text) on `client`, the handle of
/// a Kotlin `CsmsClient` kept alive for the time of this function (the call takes a reference
/// of its own). Returns the call, to drive with [`csms_uniffi_call_next`] and free with
/// [`csms_uniffi_call_free`]; 0 when this client takes uniffi's path (a credentials provider,
/// a debug hook, or a view's timeout or deadline). A failure to start (the transport, the operation, the input) is the first
/// `next`'s `FAILED`, in the same order as [`CsmsClient::call`] checks them.
///
/// # Safety
///
/// `client` is the handle of a live `CsmsClient`; `operation` and `input` point to that
/// many readable bytes.
#[no_mangle]
pub unsafe extern "C" fn csms_uniffi_call_start(
    client: i64,
    operation: *const u8,
    operation_len: i32,
    input: *const u8,
    input_len: i32,
) -> i64 {
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
        return 0;
    }
    // SAFETY: the caller gives that many readable bytes.
    let (operation, input) = unsafe { (bytes(operation, operation_len), bytes(input, input_len)) };
    let state = crate::guard(|| {
        client.open()?;
        client.transport()?;
        let operation = std::str::from_utf8(operation).map_err(|_| crate::invalid("operation", "is not UTF-8"))?;
        let op = csms_core::operation(operation)?;
        let input = std::str::from_utf8(input).map_err(|_| crate::invalid("input", "is not UTF-8"))?;
        let input = crate::json(input, "input")?;
        Ok((op, client.client.start(op, &input, client.policy)?))
    });
    Box::into_raw(Box::new(FastCall { client, state, pending: Vec::new() })) as usize as i64
}

/// The next step of `call`. `outcome` is the serialized outcome of the request `next` last
/// gave (a byte 0 then an `HttpResponse`, or a byte 1 then the `CsmsException` the transport
/// threw), or null (`outcome_len` negative) for the first step and after a `WAIT`. Returns
/// `SEND` (0), `WAIT` (1), `DONE` (2) or `FAILED` (3) and sets `*ret` to the length of the
/// output (for `WAIT`, the milliseconds); the output is written to `out` when it fits in
/// `out_len` bytes, else kept for [`csms_uniffi_call_take`].
///
/// # Safety
///
/// `call` is a live call of [`csms_uniffi_call_start`], used by one thread at a time;
/// `outcome` points to `outcome_len` readable bytes, `out` to `out_len` writable ones, `ret`
/// to one writable `i64`.
#[no_mangle]
pub unsafe extern "C" fn csms_uniffi_call_next(
    call: i64,
    outcome: *const u8,
    outcome_len: i32,
    out: *mut u8,
    out_len: i32,
    ret: *mut i64,
) -> i32 {
    // SAFETY: the caller gives a live call, used by this thread alone.
    let call = unsafe { &mut *(call as usize as *mut FastCall) };
    // SAFETY: as the caller promises.
    let outcome = (outcome_len >= 0).then(|| unsafe { bytes(outcome, outcome_len) });
    let (code, output) = match crate::guard(|| step(call, outcome)) {
        Ok(Step::Send(request)) => (SEND, request),
        Ok(Step::Wait(millis)) => {
            // SAFETY: `ret` is writable.
            unsafe { *ret = millis };
            return WAIT;
        }
        Ok(Step::Done(result)) => (DONE, result),
        Err(e) => {
            let mut output = Vec::new();
            <CsmsException as uniffi::Lower<UniFfiTag>>::write(e, &mut output);
            (FAILED, output)
        }
    };
    // SAFETY: `ret` is writable; `out` has `out_len` writable bytes.
    if !unsafe { deliver(&output, out, out_len, ret) } {
        call.pending = output;
    }
    code
}

/// Writes `output` to `out` when it fits in `out_len` bytes, and its length to `*ret`; whether
/// it was written.
///
/// # Safety
///
/// `out` points to `out_len` writable bytes, `ret` to one writable `i64`.
unsafe fn deliver(output: &[u8], out: *mut u8, out_len: i32, ret: *mut i64) -> bool {
    // SAFETY: as the caller promises.
    unsafe {
        *ret = output.len() as i64;
        let fits = output.len() <= usize::try_from(out_len).unwrap_or(0);
        if fits {
            std::ptr::copy_nonoverlapping(output.as_ptr(), out, output.len());
        }
        fits
    }
}

/// What [`csms_uniffi_call_next`] gives back (but an error).
enum Step {
    /// A serialized `HttpRequest` to send.
    Send(Vec<u8>),
    /// Milliseconds to wait before the next request.
    Wait(i64),
    /// The result, JSON text.
    Done(Vec<u8>),
}

/// One step: the outcome received, then the next request, wait or end.
fn step(call: &mut FastCall, outcome: Option<&[u8]>) -> Result<Step, CsmsException> {
    let (op, attempts) = call.state.as_mut().map_err(|e| e.clone())?;
    let client = &call.client.client;
    if let Some(outcome) = outcome {
        let outcome = match outcome.split_first() {
            Some((0, mut rest)) => Ok(to_core_response(&read::<HttpResponse>(&mut rest)?)?),
            Some((1, mut rest)) => Err(Error::from(read::<CsmsException>(&mut rest)?)),
            _ => return Err(CsmsException::Internal { reason: "a malformed outcome of the fast path".into() }),
        };
        return match attempts.receive(client, outcome, now(), random_unit()) {
            Next::Wait(after) => Ok(Step::Wait(i64::try_from(after.as_millis()).unwrap_or(i64::MAX))),
            Next::Done(response) => Ok(Step::Done(csms_core::parse_response(op, &response?)?.to_string().into_bytes())),
        };
    }
    let request = attempts.request(client, now())?;
    let mut output = Vec::with_capacity(256 + request.body.len());
    <crate::HttpRequest as uniffi::Lower<UniFfiTag>>::write(from_core_request(&request), &mut output);
    Ok(Step::Send(output))
}

/// A value Kotlin wrote with its `FfiConverterType...write`.
fn read<T: uniffi::Lift<UniFfiTag>>(buf: &mut &[u8]) -> Result<T, CsmsException> {
    <T as uniffi::Lift<UniFfiTag>>::try_read(buf)
        .map_err(|e| CsmsException::Internal { reason: format!("malformed input of the fast path: {e}") })
}

/// Copies the output `next` kept (it did not fit) into `out`; returns its length, -1 when it
/// does not fit in `out_len` bytes either.
///
/// # Safety
///
/// As [`csms_uniffi_call_next`].
#[no_mangle]
pub unsafe extern "C" fn csms_uniffi_call_take(call: i64, out: *mut u8, out_len: i32) -> i32 {
    // SAFETY: the caller gives a live call, used by this thread alone.
    let call = unsafe { &mut *(call as usize as *mut FastCall) };
    let output = std::mem::take(&mut call.pending);
    match i32::try_from(output.len()) {
        Ok(len) if len <= out_len => {
            // SAFETY: `out` has `out_len` writable bytes.
            unsafe { std::ptr::copy_nonoverlapping(output.as_ptr(), out, output.len()) };
            len
        }
        _ => -1,
    }
}

/// Frees a call and its reference to the client.
///
/// # Safety
///
/// `call` is a call of [`csms_uniffi_call_start`], freed once.
#[no_mangle]
pub unsafe extern "C" fn csms_uniffi_call_free(call: i64) {
    // SAFETY: a call is `Box::into_raw`, freed once.
    drop(unsafe { Box::from_raw(call as usize as *mut FastCall) });
}

/// Kotlin's `signRequest` ([`crate::sign_request`]) in one crossing: `input` holds its
/// arguments serialized as uniffi does (the `HttpRequest`, `ak`, `sk`, then the optional
/// `security_token`, `algorithm`, `region`, `service` and `at`). Returns `DONE` (2) with the
/// signed `HttpRequest` or `FAILED` (3) with the `CsmsException`, serialized, written to `out`
/// when it fits in `out_len` bytes (else nothing: call again with `*ret` bytes); `*ret` is its
/// length.
///
/// # Safety
///
/// `input` points to `input_len` readable bytes, `out` to `out_len` writable ones, `ret` to
/// one writable `i64`.
#[no_mangle]
pub unsafe extern "C" fn csms_uniffi_sign(
    input: *const u8,
    input_len: i32,
    out: *mut u8,
    out_len: i32,
    ret: *mut i64,
) -> i32 {
    // SAFETY: as the caller promises.
    let mut input = unsafe { bytes(input, input_len) };
    let signed = crate::guard(|| {
        let request = read(&mut input)?;
        let (ak, sk) = (read(&mut input)?, read(&mut input)?);
        let (token, algorithm, region, service, at) =
            (read(&mut input)?, read(&mut input)?, read(&mut input)?, read(&mut input)?, read(&mut input)?);
        crate::sign_request(request, ak, sk, token, algorithm, region, service, at)
    });
    // SAFETY: as the caller promises.
    unsafe { answer(signed, out, out_len, ret) }
}

/// Writes `result` serialized (`DONE`) or its error (`FAILED`) as [`deliver`] does; the code.
///
/// # Safety
///
/// As [`deliver`].
unsafe fn answer<T: uniffi::Lower<UniFfiTag>>(
    result: Result<T, CsmsException>,
    out: *mut u8,
    out_len: i32,
    ret: *mut i64,
) -> i32 {
    let mut output = Vec::with_capacity(512);
    let code = match result {
        Ok(value) => {
            <T as uniffi::Lower<UniFfiTag>>::write(value, &mut output);
            DONE
        }
        Err(e) => {
            <CsmsException as uniffi::Lower<UniFfiTag>>::write(e, &mut output);
            FAILED
        }
    };
    // SAFETY: as the caller promises.
    unsafe { deliver(&output, out, out_len, ret) };
    code
}

/// Kotlin's `CsmsClient.buildRequest` (`method == 0`: `input` holds `operation`, `input_json`
/// and the optional `at`) or `parseResponse` (`method == 1`: `operation` and the
/// `HttpResponse`) in one crossing, on `client` (its handle, kept alive for the time of this
/// function); answers as [`csms_uniffi_sign`] does.
///
/// # Safety
///
/// `client` is the handle of a live `CsmsClient`; otherwise as [`csms_uniffi_sign`].
#[no_mangle]
pub unsafe extern "C" fn csms_uniffi_client_method(
    client: i64,
    method: i32,
    input: *const u8,
    input_len: i32,
    out: *mut u8,
    out_len: i32,
    ret: *mut i64,
) -> i32 {
    // SAFETY: a live client, borrowed for this function; `input` as the caller promises.
    let (client, mut input) = unsafe { (&*(client as usize as *const CsmsClient), bytes(input, input_len)) };
    // SAFETY: as the caller promises.
    unsafe {
        if method == 0 {
            let request = crate::guard(|| {
                let (operation, json, at) = (read(&mut input)?, read(&mut input)?, read(&mut input)?);
                client.build_request(operation, json, at)
            });
            answer(request, out, out_len, ret)
        } else {
            let result = crate::guard(|| client.parse_response(read(&mut input)?, read(&mut input)?));
            answer(result, out, out_len, ret)
        }
    }
}

//! The few JNI types and functions the Kotlin fast path needs (`fast.rs`, `cache.rs`), declared
//! by hand: a call through JNI costs tens of nanoseconds where JNA's marshalling costs
//! microseconds. Indices are those of `JNINativeInterface_` in the JDK's `jni.h` (stable since
//! JNI 1.1; every function used here dates from 1.2 or earlier, so Android's JNI has them too).

use std::ffi::c_void;

/// A JNI local reference (`jobject`; here a `byte[]` or the declaring class).
pub type JObject = *mut c_void;

/// `JNIEnv*`: a pointer to the pointer to the function table.
pub type JniEnv = *mut *const *const c_void;

const GET_ARRAY_LENGTH: usize = 171;
const NEW_BYTE_ARRAY: usize = 176;
const SET_BYTE_ARRAY_REGION: usize = 208;
const GET_PRIMITIVE_ARRAY_CRITICAL: usize = 222;
const RELEASE_PRIMITIVE_ARRAY_CRITICAL: usize = 223;

/// The JNI environment of the calling thread, as given to a native method.
#[derive(Clone, Copy)]
pub struct Env(JniEnv);

impl Env {
    /// The environment a native method received.
    ///
    /// # Safety
    ///
    /// `env` is the `JNIEnv*` the JVM gave the native method now running on this thread.
    pub unsafe fn new(env: JniEnv) -> Self {
        Env(env)
    }

    /// Function `index` of the table, as type `F` (its C signature).
    ///
    /// # Safety
    ///
    /// `F` is the `extern "system"` signature of function `index` of `jni.h`.
    unsafe fn function<F: Copy>(self, index: usize) -> F {
        // SAFETY: the table has this entry (see above), a function of signature `F`.
        unsafe { std::mem::transmute_copy(&*(*self.0).add(index)) }
    }

    /// The length of `array` (a non-null `byte[]`).
    fn length(self, array: JObject) -> usize {
        // SAFETY: `GetArrayLength(JNIEnv*, jarray) -> jsize`.
        let f: unsafe extern "system" fn(JniEnv, JObject) -> i32 = unsafe { self.function(GET_ARRAY_LENGTH) };
        // SAFETY: a live environment and array.
        usize::try_from(unsafe { f(self.0, array) }).unwrap_or(0)
    }

    /// Runs `body` on the first `len` bytes of `array` (all of them for a negative `len`; none
    /// for a null array), read in place (`GetPrimitiveArrayCritical`: no copy): `body` must
    /// not block nor call into the JVM. `None` when `len` is beyond the array or the JVM gave
    /// no access (out of memory).
    pub fn with_bytes<R>(self, array: JObject, len: i32, body: impl FnOnce(&[u8]) -> R) -> Option<R> {
        if array.is_null() {
            return Some(body(&[]));
        }
        let size = self.length(array);
        let len = match usize::try_from(len) {
            Ok(len) if len <= size => len,
            Ok(_) => return None,
            Err(_) => size,
        };
        if len == 0 {
            return Some(body(&[]));
        }
        // SAFETY: `GetPrimitiveArrayCritical(JNIEnv*, jarray, jboolean*) -> void*` and
        // `ReleasePrimitiveArrayCritical(JNIEnv*, jarray, void*, jint)`.
        let (get, release): (
            unsafe extern "system" fn(JniEnv, JObject, *mut u8) -> *mut c_void,
            unsafe extern "system" fn(JniEnv, JObject, *mut c_void, i32),
        ) = unsafe { (self.function(GET_PRIMITIVE_ARRAY_CRITICAL), self.function(RELEASE_PRIMITIVE_ARRAY_CRITICAL)) };
        // SAFETY: a live environment and array; the elements are released below, whatever
        // `body` does (a panic unwinds through the guard, which releases them).
        let elements = unsafe { get(self.0, array, std::ptr::null_mut()) };
        if elements.is_null() {
            return None;
        }
        /// Releases the elements (mode 2, JNI_ABORT: nothing to copy back) when dropped.
        struct Release(unsafe extern "system" fn(JniEnv, JObject, *mut c_void, i32), JniEnv, JObject, *mut c_void);
        impl Drop for Release {
            fn drop(&mut self) {
                // SAFETY: the elements of this array, released once.
                unsafe { (self.0)(self.1, self.2, self.3, 2) }
            }
        }
        let _release = Release(release, self.0, array, elements);
        // SAFETY: the JVM gave `size >= len` bytes at `elements`, valid until released.
        Some(body(unsafe { std::slice::from_raw_parts(elements as *const u8, len) }))
    }

    /// A new `byte[]` holding `bytes`; null when the JVM could not make it (its
    /// `OutOfMemoryError` is then pending, thrown on return to Kotlin).
    pub fn new_bytes(self, bytes: &[u8]) -> JObject {
        let Ok(len) = i32::try_from(bytes.len()) else { return std::ptr::null_mut() };
        // SAFETY: `NewByteArray(JNIEnv*, jsize) -> jbyteArray` and
        // `SetByteArrayRegion(JNIEnv*, jbyteArray, jsize, jsize, const jbyte*)`.
        let (new, set): (
            unsafe extern "system" fn(JniEnv, i32) -> JObject,
            unsafe extern "system" fn(JniEnv, JObject, i32, i32, *const u8),
        ) = unsafe { (self.function(NEW_BYTE_ARRAY), self.function(SET_BYTE_ARRAY_REGION)) };
        // SAFETY: a live environment; `bytes` holds `len` readable bytes.
        unsafe {
            let array = new(self.0, len);
            if !array.is_null() {
                set(self.0, array, 0, len, bytes.as_ptr());
            }
            array
        }
    }

    /// Writes `bytes` at the start of `array` (a `byte[]` at least that long); whether it fit.
    pub fn set_bytes(self, array: JObject, bytes: &[u8]) -> bool {
        if array.is_null() || bytes.len() > self.length(array) {
            return false;
        }
        // SAFETY: `SetByteArrayRegion`, as in `new_bytes`; the array is that long.
        unsafe {
            let set: unsafe extern "system" fn(JniEnv, JObject, i32, i32, *const u8) =
                self.function(SET_BYTE_ARRAY_REGION);
            set(self.0, array, 0, bytes.len() as i32, bytes.as_ptr());
        }
        true
    }
}

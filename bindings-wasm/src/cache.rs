//! The secret cache for `js/cache.js`: the core's [`CacheState`] and the flights it hands out
//! ([`WasmCache`]). Every decision is the core's; JavaScript sends each flight's requests
//! through the client, keeps one Promise per flight for its waiters, and calls the listeners.
//!
//! A cached version crosses the boundary once: the JS side keeps its decoded object under a
//! *slot*, a small number this side gives each cached version (found by the address of its
//! `Arc`, held weakly so that the address stays the version's while the slot lives). A hit
//! returns the slot, a number: no text crosses. `settled()` names the slots of versions the
//! core let go (evicted, cleared), for JavaScript to forget their objects.
//!
//! ```text
//! const code = cache.get(name, stage, byVersion, nowMs);   // >= 0: a hit (slot); throws a known failure
//! //  -2n: wait for flight n (its Promise), then cache.outcome(n): slot, -1 (abandoned: read again), or throws
//! //  -2n-1: send flight n: [operation, input] = JSON.parse(cache.request(n)), then
//! //         cache.received(n, resultJson, '', nowMs) (or (n, undefined, errorJson, nowMs)): -1 (send
//! //         the next request), a slot, or throws the flight's error; after it, cache.settled()
//! ```

use crate::{error_from_json, js_err, json_value};
use csms_core::cache::{CacheConfig, CacheState, CachedVersion, Flight, Lookup, Progress, Target, CURRENT};
use csms_core::{json_text, push_json_str, Error};
use serde_json::Value;
use std::sync::{Arc, Weak};
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// The host's monotonic clock in milliseconds (any origin) as the core takes it.
pub(crate) fn at(ms: f64) -> Duration {
    // `as` saturates: a negative or NaN time is 0.
    Duration::from_micros((ms * 1000.0) as u64)
}

/// A secret cache: the core's state, the flights being sent, and the slots of the versions
/// JavaScript holds objects for.
#[wasm_bindgen]
pub struct WasmCache {
    state: CacheState,
    flights: Vec<Flight>,
    slots: Vec<Option<Weak<CachedVersion>>>,
    /// The slot of each version by the address of its `Arc`, sorted by address (a binary
    /// search: a `HashMap` here cost ~1 KB gzipped of the module).
    index: Vec<(usize, u32)>,
}

#[wasm_bindgen]
impl WasmCache {
    /// A cache with a TTL of `ttl_ms`, at most `max_entries` secrets, serving a value at most
    /// `max_stale_ms` past its expiry while the service fails (undefined: no limit); the
    /// jitter is seeded from `seed_hi` and `seed_lo`. Throws a validation error naming `ttl`
    /// or `max_entries`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        ttl_ms: f64,
        max_entries: f64,
        max_stale_ms: Option<f64>,
        seed_hi: u32,
        seed_lo: u32,
    ) -> Result<WasmCache, JsValue> {
        let config =
            CacheConfig { ttl: at(ttl_ms), max_entries: max_entries as usize, max_stale: max_stale_ms.map(at) };
        let seed = (u64::from(seed_hi) << 32) | u64::from(seed_lo);
        Ok(WasmCache {
            state: CacheState::new(config, seed).map_err(js_err)?,
            flights: Vec::new(),
            slots: Vec::new(),
            index: Vec::new(),
        })
    }

    /// A read of `name` at `now_ms`: `target` is the stage (empty: `SYSCURRENT`) or, with
    /// `by_version`, the version id. Returns a slot (a hit), `-2n` (wait for flight `n`) or
    /// `-2n-1` (send flight `n`); throws the error a known failure is answered with.
    pub fn get(&mut self, name: &str, target: &str, by_version: bool, now_ms: f64) -> Result<f64, JsValue> {
        let target = match (by_version, target.is_empty()) {
            (true, _) => Target::Version(target),
            (false, true) => Target::Stage(CURRENT),
            (false, false) => Target::Stage(target),
        };
        match self.state.get(name, target, at(now_ms)) {
            Lookup::Hit(version) => Ok(self.slot(&version)),
            Lookup::Failed(error) => Err(js_err(error)),
            Lookup::Wait(id) => Ok(-2.0 * id as f64),
            Lookup::Fetch(flight) => {
                let id = flight.id();
                self.flights.push(flight);
                Ok(-2.0 * id as f64 - 1.0)
            }
        }
    }

    /// The request flight `id` sends now, as the JSON text of `[operation, input]`.
    pub fn request(&self, id: f64) -> Result<String, JsValue> {
        let flight = self.flights.iter().find(|f| f.id() as f64 == id).ok_or_else(no_flight)?;
        let mut out = String::from("[");
        push_json_str(&mut out, flight.operation());
        out.push(',');
        out.push_str(&json_text(&flight.input()));
        out.push(']');
        Ok(out)
    }

    /// Flight `id`'s request got its result (JSON text) at `now_ms`, or (`result` undefined)
    /// failed with `error` (the JSON text of an error object, as `js/errors.js` writes it):
    /// `-1` (send the next request), the slot of the version read (a stale value may stand in
    /// for a transient failure), or throws the flight's error.
    pub fn received(&mut self, id: f64, result: Option<String>, error: &str, now_ms: f64) -> Result<f64, JsValue> {
        let result = match result {
            Some(text) => json_value(&text).map_err(|e| Error::validation("result", e.to_string())),
            None => Err(error_from_json(error)),
        };
        let flight = self.take(id).ok_or_else(no_flight)?;
        match self.state.receive(flight, result, at(now_ms)) {
            Progress::Call(next) => {
                self.flights.push(next);
                Ok(-1.0)
            }
            Progress::Done(Ok(version)) => Ok(self.slot(&version)),
            Progress::Done(Err(error)) => Err(js_err(error)),
        }
    }

    /// The sender of flight `id` gave up before its end: its waiters read again.
    pub fn abandon(&mut self, id: f64) {
        if let Some(flight) = self.take(id) {
            self.state.abandon(flight);
        }
    }

    /// For a reader that waited for flight `id`: the slot of its version, `-1` when it was
    /// abandoned (read again), or throws its error.
    pub fn outcome(&mut self, id: f64) -> Result<f64, JsValue> {
        match self.state.outcome(id as u64) {
            Some(Ok(version)) => Ok(self.slot(&version)),
            Some(Err(error)) => Err(js_err(error)),
            None => Ok(-1.0),
        }
    }

    /// Makes the next read of every stage of `name` ask the service (at most once a second).
    pub fn refresh(&mut self, name: &str, now_ms: f64) -> bool {
        self.state.refresh(name, at(now_ms))
    }

    /// Forgets every cached value.
    pub fn clear(&mut self) {
        self.state.clear();
    }

    /// The JSON text of the `ShowSecretVersion` result's `version` of the version in `slot`
    /// (`null` when the slot is empty).
    pub fn value(&self, slot: f64) -> String {
        let version = self.slots.get(slot as usize).and_then(|s| s.as_ref()).and_then(Weak::upgrade);
        version.map_or_else(|| "null".to_owned(), |v| json_text(&v.result()["version"]))
    }

    /// What a flight's end (or `clear`) changed, as two lines: the slots freed since the last
    /// call (their versions are no longer cached), separated by `,`; then, when stages moved,
    /// the JSON text of `[{secretName, stage, from, to}]` (`null`: no version).
    pub fn settled(&mut self) -> String {
        let mut out = String::new();
        for (slot, held) in self.slots.iter_mut().enumerate() {
            if let Some(weak) = held.as_ref().filter(|w| w.strong_count() == 0) {
                if let Ok(i) = self.index.binary_search_by_key(&(weak.as_ptr() as usize), |e| e.0) {
                    self.index.remove(i);
                }
                *held = None;
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(&json_text(&Value::from(slot)));
            }
        }
        out.push('\n');
        let changes = self.state.take_changes();
        let version = |out: &mut String, v: &Option<String>| match v {
            Some(v) => push_json_str(out, v),
            None => out.push_str("null"),
        };
        for (i, change) in changes.iter().enumerate() {
            out.push_str(if i == 0 { "[" } else { "," });
            out.push_str("{\"secretName\":");
            push_json_str(&mut out, &change.secret_name);
            out.push_str(",\"stage\":");
            push_json_str(&mut out, &change.stage);
            out.push_str(",\"from\":");
            version(&mut out, &change.from);
            out.push_str(",\"to\":");
            version(&mut out, &change.to);
            out.push('}');
        }
        if !changes.is_empty() {
            out.push(']');
        }
        out
    }
}

impl WasmCache {
    fn take(&mut self, id: f64) -> Option<Flight> {
        let index = self.flights.iter().position(|f| f.id() as f64 == id)?;
        Some(self.flights.swap_remove(index))
    }

    /// The slot of `version`, given now if it has none.
    fn slot(&mut self, version: &Arc<CachedVersion>) -> f64 {
        let address = Arc::as_ptr(version) as usize;
        let at = match self.index.binary_search_by_key(&address, |e| e.0) {
            Ok(i) => return f64::from(self.index[i].1),
            Err(at) => at,
        };
        let weak = Some(Arc::downgrade(version));
        let slot = match self.slots.iter().position(Option::is_none) {
            Some(free) => {
                self.slots[free] = weak;
                free
            }
            None => {
                self.slots.push(weak);
                self.slots.len() - 1
            }
        };
        self.index.insert(at, (address, slot as u32));
        slot as f64
    }
}

fn no_flight() -> JsValue {
    js_err(Error::validation("flight", "no such flight in progress"))
}

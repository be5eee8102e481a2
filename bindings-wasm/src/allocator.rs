//! The module's memory allocator: power-of-two size classes, each with a free list, carved
//! from memory the module grows page by page.
//!
//! It replaces std's dlmalloc in the WebAssembly build: a few hundred bytes of code instead
//! of ~7 KB, and allocation and freeing are a few instructions each. The price is some
//! memory: a block has the power of two at or above its size, and freed blocks are kept for
//! their class only (never merged or returned). That suits this module, which allocates the
//! same kinds of blocks call after call. A WebAssembly instance here has one thread.

// Installed only in the WebAssembly build; native builds compile it for its tests.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;
use std::ptr::null_mut;

/// Classes 2^3 (8 bytes) to 2^31.
const CLASSES: usize = 32;
const PAGE: usize = 65_536;

/// The allocator's state, behind `UnsafeCell`: the module runs on one thread.
pub struct SizeClasses<G: Fn(usize) -> Option<usize>> {
    state: UnsafeCell<State>,
    /// Grows memory by a number of pages; gives the address where the new pages start.
    grow: G,
}

struct State {
    /// The first free block of each class; a free block holds the address of the next.
    free: [*mut u8; CLASSES],
    /// Unused memory `next..end`, from the last growth.
    next: usize,
    end: usize,
}

// SAFETY: WebAssembly instances of this module are single-threaded; the native tests use
// one allocator per test thread.
unsafe impl<G: Fn(usize) -> Option<usize>> Sync for SizeClasses<G> {}

impl<G: Fn(usize) -> Option<usize>> SizeClasses<G> {
    /// An allocator that gets its memory from `grow`.
    pub const fn new(grow: G) -> Self {
        SizeClasses { state: UnsafeCell::new(State { free: [null_mut(); CLASSES], next: 0, end: 0 }), grow }
    }
}

/// The class of a layout: the smallest `c` with `2^c >= max(size, align, 8)`.
fn class_of(layout: Layout) -> usize {
    let size = layout.size().max(layout.align()).max(8);
    (usize::BITS - (size - 1).leading_zeros()) as usize
}

unsafe impl<G: Fn(usize) -> Option<usize>> GlobalAlloc for SizeClasses<G> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let class = class_of(layout);
        if class >= CLASSES || layout.align() > PAGE {
            return null_mut();
        }
        // SAFETY: one thread, and no reference to the state outlives this call.
        let state = unsafe { &mut *self.state.get() };
        let head = state.free[class];
        if !head.is_null() {
            // SAFETY: a free block of this class holds the next free block's address.
            state.free[class] = unsafe { head.cast::<*mut u8>().read() };
            return head;
        }
        let size = 1usize << class;
        let align = size.min(PAGE);
        let mut start = (state.next + align - 1) & !(align - 1);
        if start.checked_add(size).is_none_or(|end| end > state.end) {
            let pages = size.div_ceil(PAGE) + 1;
            let Some(base) = (self.grow)(pages) else {
                return null_mut();
            };
            if base != state.end {
                // Not contiguous with the previous growth: start afresh in the new pages.
                state.next = base;
            }
            state.end = base + pages * PAGE;
            start = (state.next + align - 1) & !(align - 1);
        }
        state.next = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let class = class_of(layout);
        // SAFETY: one thread; `ptr` is a block of this class that is no longer used.
        let state = unsafe { &mut *self.state.get() };
        unsafe { ptr.cast::<*mut u8>().write(state.free[class]) };
        state.free[class] = ptr;
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's layout is valid with the new size (GlobalAlloc's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class_of(new_layout) == class_of(layout) {
            return ptr;
        }
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are at least this long and distinct.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        new
    }
}

/// Grows the module's memory by `pages`; the address where they start.
#[cfg(target_arch = "wasm32")]
fn grow_memory(pages: usize) -> Option<usize> {
    let previous = core::arch::wasm32::memory_grow(0, pages);
    (previous != usize::MAX).then(|| previous * PAGE)
}

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: SizeClasses<fn(usize) -> Option<usize>> = SizeClasses::new(grow_memory as fn(usize) -> Option<usize>);

#[cfg(test)]
mod tests {
    use super::*;

    /// An allocator over a leaked buffer, growing by a page at a time at its end.
    fn arena(pages: usize) -> SizeClasses<impl Fn(usize) -> Option<usize>> {
        let memory: &'static mut [u8] = Box::leak(vec![0u8; (pages + 1) * PAGE].into_boxed_slice());
        let base = (memory.as_ptr() as usize + PAGE - 1) & !(PAGE - 1);
        let used = std::cell::Cell::new(0);
        SizeClasses::new(move |n| {
            (used.get() + n <= pages).then(|| {
                let at = base + used.get() * PAGE;
                used.set(used.get() + n);
                at
            })
        })
    }

    #[test]
    fn blocks_are_aligned_distinct_and_reused() {
        let heap = arena(64);
        let mut blocks = Vec::new();
        for (size, align) in [(1, 1), (8, 8), (24, 8), (100, 4), (4096, 16), (70_000, 8), (3, 64), (0, 1)] {
            let layout = Layout::from_size_align(size, align).unwrap();
            let p = unsafe { heap.alloc(layout) };
            assert!(!p.is_null() && p as usize % align == 0, "{size} {align}");
            unsafe { p.write_bytes(0xAB, size) };
            blocks.push((p, layout));
        }
        for (i, &(p, l)) in blocks.iter().enumerate() {
            for &(q, m) in &blocks[i + 1..] {
                let (a, b) = (p as usize, q as usize);
                assert!(a + l.size() <= b || b + m.size() <= a, "overlap");
            }
        }
        let (p, layout) = blocks[2];
        unsafe { heap.dealloc(p, layout) };
        assert_eq!(unsafe { heap.alloc(Layout::from_size_align(30, 8).unwrap()) }, p);
    }

    #[test]
    fn realloc_keeps_the_contents() {
        let heap = arena(8);
        let layout = Layout::from_size_align(10, 1).unwrap();
        let p = unsafe { heap.alloc(layout) };
        unsafe { p.copy_from_nonoverlapping(b"0123456789".as_ptr(), 10) };
        assert_eq!(unsafe { heap.realloc(p, layout, 12) }, p, "same class");
        let q = unsafe { heap.realloc(p, layout, 1000) };
        assert_eq!(unsafe { std::slice::from_raw_parts(q, 10) }, b"0123456789");
        assert!(unsafe { heap.alloc(Layout::from_size_align(10 * PAGE, 8).unwrap()) }.is_null(), "out of memory");
    }
}

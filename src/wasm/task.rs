//! Running a Rust future as a JavaScript promise, each task polled only
//! from its own promise reactions.
//!
//! `wasm_bindgen_futures::future_to_promise` keeps one queue for every
//! task: whichever task wakes first schedules a microtask that polls all
//! the ready ones. In workerd each request has its own I/O context, and a
//! task of request A polled in a microtask of request B touches A's I/O
//! objects (a response body, a Durable Object stub) "on behalf of a
//! different request": workerd throws, the exception unwinds through the
//! task and its promise never settles (the request ends in a 500). The soak
//! found it: 49 of 100 000 requests at 50 concurrent connections, at the
//! moment the isolates' ticket copies expired together.
//!
//! Here a task is started by a microtask of the caller's context and then
//! polled only by its waker, synchronously, from the reaction of the
//! promise it was waiting on, which runs in the context that promise
//! belongs to. Nothing is shared between tasks, and no `unsafe` is needed:
//! wakers carry a task id, and the tasks live in a thread-local table (a
//! slab: a slot's index and generation make the id, so that a waker of a
//! finished task never polls the task that took its slot).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::boundary::{settled, task_promise};

type Boxed = Pin<Box<dyn Future<Output = ()>>>;

/// A task's slot: its future while it is not being polled, and whether it
/// was woken while being polled (it is then polled again at once).
struct Slot {
    future: Option<Boxed>,
    woken: bool,
}

/// One place of the table: its generation (bumped when its task is done)
/// and its task, if any.
struct Place {
    generation: u32,
    slot: Option<Slot>,
}

/// The tasks: places by index, and the free ones.
struct Tasks {
    places: Vec<Place>,
    free: Vec<u32>,
}

impl Tasks {
    /// Takes a place for `slot`: its id (generation above, index below).
    fn insert(&mut self, slot: Slot) -> u64 {
        let id = |generation: u32, index: u32| (u64::from(generation) << 32) | u64::from(index);
        if let Some(index) = self.free.pop() {
            if let Some(place) = self.places.get_mut(index as usize) {
                place.slot = Some(slot);
                return id(place.generation, index);
            }
        }
        let index = u32::try_from(self.places.len()).unwrap_or(u32::MAX);
        self.places.push(Place {
            generation: 0,
            slot: Some(slot),
        });
        id(0, index)
    }

    /// The place of task `id`, while that task lives.
    fn place(&mut self, id: u64) -> Option<&mut Place> {
        let (generation, index) = ((id >> 32) as u32, id as u32);
        self.places
            .get_mut(index as usize)
            .filter(|p| p.generation == generation && p.slot.is_some())
    }

    /// Task `id`'s slot, while it lives.
    fn get_mut(&mut self, id: u64) -> Option<&mut Slot> {
        self.place(id)?.slot.as_mut()
    }

    /// Frees task `id`'s place.
    fn remove(&mut self, id: u64) {
        if let Some(place) = self.place(id) {
            place.slot = None;
            place.generation = place.generation.wrapping_add(1);
            self.free.push(id as u32);
        }
    }
}

thread_local! {
    static TASKS: RefCell<Tasks> = const {
        RefCell::new(Tasks {
            places: Vec::new(),
            free: Vec::new(),
        })
    };
}

/// Wakes task `0` by polling it.
struct TaskWaker(u64);

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        poll(self.0);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        poll(self.0);
    }
}

/// Polls task `id` until it is pending without having been woken in the
/// meantime, or done. A wake that arrives while the task is being polled
/// (its future is out of the table) only marks it to be polled again.
fn poll(id: u64) {
    loop {
        let future = TASKS.with(|t| {
            let mut tasks = t.borrow_mut();
            let slot = tasks.get_mut(id)?;
            match slot.future.take() {
                Some(f) => {
                    slot.woken = false;
                    Some(f)
                }
                None => {
                    slot.woken = true;
                    None
                }
            }
        });
        let Some(mut future) = future else {
            return;
        };
        let waker = Waker::from(Arc::new(TaskWaker(id)));
        let mut cx = Context::from_waker(&waker);
        let done = future.as_mut().poll(&mut cx).is_ready();
        let again = TASKS.with(|t| {
            let mut tasks = t.borrow_mut();
            if done {
                tasks.remove(id);
                return false;
            }
            match tasks.get_mut(id) {
                Some(slot) => {
                    slot.future = Some(future);
                    slot.woken
                }
                None => false,
            }
        });
        if !again {
            return;
        }
    }
}

/// Runs `future` to completion on its own. Its first step runs in a
/// microtask of the caller's context (as with `future_to_promise`: the
/// caller gets its promise before any of the work runs).
pub fn spawn<F: Future<Output = ()> + 'static>(future: F) {
    start(Box::pin(future));
}

/// [`spawn`] of a boxed future: one copy of the starting code, whatever the
/// future.
#[inline(never)]
fn start(future: Boxed) {
    let future = async move {
        let _ = settled(&Promise::resolve(&JsValue::UNDEFINED)).await;
        future.await;
    };
    let id = TASKS.with(|t| {
        t.borrow_mut().insert(Slot {
            future: Some(Box::pin(future)),
            woken: false,
        })
    });
    poll(id);
}

/// `future` as a promise: resolved with its value, rejected with its error.
pub fn promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    settle(Box::pin(future))
}

/// [`promise`] of a boxed future: one copy of the settling code.
#[inline(never)]
fn settle(future: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>) -> Promise {
    // Made in JavaScript, which keeps `reject` until it settles: if the
    // instance traps, the package rejects every task promise of the dead
    // instance instead of leaving its callers waiting forever.
    let parts = task_promise();
    let promise: Promise = parts.get(0).unchecked_into();
    let resolve: Function = parts.get(1).unchecked_into();
    let reject: Function = parts.get(2).unchecked_into();
    spawn(async move {
        let _ = match future.await {
            Ok(value) => resolve.call1(&JsValue::UNDEFINED, &value),
            Err(error) => reject.call1(&JsValue::UNDEFINED, &error),
        };
    });
    promise
}

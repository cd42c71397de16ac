//! A simulated world for the store-lock machine: peers (each with its own
//! clock skew, ticket state and machine), one shared store (a value with a
//! version, a lock with a lease, faults per call), the upstream service (a
//! token and SIGN ticket per refresh, or a refusal) and one clock. The
//! world runs the machines to their end, in the order their answers
//! arrive, and records every invariant it sees broken.

use faceid_edge_core::store_lock::{Action, Input, LockTiming, StoreLock, Stored};
use faceid_edge_core::tickets::{Credential, Plan, Schedule, TicketState};
use faceid_edge_core::Error;
use std::collections::BTreeMap;

/// The world's clock when the run starts (ms).
pub const T0: u64 = 10 * 3_600_000;
/// More actions than any sync can need: past this, it made no progress.
pub const ACTION_LIMIT: usize = 10_000;

/// How the ticket everyone knows (if any) stands at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initial {
    /// Nothing stored, nothing cached.
    Empty,
    /// Obtained this long ago (fresh, near the token's retirement, due or
    /// expired depending on the age).
    Aged(u64),
}

/// What one store call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answers after this many ms (at most `timeoutMs`).
    Ok(u32),
    /// Takes effect but answers too late: the shell sees `TIMEOUT`.
    Late,
    /// Rejects after this many ms, with no effect.
    Err(u32),
}

/// One peer's part.
#[derive(Debug, Clone)]
pub struct PeerPlan {
    /// When its sync starts, after T0.
    pub start_ms: u64,
    /// Its clock's offset from the world's (ms, may be negative).
    pub skew_ms: i64,
    /// A NONCE ticket asked for this sync.
    pub for_nonce: bool,
    /// Whether it already caches the initial ticket.
    pub knows_initial: bool,
    /// Its request ends after this many actions (`true`: its flight is
    /// abandoned at the next step instead, and it stops cleanly).
    pub cancel: Option<(usize, bool)>,
}

/// A whole run.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The client's `timeoutMs`.
    pub timeout_ms: u32,
    /// The peers.
    pub peers: Vec<PeerPlan>,
    /// Whether the store has `compareAndSet`.
    pub cas: bool,
    /// The ticket at the start.
    pub initial: Initial,
    /// The service refused the initial ticket (every peer knows it).
    pub refused_initial: bool,
    /// A lock left by an idle holder, expiring this long after T0.
    pub ghost_lock_ms: Option<u64>,
    /// The store's lock never grants (always held by someone else).
    pub lock_stuck: bool,
    /// The store rejects every write.
    pub refuse_writes: bool,
    /// Store calls, in turn (cycled).
    pub faults: Vec<Fault>,
    /// Upstream refreshes, in turn (cycled): `Ok(ms)` or a refusal.
    pub upstream: Vec<Option<u32>>,
    /// Scheduling delays added to answers, in turn (cycled), below the
    /// step's slack.
    pub stalls: Vec<u32>,
    /// Before the n-th write (counted from 1) a late writer's value lands
    /// in the store (an older holder's pair).
    pub late_writer: Option<usize>,
    /// A process frozen this long before the answer of the n-th action is
    /// handled (never a lock's answer).
    pub freeze: Option<(usize, u64)>,
}

/// What the run saw.
#[derive(Debug, Default)]
pub struct Report {
    /// A refresh started with less than three steps of the lease left, or
    /// not under this peer's lock.
    pub lease_short: Vec<String>,
    /// A write that reached the store after the writer's lease.
    pub write_past_lease: Vec<String>,
    /// Two refreshes in flight at once.
    pub overlap: Vec<String>,
    /// A sync that did not end within its bound.
    pub stuck: Vec<String>,
    /// A sync that failed with an untyped or unexpected code.
    pub bad_error: Vec<String>,
    /// A sync that ended still holding a lock it was granted.
    pub unreleased: Vec<String>,
    /// A peer that ended holding the refused ticket.
    pub refused_adopted: Vec<String>,
    /// Upstream refreshes in all.
    pub refreshes: usize,
    /// How often each kind of event happened (for checking that the
    /// scenarios reach every interleaving).
    pub events: BTreeMap<&'static str, usize>,
    /// Per peer: its outcome (None: cancelled) and its final state, at its
    /// end (local clock).
    pub ends: Vec<End>,
}

/// How a peer ended: its outcome (`None`: cancelled, or stuck), its state,
/// and its local clock then.
pub type End = (Option<Result<(), Error>>, TicketState, u64);

struct Peer {
    plan: PeerPlan,
    state: TicketState,
    machine: Option<StoreLock<u64>>,
    pending: Option<(u64, Input<u64>)>,
    actions: usize,
    held: Option<u64>,
    outcome: Option<Result<(), Error>>,
    end_local: u64,
}

struct World {
    now: u64,
    /// (version, token, ticket)
    value: Option<(u64, Credential, Credential)>,
    version: u64,
    lock: Option<(u64, u64)>,
    next_lock: u64,
    minted: u64,
    /// Refreshes in flight: (peer, ends at).
    in_flight: Vec<(usize, u64)>,
    /// Writes that answered too late and land later: (when, expected,
    /// token, ticket).
    delayed: Vec<(u64, Option<u64>, Credential, Credential)>,
    calls: usize,
    writes: usize,
    ups: usize,
    stalls: usize,
    actions: usize,
}

fn cred(value: String, at: u64, seconds: u64) -> Credential {
    Credential {
        value,
        obtained_at_ms: at,
        expires_at_ms: at + seconds * 1000,
    }
}

fn local(now: u64, skew: i64) -> u64 {
    now.saturating_add_signed(skew)
}

/// Runs `s` with `schedule`; every invariant broken is in the report.
pub fn run(s: &Scenario, schedule: Schedule) -> Report {
    let timing = LockTiming::new(s.timeout_ms);
    let step = timing.step_ms;
    let mut report = Report::default();
    let initial = match s.initial {
        Initial::Empty => None,
        Initial::Aged(age) => Some((
            cred("T0".into(), T0 - age, 7200),
            cred("S0".into(), T0 - age, 3600),
        )),
    };
    let mut w = World {
        now: T0,
        value: initial.clone().map(|(t, k)| (1, t, k)),
        version: 1,
        lock: s.ghost_lock_ms.map(|ms| (0, T0 + ms)),
        next_lock: 1,
        minted: 0,
        in_flight: Vec::new(),
        delayed: Vec::new(),
        calls: 0,
        writes: 0,
        ups: 0,
        stalls: 0,
        actions: 0,
    };
    let mut peers: Vec<Peer> = s
        .peers
        .iter()
        .map(|p| {
            let mut state = TicketState::default();
            if let (true, Some((t, k))) = (p.knows_initial, &initial) {
                state.refreshed(t.clone(), k.clone(), t.obtained_at_ms);
            }
            if s.refused_initial {
                state.refuse("S0");
            }
            Peer {
                plan: p.clone(),
                state,
                machine: Some(StoreLock::new(timing, schedule, true, p.for_nonce)),
                pending: Some((T0 + p.start_ms, Input::Start)),
                actions: 0,
                held: None,
                outcome: None,
                end_local: 0,
            }
        })
        .collect();
    let freeze_total = s.freeze.map_or(0, |(_, ms)| ms);
    let bound = timing.lease_ms + 10 * step + u64::from(timing.poll_ms) + freeze_total;
    while let Some(i) = (0..peers.len())
        .filter(|&i| peers[i].machine.is_some() && peers[i].pending.is_some())
        .min_by_key(|&i| peers[i].pending.as_ref().map(|p| p.0))
    {
        let p = &mut peers[i];
        let (at, input) = p.pending.take().unwrap();
        w.now = w.now.max(at);
        let now = w.now;
        for (_, expected, token, ticket) in w.delayed.iter().filter(|d| d.0 <= now) {
            let value = w.value.as_ref().map(|v| v.0);
            if s.cas && value != *expected {
                *report.events.entry("compare-and-set lost").or_default() += 1;
            } else {
                w.version += 1;
                w.value = Some((w.version, token.clone(), ticket.clone()));
            }
        }
        w.delayed.retain(|d| d.0 > now);
        if let Input::Lock(Ok(Some(t))) = &input {
            p.held = Some(*t);
        }
        let here = local(now, p.plan.skew_ms);
        let machine = p.machine.as_mut().unwrap();
        let holding = machine.holds_lock();
        let action = machine.next(input, &mut p.state, here);
        p.actions += 1;
        w.actions += 1;
        let started = T0 + p.plan.start_ms;
        if p.actions > ACTION_LIMIT || now > started + bound {
            report.stuck.push(format!(
                "peer {i}: {} actions, {} ms",
                p.actions,
                now - started
            ));
            p.machine = None;
            continue;
        }
        let abandon = match p.plan.cancel {
            Some((n, false)) if p.actions >= n => {
                // Its request ended: the machine is never fed again.
                p.machine = None;
                continue;
            }
            Some((n, true)) => p.actions >= n,
            _ => false,
        };
        let freeze = match s.freeze {
            Some((n, ms)) if n == w.actions && !matches!(action, Action::TryLock { .. }) => ms,
            _ => 0,
        };
        let stall = if s.stalls.is_empty() {
            0
        } else {
            w.stalls += 1;
            u64::from(s.stalls[w.stalls % s.stalls.len()])
        };
        let mut fault = || {
            w.calls += 1;
            if s.faults.is_empty() {
                Fault::Ok(0)
            } else {
                s.faults[w.calls % s.faults.len()]
            }
        };
        let timeout = u64::from(s.timeout_ms);
        let (delay, answer): (u64, Input<u64>) = match action {
            Action::Done | Action::Fail(_) => {
                let outcome = match action {
                    Action::Fail(e) => Err(e),
                    _ => Ok(()),
                };
                let event = match &outcome {
                    Ok(()) => "done",
                    Err(e) if e.message().contains("too slow") => "too slow",
                    Err(e) if e.message().contains("abandoned") => "abandoned",
                    Err(e) if e.message().contains("another process holds") => "gave up",
                    Err(e) if e.code() == "TIMEOUT" => "late store",
                    Err(_) => "failed",
                };
                *report.events.entry(event).or_default() += 1;
                if let Err(e) = &outcome {
                    let ok_codes = ["TICKET_UNAVAILABLE", "TIMEOUT", "NETWORK"];
                    if !ok_codes.contains(&e.code()) || e.message().is_empty() {
                        report.bad_error.push(format!("peer {i}: {e:?}"));
                    }
                }
                if p.held.is_some() || holding {
                    report
                        .unreleased
                        .push(format!("peer {i} ended holding lock {:?}", p.held));
                }
                if s.refused_initial && p.state.current(here, &schedule).map(|c| c.0) == Some("S0")
                {
                    report.refused_adopted.push(format!("peer {i}"));
                }
                p.outcome = Some(outcome);
                p.end_local = here;
                p.machine = None;
                continue;
            }
            Action::Step => (0, Input::Step(!abandon)),
            Action::Sleep(ms) => (u64::from(ms) + stall, Input::Slept),
            Action::Read => {
                let read = || Stored {
                    raw: w.value.as_ref().map(|v| v.0),
                    credentials: w.value.as_ref().map(|v| (v.1.clone(), v.2.clone())),
                };
                match fault() {
                    Fault::Ok(ms) => (u64::from(ms) + stall, Input::Read(Ok(read()))),
                    Fault::Late => (timeout + stall, Input::Read(Err(late("get", timeout)))),
                    Fault::Err(ms) => (u64::from(ms) + stall, Input::Read(Err(rejected("get")))),
                }
            }
            Action::TryLock { lease_ms } => {
                let mut grant = || {
                    if s.lock_stuck || w.lock.is_some_and(|(_, until)| now < until) {
                        *report.events.entry("lock busy").or_default() += 1;
                        return None;
                    }
                    if w.lock.is_some_and(|(holder, _)| holder == 0) {
                        *report
                            .events
                            .entry("idle holder's lock taken over")
                            .or_default() += 1;
                    }
                    w.next_lock += 1;
                    w.lock = Some((w.next_lock, now + lease_ms));
                    Some(w.next_lock)
                };
                match fault() {
                    Fault::Ok(ms) => (u64::from(ms) + stall, Input::Lock(Ok(grant()))),
                    Fault::Late => {
                        // The store took it, but nobody hears: it expires.
                        grant();
                        (timeout + stall, Input::Lock(Err(late("lock", timeout))))
                    }
                    Fault::Err(ms) => (u64::from(ms) + stall, Input::Lock(Err(rejected("lock")))),
                }
            }
            Action::Refresh => {
                let mine = p.held;
                let left = match (w.lock, mine) {
                    (Some((holder, until)), Some(t)) if holder == t => until.saturating_sub(now),
                    _ => 0,
                };
                if left < 3 * step {
                    report.lease_short.push(format!(
                        "peer {i}: refresh with {left} ms of lease (lock {:?}, mine {mine:?})",
                        w.lock
                    ));
                }
                if s.freeze.is_none() {
                    if let Some((other, _)) = w.in_flight.iter().find(|(_, end)| *end > now) {
                        report
                            .overlap
                            .push(format!("peer {i} refreshes while peer {other} does"));
                    }
                }
                w.ups += 1;
                report.refreshes += 1;
                let up = if s.upstream.is_empty() {
                    Some(0)
                } else {
                    s.upstream[w.ups % s.upstream.len()]
                };
                match up {
                    Some(ms) => {
                        let d = u64::from(ms.min(2 * s.timeout_ms)) + stall;
                        w.minted += 1;
                        let at = local(now + d, p.plan.skew_ms);
                        let pair = (
                            cred(format!("T{}", w.minted), at, 7200),
                            cred(format!("S{}", w.minted), at, 3600),
                        );
                        w.in_flight.push((i, now + d));
                        (d, Input::Refreshed(Ok(pair)))
                    }
                    None => (
                        stall,
                        Input::Refreshed(Err(Error::TicketUnavailable(
                            "the service refused the access token: code 400104".into(),
                        ))),
                    ),
                }
            }
            Action::Write {
                expected,
                token,
                ticket,
                ..
            } => {
                let ours = matches!((w.lock, p.held), (Some((h, until)), Some(t)) if h == t && now < until);
                *report.events.entry("write").or_default() += 1;
                w.writes += 1;
                if s.late_writer == Some(w.writes) {
                    let at = token.obtained_at_ms.saturating_sub(step);
                    w.version += 1;
                    w.value = Some((
                        w.version,
                        cred("TL".into(), at, 7200),
                        cred("SL".into(), at, 3600),
                    ));
                }
                if !ours && s.freeze.is_none() {
                    report
                        .write_past_lease
                        .push(format!("peer {i}: lock {:?}, mine {:?}", w.lock, p.held));
                }
                let mut write = || {
                    if s.cas && w.value.as_ref().map(|v| v.0) != expected {
                        *report.events.entry("compare-and-set lost").or_default() += 1;
                        return false;
                    }
                    w.version += 1;
                    w.value = Some((w.version, token.clone(), ticket.clone()));
                    true
                };
                match fault() {
                    _ if s.refuse_writes => (stall, Input::Written(Err(rejected("set")))),
                    Fault::Ok(ms) => (u64::from(ms) + stall, Input::Written(Ok(write()))),
                    Fault::Late => {
                        // It lands after the writer gave up on it.
                        *report.events.entry("late write").or_default() += 1;
                        let lands = now + timeout * (2 + (w.calls % 4) as u64);
                        w.delayed.push((lands, expected, token, ticket));
                        (timeout + stall, Input::Written(Err(late("set", timeout))))
                    }
                    Fault::Err(ms) => (u64::from(ms) + stall, Input::Written(Err(rejected("set")))),
                }
            }
            Action::Release(t) => {
                if w.lock.is_some_and(|(h, _)| h == t) {
                    w.lock = None;
                }
                if p.held == Some(t) {
                    p.held = None;
                }
                (stall, Input::Released)
            }
        };
        p.pending = Some((now + delay + freeze, answer));
    }
    for p in peers {
        report.ends.push((p.outcome, p.state, p.end_local));
    }
    report
}

fn late(method: &str, ms: u64) -> Error {
    Error::Timeout(format!(
        "store.{method} did not answer within {ms} ms (timeoutMs)"
    ))
}

fn rejected(method: &str) -> Error {
    Error::TicketUnavailable(format!("store.{method} rejected with Error"))
}

/// Whether a peer that ended with `Done` holds a ticket it may use without
/// a refresh (not due, not expiring).
pub fn fresh(state: &TicketState, now: u64, schedule: &Schedule) -> bool {
    matches!(state.plan(now, schedule), Plan::Use(_))
}

//! Property tests of the store-lock machine (`store_lock`), driven through
//! the interleavings the JavaScript fault matrix tries: peers racing for
//! the lock, a holder that goes idle (its lock taken over only after the
//! lease), a store that answers late, rejects, refuses writes or never
//! grants the lock, cancelled and abandoned requests, a refused ticket, a
//! token near its retirement for a NONCE ticket, skewed clocks and a frozen
//! process. The world is in `store_lock_sim`.

// Host only: proptest's random source does not build for wasm32.
#![cfg(not(target_arch = "wasm32"))]

#[cfg(test)]
mod store_lock_sim;

use faceid_edge_core::store_lock::{Action, Input, LockTiming, StoreLock};
use faceid_edge_core::tickets::{nonce_next, NonceNext, NoncePlan, Schedule, TicketState};
use proptest::prelude::*;
use store_lock_sim::{fresh, run, Fault, Initial, PeerPlan, Scenario};

const MIN: u64 = 60_000;

/// Ages of the initial ticket: fresh, its token retiring within a NONCE
/// ticket's life, due, expired.
fn initial() -> impl Strategy<Value = Initial> {
    prop_oneof![
        1 => Just(Initial::Empty),
        1 => Just(Initial::Aged(MIN)),
        1 => Just(Initial::Aged(20 * MIN - 60_000)),
        1 => Just(Initial::Aged(21 * MIN)),
        1 => Just(Initial::Aged(61 * MIN)),
    ]
}

/// `Some` of `inner` with probability `p` (never when `p` is 0).
fn maybe<T: core::fmt::Debug + Clone + 'static>(
    p: f64,
    inner: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    if p > 0.0 {
        proptest::option::weighted(p, inner).boxed()
    } else {
        Just(None).boxed()
    }
}

/// `true` with probability `p`.
fn chance(p: f64) -> BoxedStrategy<bool> {
    if p > 0.0 {
        proptest::bool::weighted(p).boxed()
    } else {
        Just(false).boxed()
    }
}

fn peer(timeout: u32, cancels: bool) -> impl Strategy<Value = PeerPlan> {
    let lease = LockTiming::new(timeout).lease_ms;
    (
        prop_oneof![Just(0u64), 0..lease],
        -5_000i64..5_000,
        any::<bool>(),
        any::<bool>(),
        maybe(if cancels { 0.3 } else { 0.0 }, (1usize..30, any::<bool>())),
    )
        .prop_map(
            |(start_ms, skew_ms, for_nonce, knows_initial, cancel)| PeerPlan {
                start_ms,
                skew_ms,
                for_nonce,
                knows_initial,
                cancel,
            },
        )
}

fn fault(timeout: u32) -> impl Strategy<Value = Fault> {
    prop_oneof![
        6 => (0..=timeout).prop_map(Fault::Ok),
        1 => Just(Fault::Late),
        1 => (0..=timeout).prop_map(Fault::Err),
    ]
}

/// Any world; `faulty`: with the store's and the service's faults, idle
/// holders, cancelled requests; `freezes`: with a frozen process.
fn scenario(faulty: bool, freezes: bool) -> impl Strategy<Value = Scenario> {
    (100u32..3_000).prop_flat_map(move |timeout| {
        let lease = LockTiming::new(timeout).lease_ms;
        let faults = if faulty {
            prop::collection::vec(fault(timeout), 1..12).boxed()
        } else {
            prop::collection::vec((0..=timeout).prop_map(Fault::Ok), 1..12).boxed()
        };
        let upstream = if faulty {
            prop::collection::vec(proptest::option::weighted(0.8, 0..=2 * timeout), 1..6).boxed()
        } else {
            prop::collection::vec((0..=2 * timeout).prop_map(Some), 1..6).boxed()
        };
        (
            (
                Just(timeout),
                prop::collection::vec(peer(timeout, faulty), 1..5),
                any::<bool>(),
                initial(),
                any::<bool>(),
            ),
            (
                maybe(if faulty { 0.3 } else { 0.0 }, 1..lease),
                chance(if faulty { 0.1 } else { 0.0 }),
                chance(if faulty { 0.2 } else { 0.0 }),
                faults,
                upstream,
                prop::collection::vec(0u32..1_000, 0..6),
                maybe(if freezes { 0.7 } else { 0.0 }, (1usize..60, 0..2 * lease)),
                maybe(if faulty { 0.3 } else { 0.0 }, 1usize..3),
            ),
        )
            .prop_map(
                |(
                    (timeout_ms, peers, cas, initial, refused),
                    (
                        ghost,
                        lock_stuck,
                        refuse_writes,
                        faults,
                        upstream,
                        stalls,
                        freeze,
                        late_writer,
                    ),
                )| Scenario {
                    timeout_ms,
                    peers,
                    cas,
                    initial,
                    refused_initial: refused && matches!(initial, Initial::Aged(_)),
                    ghost_lock_ms: ghost,
                    lock_stuck,
                    refuse_writes,
                    faults,
                    upstream,
                    stalls,
                    freeze,
                    late_writer,
                },
            )
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    /// No lock held past its lease: a refresh starts only under this peer's
    /// own lock with at least three steps (the token, the ticket, the write)
    /// of it left, even when the process froze after taking the lock; and
    /// without a freeze, every write reaches the store within the lease.
    #[test]
    fn the_lease_covers_every_refresh_and_write(s in scenario(true, true)) {
        let r = run(&s, Schedule::default());
        prop_assert!(r.lease_short.is_empty(), "{:?}", r.lease_short);
        prop_assert!(r.write_past_lease.is_empty(), "{:?}", r.write_past_lease);
    }

    /// At most one refresh in flight per lease, across racing peers, idle
    /// holders, late and failing stores and cancelled requests.
    #[test]
    fn one_refresh_in_flight_at_a_time(s in scenario(true, false)) {
        let r = run(&s, Schedule::default());
        prop_assert!(r.overlap.is_empty(), "{:?}", r.overlap);
    }

    /// Progress: every sync that is not cancelled ends, `Done` or a typed
    /// error with a message, within one lease and ten steps (plus any
    /// freeze), even when the store never grants the lock.
    #[test]
    fn every_sync_ends_within_its_bound_with_a_typed_error(s in scenario(true, true)) {
        let r = run(&s, Schedule::default());
        prop_assert!(r.stuck.is_empty(), "{:?}", r.stuck);
        prop_assert!(r.bad_error.is_empty(), "{:?}", r.bad_error);
        for (i, (outcome, _, _)) in r.ends.iter().enumerate() {
            let cancelled = s.peers[i].cancel.is_some_and(|(_, abandon)| !abandon);
            prop_assert!(outcome.is_some() || cancelled, "peer {} never ended", i);
        }
    }

    /// Every lock a sync was granted is released before it ends, whatever
    /// failed (a store error, a refused refresh, an abandoned flight).
    #[test]
    fn every_lock_taken_is_released(s in scenario(true, false)) {
        let r = run(&s, Schedule::default());
        prop_assert!(r.unreleased.is_empty(), "{:?}", r.unreleased);
    }

    /// With a healthy store and service: at most one refresh between all
    /// peers, every peer ends `Done` with a ticket it may use without a
    /// refresh (never an expired or due one), and a peer that asked for a
    /// NONCE ticket can mint it from a token that outlives it (never from a
    /// retiring one).
    #[test]
    fn a_healthy_store_gives_one_refresh_and_fresh_tickets(s in scenario(false, false)) {
        let schedule = Schedule::default();
        let r = run(&s, schedule);
        prop_assert!(r.refreshes <= 1, "{} refreshes", r.refreshes);
        for (i, (outcome, state, at)) in r.ends.iter().enumerate() {
            prop_assert!(matches!(outcome, Some(Ok(()))), "peer {}: {:?}", i, outcome);
            prop_assert!(fresh(state, *at, &schedule), "peer {}: {:?}", i, state.plan(*at, &schedule));
            if s.peers[i].for_nonce {
                // Minted from a token that outlives the NONCE ticket, never
                // from a fallback that retires within its life.
                let plan = state.nonce_plan(*at, &schedule);
                prop_assert!(matches!(plan, NoncePlan::Mint(_)), "peer {}: {:?}", i, plan);
                let next = nonce_next(state, *at, &schedule, true, 1);
                prop_assert!(matches!(next, NonceNext::Mint(_)), "peer {}: {:?}", i, next);
            }
        }
    }

    /// A ticket the service refused is never taken back from the store.
    #[test]
    fn the_refused_ticket_is_never_adopted(s in scenario(true, false)) {
        let r = run(&s, Schedule::default());
        prop_assert!(r.refused_adopted.is_empty(), "{:?}", r.refused_adopted);
    }
}

/// Without a store the machine refreshes when wanted and keeps the result.
#[test]
fn without_a_store_a_sync_refreshes_only_when_wanted() {
    let schedule = Schedule::default();
    let timing = LockTiming::new(1000);
    let mut state = TicketState::default();
    let mut m: StoreLock<u64> = StoreLock::new(timing, schedule, false, false);
    assert_eq!(m.next(Input::Start, &mut state, 0), Action::Refresh);
    let pair = |n: u64| {
        let c = |v: &str, s: u64| faceid_edge_core::tickets::Credential {
            value: format!("{v}{n}"),
            obtained_at_ms: n,
            expires_at_ms: n + s * 1000,
        };
        (c("T", 7200), c("S", 3600))
    };
    assert_eq!(
        m.next(Input::Refreshed(Ok(pair(1))), &mut state, 1),
        Action::Done
    );
    assert_eq!(state.ticket_value(), Some("S1"));
    let mut m: StoreLock<u64> = StoreLock::new(timing, schedule, false, false);
    assert_eq!(m.next(Input::Start, &mut state, 2), Action::Done);
    // An answer to another step ends it with an error, never a panic.
    let mut m: StoreLock<u64> = StoreLock::new(timing, schedule, true, false);
    assert!(matches!(
        m.next(Input::Slept, &mut state, 3),
        Action::Fail(e) if e.code() == "TICKET_UNAVAILABLE"
    ));
}

/// The scenarios reach every interleaving the properties speak of: a busy
/// lock, an idle holder's lock taken over after its lease, a lost
/// compare-and-set, a store that answers late, an abandoned flight, a
/// holder too slow to refresh under its lease, a waiter that gives up, and
/// syncs that end `Done`. (Otherwise the properties could pass vacuously.)
#[test]
fn the_scenarios_reach_every_interleaving() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    let mut runner = TestRunner::deterministic();
    for (faulty, freezes) in [(true, true), (true, false), (false, false)] {
        let strategy = scenario(faulty, freezes);
        for _ in 0..1000 {
            let s = strategy.new_tree(&mut runner).unwrap().current();
            for (event, n) in run(&s, Schedule::default()).events {
                *seen.entry(event).or_default() += n;
            }
        }
    }
    for event in [
        "done",
        "lock busy",
        "idle holder's lock taken over",
        "compare-and-set lost",
        "late store",
        "abandoned",
        "too slow",
        "gave up",
        "failed",
    ] {
        assert!(seen.get(event).is_some_and(|&n| n > 0), "{event}: {seen:?}");
    }
}

/// A holder that took the lock and went idle: its lock is taken over only
/// once the store expires it, then with one refresh; while it lives, a
/// waiter whose patience (one lease) runs out first fails with a typed
/// error instead of waiting for ever.
#[test]
fn an_idle_holders_lock_is_taken_over_only_after_its_lease() {
    let timing = LockTiming::new(1000);
    let world = |ghost_lock_ms| Scenario {
        timeout_ms: 1000,
        peers: vec![PeerPlan {
            start_ms: 0,
            skew_ms: 0,
            for_nonce: false,
            knows_initial: true,
            cancel: None,
        }],
        cas: true,
        initial: Initial::Aged(21 * MIN),
        refused_initial: false,
        ghost_lock_ms: Some(ghost_lock_ms),
        lock_stuck: false,
        refuse_writes: false,
        faults: vec![Fault::Ok(10)],
        upstream: vec![Some(50)],
        stalls: vec![],
        freeze: None,
        late_writer: None,
    };
    // The idle holder's lock has most of its lease left: taken over after it.
    let r = run(&world(timing.lease_ms - 500), Schedule::default());
    assert_eq!(r.events.get("idle holder's lock taken over"), Some(&1));
    assert_eq!(r.refreshes, 1);
    let (outcome, state, at) = &r.ends[0];
    assert_eq!(outcome, &Some(Ok(())));
    assert!(*at >= store_lock_sim::T0 + timing.lease_ms - 500);
    assert!(fresh(state, *at, &Schedule::default()));
    // A lock that outlives the waiter's patience: it gives up, typed.
    let r = run(&world(timing.lease_ms + 5_000), Schedule::default());
    assert_eq!(r.refreshes, 0);
    match &r.ends[0].0 {
        Some(Err(e)) => {
            assert_eq!(e.code(), "TICKET_UNAVAILABLE");
            assert!(e
                .message()
                .contains("another process holds the refresh lock"));
        }
        other => panic!("{other:?}"),
    }
}

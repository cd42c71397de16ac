//! Unit tests of the NONCE ticket rules.

use super::*;

const NONCE_WINDOW: u64 = NONCE_TICKET_TTL_MS + NONCE_MINT_MARGIN_MS;

#[test]
fn a_nonce_ticket_is_minted_only_from_a_token_that_outlives_it() {
    let s = Schedule::default();
    let t = cred("T", 0, 7200);
    let plan = 20 * MIN; // the token's planned replacement
                         // Up to the window before the planned refresh: mint.
    assert_eq!(nonce_mint(&t, plan, 0, &s), NonceMint::Mint);
    assert_eq!(
        nonce_mint(&t, plan, plan - NONCE_WINDOW, &s),
        NonceMint::Mint
    );
    // Any closer, and the ticket could outlive its token: refresh first;
    // if no refresh can be had, this token (not replaced yet) still may.
    for now in [
        plan - NONCE_WINDOW + 1,
        plan - 2 * MIN,
        plan - 30_000,
        plan - 1,
    ] {
        assert_eq!(
            nonce_mint(&t, plan, now, &s),
            NonceMint::RefreshFirst { fallback: true },
            "{now}"
        );
    }
    // Once the refresh is due, the token is as good as replaced.
    for now in [plan, plan + MIN, 3 * 3_600_000] {
        assert_eq!(
            nonce_mint(&t, plan, now, &s),
            NonceMint::RefreshFirst { fallback: false },
            "{now}"
        );
    }
}

#[test]
fn a_nonce_ticket_never_outlives_its_tokens_expiry() {
    let s = Schedule {
        refresh_every_ms: 10 * 3_600_000, // the plan alone would allow it
        ..Schedule::default()
    };
    let t = cred("T", 0, 600); // a token that lives 10 minutes
    assert_eq!(nonce_mint(&t, 10 * 3_600_000, 0, &s), NonceMint::Mint);
    let expires = 10 * MIN;
    assert_eq!(
        nonce_mint(&t, 10 * 3_600_000, expires - NONCE_WINDOW, &s),
        NonceMint::Mint
    );
    assert_eq!(
        nonce_mint(&t, 10 * 3_600_000, expires - NONCE_WINDOW + 1, &s),
        NonceMint::RefreshFirst { fallback: true }
    );
    // Within the safety window before expiry it mints nothing, even as a fallback.
    assert_eq!(
        nonce_mint(&t, 10 * 3_600_000, expires - s.safety_ms, &s),
        NonceMint::RefreshFirst { fallback: false }
    );
}

#[test]
fn a_refresh_interval_shorter_than_the_window_mints_until_due_without_rotating_tokens() {
    let s = Schedule {
        refresh_every_ms: 1000,
        ..Schedule::default()
    };
    let t = cred("T", 0, 7200);
    // A fresh token would retire within the window too: refreshing early
    // would only rotate tokens, so the current one mints until due.
    assert_eq!(nonce_mint(&t, 1000, 0, &s), NonceMint::Mint);
    assert_eq!(nonce_mint(&t, 1000, 999, &s), NonceMint::Mint);
    assert_eq!(
        nonce_mint(&t, 1000, 1000, &s),
        NonceMint::RefreshFirst { fallback: false }
    );
    // Exactly the window: a fresh token is planned to last long enough.
    let s = Schedule {
        refresh_every_ms: NONCE_WINDOW,
        ..Schedule::default()
    };
    assert_eq!(
        nonce_mint(&t, NONCE_WINDOW, 1, &s),
        NonceMint::RefreshFirst { fallback: true }
    );
}

#[test]
fn the_nonce_plan_follows_the_cached_tokens_refresh() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    assert_eq!(st.nonce_plan(0, &s), NoncePlan::Refresh { fallback: None });
    st.refreshed(cred("T0", 0, 7200), cred("S0", 100, 3600), 100);
    assert_eq!(st.nonce_plan(MIN, &s), NoncePlan::Mint("T0".into()));
    assert!(!st.nonce_wants_refresh(MIN, &s));
    // The planned refresh is the earlier of the token's and its ticket's.
    assert_eq!(
        st.nonce_plan(20 * MIN - NONCE_WINDOW, &s),
        NoncePlan::Mint("T0".into())
    );
    let near = 20 * MIN - NONCE_WINDOW + 1;
    assert_eq!(
        st.nonce_plan(near, &s),
        NoncePlan::Refresh {
            fallback: Some("T0".into())
        }
    );
    assert!(st.nonce_wants_refresh(near, &s));
    // The SIGN ticket is not due yet: only a NONCE ticket asks for this refresh.
    assert!(!st.wants_refresh(near, &s));
    // Backing off after a failed refresh: no refresh, the fallback mints.
    st.failed(&Error::Network("down".into()), near, &s, 0);
    assert!(!st.nonce_wants_refresh(near + 1, &s));
    assert_eq!(
        st.nonce_plan(near + 1, &s),
        NoncePlan::Refresh {
            fallback: Some("T0".into())
        }
    );
    // After the refresh, the new token mints.
    st.refreshed(
        cred("T1", near + 2000, 7200),
        cred("S1", near + 2000, 3600),
        near + 2000,
    );
    assert_eq!(st.nonce_plan(near + 2000, &s), NoncePlan::Mint("T1".into()));
    assert!(!st.nonce_wants_refresh(near + 2000, &s));
}

#[test]
fn a_newer_minted_token_retires_the_cached_one_for_nonce_tickets() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    // A refresh minted T1 but not yet its SIGN ticket: T0 was replaced
    // then, so NONCE tickets come from T1 (the next refresh reuses it).
    st.minted(cred("T1", 10 * MIN, 7200));
    assert_eq!(
        st.nonce_plan(10 * MIN + 1, &s),
        NoncePlan::Mint("T1".into())
    );
    // A minted token that can no longer be used does not bring T0 back.
    let mut st = TicketState::default();
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    st.minted(cred("T1", 10 * MIN, 60));
    assert_eq!(
        st.nonce_plan(12 * MIN, &s),
        NoncePlan::Refresh { fallback: None }
    );
}

#[test]
fn with_a_store_a_nonce_ticket_waits_for_a_recent_read() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    st.read_store(0);
    assert_eq!(
        st.nonce_plan_shared(29_999, &s),
        NoncePlan::Mint("T0".into())
    );
    // Not read for 30 s: read first (a peer may have replaced T0); T0 stays the fallback.
    assert_eq!(
        st.nonce_plan_shared(30_000, &s),
        NoncePlan::Refresh {
            fallback: Some("T0".into())
        }
    );
    st.read_store(30_000);
    assert_eq!(
        st.nonce_plan_shared(30_001, &s),
        NoncePlan::Mint("T0".into())
    );
    // Near the planned refresh, as without a store.
    st.read_store(19 * MIN);
    assert_eq!(
        st.nonce_plan_shared(19 * MIN, &s),
        NoncePlan::Refresh {
            fallback: Some("T0".into())
        }
    );
}

#[test]
fn a_nonce_request_syncs_at_most_twice_then_takes_the_fallback_or_fails() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    assert_eq!(
        nonce_next(&st, MIN, &s, false, 0),
        NonceNext::Mint("T0".into())
    );
    // Near the planned refresh: sync first, twice at most, then the token
    // that was not replaced yet.
    let near = 20 * MIN - NONCE_WINDOW + 1;
    assert_eq!(nonce_next(&st, near, &s, false, 0), NonceNext::Sync);
    assert_eq!(nonce_next(&st, near, &s, false, 1), NonceNext::Sync);
    assert_eq!(
        nonce_next(&st, near, &s, false, NONCE_SYNCS),
        NonceNext::Mint("T0".into())
    );
    // With a store not read for 30 s: read first; T0 stays the fallback.
    st.read_store(0);
    assert_eq!(nonce_next(&st, 30_000, &s, true, 0), NonceNext::Sync);
    assert_eq!(
        nonce_next(&st, 30_000, &s, false, 0),
        NonceNext::Mint("T0".into())
    );
    // Backing off after a failure: no sync, the fallback mints.
    st.failed(&Error::Network("down".into()), near, &s, 0);
    assert_eq!(
        nonce_next(&st, near + 1, &s, false, 0),
        NonceNext::Mint("T0".into())
    );
    // Once due there is no fallback: the reason, backing off or not.
    let due = 20 * MIN;
    let NonceNext::Fail(e) = nonce_next(&st, due, &s, false, NONCE_SYNCS) else {
        panic!("no fallback once due");
    };
    assert_eq!(e.code(), "TICKET_UNAVAILABLE");
    assert_eq!(e.message(), "no valid access token: NETWORK: down");
    st.failed(&Error::Network("down".into()), due, &s, 0);
    let NonceNext::Fail(e) = nonce_next(&st, due, &s, false, 0) else {
        panic!("backing off without a fallback");
    };
    assert_eq!(
        e.message(),
        "no valid access token, and the last refresh failed (NETWORK: down)"
    );
}

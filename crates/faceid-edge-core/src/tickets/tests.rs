//! Unit tests of the token and ticket rules.

use super::*;

const MIN: u64 = 60_000;

mod nonce;

fn cred(value: &str, at: u64, seconds: u64) -> Credential {
    Credential {
        value: value.into(),
        obtained_at_ms: at,
        expires_at_ms: at + seconds * 1000,
    }
}

#[test]
fn urls() {
    let u = token_url("http://127.0.0.1:1", "IDA", "s e&c");
    assert_eq!(
        u,
        "http://127.0.0.1:1/api/oauth2/access_token?app_id=IDA&secret=s+e%26c&grant_type=client_credential&version=1.0.0"
    );
    let u = ticket_url("https://h", "IDA", "TOK", TicketType::Sign).unwrap();
    assert_eq!(
        u,
        "https://h/api/oauth2/api_ticket?app_id=IDA&access_token=TOK&type=SIGN&version=1.0.0"
    );
    let u = ticket_url(
        "https://h",
        "IDA",
        "TOK",
        TicketType::Nonce { user_id: "u1" },
    )
    .unwrap();
    assert!(u.ends_with("&type=NONCE&user_id=u1&version=1.0.0"));
    let e = ticket_url(
        "https://h",
        "IDA",
        "TOK",
        TicketType::Nonce {
            user_id: &"u".repeat(31),
        },
    )
    .unwrap_err();
    assert_eq!(e.code(), "INVALID_USER_ID");
}

#[test]
fn expire_in_as_number_or_string() {
    assert_eq!(expire_in_seconds("7200").unwrap(), 7200);
    assert_eq!(expire_in_seconds("120").unwrap(), 120);
    assert_eq!(expire_in_seconds("3600.0").unwrap(), 3600);
    for bad in ["", "0", "-5", "1e3", "soon", "20151022044027x"] {
        assert_eq!(
            expire_in_seconds(bad).unwrap_err().code(),
            "BAD_RESPONSE",
            "{bad}"
        );
    }
}

#[test]
fn credentials_from_answers() {
    let c = credential(
        "SIGN ticket",
        Some("0"),
        Some("ok"),
        Some("TICKET"),
        Some("3600"),
        1000,
    )
    .unwrap();
    assert_eq!(c.expires_at_ms, 1000 + 3_600_000);
    assert!(!format!("{c:?}").contains("TICKET"));
    let e = credential(
        "access token",
        Some("400104"),
        Some("bad secret"),
        None,
        None,
        0,
    )
    .unwrap_err();
    assert_eq!(e.code(), "TICKET_UNAVAILABLE");
    assert!(e.message().contains("400104"));
    let e = credential(
        "access token",
        Some("0"),
        None,
        Some("a b"),
        Some("7200"),
        0,
    )
    .unwrap_err();
    assert_eq!(e.code(), "BAD_RESPONSE");
    let e = credential("access token", Some("0"), None, Some("tok"), None, 0).unwrap_err();
    assert_eq!(e.code(), "BAD_RESPONSE");
}

#[test]
fn refresh_every_twenty_minutes_and_before_expiry() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    assert_eq!(st.plan(0, &s), Plan::Refresh);
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    assert_eq!(st.plan(19 * MIN, &s), Plan::Use("S0".into()));
    assert_eq!(st.plan(20 * MIN, &s), Plan::UseAndRefresh("S0".into()));
    // A short-lived ticket is refreshed before expiry minus the margin.
    let mut short = TicketState::default();
    short.refreshed(cred("T", 0, 7200), cred("S", 0, 600), 0);
    assert_eq!(short.plan(5 * MIN - 1, &s), Plan::Use("S".into()));
    assert_eq!(short.plan(5 * MIN, &s), Plan::UseAndRefresh("S".into()));
    // Past expiry minus the safety window it is not handed out.
    assert_eq!(short.plan(10 * MIN - 30_000, &s), Plan::Refresh);
}

#[test]
fn failures_keep_the_old_ticket_and_back_off() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    let err = Error::Network("down".into());
    st.failed(&err, 20 * MIN, &s, 0);
    // Still served while valid, no refresh before the backoff ends.
    assert_eq!(st.plan(20 * MIN + 100, &s), Plan::Use("S0".into()));
    assert_eq!(
        st.plan(20 * MIN + 500, &s),
        Plan::UseAndRefresh("S0".into())
    );
    // Once expired and backing off: unavailable, with the reason.
    let t = 59 * MIN + 40_000; // past expiry minus the safety window
    st.failed(&err, t, &s, 0);
    st.failed(&err, t, &s, 0);
    match st.plan(t + 100, &s) {
        Plan::Unavailable {
            reason,
            retry_at_ms,
        } => {
            assert_eq!(reason, "NETWORK: down");
            assert!(retry_at_ms > t + 100);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(st.plan(t + 60_000, &s), Plan::Refresh);
    let status = st.status(60 * MIN, &s);
    assert_eq!(status.failures, 3);
    assert!(!status.has_ticket);
    assert_eq!(status.last_error.unwrap().code, "NETWORK");
    // A success clears it all.
    st.refreshed(
        cred("T1", 61 * MIN, 7200),
        cred("S1", 61 * MIN, 3600),
        61 * MIN,
    );
    assert_eq!(st.plan(61 * MIN, &s), Plan::Use("S1".into()));
    assert_eq!(st.status(61 * MIN, &s).failures, 0);
}

#[test]
fn backoff_is_capped() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    for _ in 0..40 {
        st.failed(&Error::Network("x".into()), 0, &s, u32::MAX);
    }
    assert!(st.retry_at_ms <= s.retry_max_ms);
    assert!(st.retry_at_ms >= s.retry_max_ms / 2);
}

#[test]
fn invalidate_forces_a_refresh_and_token_rules() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    assert_eq!(st.nonce_plan(MIN, &s), NoncePlan::Mint("T0".into()));
    assert_eq!(
        st.nonce_plan(20 * MIN, &s),
        NoncePlan::Refresh { fallback: None }
    );
    st.invalidate();
    assert_eq!(st.plan(MIN, &s), Plan::Refresh);
    assert_eq!(
        st.nonce_plan(MIN, &s),
        NoncePlan::Refresh { fallback: None }
    );
}

#[test]
fn the_backoff_grows_to_minutes_and_bounds_the_next_attempt() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    assert_eq!(st.next_attempt_in_ms(0, &s), None);
    let err = Error::TicketUnavailable("refused: code 400104".into());
    // Attempts made as soon as allowed, with the largest jitter: never
    // more than 7 within a minute, and the gaps reach the cap (5 min).
    let (mut now, mut attempts_in_first_minute) = (0u64, 0);
    let mut last_gap = 0;
    for _ in 0..14 {
        if now < 60_000 {
            attempts_in_first_minute += 1;
        }
        st.failed(&err, now, &s, 0);
        let next = st.next_attempt_in_ms(now, &s).unwrap();
        assert!(next >= last_gap, "the backoff never shrinks");
        last_gap = next;
        now += next;
    }
    assert!(attempts_in_first_minute <= 7, "{attempts_in_first_minute}");
    assert_eq!(last_gap, s.retry_max_ms / 2);
    // A due ticket does not make the alarm come back before the backoff ends.
    let mut st = TicketState::default();
    st.refreshed(cred("T", 0, 7200), cred("S", 0, 3600), 0);
    assert_eq!(st.next_attempt_in_ms(MIN, &s), Some(19 * MIN));
    st.failed(&err, 20 * MIN, &s, 0);
    st.failed(&err, 20 * MIN, &s, 0);
    assert_eq!(st.next_attempt_in_ms(20 * MIN, &s), Some(1000));
    assert!(!st.wants_refresh(20 * MIN + 999, &s));
    assert!(st.wants_refresh(20 * MIN + 1000, &s));
}

#[test]
fn a_token_minted_without_its_ticket_retires_the_ticket_and_is_reused() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    // A refresh minted T1, then died before fetching its ticket.
    st.minted(cred("T1", 20 * MIN, 7200));
    // S0 dies with T0 one minute after T1: refresh now, hand S0 out only
    // while it safely lives.
    assert_eq!(
        st.plan(20 * MIN + 1000, &s),
        Plan::UseAndRefresh("S0".into())
    );
    assert_eq!(st.current(20 * MIN, &s).unwrap().1, 21 * MIN);
    assert_eq!(st.plan(20 * MIN + 30_000, &s), Plan::Refresh);
    assert_eq!(st.next_attempt_in_ms(20 * MIN + 1000, &s), Some(0));
    // The next refresh fetches its ticket from T1 instead of minting.
    assert_eq!(
        st.reusable_minted(20 * MIN + 1000, &s)
            .map(|t| t.value.as_str()),
        Some("T1")
    );
    assert_eq!(
        st.nonce_plan(20 * MIN + 1000, &s),
        NoncePlan::Mint("T1".into())
    );
    assert!(st.refreshed(
        cred("T1", 20 * MIN, 7200),
        cred("S1", 20 * MIN + 2000, 3600),
        20 * MIN + 2000
    ));
    assert!(st.reusable_minted(20 * MIN + 3000, &s).is_none());
    assert_eq!(st.plan(20 * MIN + 3000, &s), Plan::Use("S1".into()));
}

#[test]
fn an_older_refresh_never_replaces_a_newer_one() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    st.refreshed(cred("T2", 2000, 7200), cred("S2", 2100, 3600), 2100);
    // An abandoned refresh that minted T1 earlier finishes late.
    assert!(!st.refreshed(cred("T1", 1000, 7200), cred("S1", 3000, 3600), 3000));
    assert_eq!(st.ticket_value(), Some("S2"));
    // The store: only newer tokens are adopted, and only usable tickets.
    assert!(!st.adopt(cred("T1", 1000, 7200), cred("S1", 1000, 3600), 4000, &s));
    assert!(!st.adopt(cred("T3", 3000, 7200), cred("S3", 3000, 1), 4000, &s));
    assert!(st.adopt(cred("T3", 3000, 7200), cred("S3", 3000, 3600), 4000, &s));
    assert_eq!(st.ticket_value(), Some("S3"));
    assert_eq!(st.status(4000, &s).refreshes, 1);
}

#[test]
fn with_a_store_the_ticket_is_checked_at_least_every_30_seconds() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    assert_eq!(st.plan_shared(0, &s), Plan::Refresh);
    st.refreshed(cred("T", 0, 7200), cred("S", 0, 3600), 0);
    st.read_store(0);
    assert_eq!(st.plan_shared(29_999, &s), Plan::Use("S".into()));
    // An idle process wakes up: it reads the store before signing.
    assert_eq!(st.plan_shared(30_000, &s), Plan::Refresh);
    st.read_store(30_000);
    assert_eq!(st.plan_shared(30_001, &s), Plan::Use("S".into()));
    // Due since the last read: read again first; after that read, the
    // refresh runs in the background.
    st.read_store(20 * MIN - 1);
    assert_eq!(st.plan_shared(20 * MIN, &s), Plan::Refresh);
    st.read_store(20 * MIN);
    assert_eq!(
        st.plan_shared(20 * MIN + 1, &s),
        Plan::UseAndRefresh("S".into())
    );
    // A refresh that could not be written shows in the status, and the
    // ticket is still used.
    st.shared(Some((
        &Error::TicketUnavailable("store.set rejected".into()),
        1,
    )));
    let status = st.status(20 * MIN + 1, &s);
    assert!(status.has_ticket);
    assert_eq!(status.store_error.unwrap().code, "TICKET_UNAVAILABLE");
    assert_eq!(status.store_read_age_ms, Some(1));
}

#[test]
fn a_failure_reason_is_never_empty() {
    let s = Schedule::default();
    let mut st = TicketState::default();
    assert!(!st.failure_reason().is_empty());
    st.failed(&Error::Network(String::new()), 0, &s, 0);
    let reason = st.failure_reason();
    assert!(
        reason.starts_with("NETWORK: ") && reason.len() > 9,
        "{reason}"
    );
}

#[test]
fn the_replaced_ticket_is_kept_for_checking_until_it_expires() {
    let mut st = TicketState::default();
    st.refreshed(cred("T0", 0, 7200), cred("S0", 0, 3600), 0);
    assert_eq!(st.previous_ticket(0), None);
    st.refreshed(cred("T1", 1000, 7200), cred("S1", 1000, 3600), 1000);
    assert_eq!(st.previous_ticket(2000), Some("S0"));
    assert_eq!(st.previous_ticket(3_600_000 - 1), Some("S0"));
    assert_eq!(st.previous_ticket(3_600_000), None);
    // Never handed out for signing.
    assert_eq!(st.ticket_value(), Some("S1"));
    // The same value again is not a replacement.
    st.refreshed(cred("T2", 2000, 7200), cred("S1", 2000, 3600), 2000);
    assert_eq!(st.previous_ticket(2000), Some("S0"));
}

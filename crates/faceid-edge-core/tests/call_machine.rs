//! Property tests of the call machine (`call_machine.rs`): a driver plays
//! the shell against scripted service behaviour, every interleaving the
//! JavaScript fault matrix tries (busy codes up to and past the retry
//! limit, late files, a ticket error and a renewed ticket, a stale socket,
//! a timeout, a cancelled request, an answer about another order, the
//! call's deadline), and each step the machine takes is checked against
//! the rules written out again here, independently, with the bounds the
//! client promises (sends, renewals, sleeps, the end).
//!
//! Each property was seen to fail on a deliberately broken machine: a
//! resend without limit, a POST resent, a renewal never marked, one busy
//! retry or file poll too many, busy retries that never stop, no order
//! check, sleeps not cut at the deadline, the deadline ignored, the fresh
//! ticket not used, the backoff of the next retry, a resend not announced
//! or not said in the error, a renewal for any code, the answer dropped
//! when the source cannot renew, a lost or repeated outcome, out-of-turn
//! input accepted.

// Host only: proptest's random source does not build for wasm32.
#![cfg(not(target_arch = "wasm32"))]
// The driver and the model are test code outside `#[test]` functions: a
// panic there is a failing test, as in the tests themselves.
#![allow(clippy::indexing_slicing, clippy::expect_used, clippy::panic)]

use faceid_edge_core::call_machine::{call_bound_ms, CallMachine, Event, Finished, Step};
use faceid_edge_core::endpoints::{GetFile, Kind, Method};
use faceid_edge_core::ids::OrderNo;
use faceid_edge_core::response::{files_pending, is_busy, Envelope};
use faceid_edge_core::retry::{Breakage, Policy, CLOSED_CONNECTION_CODES};
use faceid_edge_core::Error;
use proptest::prelude::*;

const ORDER: &str = "order20260101001";
const TICKET_ERROR: &str = "66660015";
const FIRST_TICKET: &str = "ticket-1";
const FRESH_TICKET: &str = "ticket-2";

/// What the service (or the network, or the caller) does to one send.
#[derive(Debug, Clone, PartialEq)]
enum Reply {
    /// An answer: its code, whether the requested files are in it, and
    /// whether it is about another order; `ms` it took.
    Answer {
        code: &'static str,
        files: bool,
        other_order: bool,
        ms: u32,
    },
    /// `fetch` failed before any answer, the connection closed under it
    /// (a kept-alive socket the server had closed).
    ClosedSocket { code: &'static str },
    /// `fetch` failed before any answer, for another reason.
    Refused,
    /// `timeoutMs` ran out.
    Timeout,
    /// The caller's signal ended the call during the exchange.
    Aborted,
    /// An answer began, then broke off.
    BrokenBody,
    /// The body is not JSON (the shell's parse fails).
    NotJson,
}

/// What the ticket source does when asked to renew.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Renewal {
    Fresh,
    CannotRenew,
    Fails,
}

/// How one sleep ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Wake {
    OnTime,
    /// The caller's signal fires after this share (in %) of the sleep.
    Cancelled(u8),
}

/// One call's scenario.
#[derive(Debug, Clone)]
struct Scenario {
    kind: Kind,
    get_file: GetFile,
    policy: Policy,
    ticket_errors: bool,
    deadline_ms: Option<u32>,
    jitter: u32,
    ticket_fails: bool,
    /// Cycled: a scenario whose replies never end must still end.
    replies: Vec<Reply>,
    renewals: Vec<Renewal>,
    wakes: Vec<Wake>,
}

/// Every call, from the table.
const KINDS: [Kind; Kind::EVERY.len()] = Kind::EVERY;

fn reply() -> impl Strategy<Value = Reply> {
    let code = prop_oneof![
        3 => Just("0"),
        3 => prop::sample::select(vec!["999999", "999998", "999997"]),
        2 => Just(TICKET_ERROR),
        1 => prop::sample::select(vec!["66660011", "66660017", "400604", "1"]),
    ];
    prop_oneof![
        8 => (code, any::<bool>(), prop::bool::weighted(0.1), 0u32..3_000).prop_map(
            |(code, files, other_order, ms)| Reply::Answer { code, files, other_order, ms }
        ),
        3 => prop::sample::select(CLOSED_CONNECTION_CODES.to_vec())
            .prop_map(|code| Reply::ClosedSocket { code }),
        1 => Just(Reply::Refused),
        1 => Just(Reply::Timeout),
        1 => Just(Reply::Aborted),
        1 => Just(Reply::BrokenBody),
        1 => Just(Reply::NotJson),
    ]
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        1u32..5_000,
        0u32..5,
        0u32..500,
        0u32..3_000,
        0u32..5,
        0u32..3_000,
    )
        .prop_map(
            |(timeout_ms, retries, base, max, file_polls, interval)| Policy {
                timeout_ms,
                retries,
                base_delay_ms: base,
                max_delay_ms: max,
                file_polls,
                file_poll_interval_ms: interval,
            },
        )
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        prop::sample::select(KINDS.to_vec()),
        prop::sample::select(vec![
            GetFile::None,
            GetFile::All,
            GetFile::Photo,
            GetFile::Video,
        ]),
        policy(),
        prop::bool::weighted(0.7),
        prop::option::weighted(0.4, 1u32..20_000),
        any::<u32>(),
        prop::bool::weighted(0.05),
        prop::collection::vec(reply(), 0..12),
        prop::collection::vec(
            prop_oneof![
                3 => Just(Renewal::Fresh),
                1 => Just(Renewal::CannotRenew),
                1 => Just(Renewal::Fails),
            ],
            1..3,
        ),
        prop::collection::vec(
            prop_oneof![8 => Just(Wake::OnTime), 1 => (0u8..100).prop_map(Wake::Cancelled)],
            1..4,
        ),
    )
        .prop_map(
            |(
                kind,
                get_file,
                policy,
                ticket_errors,
                deadline_ms,
                jitter,
                ticket_fails,
                replies,
                renewals,
                wakes,
            )| {
                Scenario {
                    kind,
                    get_file,
                    policy,
                    ticket_errors,
                    deadline_ms,
                    jitter,
                    ticket_fails,
                    replies,
                    renewals,
                    wakes,
                }
            },
        )
}

/// What the driver handed the machine last.
#[derive(Debug, Clone, PartialEq)]
enum Fed {
    Nothing,
    Ticket,
    Answer(Reply),
    Failure(Reply, Error),
    Renewed(Renewal),
    Slept(Wake),
    Failed(Error),
}

/// A send, as the service saw it.
#[derive(Debug, Clone)]
struct Send {
    ticket: String,
    /// Sent again at once after the previous send's connection closed.
    resend: bool,
}

/// Everything that happened in one call.
#[derive(Debug, Clone, Default)]
struct Trace {
    steps: Vec<(u64, Step)>,
    /// Each event with the index of the step it came before.
    events: Vec<(usize, Event)>,
    /// What was fed before each step (same index as `steps`).
    fed: Vec<Fed>,
    sends: Vec<Send>,
    sleeps: Vec<u32>,
    renewals: usize,
    started_ms: u64,
    now_ms: u64,
    outcome: Option<Result<Finished, Error>>,
}

/// The most steps any call may take under `policy`: every attempt (the
/// first, the busy retries, the file polls, the one after a renewal) sent
/// at most twice, a sleep before each retry or poll, the ticket, the
/// renewal and the end.
fn step_bound(p: &Policy) -> usize {
    let attempts = 2 + p.retries as usize + p.file_polls as usize;
    2 * attempts + attempts + 3
}

fn envelope(code: &str, other_order: bool) -> Envelope {
    Envelope {
        code: code.to_owned(),
        msg: String::new(),
        biz_seq_no: None,
        transaction_time: None,
        order_no: Some(if other_order { "another1" } else { ORDER }.to_owned()),
    }
}

/// The error a failed exchange reports, and how it broke.
fn failure(reply: &Reply) -> Option<(Breakage, Error)> {
    let no_answer = |code: &str| Breakage::NoAnswer {
        codes: vec![code.to_owned()],
    };
    Some(match reply {
        Reply::ClosedSocket { code } => (
            no_answer(code),
            Error::Network(format!(
                "GET /x failed to connect: TypeError, cause: {code}"
            )),
        ),
        Reply::Refused => (
            no_answer("ECONNREFUSED"),
            Error::Network("GET /x failed to connect: ECONNREFUSED".into()),
        ),
        Reply::Timeout => (
            Breakage::Stopped,
            Error::Timeout("got no complete answer within timeoutMs".into()),
        ),
        Reply::Aborted => (
            Breakage::Stopped,
            Error::Aborted("the call was aborted by its signal".into()),
        ),
        Reply::BrokenBody => (
            Breakage::Other,
            Error::Network("failed reading the answer".into()),
        ),
        Reply::Answer { .. } | Reply::NotJson => return None,
    })
}

/// Plays the shell: does every step the machine gives, with the
/// scenario's replies, and records it all.
fn drive(s: &Scenario, mut machine: CallMachine) -> Trace {
    let mut t = Trace {
        started_ms: 1_000,
        now_ms: 1_000,
        ..Trace::default()
    };
    let (mut replies, mut renewals, mut wakes) = (0usize, 0usize, 0usize);
    let mut fed = Fed::Nothing;
    let mut previous_failed_socket = false;
    // Well past any bound: a machine that never ends is caught, not hung.
    for _ in 0..10 * step_bound(&s.policy) + 20 {
        let step = machine.next(t.now_ms);
        let index = t.steps.len();
        while let Some(e) = machine.poll_event() {
            t.events.push((index, e));
        }
        t.steps.push((t.now_ms, step.clone()));
        t.fed.push(std::mem::replace(&mut fed, Fed::Nothing));
        match step {
            Step::Done(outcome) => {
                t.outcome = Some(outcome);
                return t;
            }
            Step::NeedTicket => {
                t.now_ms += 3;
                if s.ticket_fails {
                    let e = Error::TicketUnavailable("the ticket source failed".into());
                    machine.fail(e.clone());
                    fed = Fed::Failed(e);
                } else {
                    machine.ticket(FIRST_TICKET.to_owned());
                    fed = Fed::Ticket;
                }
            }
            Step::Renew => {
                t.renewals += 1;
                t.now_ms += 5;
                let r = s.renewals[renewals % s.renewals.len()];
                renewals += 1;
                match r {
                    Renewal::Fresh => machine.renewed(Some(FRESH_TICKET.to_owned())),
                    Renewal::CannotRenew => machine.renewed(None),
                    Renewal::Fails => {
                        machine.fail(Error::TicketUnavailable("the renewal failed".into()))
                    }
                }
                fed = Fed::Renewed(r);
            }
            Step::Send => {
                t.sends.push(Send {
                    ticket: machine.current_ticket().unwrap_or_default().to_owned(),
                    resend: previous_failed_socket,
                });
                let reply = if s.replies.is_empty() {
                    Reply::Answer {
                        code: "0",
                        files: true,
                        other_order: false,
                        ms: 10,
                    }
                } else {
                    s.replies[replies % s.replies.len()].clone()
                };
                replies += 1;
                previous_failed_socket = matches!(reply, Reply::ClosedSocket { .. });
                match &reply {
                    Reply::Answer {
                        code,
                        files,
                        other_order,
                        ms,
                    } => {
                        t.now_ms += u64::from(*ms % s.policy.timeout_ms);
                        let files = *files;
                        machine.answered(&envelope(code, *other_order), |_| files);
                        fed = Fed::Answer(reply.clone());
                    }
                    Reply::NotJson => {
                        t.now_ms += 7;
                        let e = Error::BadResponse("the answer is not JSON".into());
                        machine.fail(e.clone());
                        fed = Fed::Failed(e);
                    }
                    other => {
                        let (breakage, error) = failure(other).expect("a failure");
                        t.now_ms += match other {
                            Reply::Timeout => u64::from(s.policy.timeout_ms),
                            _ => 2,
                        };
                        machine.transport_failed(&breakage, error.clone());
                        fed = Fed::Failure(reply.clone(), error);
                    }
                }
            }
            Step::Sleep(ms) => {
                t.sleeps.push(ms);
                let w = s.wakes[wakes % s.wakes.len()];
                wakes += 1;
                match w {
                    Wake::OnTime => t.now_ms += u64::from(ms),
                    Wake::Cancelled(share) => {
                        t.now_ms += u64::from(ms) * u64::from(share) / 100;
                        let e = Error::Aborted("the call was aborted by its signal".into());
                        machine.fail(e.clone());
                        fed = Fed::Failed(e);
                        continue;
                    }
                }
                fed = Fed::Slept(w);
            }
        }
    }
    t
}

/// Whether the call's last step came at or past its deadline.
fn past_deadline(s: &Scenario, t: &Trace) -> bool {
    let last = t.steps.last().map_or(0, |(at, _)| *at);
    s.deadline_ms
        .is_some_and(|d| last >= t.started_ms + u64::from(d))
}

fn order() -> OrderNo {
    OrderNo::new(ORDER).expect("a valid order number")
}

fn machine(s: &Scenario) -> CallMachine {
    let codes = if s.ticket_errors {
        vec![TICKET_ERROR.to_owned(), "66660016x".to_owned()]
    } else {
        Vec::new()
    };
    CallMachine::new(s.kind, s.get_file, &order(), s.policy, s.jitter)
        .with_ticket_error_codes(&codes)
        .with_deadline(s.deadline_ms)
}

fn run(s: &Scenario) -> Trace {
    drive(s, machine(s))
}

/// The smallest and largest backoff before busy retry `n`, written out
/// again from the rule (exponential, capped, equal jitter).
fn backoff_range(p: &Policy, n: u32) -> (u32, u32) {
    let exp = (u64::from(p.base_delay_ms) << (n - 1).min(16)).min(u64::from(p.max_delay_ms)) as u32;
    (exp / 2, exp)
}

/// The next step the rules call for, from what the model knows.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Ticket,
    Send,
    Renew,
    /// A sleep of at most / exactly this long (before the deadline cut).
    Sleep {
        min: u32,
        max: u32,
    },
    Done(Result<Finished, String>),
    /// Past the deadline.
    TimedOut,
}

/// The rules, written out again independently of the machine: what must
/// come after what was fed, given the counts so far.
struct Model<'a> {
    s: &'a Scenario,
    retries: u32,
    polls: u32,
    renew_asked: bool,
    resent: u32,
    /// The answer a renewal was asked for.
    pending: Option<(&'static str, bool, bool)>,
    /// The last sleep was cut by the deadline.
    cut: bool,
}

impl<'a> Model<'a> {
    fn decide(&mut self, code: &'static str, files: bool, other: bool) -> Expect {
        let ok = code == "0";
        let pending = files_pending(self.s.kind, self.s.get_file, ok, |_| files);
        let p = &self.s.policy;
        if is_busy(code) && self.retries < p.retries {
            self.retries += 1;
            let (min, max) = backoff_range(p, self.retries);
            return Expect::Sleep { min, max };
        }
        if pending && self.polls < p.file_polls {
            self.polls += 1;
            let i = p.file_poll_interval_ms;
            return Expect::Sleep { min: i, max: i };
        }
        if other {
            return Expect::Done(Err("BAD_RESPONSE".into()));
        }
        Expect::Done(Ok(Finished {
            code: code.to_owned(),
            ok,
            files_pending: pending,
        }))
    }

    fn expect(&mut self, fed: &Fed) -> Expect {
        let method = self.s.kind.method();
        match fed {
            Fed::Nothing => Expect::Ticket,
            Fed::Ticket => Expect::Send,
            Fed::Failed(e) => Expect::Done(Err(e.code().to_owned())),
            Fed::Answer(Reply::Answer {
                code,
                files,
                other_order,
                ..
            }) => {
                self.resent = 0;
                if self.s.ticket_errors && *code == TICKET_ERROR && !self.renew_asked {
                    self.renew_asked = true;
                    self.pending = Some((code, *files, *other_order));
                    return Expect::Renew;
                }
                self.decide(code, *files, *other_order)
            }
            Fed::Answer(_) => unreachable!(),
            Fed::Failure(reply, e) => {
                let closed = matches!(reply, Reply::ClosedSocket { .. });
                if closed && method == Method::Get && self.resent == 0 {
                    self.resent = 1;
                    return Expect::Send;
                }
                Expect::Done(Err(e.code().to_owned()))
            }
            Fed::Renewed(Renewal::Fresh) => Expect::Send,
            Fed::Renewed(Renewal::CannotRenew) => {
                let (code, files, other) = self.pending.take().expect("a renewal was asked for");
                self.decide(code, files, other)
            }
            Fed::Renewed(Renewal::Fails) => Expect::Done(Err("TICKET_UNAVAILABLE".into())),
            Fed::Slept(_) if self.cut => Expect::TimedOut,
            Fed::Slept(_) => Expect::Send,
        }
    }
}

/// Checks every step of `t` against the rules; `Err` names the first that
/// breaks one.
fn check_steps(s: &Scenario, t: &Trace) -> Result<(), String> {
    let mut m = Model {
        s,
        retries: 0,
        polls: 0,
        renew_asked: false,
        resent: 0,
        pending: None,
        cut: false,
    };
    let deadline = s.deadline_ms.map(|d| t.started_ms + u64::from(d));
    for (i, ((now, step), fed)) in t.steps.iter().zip(&t.fed).enumerate() {
        let mut want = m.expect(fed);
        let expired = deadline.is_some_and(|d| *now >= d);
        // Nothing new starts past the deadline (a renewal is not new work:
        // the answer that asked for it came in time).
        if expired && matches!(want, Expect::Ticket | Expect::Send | Expect::Sleep { .. }) {
            want = Expect::TimedOut;
        }
        let rest = deadline.map(|d| d.saturating_sub(*now));
        let fine = match (&want, step) {
            (Expect::Ticket, Step::NeedTicket)
            | (Expect::Send, Step::Send)
            | (Expect::Renew, Step::Renew) => true,
            (Expect::Sleep { min, max }, Step::Sleep(ms)) => match rest {
                Some(rest) if u64::from(*min) >= rest || u64::from(*ms) == rest => {
                    m.cut = true;
                    u64::from(*ms) == rest
                }
                _ => min <= ms && ms <= max,
            },
            (Expect::TimedOut, Step::Done(Err(Error::Timeout(m)))) => m.contains("deadlineMs"),
            (Expect::Done(Ok(f)), Step::Done(Ok(g))) => f == g,
            (Expect::Done(Err(code)), Step::Done(Err(e))) => code == e.code(),
            _ => false,
        };
        if !fine {
            return Err(format!(
                "step {i} at {now} ms after {fed:?}: want {want:?}, got {step:?}"
            ));
        }
    }
    Ok(())
}

proptest! {
    // Failures are not written to a file: a case worth keeping becomes a
    // named test below (as `a_deadline_right_after_a_resend_was_announced`).
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Every step is what the rules say, after whatever was fed.
    #[test]
    fn every_step_follows_the_rules(s in scenario()) {
        let t = run(&s);
        prop_assert!(t.outcome.is_some(), "never done: {:?}", t.steps);
        if let Err(e) = check_steps(&s, &t) {
            return Err(TestCaseError::fail(format!("{e}\n{:?}", t.steps)));
        }
    }

    /// Every call ends, within a bounded number of steps and sends,
    /// whatever the service keeps answering (the replies cycle forever).
    #[test]
    fn every_call_ends_within_its_bound(s in scenario()) {
        let t = run(&s);
        prop_assert!(t.outcome.is_some(), "never done after {} steps", t.steps.len());
        prop_assert!(t.steps.len() <= step_bound(&s.policy), "{} steps", t.steps.len());
        let p = &s.policy;
        let fresh_sends = t.sends.iter().filter(|x| !x.resend).count();
        prop_assert!(fresh_sends as u32 <= 2 + p.retries + p.file_polls, "{fresh_sends} sends");
        prop_assert!(t.sends.len() <= 2 * fresh_sends, "{} sends", t.sends.len());
        // The same scenario, the same call; Done comes once, and a shell
        // that asks again gets INTERNAL, never a second run.
        let m = machine(&s);
        let again = drive(&s, m.clone());
        prop_assert_eq!(&again.outcome, &t.outcome);
        let mut m = m;
        let mut first = None;
        for _ in 0..3 {
            match m.next(0) {
                Step::Done(o) => {
                    first = Some(o);
                    break;
                }
                Step::NeedTicket => m.fail(Error::Aborted("stop".into())),
                other => prop_assert!(false, "a fresh machine asked for {:?}", other),
            }
        }
        prop_assert!(matches!(first, Some(Err(Error::Aborted(_)))));
        prop_assert!(matches!(m.next(99), Step::Done(Err(Error::Internal(_)))));
        prop_assert!(m.is_done());
    }

    /// The ticket is renewed at most once per call, only after an answer
    /// with a ticket-error code, and every send after a renewal signs with
    /// the new ticket.
    #[test]
    fn a_ticket_is_renewed_at_most_once(s in scenario()) {
        let t = run(&s);
        prop_assert!(t.renewals <= 1, "{} renewals", t.renewals);
        for (i, (_, step)) in t.steps.iter().enumerate() {
            if *step == Step::Renew {
                let after_ticket_error = matches!(
                    &t.fed[i],
                    Fed::Answer(Reply::Answer { code, .. }) if *code == TICKET_ERROR
                );
                prop_assert!(after_ticket_error && s.ticket_errors, "renewal after {:?}", t.fed[i]);
            }
        }
        let renewed = t.fed.iter().position(|f| *f == Fed::Renewed(Renewal::Fresh));
        if let Some(at) = renewed {
            let before = t.steps[..at].iter().filter(|(_, s)| *s == Step::Send).count();
            prop_assert!(t.sends[..before].iter().all(|x| x.ticket == FIRST_TICKET));
            prop_assert!(t.sends[before..].iter().all(|x| x.ticket == FRESH_TICKET));
            let events = t.events.iter().filter(|(_, e)| matches!(e, Event::Renewed { .. }));
            prop_assert_eq!(events.count(), 1);
        } else {
            prop_assert!(t.sends.iter().all(|x| x.ticket == FIRST_TICKET));
            let renew_events = t.events.iter().filter(|(_, e)| matches!(e, Event::Renewed { .. }));
            prop_assert_eq!(renew_events.count(), 0);
        }
    }

    /// A send is repeated at once only for a GET whose connection closed
    /// before any answer, once per request; never a POST, never after a
    /// timeout or an abort; each resend is announced (`reason: "socket"`).
    #[test]
    fn only_a_get_on_a_closed_socket_is_resent_once(s in scenario()) {
        let t = run(&s);
        let resends: Vec<usize> = t
            .steps
            .iter()
            .enumerate()
            .filter(|(i, (_, step))| *step == Step::Send && matches!(t.fed[*i], Fed::Failure(..)))
            .map(|(i, _)| i)
            .collect();
        for &i in &resends {
            prop_assert_eq!(s.kind.method(), Method::Get, "a POST was sent twice");
            let Fed::Failure(reply, _) = &t.fed[i] else { unreachable!() };
            prop_assert!(matches!(reply, Reply::ClosedSocket { .. }), "resent after {:?}", reply);
            // The send before was not itself a resend.
            let previous = t.steps[..i].iter().rposition(|(_, s)| *s == Step::Send).expect("a send");
            prop_assert!(!matches!(t.fed[previous], Fed::Failure(..)), "resent twice");
            let announced = t.events.iter().any(|(at, e)| {
                *at == i && matches!(e, Event::Resend { attempt: 1, error_code: "NETWORK" })
            });
            prop_assert!(announced, "resend {} not announced: {:?}", i, t.events);
        }
        // A resend announced when the deadline had passed is not made: the
        // call ends there with TIMEOUT (as a stopped call always did).
        let events = t.events.iter().filter(|(_, e)| matches!(e, Event::Resend { .. })).count();
        let unmade = t.events.last().is_some_and(|(at, e)| {
            matches!(e, Event::Resend { .. })
                && *at + 1 == t.steps.len()
                && past_deadline(&s, &t)
        });
        prop_assert_eq!(events, resends.len() + usize::from(unmade));
        // A request that broke again after its resend says so.
        if let (Some(Err(Error::Network(m))), Some(Fed::Failure(..))) =
            (&t.outcome, t.fed.last())
        {
            let resent_last = t.sends.last().is_some_and(|x| x.resend);
            prop_assert_eq!(m.contains("sent again at once"), resent_last, "{}", m);
        }
    }

    /// Busy codes are retried at most `retries` times, each announced with
    /// its 1-based count and a backoff in range; late files are polled at
    /// most `filePolls` times, every `filePollIntervalMs`.
    #[test]
    fn busy_codes_and_late_files_are_retried_up_to_their_limits(s in scenario()) {
        let t = run(&s);
        let p = &s.policy;
        let mut busy = 0;
        let mut polls = 0;
        for (at, e) in &t.events {
            match e {
                Event::Busy { code, attempt, delay_ms } => {
                    busy += 1;
                    prop_assert!(is_busy(code));
                    prop_assert_eq!(*attempt, busy);
                    let (min, max) = backoff_range(p, busy);
                    prop_assert!(min <= *delay_ms && *delay_ms <= max, "{} not in {}..={}", delay_ms, min, max);
                    if let Some((_, Step::Sleep(ms))) = t.steps.get(*at) {
                        prop_assert!(ms <= delay_ms);
                    }
                }
                Event::Poll { attempt, delay_ms } => {
                    polls += 1;
                    prop_assert_eq!(*attempt, polls);
                    prop_assert_eq!(*delay_ms, p.file_poll_interval_ms);
                }
                _ => {}
            }
        }
        prop_assert!(busy <= p.retries, "{} busy retries", busy);
        prop_assert!(polls <= p.file_polls, "{} polls", polls);
        prop_assert!(t.sleeps.len() as u32 <= busy + polls);
    }

    /// The sleeps of a call add up to no more than its bound allows, and
    /// none runs past its deadline; past the deadline nothing is sent.
    #[test]
    fn sleeps_stay_within_the_call_bound_and_the_deadline(s in scenario()) {
        let t = run(&s);
        let p = &s.policy;
        let slept: u64 = t.sleeps.iter().map(|&ms| u64::from(ms)).sum();
        let delays = u64::from(p.retries) * u64::from(p.max_delay_ms)
            + u64::from(p.file_polls) * u64::from(p.file_poll_interval_ms);
        prop_assert!(slept <= delays, "slept {} ms of at most {}", slept, delays);
        prop_assert!(slept <= call_bound_ms(p, None));
        if let Some(d) = s.deadline_ms {
            let end = t.started_ms + u64::from(d);
            prop_assert!(slept <= u64::from(d), "slept {} ms past deadlineMs {}", slept, d);
            for (now, step) in &t.steps {
                if let Step::Sleep(ms) = step {
                    prop_assert!(now + u64::from(*ms) <= end, "a sleep runs past the deadline");
                }
                if matches!(step, Step::Send | Step::NeedTicket) {
                    prop_assert!(*now < end, "sent at {} past the deadline {}", now, end);
                }
            }
            prop_assert!(call_bound_ms(p, Some(d)) <= u64::from(d));
        } else {
            prop_assert!(!matches!(&t.outcome, Some(Err(Error::Timeout(m))) if m.contains("deadlineMs")));
        }
    }

    /// The outcome is the last answer's (its code, `ok`, `filesPending`) or
    /// the last failure's error; never an answer about another order.
    #[test]
    fn the_outcome_matches_the_last_answer(s in scenario()) {
        let t = run(&s);
        let outcome = t.outcome.clone().expect("done");
        let mut last = t.fed.last().cloned().unwrap_or(Fed::Nothing);
        if last == Fed::Renewed(Renewal::CannotRenew) {
            // The answer that asked for the renewal counts as it is.
            last = t.fed.iter().rev().find(|f| matches!(f, Fed::Answer(_))).cloned().expect("an answer");
        }
        match (&outcome, &last) {
            (Ok(f), Fed::Answer(Reply::Answer { code, files, other_order, .. })) => {
                prop_assert!(!other_order, "another order's answer was handed over");
                prop_assert_eq!(&f.code, code);
                prop_assert_eq!(f.ok, *code == "0");
                prop_assert_eq!(f.files_pending, files_pending(s.kind, s.get_file, f.ok, |_| *files));
                let busy = t.events.iter().filter(|(_, e)| matches!(e, Event::Busy { .. })).count();
                prop_assert!(!is_busy(code) || busy as u32 == s.policy.retries, "busy with retries left");
            }
            (Ok(_), other) => prop_assert!(false, "Ok after {:?}", other),
            (Err(e), Fed::Answer(Reply::Answer { other_order, .. })) => {
                prop_assert!(
                    (*other_order && e.code() == "BAD_RESPONSE") || e.code() == "TIMEOUT",
                    "{:?}", e
                );
            }
            // A closed socket on a GET is sent again, unless the deadline
            // passed: then TIMEOUT.
            (Err(e), Fed::Failure(Reply::ClosedSocket { .. }, _))
                if e.code() == "TIMEOUT" && past_deadline(&s, &t) => {}
            (Err(e), Fed::Failure(_, given) | Fed::Failed(given)) => {
                prop_assert_eq!(e.code(), given.code());
                prop_assert!(e.message().starts_with(given.message()));
            }
            (Err(e), Fed::Renewed(Renewal::Fails)) => prop_assert_eq!(e.code(), "TICKET_UNAVAILABLE"),
            (Err(e), _) => prop_assert_eq!(e.code(), "TIMEOUT", "{:?} after {:?}", e, last),
        }
    }
}

/// A machine fed out of turn ends the call with `INTERNAL`, never panics.
#[test]
fn a_machine_fed_out_of_turn_ends_with_internal() {
    let new = || {
        CallMachine::new(
            Kind::FaceResult,
            GetFile::None,
            &order(),
            Policy::default(),
            1,
        )
    };
    let mut m = new();
    m.answered(&envelope("0", false), |_| true);
    assert!(matches!(m.next(0), Step::Done(Err(Error::Internal(_)))));
    let mut m = new();
    assert_eq!(m.next(0), Step::NeedTicket);
    assert!(matches!(m.next(1), Step::Done(Err(Error::Internal(_)))));
    let mut m = new();
    m.renewed(Some("t".into()));
    assert!(m.is_done());
}

/// The JS fault matrix's cells, one by one, as the shell sees them.
/// A case proptest once found: the deadline passes right after a resend on
/// a closed socket was announced; the call ends with `TIMEOUT` and sends
/// nothing more (as the loop before the machine did).
#[test]
fn a_deadline_right_after_a_resend_was_announced() {
    let s = Scenario {
        kind: Kind::FaceResult,
        get_file: GetFile::None,
        policy: Policy {
            timeout_ms: 1,
            retries: 0,
            base_delay_ms: 0,
            max_delay_ms: 0,
            file_polls: 0,
            file_poll_interval_ms: 0,
        },
        ticket_errors: false,
        deadline_ms: Some(4),
        jitter: 0,
        ticket_fails: false,
        replies: vec![Reply::ClosedSocket {
            code: "UND_ERR_SOCKET",
        }],
        renewals: vec![Renewal::Fresh],
        wakes: vec![Wake::OnTime],
    };
    let t = run(&s);
    assert!(t.outcome.is_some(), "never done: {:?}", t.steps);
    if let Err(e) = check_steps(&s, &t) {
        unreachable!("{e}\n{:?}", t.steps);
    }
}

#[test]
fn the_fault_matrix_cells() {
    let s = |kind, replies: Vec<Reply>| Scenario {
        kind,
        get_file: GetFile::None,
        policy: Policy::default(),
        ticket_errors: true,
        deadline_ms: None,
        jitter: 42,
        ticket_fails: false,
        replies,
        renewals: vec![Renewal::Fresh],
        wakes: vec![Wake::OnTime],
    };
    let answer = |code| Reply::Answer {
        code,
        files: true,
        other_order: false,
        ms: 5,
    };
    // Busy twice, then an answer: two retries, then the answer.
    let t = run(&s(
        Kind::FaceResult,
        vec![answer("999999"), answer("999999"), answer("0")],
    ));
    assert_eq!(t.sends.len(), 3);
    assert!(matches!(t.outcome, Some(Ok(ref f)) if f.ok));
    // Busy forever: retries + 1 sends, then the busy answer.
    let t = run(&s(Kind::FaceResult, vec![answer("999998")]));
    assert_eq!(t.sends.len(), 3);
    assert!(matches!(t.outcome, Some(Ok(ref f)) if f.code == "999998"));
    // A ticket error forever: one renewal, two sends, then the error code.
    let t = run(&s(Kind::FaceResult, vec![answer(TICKET_ERROR)]));
    assert_eq!((t.renewals, t.sends.len()), (1, 2));
    assert!(matches!(t.outcome, Some(Ok(ref f)) if f.code == TICKET_ERROR));
    // A stale socket on a GET: sent again once, at once.
    let socket = Reply::ClosedSocket {
        code: "UND_ERR_SOCKET",
    };
    let t = run(&s(Kind::FaceResult, vec![socket.clone(), answer("0")]));
    assert_eq!(t.sends.len(), 2);
    assert!(t.sleeps.is_empty());
    // The same on a POST: never sent twice.
    let t = run(&s(Kind::QueryFaceRecord, vec![socket.clone(), answer("0")]));
    assert_eq!(t.sends.len(), 1);
    assert!(matches!(t.outcome, Some(Err(Error::Network(_)))));
    // Late files: polled filePolls times.
    let mut late = s(
        Kind::FaceResult,
        vec![Reply::Answer {
            code: "0",
            files: false,
            other_order: false,
            ms: 5,
        }],
    );
    late.get_file = GetFile::All;
    let t = run(&late);
    assert_eq!(t.sends.len(), 4);
    assert!(matches!(t.outcome, Some(Ok(ref f)) if f.files_pending));
    // A deadline shorter than the backoff: TIMEOUT, no sleep past it.
    let mut short = s(Kind::FaceResult, vec![answer("999999")]);
    short.deadline_ms = Some(50);
    short.policy.base_delay_ms = 1_000;
    let t = run(&short);
    assert!(matches!(t.outcome, Some(Err(Error::Timeout(_)))));
    assert!(t.sleeps.iter().sum::<u32>() <= 50);
}

//! The shell of one call: it does what the core's [`CallMachine`] says
//! (get a ticket, renew it, sign and send, sleep), feeds back what
//! happened, and tells `onEvent` about the machine's events. The policy
//! (renew once, busy retries, file polls, the resend of a closed GET, the
//! order check, the deadline) is the machine's, proven by `cargo test`.

use wasm_bindgen::prelude::*;

use super::Inner;
use crate::call_machine::{CallMachine, Event, Step};
use crate::error::Error;
use crate::wasm::answer::{Answer, Reply};
use crate::wasm::call::Call;
use crate::wasm::flight::WaitUntil;
use crate::wasm::http::{check, now_ms, pause, send, Stop};

impl Inner {
    /// Runs a call (see [`CallMachine`]) and reports its end to `onEvent`
    /// (`result` or `failure`).
    pub(in crate::wasm) async fn run(
        &self,
        call: &Call,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<Reply, Error> {
        let started = now_ms();
        let outcome = self.attempts(call, ctx, stop).await;
        if !self.io.listening() {
            return outcome;
        }
        let mut fields = vec![
            ("endpoint", JsValue::from_str(call.kind().name())),
            ("orderNo", JsValue::from_str(call.order_no())),
            (
                "durationMs",
                JsValue::from_f64(now_ms().saturating_sub(started) as f64),
            ),
        ];
        match &outcome {
            Ok(reply) => {
                fields.push(("ok", JsValue::from_bool(reply.ok())));
                fields.push(("code", JsValue::from_str(reply.code())));
                self.io.emit("result", &fields);
            }
            Err(e) => {
                fields.push(("error", JsValue::from_str(e.code())));
                self.io.emit("failure", &fields);
            }
        }
        outcome
    }

    /// The steps of one call, as its machine gives them.
    async fn attempts(
        &self,
        call: &Call,
        ctx: Option<&WaitUntil>,
        stop: Option<&Stop>,
    ) -> Result<Reply, Error> {
        let random = crate::nonce::random_u32()?;
        let mut machine = CallMachine::new(
            call.kind(),
            call.get_file(),
            call.order_no(),
            self.policy,
            random,
        )
        .with_ticket_error_codes(&self.ticket_error_codes)
        .with_deadline(stop.and_then(Stop::deadline_ms));
        // The last answer: the machine decides on its envelope, the reply
        // carries the rest.
        let mut last: Option<Answer> = None;
        loop {
            let step = machine.next(now_ms());
            while let Some(event) = machine.poll_event() {
                self.report(call, &event);
            }
            match step {
                Step::NeedTicket => match check(stop) {
                    Ok(()) => match self.ticket(ctx).await {
                        Ok(ticket) => machine.ticket(ticket),
                        Err(e) => machine.fail(e),
                    },
                    Err(e) => machine.fail(e),
                },
                Step::Renew => {
                    let stale = machine.current_ticket().unwrap_or_default().to_owned();
                    match self.renew_ticket(&stale, ctx).await {
                        Ok(fresh) => machine.renewed(fresh),
                        Err(e) => machine.fail(e),
                    }
                }
                Step::Send => {
                    if let Err(e) = self.send(call, &mut machine, &mut last, stop).await {
                        machine.fail(e);
                    }
                }
                Step::Sleep(ms) => {
                    if let Err(e) = pause(ms, stop).await {
                        machine.fail(e);
                    }
                }
                Step::Done(Ok(finished)) => {
                    let answer = last.take().ok_or_else(|| {
                        Error::Internal("the call machine finished without an answer".into())
                    })?;
                    return Ok(Reply::new(answer, call.order_no(), finished));
                }
                // Past the deadline by the machine's clock: the caller's
                // signal may have ended the call first (then `ABORTED`).
                Step::Done(Err(e)) if machine.expired() => {
                    return Err(check(stop).err().unwrap_or(e))
                }
                Step::Done(Err(e)) => return Err(e),
            }
        }
    }

    /// One exchange: signed with the machine's ticket and a new nonce
    /// (every attempt, a resend included), sent once, its outcome fed back.
    async fn send(
        &self,
        call: &Call,
        machine: &mut CallMachine,
        last: &mut Option<Answer>,
        stop: Option<&Stop>,
    ) -> Result<(), Error> {
        check(stop)?;
        let nonce = crate::nonce::nonce()?;
        let ticket = machine.current_ticket().unwrap_or_default();
        let prepared = call.build(&self.config, ticket, &nonce)?;
        let outgoing = prepared.outgoing();
        match send(&outgoing, self.policy.timeout_ms, &self.io, stop).await {
            Ok(body) => {
                let answer = Answer::parse(&body)?;
                machine.answered(&answer.envelope, |f| answer.has(f));
                *last = Some(answer);
            }
            Err(failed) => machine.transport_failed(&failed.breakage, failed.error),
        }
        Ok(())
    }

    /// Tells `onEvent` about one of the machine's events.
    fn report(&self, call: &Call, event: &Event) {
        if !self.io.listening() {
            return;
        }
        let kind = call.kind();
        let mut fields = vec![
            ("endpoint", JsValue::from_str(kind.name())),
            ("orderNo", JsValue::from_str(call.order_no())),
        ];
        let name = match event {
            Event::Resend {
                attempt,
                error_code,
            } => {
                fields.extend([
                    ("reason", JsValue::from_str("socket")),
                    ("method", JsValue::from_str(kind.method().as_str())),
                    ("path", JsValue::from_str(kind.path())),
                    ("error", JsValue::from_str(error_code)),
                    ("attempt", JsValue::from(*attempt)),
                    ("delayMs", JsValue::from(0)),
                ]);
                "retry"
            }
            Event::Renewed { code } => {
                fields.push(("code", JsValue::from_str(code)));
                "renew"
            }
            Event::Busy {
                code,
                attempt,
                delay_ms,
            } => {
                fields.extend([
                    ("reason", JsValue::from_str("busy")),
                    ("code", JsValue::from_str(code)),
                    ("attempt", JsValue::from(*attempt)),
                    ("delayMs", JsValue::from(*delay_ms)),
                ]);
                "retry"
            }
            Event::Poll { attempt, delay_ms } => {
                fields.extend([
                    ("attempt", JsValue::from(*attempt)),
                    ("delayMs", JsValue::from(*delay_ms)),
                ]);
                "poll"
            }
        };
        self.io.emit(name, &fields);
    }
}

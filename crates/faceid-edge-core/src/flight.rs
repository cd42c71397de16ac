//! Single flight with a deadline: the bookkeeping of "one refresh at a time"
//! that survives a refresh that never finishes. Pure: the caller passes the
//! clock and runs the work.
//!
//! A refresh runs in some request's context. On an edge runtime that context
//! can end while the refresh is in flight (the client went away, the handler
//! answered early) and then the refresh never resumes: its continuation is
//! dropped with the request. Anything that waited for it would wait for ever
//! and anything that checks "is a refresh running?" would say yes for ever.
//! So every flight carries a deadline, which the work moves forward at each
//! step (each step is itself bounded). Past its deadline a flight is
//! abandoned: the next caller starts a new one instead of joining it, and
//! whatever the abandoned one still does is recognised by its id and ignored.

/// What a caller that needs the flight's outcome should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Join {
    /// Nothing is running (or what ran is past its deadline): run flight `id`.
    Start(u64),
    /// Flight `id` is running: wait for it, but not past `deadline_ms`, then
    /// ask again.
    Wait {
        /// The running flight.
        id: u64,
        /// When it is abandoned unless it makes progress.
        deadline_ms: u64,
    },
}

/// The state of one single-flight slot.
#[derive(Debug, Clone, Default)]
pub struct Flights {
    current: Option<(u64, u64)>,
    last_id: u64,
    abandoned: u64,
}

impl Flights {
    /// Joins the running flight, or starts one ending by `deadline_ms`.
    pub fn join(&mut self, now_ms: u64, deadline_ms: u64) -> Join {
        match self.running(now_ms) {
            Some((id, deadline_ms)) => Join::Wait { id, deadline_ms },
            None => Join::Start(self.begin(now_ms, deadline_ms)),
        }
    }

    /// Starts a flight if none is running (for work nobody waits for).
    pub fn start(&mut self, now_ms: u64, deadline_ms: u64) -> Option<u64> {
        match self.running(now_ms) {
            Some(_) => None,
            None => Some(self.begin(now_ms, deadline_ms)),
        }
    }

    /// Starts a flight even if one is running: that one is abandoned.
    pub fn replace(&mut self, now_ms: u64, deadline_ms: u64) -> u64 {
        if self.running(now_ms).is_some() {
            self.abandoned += 1;
            self.current = None;
        }
        self.begin(now_ms, deadline_ms)
    }

    fn begin(&mut self, now_ms: u64, deadline_ms: u64) -> u64 {
        if let Some((_, deadline)) = self.current {
            if now_ms >= deadline {
                self.abandoned += 1;
            }
        }
        self.last_id += 1;
        self.current = Some((self.last_id, deadline_ms.max(now_ms)));
        self.last_id
    }

    /// Flight `id` made progress: its deadline moves to `deadline_ms`.
    /// `false` when `id` is no longer the current flight (it was abandoned
    /// and replaced): the caller should stop.
    pub fn progress(&mut self, id: u64, deadline_ms: u64) -> bool {
        match &mut self.current {
            Some((current, deadline)) if *current == id => {
                *deadline = (*deadline).max(deadline_ms);
                true
            }
            _ => false,
        }
    }

    /// Flight `id` ended. `true` when it was still the current one.
    pub fn finish(&mut self, id: u64) -> bool {
        if self.is_current(id) {
            self.current = None;
            true
        } else {
            false
        }
    }

    /// Whether `id` is the current flight (running or overdue).
    pub fn is_current(&self, id: u64) -> bool {
        matches!(self.current, Some((current, _)) if current == id)
    }

    /// The running flight and its deadline, if one is within its deadline.
    pub fn running(&self, now_ms: u64) -> Option<(u64, u64)> {
        self.current.filter(|&(_, deadline)| now_ms < deadline)
    }

    /// Whether a flight is past its deadline and not yet replaced.
    pub fn overdue(&self, now_ms: u64) -> bool {
        matches!(self.current, Some((_, deadline)) if now_ms >= deadline)
    }

    /// How many flights were abandoned (past their deadline) so far.
    pub fn abandoned(&self) -> u64 {
        self.abandoned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_flight_at_a_time() {
        let mut f = Flights::default();
        let Join::Start(a) = f.join(0, 100) else {
            panic!()
        };
        assert_eq!(
            f.join(10, 200),
            Join::Wait {
                id: a,
                deadline_ms: 100
            }
        );
        assert_eq!(f.start(10, 200), None);
        assert!(f.finish(a));
        assert_eq!(f.running(20), None);
        assert!(matches!(f.join(20, 120), Join::Start(b) if b != a));
    }

    #[test]
    fn a_flight_that_never_finishes_is_replaced_after_its_deadline() {
        let mut f = Flights::default();
        let Join::Start(dead) = f.join(0, 100) else {
            panic!()
        };
        // Cancelled with its request: it never calls progress or finish.
        assert!(matches!(f.join(99, 199), Join::Wait { .. }));
        assert!(f.overdue(100));
        let Join::Start(next) = f.join(100, 200) else {
            panic!("an overdue flight must not be joined")
        };
        assert_ne!(next, dead);
        assert_eq!(f.abandoned(), 1);
        // Should the abandoned one ever resume, it learns it was replaced and
        // cannot end the new one.
        assert!(!f.progress(dead, 500));
        assert!(!f.finish(dead));
        assert!(f.is_current(next));
        assert!(f.finish(next));
    }

    #[test]
    fn progress_moves_the_deadline() {
        let mut f = Flights::default();
        let id = f.start(0, 100).unwrap();
        assert!(f.progress(id, 250));
        assert_eq!(f.running(200), Some((id, 250)));
        // Never backwards.
        assert!(f.progress(id, 50));
        assert_eq!(f.running(200), Some((id, 250)));
        assert!(f.start(300, 400).is_some());
        assert_eq!(f.abandoned(), 1);
    }

    #[test]
    fn replace_abandons_a_running_flight() {
        let mut f = Flights::default();
        let a = f.start(0, 100).unwrap();
        let b = f.replace(10, 110);
        assert_ne!(a, b);
        assert_eq!(f.abandoned(), 1);
        assert!(!f.finish(a));
        assert!(f.finish(b));
    }
}

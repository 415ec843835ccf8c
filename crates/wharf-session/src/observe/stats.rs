//! Gauges a server answers when asked (at a metrics scrape, say), rather
//! than reports as events.

/// How busy a server is at one moment; from
/// [`Connections::stats`](crate::Connections::stats).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerStats {
    /// Control connections admitted and not yet closed.
    pub sessions: usize,
    /// Of those, sessions not logged in.
    pub sessions_not_logged_in: usize,
    /// Passive listeners bound and waiting for their data connection.
    pub passive_listeners: usize,
    /// Reservations on multiplexed passive ports waiting for theirs.
    pub multiplexed_reservations: usize,
    /// Address groups banned now, when the login guard can tell (the
    /// built-in one can; a shared one may not).
    pub bans_active: Option<usize>,
}

//! `Interest` (what a caller waits for) and `Ready` (what the reactor reported).

use std::fmt;
use std::ops::BitOr;

/// What a caller waits for on an I/O resource: reading, writing, or both.
///
/// # Examples
///
/// ```
/// use runtime::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert!(!Interest::READABLE.is_writable());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

impl Interest {
    /// Interest in reading (and in the peer closing its write side, or an error).
    pub const READABLE: Interest = Interest(1);
    /// Interest in writing (and in the write side closing, or an error).
    pub const WRITABLE: Interest = Interest(2);

    /// Whether this includes reading.
    pub const fn is_readable(self) -> bool {
        self.0 & 1 != 0
    }

    /// Whether this includes writing.
    pub const fn is_writable(self) -> bool {
        self.0 & 2 != 0
    }

    /// Both interests of `self` and `other`.
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// The readiness bits that satisfy this interest: reading is satisfied by
    /// readable or read-closed, writing by writable or write-closed; an error
    /// satisfies either.
    pub(crate) const fn mask(self) -> Ready {
        let mut bits = Ready::ERROR.0;
        if self.is_readable() {
            bits |= Ready::READABLE.0 | Ready::READ_CLOSED.0;
        }
        if self.is_writable() {
            bits |= Ready::WRITABLE.0 | Ready::WRITE_CLOSED.0;
        }
        Ready(bits)
    }

    #[cfg(not(loom))]
    pub(crate) fn to_mio(self) -> mio::Interest {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => mio::Interest::READABLE | mio::Interest::WRITABLE,
            (false, true) => mio::Interest::WRITABLE,
            _ => mio::Interest::READABLE,
        }
    }
}

impl BitOr for Interest {
    type Output = Interest;
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(none)"),
        }
    }
}

/// What the reactor reported for an I/O resource since its readiness was last
/// cleared (on a `WouldBlock`).
///
/// # Examples
///
/// ```
/// use runtime::io::Ready;
///
/// let r = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(r.is_readable() && r.is_read_closed());
/// assert!(!r.is_writable());
/// assert!(Ready::EMPTY.is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ready(u8);

impl Ready {
    /// Nothing.
    pub const EMPTY: Ready = Ready(0);
    /// Data (or a connection) may be read.
    pub const READABLE: Ready = Ready(1);
    /// Data may be written.
    pub const WRITABLE: Ready = Ready(1 << 1);
    /// The peer closed its write side: reads return what is left, then 0.
    pub const READ_CLOSED: Ready = Ready(1 << 2);
    /// The write side is closed: writes fail.
    pub const WRITE_CLOSED: Ready = Ready(1 << 3);
    /// The resource reported an error (the next operation returns it).
    pub const ERROR: Ready = Ready(1 << 4);
    /// Every bit.
    pub(crate) const ALL: Ready = Ready(0b1_1111);

    /// Whether nothing is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Whether `READABLE` is set.
    pub const fn is_readable(self) -> bool {
        self.0 & Ready::READABLE.0 != 0
    }
    /// Whether `WRITABLE` is set.
    pub const fn is_writable(self) -> bool {
        self.0 & Ready::WRITABLE.0 != 0
    }
    /// Whether `READ_CLOSED` is set.
    pub const fn is_read_closed(self) -> bool {
        self.0 & Ready::READ_CLOSED.0 != 0
    }
    /// Whether `WRITE_CLOSED` is set.
    pub const fn is_write_closed(self) -> bool {
        self.0 & Ready::WRITE_CLOSED.0 != 0
    }
    /// Whether `ERROR` is set.
    pub const fn is_error(self) -> bool {
        self.0 & Ready::ERROR.0 != 0
    }

    pub(crate) const fn bits(self) -> u8 {
        self.0
    }
    pub(crate) const fn from_bits(bits: u8) -> Ready {
        Ready(bits & Ready::ALL.0)
    }
    pub(crate) const fn intersection(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }

    /// The bits of a mio event.
    #[cfg(not(loom))]
    pub(crate) fn from_mio(event: &mio::event::Event) -> Ready {
        let mut r = Ready::EMPTY;
        if event.is_readable() {
            r = r | Ready::READABLE;
        }
        if event.is_writable() {
            r = r | Ready::WRITABLE;
        }
        if event.is_read_closed() {
            r = r | Ready::READ_CLOSED;
        }
        if event.is_write_closed() {
            r = r | Ready::WRITE_CLOSED;
        }
        if event.is_error() {
            r = r | Ready::ERROR;
        }
        r
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (Ready::READABLE, "READABLE"),
            (Ready::WRITABLE, "WRITABLE"),
            (Ready::READ_CLOSED, "READ_CLOSED"),
            (Ready::WRITE_CLOSED, "WRITE_CLOSED"),
            (Ready::ERROR, "ERROR"),
        ];
        let mut list = f.debug_set();
        for (bit, name) in names {
            if self.0 & bit.0 != 0 {
                list.entry(&format_args!("{name}"));
            }
        }
        list.finish()
    }
}

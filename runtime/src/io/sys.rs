//! TODO (lead, in progress).

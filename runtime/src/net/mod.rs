//! TODO (helper net): TCP, UDP and Unix sockets on the runtime's reactor.

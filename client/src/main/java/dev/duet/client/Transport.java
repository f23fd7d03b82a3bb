package dev.duet.client;

/** How the client reaches a presenter. */
public enum Transport {
    /** TLS over TCP. */
    TCP,
    /** One QUIC stream over UDP: 1-RTT setup, 0-RTT on a resumed session, and the session survives address changes. */
    QUIC,
    /**
     * QUIC when it works, TCP when UDP is blocked: QUIC starts first and TCP a moment later unless QUIC is up by then,
     * the first one up is kept; after QUIC failed where TCP worked, TCP alone for a while.
     */
    AUTO
}

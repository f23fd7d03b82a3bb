package dev.duet.presenter;

import java.time.Duration;

/**
 * The clocks of a presenter's mux connections.
 *
 * @param pingInterval  PING period on every connection ({@link dev.duet.protocol.mux.MuxFailureDetector})
 * @param pingThreshold longest PING round trip, connect and {@code HELLO} before a connection is judged sick
 * @param readyWait     longest wait of a new stream for a ready connection (the route deadline)
 */
record MuxTimings(Duration pingInterval, Duration pingThreshold, Duration readyWait) {
}

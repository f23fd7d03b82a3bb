package dev.duet.protocol.mux;

import dev.duet.thrift.mux.Reset;
import dev.duet.thrift.mux.ResetCode;

/**
 * Fired as a user event through a {@link StreamChannel}'s pipeline when the peer resets the stream, just before the
 * channel closes: resets are not flow-controlled data, so they travel as an event (as in Netty's HTTP/2 child
 * channels). A presenter reacts to {@link ResetCode#NOT_OWNER} by routing the client again.
 */
public record StreamResetEvent(ResetCode code, String owner, long ringEpoch, String message) {

    static StreamResetEvent of(Reset reset) {
        return new StreamResetEvent(reset.getCode(), reset.isSetOwner() ? reset.getOwner() : null,
                reset.isSetRingEpoch() ? reset.getRingEpoch() : 0, reset.isSetMessage() ? reset.getMessage() : null);
    }

    /** A NACK: the peer processed nothing, and the stream can be opened again elsewhere. */
    public boolean isRetryable() {
        return code == ResetCode.NOT_OWNER || code == ResetCode.OVERLOAD;
    }
}

package dev.duet.protocol.client;

import io.netty.handler.codec.CorruptedFrameException;
import org.apache.thrift.protocol.TProtocolException;

/**
 * A client frame whose body is not one well-formed Thrift message: truncated, with trailing bytes, a string longer
 * than the body, or nested too deep. The frame boundaries are intact, so the stream can still be answered with an
 * {@code EXCEPTION(PROTOCOL_ERROR)} (under the message's seqid when its header decoded, 0 otherwise) before it is
 * closed.
 */
public final class MalformedMessageException extends CorruptedFrameException {
    private final int seqId;
    private final String reason;

    public MalformedMessageException(String message, int seqId, Throwable cause) {
        super(message, cause);
        this.seqId = seqId;
        this.reason = cause instanceof TProtocolException protocol
                && protocol.getType() == TProtocolException.DEPTH_LIMIT ? "too_deep" : "malformed";
    }

    /** The one in {@code cause} (a codec wraps what the Thrift decoder threw), or null. */
    public static MalformedMessageException in(Throwable cause) {
        if (cause instanceof MalformedMessageException malformed) {
            return malformed;
        }
        return cause != null && cause.getCause() instanceof MalformedMessageException malformed ? malformed : null;
    }

    /** The seqid of the message when its header decoded, 0 otherwise. */
    public int seqId() {
        return seqId;
    }

    /** For meters: {@code too_deep} or {@code malformed}. */
    public String reason() {
        return reason;
    }
}

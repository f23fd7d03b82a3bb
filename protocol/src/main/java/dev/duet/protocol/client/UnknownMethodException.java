package dev.duet.protocol.client;

import io.netty.handler.codec.DecoderException;

/**
 * A well-formed message header named a method (or message type) the receiver does not know. The stream is still in
 * sync, so a server answers with a Thrift {@code UNKNOWN_METHOD} exception for {@link #seqId()} and carries on.
 */
public final class UnknownMethodException extends DecoderException {
    private static final long serialVersionUID = 1L;

    private final String method;
    private final byte type;
    private final int seqId;

    public UnknownMethodException(String method, byte type, int seqId) {
        super("unknown method '" + method + "' (message type " + type + ")");
        this.method = method;
        this.type = type;
        this.seqId = seqId;
    }

    public String method() {
        return method;
    }

    public byte type() {
        return type;
    }

    public int seqId() {
        return seqId;
    }
}

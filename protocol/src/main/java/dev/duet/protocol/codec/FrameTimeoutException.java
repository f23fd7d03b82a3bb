package dev.duet.protocol.codec;

import io.netty.handler.codec.DecoderException;

/** A frame was started but not finished in time: the peer is too slow or is holding our buffers on purpose. */
public final class FrameTimeoutException extends DecoderException {
    private static final long serialVersionUID = 1L;

    public FrameTimeoutException(String message) {
        super(message);
    }
}

package dev.duet.protocol.mux;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * A mux {@code DATA} frame: raw client-protocol bytes of one stream. The hot path of the relay, so it is not a Thrift
 * struct but a holder of the payload buffer itself, which is a slice of the inbound buffer when decoded and is written
 * as it is when encoded. Whoever holds a {@code DataFrame} owns one reference to its payload.
 */
public final class DataFrame extends DefaultByteBufHolder {
    private final int streamId;

    public DataFrame(int streamId, ByteBuf payload) {
        super(payload);
        this.streamId = streamId;
    }

    public int streamId() {
        return streamId;
    }

    @Override
    public DataFrame replace(ByteBuf content) {
        return new DataFrame(streamId, content);
    }

    @Override
    public DataFrame copy() {
        return (DataFrame) super.copy();
    }

    @Override
    public DataFrame duplicate() {
        return (DataFrame) super.duplicate();
    }

    @Override
    public DataFrame retainedDuplicate() {
        return (DataFrame) super.retainedDuplicate();
    }

    @Override
    public DataFrame retain() {
        super.retain();
        return this;
    }

    @Override
    public DataFrame retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public DataFrame touch() {
        super.touch();
        return this;
    }

    @Override
    public DataFrame touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "DataFrame(stream " + streamId + ", " + content().readableBytes() + " bytes)";
    }
}

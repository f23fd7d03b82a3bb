package dev.duet.protocol.mux;

import dev.duet.protocol.thrift.CompactCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.TooLongFrameException;

import java.util.List;

/**
 * Encodes {@link DataFrame}s and control-frame structs (see {@link MuxFrames}) into mux frames.
 *
 * <h3>Zero copy</h3>
 * A {@code DATA} frame is written as a composite of a small header, the payload buffer itself and a shared two-byte
 * trailer ({@link DataFrameLayout}); the payload is never copied.
 *
 * <h3>Limits</h3>
 * No frame longer than {@link #maxFrameSize()} is written; the peer announces its limit in {@code HELLO}, and whoever
 * writes {@code DATA} splits payloads to {@link MuxFrames#maxDataPayload(int)}.
 */
public final class MuxFrameEncoder extends MessageToMessageEncoder<Object> {
    private static final ByteBuf TRAILER =
            Unpooled.unreleasableBuffer(Unpooled.directBuffer(DataFrameLayout.TRAILER).writeZero(DataFrameLayout.TRAILER))
                    .asReadOnly();

    private int maxFrameSize;

    public MuxFrameEncoder() {
        this(MuxFrames.DEFAULT_MAX_FRAME_SIZE);
    }

    public MuxFrameEncoder(int maxFrameSize) {
        this.maxFrameSize = maxFrameSize;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    /** Applies the limit the peer announced. Call on the channel's event loop. */
    public void maxFrameSize(int maxFrameSize) {
        this.maxFrameSize = maxFrameSize;
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof DataFrame || MuxFrames.isControl(msg);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
        if (msg instanceof DataFrame data) {
            out.add(encodeData(ctx, data));
        } else {
            out.add(encodeControl(ctx, msg));
        }
    }

    private ByteBuf encodeData(ChannelHandlerContext ctx, DataFrame data) throws TooLongFrameException {
        ByteBuf payload = data.content();
        if (payload.readableBytes() > MuxFrames.maxDataPayload(maxFrameSize)) {
            throw new TooLongFrameException("DATA payload of " + payload.readableBytes()
                    + " bytes exceeds the peer's limit of " + MuxFrames.maxDataPayload(maxFrameSize));
        }
        ByteBuf header = ctx.alloc().ioBuffer(4 + DataFrameLayout.MAX_HEADER);
        DataFrameLayout.writeHeader(header, data.streamId(), payload.readableBytes());
        return ctx.alloc().compositeDirectBuffer(3)
                .addComponents(true, header, payload.retain(), TRAILER.duplicate());
    }

    private ByteBuf encodeControl(ChannelHandlerContext ctx, Object control) throws Exception {
        ByteBuf out = ctx.alloc().ioBuffer();
        try {
            out.writeInt(0);
            MuxFrames.wrap(control).write(CompactCodec.writer(out));
            int frameLength = out.readableBytes() - 4;
            if (frameLength > maxFrameSize) {
                throw new TooLongFrameException("mux frame of " + frameLength
                        + " bytes exceeds the peer's limit of " + maxFrameSize);
            }
            out.setInt(0, frameLength);
            return out;
        } catch (Exception e) {
            out.release();
            throw e;
        }
    }
}

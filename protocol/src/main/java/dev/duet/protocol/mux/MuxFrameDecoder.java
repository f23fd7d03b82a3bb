package dev.duet.protocol.mux;

import dev.duet.protocol.codec.BoundedFrameDecoder;
import dev.duet.protocol.thrift.CompactCodec;
import dev.duet.thrift.mux.Data;
import dev.duet.thrift.mux.Frame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import org.apache.thrift.TException;

/**
 * Decodes mux frames ({@code length:4 Frame}) into a {@link DataFrame} for {@code DATA} and into the generated struct
 * of the kind ({@code Hello}, {@code Open}, ...) for every other frame.
 *
 * <h3>Zero copy</h3>
 * A {@code DATA} frame in the canonical layout ({@link DataFrameLayout}) is parsed by hand and its payload is a
 * retained slice of the inbound buffer. Any other encoding goes through the generated code.
 *
 * <h3>Errors</h3>
 * A frame that is not one well-formed {@code Frame} raises a {@link CorruptedFrameException}; a union with no field we
 * know (a frame kind from a newer version) is skipped, like unknown frame types in HTTP/2. Limits and the behaviour
 * after an error are {@link BoundedFrameDecoder}'s.
 */
public final class MuxFrameDecoder extends BoundedFrameDecoder {

    public MuxFrameDecoder() {
        this(MuxFrames.DEFAULT_MAX_FRAME_SIZE, MuxFrames.DEFAULT_FRAME_TIMEOUT_MILLIS);
    }

    public MuxFrameDecoder(int maxFrameSize, long frameTimeoutMillis) {
        super(maxFrameSize, frameTimeoutMillis);
    }

    @Override
    protected Object decodeFrame(ChannelHandlerContext ctx, ByteBuf frame) {
        try {
            DataFrame data = DataFrameLayout.parse(frame);
            return data != null ? data : decodeGeneric(frame);
        } finally {
            frame.release();
        }
    }

    private static Object decodeGeneric(ByteBuf frame) {
        Frame union = new Frame();
        try {
            union.read(CompactCodec.reader(frame));
        } catch (TException | RuntimeException e) {
            throw new CorruptedFrameException("malformed mux frame: " + e.getMessage(), e);
        }
        if (frame.isReadable()) {
            throw new CorruptedFrameException(frame.readableBytes() + " bytes after the end of the mux frame");
        }
        if (union.getSetField() == null) {
            return null;
        }
        Object value = union.getFieldValue();
        if (value instanceof Data data) {
            return new DataFrame(data.getStreamId(), Unpooled.wrappedBuffer(data.bufferForPayload()));
        }
        return value;
    }
}

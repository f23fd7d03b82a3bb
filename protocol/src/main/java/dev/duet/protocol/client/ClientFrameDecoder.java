package dev.duet.protocol.client;

import dev.duet.protocol.codec.BoundedFrameDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;

import java.io.IOException;

/**
 * Decodes client frames ({@code length:4 flags:1 body}) into their bodies: one {@link ByteBuf} per frame holding one
 * Thrift message, uncompressed when the frame was snappy-compressed.
 *
 * <h3>Limits</h3>
 * The length field may not exceed {@code maxFrameSize}, and a compressed body may not uncompress to more than
 * {@code maxFrameSize} bytes. A frame with no flags byte or an unknown flag bit is corrupt. See
 * {@link BoundedFrameDecoder} for the time limit and what happens after an error.
 *
 * <h3>Reference counting</h3>
 * Uncompressed bodies are retained slices of the inbound buffer (no copy); compressed ones are new buffers. Either way
 * the next handler owns the body it receives.
 */
public final class ClientFrameDecoder extends BoundedFrameDecoder {

    public ClientFrameDecoder() {
        this(ClientFrames.DEFAULT_MAX_FRAME_SIZE, ClientFrames.DEFAULT_FRAME_TIMEOUT_MILLIS);
    }

    public ClientFrameDecoder(int maxFrameSize, long frameTimeoutMillis) {
        super(maxFrameSize, frameTimeoutMillis);
    }

    @Override
    protected Object decodeFrame(ChannelHandlerContext ctx, ByteBuf frame) throws Exception {
        try {
            return body(ctx.alloc(), frame, maxFrameSize());
        } finally {
            frame.release();
        }
    }

    /**
     * The body of one frame ({@code flags} then the body; the length prefix already stripped), uncompressed: a
     * retained slice of {@code frame}, or a new buffer when it was compressed. Advances {@code frame}'s reader index.
     */
    public static ByteBuf body(ByteBufAllocator alloc, ByteBuf frame, int maxFrameSize) throws IOException {
        if (!frame.isReadable()) {
            throw new CorruptedFrameException("empty frame: the flags byte is missing");
        }
        int flags = frame.readUnsignedByte();
        if ((flags & ~ClientFrames.KNOWN_FLAGS) != 0) {
            throw new CorruptedFrameException("unknown frame flags 0x" + Integer.toHexString(flags));
        }
        if ((flags & ClientFrames.FLAG_SNAPPY) != 0) {
            return SnappyBlocks.uncompress(alloc, frame, maxFrameSize);
        }
        return frame.readRetainedSlice(frame.readableBytes());
    }
}

package dev.duet.protocol.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.netty.handler.codec.TooLongFrameException;

import java.util.List;

/**
 * Encodes message bodies into client frames ({@code length:4 flags:1 body}). Bodies of at least
 * {@code compressionThreshold} bytes are snappy-compressed when that makes them smaller; a threshold of
 * {@link Integer#MAX_VALUE} turns compression off. Uncompressed bodies are not copied: the frame is the header followed
 * by the body itself.
 */
@ChannelHandler.Sharable
public final class ClientFrameEncoder extends MessageToMessageEncoder<ByteBuf> {
    /** Bodies shorter than this gain too little from compression to pay for it. */
    public static final int DEFAULT_COMPRESSION_THRESHOLD = 512;

    private final int maxFrameSize;
    private final int compressionThreshold;

    public ClientFrameEncoder() {
        this(ClientFrames.DEFAULT_MAX_FRAME_SIZE, DEFAULT_COMPRESSION_THRESHOLD);
    }

    public ClientFrameEncoder(int maxFrameSize, int compressionThreshold) {
        super(ByteBuf.class);
        this.maxFrameSize = maxFrameSize;
        this.compressionThreshold = compressionThreshold;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, ByteBuf body, List<Object> out) throws Exception {
        ByteBuf payload = body.retain();
        int flags = 0;
        if (body.readableBytes() >= compressionThreshold) {
            ByteBuf compressed = SnappyBlocks.compress(ctx.alloc(), body);
            if (compressed.readableBytes() < body.readableBytes()) {
                body.release();
                payload = compressed;
                flags = ClientFrames.FLAG_SNAPPY;
            } else {
                compressed.release();
            }
        }
        int frameLength = 1 + payload.readableBytes();
        if (frameLength > maxFrameSize) {
            payload.release();
            throw new TooLongFrameException("frame of " + frameLength + " bytes exceeds the limit of " + maxFrameSize);
        }
        ByteBuf header = ctx.alloc().ioBuffer(5);
        header.writeInt(frameLength).writeByte(flags);
        out.add(ctx.alloc().compositeDirectBuffer(2).addComponents(true, header, payload));
    }
}

package dev.duet.protocol.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import org.xerial.snappy.Snappy;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Raw snappy blocks in and out of {@link ByteBuf}s, through the native snappy library's direct-buffer API. The
 * uncompressed length a block announces is checked against a limit before anything is allocated, so a small frame
 * cannot make us allocate a large buffer.
 */
final class SnappyBlocks {
    private SnappyBlocks() {
    }

    /** Compresses all readable bytes of {@code in} (left untouched) into a new direct buffer. */
    static ByteBuf compress(ByteBufAllocator alloc, ByteBuf in) throws IOException {
        ByteBuf source = directView(alloc, in);
        ByteBuf out = alloc.directBuffer(Snappy.maxCompressedLength(in.readableBytes()));
        try {
            int written = Snappy.compress(source.nioBuffer(source.readerIndex(), source.readableBytes()),
                    out.nioBuffer(0, out.capacity()));
            return out.writerIndex(written);
        } catch (IOException | RuntimeException e) {
            out.release();
            throw e;
        } finally {
            if (source != in) {
                source.release();
            }
        }
    }

    /** Uncompresses all readable bytes of {@code in} (left untouched) into a new direct buffer of at most {@code limit} bytes. */
    static ByteBuf uncompress(ByteBufAllocator alloc, ByteBuf in, int limit) throws IOException {
        ByteBuf source = directView(alloc, in);
        try {
            ByteBuffer block = source.nioBuffer(source.readerIndex(), source.readableBytes());
            if (!Snappy.isValidCompressedBuffer(block)) {
                throw new CorruptedFrameException("body is not a valid snappy block");
            }
            int length = Snappy.uncompressedLength(block);
            if (length > limit) {
                throw new TooLongFrameException("snappy body uncompresses to " + length + " bytes, limit is " + limit);
            }
            ByteBuf out = alloc.directBuffer(length);
            try {
                int written = Snappy.uncompress(block, out.nioBuffer(0, length));
                return out.writerIndex(written);
            } catch (IOException | RuntimeException e) {
                out.release();
                throw e;
            }
        } finally {
            if (source != in) {
                source.release();
            }
        }
    }

    /** The native API wants one contiguous direct region: heap or composite input is copied once. */
    private static ByteBuf directView(ByteBufAllocator alloc, ByteBuf in) {
        if (in.isDirect() && in.nioBufferCount() == 1) {
            return in;
        }
        ByteBuf copy = alloc.directBuffer(in.readableBytes());
        copy.writeBytes(in, in.readerIndex(), in.readableBytes());
        return copy;
    }
}

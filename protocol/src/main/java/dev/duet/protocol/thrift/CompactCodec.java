package dev.duet.protocol.thrift;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import org.apache.thrift.TConfiguration;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.transport.TIOStreamTransport;
import org.apache.thrift.transport.TTransportException;

/**
 * {@link TCompactProtocol} over {@link ByteBuf}s. A reading protocol is bounded by the bytes it reads from: no string,
 * binary or container it decodes may claim more than that, so a few hostile bytes cannot make us allocate much; and
 * by {@link #MAX_DEPTH} levels of nesting, skipped fields included, so they cannot overflow the stack.
 */
public final class CompactCodec {
    /** Deeper than any of our structs nest (a mux frame holding an OPEN holding TLS facts is three). */
    public static final int MAX_DEPTH = 16;

    private CompactCodec() {
    }

    /** A protocol reading the readable bytes of {@code in}, advancing its reader index. */
    public static TProtocol reader(ByteBuf in) throws TTransportException {
        int size = in.readableBytes();
        TConfiguration bounds = new TConfiguration(Math.max(size, 1), Math.max(size, 1), MAX_DEPTH);
        return new DepthLimitedProtocol(new TCompactProtocol(new TIOStreamTransport(bounds,
                new ByteBufInputStream(in)), size, size), MAX_DEPTH);
    }

    /** A protocol appending to {@code out}. */
    public static TProtocol writer(ByteBuf out) throws TTransportException {
        return new TCompactProtocol(new TIOStreamTransport(new ByteBufOutputStream(out)));
    }
}

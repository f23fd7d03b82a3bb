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
 * binary or container it decodes may claim more than that, so a few hostile bytes cannot make us allocate much.
 */
public final class CompactCodec {
    private static final int RECURSION_LIMIT = 16;

    private CompactCodec() {
    }

    /** A protocol reading the readable bytes of {@code in}, advancing its reader index. */
    public static TProtocol reader(ByteBuf in) throws TTransportException {
        int size = in.readableBytes();
        TConfiguration bounds = new TConfiguration(Math.max(size, 1), Math.max(size, 1), RECURSION_LIMIT);
        return new TCompactProtocol(new TIOStreamTransport(bounds, new ByteBufInputStream(in)), size, size);
    }

    /** A protocol appending to {@code out}. */
    public static TProtocol writer(ByteBuf out) throws TTransportException {
        return new TCompactProtocol(new TIOStreamTransport(new ByteBufOutputStream(out)));
    }
}

package dev.duet.protocol.client;

import dev.duet.protocol.thrift.CompactCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.MessageToMessageCodec;
import org.apache.thrift.TException;
import org.apache.thrift.TSerializable;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TProtocol;

import java.util.List;

/**
 * Turns client frame bodies into {@link ThriftMessage}s and back, with {@code TCompactProtocol}. Sits after
 * {@link ClientFrameDecoder} / {@link ClientFrameEncoder}.
 *
 * <h3>Errors</h3>
 * A body that is not one complete Thrift message (truncated, trailing bytes, malformed struct) raises a
 * {@link CorruptedFrameException}: the stream is broken and should be closed. A well-formed message for a method the
 * {@link MessageCatalog} does not know raises an {@link UnknownMethodException}, after which the stream is still in
 * sync. Either way the body is released.
 */
public final class ThriftMessageCodec extends MessageToMessageCodec<ByteBuf, ThriftMessage> {
    private final MessageCatalog catalog;

    public ThriftMessageCodec(MessageCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf body, List<Object> out) throws Exception {
        out.add(decode(catalog, body));
    }

    /** Decodes one message from all readable bytes of {@code body} (advancing its reader index). */
    public static ThriftMessage decode(MessageCatalog catalog, ByteBuf body) {
        TProtocol in;
        TMessage header;
        try {
            in = CompactCodec.reader(body);
            header = in.readMessageBegin();
        } catch (TException | RuntimeException e) {
            throw malformed(e);
        }
        TSerializable struct = catalog.newBody(header.name, header.type);
        if (struct == null) {
            body.skipBytes(body.readableBytes());
            throw new UnknownMethodException(header.name, header.type, header.seqid);
        }
        try {
            struct.read(in);
            in.readMessageEnd();
        } catch (TException | RuntimeException e) {
            throw malformed(e);
        }
        if (body.isReadable()) {
            throw new CorruptedFrameException(body.readableBytes() + " bytes after the end of the thrift message");
        }
        return new ThriftMessage(header.name, header.type, header.seqid, struct);
    }

    private static CorruptedFrameException malformed(Exception cause) {
        return new CorruptedFrameException("malformed thrift message: " + cause.getMessage(), cause);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, ThriftMessage message, List<Object> out) throws Exception {
        ByteBuf body = ctx.alloc().ioBuffer();
        try {
            encode(message, body);
        } catch (TException | RuntimeException e) {
            body.release();
            throw e;
        }
        out.add(body);
    }

    /** Appends {@code message} to {@code out}. */
    public static void encode(ThriftMessage message, ByteBuf out) throws TException {
        TProtocol protocol = CompactCodec.writer(out);
        protocol.writeMessageBegin(new TMessage(message.name(), message.type(), message.seqId()));
        message.body().write(protocol);
        protocol.writeMessageEnd();
    }
}

package dev.duet.protocol.client;

import dev.duet.protocol.thrift.CompactCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
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
 * A body that is not one complete Thrift message (truncated, trailing bytes, malformed struct, nested too deep) raises
 * a {@link MalformedMessageException}: the stream is answered {@code EXCEPTION(PROTOCOL_ERROR)} and closed. A well-formed message for a method the
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
            throw malformed(e, 0);
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
            throw malformed(e, header.seqid);
        }
        if (body.isReadable()) {
            throw new MalformedMessageException(body.readableBytes() + " bytes after the end of the thrift message",
                    header.seqid, null);
        }
        return new ThriftMessage(header.name, header.type, header.seqid, struct);
    }

    private static MalformedMessageException malformed(Exception cause, int seqId) {
        return new MalformedMessageException("malformed thrift message: " + cause.getMessage(), seqId, cause);
    }

    /**
     * A whole uncompressed client frame holding {@code message}, for a handler that answers outside a client pipeline
     * (the presenter refusing a first frame).
     */
    public static ByteBuf encodeFrame(ByteBufAllocator alloc, ThriftMessage message) throws TException {
        ByteBuf frame = alloc.buffer();
        frame.writeInt(0).writeByte(0);
        try {
            encode(message, frame);
        } catch (TException | RuntimeException e) {
            frame.release();
            throw e;
        }
        return frame.setInt(0, frame.readableBytes() - 4);
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

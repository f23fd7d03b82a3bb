package dev.duet.presenter;

import dev.duet.protocol.client.ClientFrameDecoder;
import dev.duet.protocol.client.MalformedMessageException;
import dev.duet.protocol.client.MessageCatalog;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.client.ThriftMessageCodec;
import dev.duet.protocol.codec.BoundedFrameDecoder;
import dev.duet.thrift.chat.ChatService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import org.apache.thrift.protocol.TMessageType;

/**
 * Reads exactly one client frame — the first — and decodes it as far as routing needs: it must be an
 * {@code authenticate} call. Everything after it stays in this decoder's buffer, untouched, until the handler is
 * removed and hands it to the relay. Size and time limits are {@link BoundedFrameDecoder}'s.
 */
final class FirstFrameDecoder extends BoundedFrameDecoder {
    private static final MessageCatalog CALLS = MessageCatalog.server();

    FirstFrameDecoder(int maxFrameSize, long frameTimeoutMillis) {
        super(maxFrameSize, frameTimeoutMillis);
        setSingleDecode(true);
    }

    @Override
    protected Object decodeFrame(ChannelHandlerContext ctx, ByteBuf frame) throws Exception {
        try {
            byte[] raw = new byte[LENGTH_PREFIX_SIZE + frame.readableBytes()];
            Unpooled.wrappedBuffer(raw).writerIndex(0).writeInt(frame.readableBytes())
                    .writeBytes(frame, frame.readerIndex(), frame.readableBytes());
            ByteBuf body = ClientFrameDecoder.body(ctx.alloc(), frame, maxFrameSize());
            ThriftMessage call;
            try {
                call = ThriftMessageCodec.decode(CALLS, body);
            } finally {
                body.release();
            }
            if (call.type() != TMessageType.CALL || !call.name().equals("authenticate")) {
                throw new MalformedMessageException("first frame must be an authenticate call, not " + call.name(),
                        call.seqId(), null);
            }
            return new FirstFrame(raw, call.seqId(), ((ChatService.authenticate_args) call.body()).getRequest());
        } finally {
            frame.release();
        }
    }
}

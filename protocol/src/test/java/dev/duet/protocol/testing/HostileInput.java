package dev.duet.protocol.testing;

import dev.duet.protocol.thrift.CompactCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;

/** Inputs an attacker would send, built byte by byte, for tests of every decoder that meets them. */
public final class HostileInput {
    private HostileInput() {
    }

    /**
     * A {@code method} call whose arguments hold one unknown field (id 15), a struct nested {@code depth} levels
     * deep: a few bytes per level that a reader without a depth limit recurses into while skipping.
     */
    public static byte[] nestedCall(String method, int seqId, int depth) throws Exception {
        ByteBuf body = Unpooled.buffer();
        TProtocol out = CompactCodec.writer(body);
        out.writeMessageBegin(new TMessage(method, TMessageType.CALL, seqId));
        body.writeByte(0xFC); // field delta 15, type struct
        for (int level = 1; level < depth; level++) {
            body.writeByte(0x1C); // field delta 1, type struct
        }
        body.writeZero(depth + 1); // every struct's stop, then the arguments' own
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        return bytes;
    }

    /**
     * Feeds {@code input} to a decoding pipeline: it may decode or be refused with a {@link DecoderException}, and
     * nothing may stay allocated afterwards; any other exception propagates.
     */
    public static void feed(EmbeddedChannel channel, byte[] input) {
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(input));
        } catch (DecoderException refused) {
            // what every malformed input must produce
        } finally {
            channel.finishAndReleaseAll();
        }
    }

    /** {@code body} as one uncompressed client frame. */
    public static ByteBuf clientFrame(byte[] body) {
        return Unpooled.buffer(5 + body.length).writeInt(1 + body.length).writeByte(0).writeBytes(body);
    }
}

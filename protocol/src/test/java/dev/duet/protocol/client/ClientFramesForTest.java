package dev.duet.protocol.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.xerial.snappy.Snappy;

import java.io.IOException;

/** Client frames built byte by byte from the spec, independent of the encoder under test. */
final class ClientFramesForTest {
    private ClientFramesForTest() {
    }

    static byte[] frame(int flags, byte[] body) {
        ByteBuf out = Unpooled.buffer();
        out.writeInt(1 + body.length).writeByte(flags).writeBytes(body);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }

    static byte[] snappyFrame(byte[] body) throws IOException {
        return frame(ClientFrames.FLAG_SNAPPY, Snappy.compress(body));
    }
}

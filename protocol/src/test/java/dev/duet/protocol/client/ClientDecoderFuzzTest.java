package dev.duet.protocol.client;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.duet.protocol.testing.FuzzLimits;
import dev.duet.protocol.testing.HostileInput;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * Any bytes from a client, through the chat server's decoders: they decode, or fail with the decoder's own error —
 * never another exception, never a leaked buffer (the leak detector runs at PARANOID), never a hang.
 */
class ClientDecoderFuzzTest {
    @FuzzTest(maxExecutions = FuzzLimits.MAX_EXECUTIONS, maxDuration = FuzzLimits.MAX_DURATION)
    void clientFramesAndThriftMessages(byte[] input) {
        HostileInput.feed(new EmbeddedChannel(new ClientFrameDecoder(), new ThriftMessageCodec(
                MessageCatalog.server())), input);
    }

    @FuzzTest(maxExecutions = FuzzLimits.MAX_EXECUTIONS, maxDuration = FuzzLimits.MAX_DURATION)
    void oneThriftMessage(byte[] input) {
        try {
            ThriftMessageCodec.decode(MessageCatalog.server(), Unpooled.wrappedBuffer(input));
        } catch (MalformedMessageException | UnknownMethodException expected) {
            // refused
        }
    }
}

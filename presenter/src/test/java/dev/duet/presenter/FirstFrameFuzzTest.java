package dev.duet.presenter;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.duet.protocol.client.ClientFrames;
import dev.duet.protocol.testing.FuzzLimits;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;

/**
 * Any first bytes of a connection, as the presenter reads them before any token is checked: an authenticate call, or
 * the decoder's own error — nothing else, nothing leaked.
 */
class FirstFrameFuzzTest {
    @FuzzTest(maxExecutions = FuzzLimits.MAX_EXECUTIONS, maxDuration = FuzzLimits.MAX_DURATION)
    void firstFrames(byte[] input) {
        EmbeddedChannel channel = new EmbeddedChannel(new FirstFrameDecoder(ClientFrames.DEFAULT_MAX_FRAME_SIZE,
                ClientFrames.DEFAULT_FRAME_TIMEOUT_MILLIS));
        try {
            channel.writeInbound(Unpooled.wrappedBuffer(input));
            Object first = channel.readInbound();
            if (first != null && !(first instanceof FirstFrame)) {
                throw new AssertionError("decoded into " + first.getClass());
            }
        } catch (DecoderException expected) {
            // refused
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}

package dev.duet.protocol.mux;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.duet.protocol.testing.FuzzLimits;
import dev.duet.protocol.testing.HostileInput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;

/** Any bytes from a mux peer: decoded into frames, or refused with the decoder's error; nothing else, nothing leaked. */
class MuxDecoderFuzzTest {
    @FuzzTest(maxExecutions = FuzzLimits.MAX_EXECUTIONS, maxDuration = FuzzLimits.MAX_DURATION)
    void muxFrames(byte[] input) {
        HostileInput.feed(new EmbeddedChannel(new MuxFrameDecoder()), input);
    }

    /** The DATA fast path either parses a frame body or leaves it to the generic decoder, untouched. */
    @FuzzTest(maxExecutions = FuzzLimits.MAX_EXECUTIONS, maxDuration = FuzzLimits.MAX_DURATION)
    void dataLayout(byte[] input) {
        ByteBuf frame = Unpooled.wrappedBuffer(input);
        int readerIndex = frame.readerIndex();
        DataFrame data = DataFrameLayout.parse(frame);
        if (data == null && frame.readerIndex() != readerIndex) {
            throw new AssertionError("a frame that is not the DATA layout was consumed");
        }
        ReferenceCountUtil.release(data);
        frame.release();
    }
}

package dev.duet.protocol.client;

import dev.duet.protocol.codec.FrameTimeoutException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.duet.protocol.client.ClientFramesForTest.frame;
import static dev.duet.protocol.client.ClientFramesForTest.snappyFrame;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientFrameCodecTest {
    private static final byte[] HELLO = "hello, partner".getBytes(StandardCharsets.UTF_8);

    private static byte[] readBody(EmbeddedChannel channel) {
        ByteBuf body = channel.readInbound();
        try {
            return ByteBufUtil.getBytes(body);
        } finally {
            body.release();
        }
    }

    private static byte[] repetitive(int size) {
        byte[] body = new byte[size];
        for (int i = 0; i < size; i++) {
            body[i] = (byte) ('a' + i % 7);
        }
        return body;
    }

    @Test
    void decodesAnUncompressedFrameAsASliceOfTheInput() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder());
        ByteBuf in = Unpooled.directBuffer().writeBytes(frame(0, HELLO));
        channel.writeInbound(in);
        ByteBuf body = channel.readInbound();
        assertEquals(new String(HELLO, StandardCharsets.UTF_8), body.toString(StandardCharsets.UTF_8));
        assertEquals(in.memoryAddress() + 5, body.memoryAddress(), "the body must not be copied");
        body.release();
        assertFalse(channel.finish());
    }

    @Test
    void decodesASnappyFrame() throws Exception {
        byte[] body = repetitive(10_000);
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(snappyFrame(body)));
        assertArrayEquals(body, readBody(channel));
        assertFalse(channel.finish());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 511, 512, 4096, 64 * 1024 - 1})
    void roundTripsThroughTheEncoder(int size) {
        byte[] body = new Random(size).ints(size, 'a', 'e').collect(ByteArrayOutputStream::new,
                ByteArrayOutputStream::write, (a, b) -> { }).toByteArray();
        EmbeddedChannel encoder = new EmbeddedChannel(new ClientFrameEncoder());
        EmbeddedChannel decoder = new EmbeddedChannel(new ClientFrameDecoder());
        assertTrue(encoder.writeOutbound(Unpooled.wrappedBuffer(body)));
        ByteBuf encoded = encoder.readOutbound();
        if (size >= ClientFrameEncoder.DEFAULT_COMPRESSION_THRESHOLD) {
            assertEquals(ClientFrames.FLAG_SNAPPY, encoded.getByte(4), "a compressible body is compressed");
            assertTrue(encoded.readableBytes() < size);
        } else {
            assertEquals(0, encoded.getByte(4));
            assertEquals(1 + size, encoded.getInt(0));
        }
        decoder.writeInbound(encoded);
        assertArrayEquals(body, readBody(decoder));
        assertFalse(encoder.finish());
        assertFalse(decoder.finish());
    }

    @Test
    void leavesIncompressibleBodiesUncompressed() {
        byte[] body = new byte[4096];
        new Random(7).nextBytes(body);
        EmbeddedChannel encoder = new EmbeddedChannel(new ClientFrameEncoder());
        encoder.writeOutbound(Unpooled.wrappedBuffer(body));
        ByteBuf encoded = encoder.readOutbound();
        assertEquals(0, encoded.getByte(4));
        assertArrayEquals(frame(0, body), ByteBufUtil.getBytes(encoded));
        encoded.release();
        assertFalse(encoder.finish());
    }

    @Test
    void decodesFramesSplitAtEveryByteBoundary() throws Exception {
        byte[] stream = concat(frame(0, HELLO), snappyFrame(repetitive(2000)), frame(0, new byte[0]));
        for (int split = 1; split < stream.length; split++) {
            EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder());
            channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, 0, split)));
            channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, split, stream.length)));
            assertArrayEquals(HELLO, readBody(channel), "split at " + split);
            assertArrayEquals(repetitive(2000), readBody(channel), "split at " + split);
            assertArrayEquals(new byte[0], readBody(channel), "split at " + split);
            assertFalse(channel.finish());
        }
    }

    @Test
    void decodesFramesFedOneByteAtATime() {
        byte[] stream = concat(frame(0, HELLO), frame(0, HELLO));
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder());
        for (byte b : stream) {
            channel.writeInbound(Unpooled.wrappedBuffer(new byte[]{b}));
        }
        assertArrayEquals(HELLO, readBody(channel));
        assertArrayEquals(HELLO, readBody(channel));
        assertFalse(channel.finish());
    }

    @Test
    void refusesAFrameAboveTheLimitBeforeBufferingIt() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder(1024, 10_000));
        ByteBuf header = Unpooled.buffer().writeInt(1025).writeByte(0);
        TooLongFrameException e = assertThrows(TooLongFrameException.class, () -> channel.writeInbound(header));
        assertTrue(e.getMessage().contains("1024"), e.getMessage());
        assertEquals(0, header.refCnt());
        assertFalse(channel.writeInbound(Unpooled.wrappedBuffer(frame(0, HELLO))),
                "after an error the decoder discards everything");
        assertFalse(channel.finish());
    }

    @Test
    void acceptsAFrameExactlyAtTheLimit() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder(1024, 10_000));
        channel.writeInbound(Unpooled.wrappedBuffer(frame(0, new byte[1023])));
        assertEquals(1023, readBody(channel).length);
        assertFalse(channel.finish());
    }

    @Test
    void refusesASnappyBodyThatUncompressesAboveTheLimit() throws Exception {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder(8192, 10_000));
        byte[] bomb = snappyFrame(repetitive(100_000));
        assertTrue(bomb.length < 8192, "the compressed frame itself is within the limit");
        DecoderException e = assertThrows(DecoderException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(bomb)));
        assertInstanceOf(TooLongFrameException.class, e.getCause() == null ? e : e.getCause());
        assertFalse(channel.finish());
    }

    @Test
    void refusesABodyThatIsNotSnappy() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder());
        byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F, 1, 2, 3};
        DecoderException e = assertThrows(DecoderException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(frame(ClientFrames.FLAG_SNAPPY, garbage))));
        assertInstanceOf(CorruptedFrameException.class, e.getCause() == null ? e : e.getCause());
        assertFalse(channel.finish());
    }

    @Test
    void refusesUnknownFlags() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder());
        DecoderException e = assertThrows(DecoderException.class,
                () -> channel.writeInbound(Unpooled.wrappedBuffer(frame(0x02, HELLO))));
        assertTrue(String.valueOf(e.getMessage()).contains("flags"), e.getMessage());
        assertFalse(channel.finish());
    }

    @Test
    void refusesAFrameWithoutFlagsByte() {
        EmbeddedChannel channel = new EmbeddedChannel(new ClientFrameDecoder());
        assertThrows(CorruptedFrameException.class,
                () -> channel.writeInbound(Unpooled.buffer().writeInt(0)));
        assertFalse(channel.finish());
    }

    @Test
    void failsAFrameThatDoesNotCompleteInTime() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new ClientFrameDecoder(1024, 5_000));
        byte[] whole = frame(0, HELLO);
        channel.writeInbound(Unpooled.wrappedBuffer(whole, 0, 6));
        channel.advanceTimeBy(4_999, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.checkException();
        channel.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        assertThrows(FrameTimeoutException.class, channel::checkException);
        assertFalse(channel.writeInbound(Unpooled.wrappedBuffer(whole, 6, whole.length - 6)));
        assertFalse(channel.finish());
    }

    @Test
    void keepsWaitingWhileFramesProgressOrReadingIsPaused() {
        EmbeddedChannel channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new ClientFrameDecoder(1024, 5_000));
        byte[] whole = frame(0, HELLO);
        channel.writeInbound(Unpooled.wrappedBuffer(concat(whole, Arrays.copyOf(whole, 3))));
        assertArrayEquals(HELLO, readBody(channel));
        channel.config().setAutoRead(false);
        channel.advanceTimeBy(60_000, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.checkException();
        channel.config().setAutoRead(true);
        channel.writeInbound(Unpooled.wrappedBuffer(whole, 3, whole.length - 3));
        assertArrayEquals(HELLO, readBody(channel));
        channel.advanceTimeBy(60_000, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.checkException();
        assertNull(channel.readInbound());
        assertFalse(channel.finish());
    }

    @Test
    void encoderRefusesABodyAboveTheLimit() {
        EmbeddedChannel encoder = new EmbeddedChannel(new ClientFrameEncoder(100, Integer.MAX_VALUE));
        ByteBuf body = Unpooled.wrappedBuffer(new byte[100]);
        EncoderException e = assertThrows(EncoderException.class, () -> encoder.writeOutbound(body));
        assertInstanceOf(TooLongFrameException.class, e.getCause());
        assertEquals(0, body.refCnt());
        assertFalse(encoder.finish());
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}

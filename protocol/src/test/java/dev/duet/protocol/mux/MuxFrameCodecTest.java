package dev.duet.protocol.mux;

import dev.duet.thrift.mux.Close;
import dev.duet.thrift.mux.Data;
import dev.duet.thrift.mux.Frame;
import dev.duet.thrift.mux.GoAway;
import dev.duet.thrift.mux.Hello;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.Ping;
import dev.duet.thrift.mux.Reset;
import dev.duet.thrift.mux.ResetCode;
import dev.duet.thrift.mux.TlsInfo;
import dev.duet.thrift.mux.WindowUpdate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import org.apache.thrift.TSerializer;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TField;
import org.apache.thrift.protocol.TStruct;
import org.apache.thrift.protocol.TType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MuxFrameCodecTest {
    private static final int MAX_PAYLOAD = MuxFrames.maxDataPayload(MuxFrames.DEFAULT_MAX_FRAME_SIZE);

    /** The reference encoding: the generated code's bytes for the union, behind a 4-byte length. */
    private static byte[] generated(Frame frame) throws Exception {
        byte[] body = new TSerializer(new TCompactProtocol.Factory()).serialize(frame);
        return ByteBuffer.allocate(4 + body.length).putInt(body.length).put(body).array();
    }

    private static byte[] payload(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    static Stream<Arguments> dataFrames() {
        List<Arguments> cases = new ArrayList<>();
        for (int streamId : new int[]{1, 63, 64, 8191, 8192, 1 << 20, Integer.MAX_VALUE}) {
            for (int size : new int[]{0, 1, 127, 128, 1000, 16_384, MAX_PAYLOAD}) {
                cases.add(Arguments.of(streamId, size));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "stream {0}, {1} bytes")
    @MethodSource("dataFrames")
    void encodesDataExactlyAsTheGeneratedCode(int streamId, int size) throws Exception {
        byte[] payload = payload(size);
        EmbeddedChannel encoder = new EmbeddedChannel(new MuxFrameEncoder());
        ByteBuf content = Unpooled.directBuffer(size).writeBytes(payload);
        encoder.writeOutbound(new DataFrame(streamId, content));
        ByteBuf encoded = encoder.readOutbound();
        assertArrayEquals(generated(Frame.data(new Data(streamId, ByteBuffer.wrap(payload)))),
                ByteBufUtil.getBytes(encoded));
        assertTrue(encoded.isDirect(), "DATA frames stay direct for gathering writes");
        encoded.release();
        assertEquals(0, content.refCnt());
        assertFalse(encoder.finish());
    }

    @ParameterizedTest(name = "stream {0}, {1} bytes")
    @MethodSource("dataFrames")
    void decodesGeneratedDataAsASliceOfTheInput(int streamId, int size) throws Exception {
        byte[] payload = payload(size);
        byte[] wire = generated(Frame.data(new Data(streamId, ByteBuffer.wrap(payload))));
        EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder());
        ByteBuf in = Unpooled.directBuffer(wire.length).writeBytes(wire);
        decoder.writeInbound(in);
        DataFrame frame = decoder.readInbound();
        assertEquals(streamId, frame.streamId());
        assertArrayEquals(payload, ByteBufUtil.getBytes(frame.content()));
        int payloadOffset = wire.length - size - 2;
        assertEquals(in.memoryAddress() + payloadOffset, frame.content().memoryAddress(),
                "the payload must be a slice of the inbound buffer, not a copy");
        frame.release();
        assertFalse(decoder.finish());
    }

    static Stream<Object> controlFrames() {
        return Stream.of(
                new Hello(1, "presenter-a", 65_536, 1 << 20, MuxFrames.DEFAULT_MAX_FRAME_SIZE),
                new Open(3, 17, "ann", "couple-1", "bob", "203.0.113.9:50412",
                        ByteBuffer.wrap(new byte[]{0, 0, 0, 1, 0})).setTls(new TlsInfo("TLSv1.3",
                        "TLS_AES_128_GCM_SHA256", true).setServerName("chat.example")),
                new Close(3),
                new Reset(5, ResetCode.NOT_OWNER).setOwner("chat-2").setRingEpoch(18).setMessage("moved on"),
                new Reset(7, ResetCode.CANCEL),
                new WindowUpdate(0, 1 << 20),
                new WindowUpdate(9, 4096),
                new Ping(0x1122334455667788L, false),
                new Ping(-1, true),
                new GoAway(41).setReason("draining"));
    }

    @ParameterizedTest
    @MethodSource("controlFrames")
    void roundTripsControlFramesAsTheGeneratedCodeEncodesThem(Object control) throws Exception {
        EmbeddedChannel encoder = new EmbeddedChannel(new MuxFrameEncoder());
        EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder());
        encoder.writeOutbound(control);
        ByteBuf encoded = encoder.readOutbound();
        assertArrayEquals(generated(MuxFrames.wrap(control)), ByteBufUtil.getBytes(encoded));
        decoder.writeInbound(encoded);
        assertEquals(control, decoder.readInbound());
        assertFalse(encoder.finish());
        assertFalse(decoder.finish());
    }

    private static byte[] mixedStream() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(generated(Frame.hello(new Hello(1, "chat-1", 65_536, 1 << 20, 81_920))));
        out.writeBytes(generated(Frame.data(new Data(3, ByteBuffer.wrap(payload(40))))));
        out.writeBytes(generated(Frame.ping(new Ping(5, false))));
        out.writeBytes(generated(Frame.data(new Data(5, ByteBuffer.wrap(new byte[0])))));
        out.writeBytes(generated(Frame.close(new Close(3))));
        return out.toByteArray();
    }

    private static List<Object> drain(EmbeddedChannel channel) {
        List<Object> frames = new ArrayList<>();
        for (Object frame; (frame = channel.readInbound()) != null; ) {
            if (frame instanceof DataFrame data) {
                frames.add(List.of(data.streamId(), ByteBufUtil.hexDump(data.content())));
                data.release();
            } else {
                frames.add(frame);
            }
        }
        return frames;
    }

    @Test
    void decodesTheSameFramesWhateverTheSplitOrCoalescing() throws Exception {
        byte[] stream = mixedStream();
        EmbeddedChannel whole = new EmbeddedChannel(new MuxFrameDecoder());
        whole.writeInbound(Unpooled.wrappedBuffer(stream));
        List<Object> expected = drain(whole);
        assertEquals(5, expected.size());
        for (int split = 1; split < stream.length; split++) {
            EmbeddedChannel channel = new EmbeddedChannel(new MuxFrameDecoder());
            channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, 0, split)));
            channel.writeInbound(Unpooled.wrappedBuffer(Arrays.copyOfRange(stream, split, stream.length)));
            assertEquals(expected, drain(channel), "split at " + split);
            assertFalse(channel.finish());
        }
        EmbeddedChannel bytewise = new EmbeddedChannel(new MuxFrameDecoder());
        for (byte b : stream) {
            bytewise.writeInbound(Unpooled.wrappedBuffer(new byte[]{b}));
        }
        assertEquals(expected, drain(bytewise));
        assertFalse(bytewise.finish());
        assertFalse(whole.finish());
    }

    @Test
    void acceptsDataInAnotherValidEncoding() throws Exception {
        TMemoryBuffer buffer = new TMemoryBuffer(32);
        TCompactProtocol protocol = new TCompactProtocol(buffer);
        protocol.writeStructBegin(new TStruct("Frame"));
        protocol.writeFieldBegin(new TField("data", TType.STRUCT, (short) 3));
        protocol.writeStructBegin(new TStruct("Data"));
        protocol.writeFieldBegin(new TField("payload", TType.STRING, (short) 2));
        protocol.writeBinary(ByteBuffer.wrap(new byte[]{1, 2, 3}));
        protocol.writeFieldEnd();
        protocol.writeFieldBegin(new TField("streamId", TType.I32, (short) 1));
        protocol.writeI32(11);
        protocol.writeFieldEnd();
        protocol.writeFieldStop();
        protocol.writeStructEnd();
        protocol.writeFieldEnd();
        protocol.writeFieldStop();
        protocol.writeStructEnd();
        EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder());
        decoder.writeInbound(Unpooled.buffer().writeInt(buffer.length()).writeBytes(buffer.getArray(), 0, buffer.length()));
        DataFrame frame = decoder.readInbound();
        assertEquals(11, frame.streamId());
        assertEquals("010203", ByteBufUtil.hexDump(frame.content()));
        frame.release();
        assertFalse(decoder.finish());
    }

    @Test
    void skipsFrameKindsItDoesNotKnow() throws Exception {
        TMemoryBuffer buffer = new TMemoryBuffer(32);
        TCompactProtocol protocol = new TCompactProtocol(buffer);
        protocol.writeStructBegin(new TStruct("Frame"));
        protocol.writeFieldBegin(new TField("fromTheFuture", TType.I64, (short) 42));
        protocol.writeI64(7);
        protocol.writeFieldEnd();
        protocol.writeFieldStop();
        protocol.writeStructEnd();
        EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder());
        decoder.writeInbound(Unpooled.buffer().writeInt(buffer.length()).writeBytes(buffer.getArray(), 0, buffer.length()),
                Unpooled.wrappedBuffer(generated(Frame.close(new Close(9)))));
        assertEquals(new Close(9), decoder.readInbound());
        assertNull(decoder.readInbound());
        assertFalse(decoder.finish());
    }

    @Test
    void refusesAFrameAboveTheLimit() {
        EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder(1024, 30_000));
        ByteBuf header = Unpooled.buffer().writeInt(1025).writeByte(0x3C);
        assertThrows(TooLongFrameException.class, () -> decoder.writeInbound(header));
        assertEquals(0, header.refCnt());
        assertFalse(decoder.finish());
    }

    @Test
    void encoderRefusesDataAboveThePeersLimit() {
        EmbeddedChannel encoder = new EmbeddedChannel(new MuxFrameEncoder(1024));
        ByteBuf payload = Unpooled.directBuffer().writeZero(MuxFrames.maxDataPayload(1024) + 1);
        EncoderException e = assertThrows(EncoderException.class,
                () -> encoder.writeOutbound(new DataFrame(1, payload)));
        assertInstanceOf(TooLongFrameException.class, e.getCause());
        assertEquals(0, payload.refCnt());
        encoder.writeOutbound(new DataFrame(1, Unpooled.directBuffer().writeZero(MuxFrames.maxDataPayload(1024))));
        ByteBuf atLimit = encoder.readOutbound();
        assertTrue(atLimit.readableBytes() - 4 <= 1024);
        atLimit.release();
        assertFalse(encoder.finish());
    }

    @Test
    void refusesTruncatedAndTrailingBytesInsideAFrame() throws Exception {
        byte[] valid = generated(Frame.reset(new Reset(3, ResetCode.MOVED).setOwner("chat-9")));
        for (int cut = 1; cut < valid.length - 4; cut++) {
            ByteBuf truncated = Unpooled.buffer().writeInt(valid.length - 4 - cut).writeBytes(valid, 4, valid.length - 4 - cut);
            EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder());
            DecoderException e = assertThrows(DecoderException.class, () -> decoder.writeInbound(truncated));
            assertInstanceOf(CorruptedFrameException.class, e, "cut " + cut);
            assertFalse(decoder.finish());
        }
        ByteBuf trailing = Unpooled.buffer().writeInt(valid.length - 4 + 1).writeBytes(valid, 4, valid.length - 4).writeByte(0);
        EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder());
        assertThrows(CorruptedFrameException.class, () -> decoder.writeInbound(trailing));
        assertFalse(decoder.finish());
    }

    @Test
    void refusesRandomGarbageWithoutLeaking() {
        Random random = new Random(3);
        for (int i = 0; i < 2000; i++) {
            byte[] body = new byte[1 + random.nextInt(48)];
            random.nextBytes(body);
            if (i % 2 == 0) {
                body[0] = 0x3C;
            }
            EmbeddedChannel decoder = new EmbeddedChannel(new MuxFrameDecoder());
            ByteBuf in = Unpooled.buffer().writeInt(body.length).writeBytes(body);
            try {
                decoder.writeInbound(in);
            } catch (DecoderException expected) {
                assertEquals(0, in.refCnt());
            }
            decoder.finishAndReleaseAll();
        }
    }
}

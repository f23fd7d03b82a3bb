package dev.duet.protocol.client;

import dev.duet.protocol.testing.HostileInput;
import dev.duet.protocol.thrift.CompactCodec;
import dev.duet.thrift.chat.AuthRequest;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.transport.TMemoryBuffer;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThriftMessageCodecTest {

    /** What the generated client writes for a call, with the stock libthrift transport: the reference bytes. */
    private static byte[] generatedCall(String name, int seqId, org.apache.thrift.TBase<?, ?> args) throws Exception {
        TMemoryBuffer buffer = new TMemoryBuffer(64);
        TCompactProtocol protocol = new TCompactProtocol(buffer);
        protocol.writeMessageBegin(new TMessage(name, TMessageType.CALL, seqId));
        args.write(protocol);
        protocol.writeMessageEnd();
        return Arrays.copyOf(buffer.getArray(), buffer.length());
    }

    private static ChatService.authenticate_args authArgs() {
        return new ChatService.authenticate_args(new AuthRequest().setToken("t0k3n").setLastSeenSeq(41));
    }

    @Test
    void decodesACallWrittenByTheGeneratedCode() throws Exception {
        EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
        server.writeInbound(Unpooled.wrappedBuffer(generatedCall("authenticate", 7, authArgs())));
        ThriftMessage message = server.readInbound();
        assertEquals("authenticate", message.name());
        assertEquals(TMessageType.CALL, message.type());
        assertEquals(7, message.seqId());
        assertEquals(authArgs(), message.body());
        assertFalse(server.finish());
    }

    @Test
    void encodesACallExactlyAsTheGeneratedCodeDoes() throws Exception {
        EmbeddedChannel client = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.client()));
        client.writeOutbound(ThriftMessage.call("authenticate", 7, authArgs()));
        ByteBuf encoded = client.readOutbound();
        assertArrayEquals(generatedCall("authenticate", 7, authArgs()), ByteBufUtil.getBytes(encoded));
        encoded.release();
        assertFalse(client.finish());
    }

    @Test
    void roundTripsRepliesPushesAndExceptions() {
        EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
        EmbeddedChannel client = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.client()));
        ThriftMessage reply = ThriftMessage.reply("sendMessage", 3,
                new ChatService.sendMessage_result().setSuccess(new SendResult(12, 1_700_000_000_000L, false)));
        ThriftMessage failure = ThriftMessage.reply("sendMessage", 4, new ChatService.sendMessage_result()
                .setError(new ChatError(ErrorCode.UNAVAILABLE, "storage busy")));
        ThriftMessage push = ThriftMessage.oneway("messageReceived", new ClientEvents.messageReceived_args(
                new Message(12, "ann", "c-1", 1_700_000_000_000L, "hi")));
        ThriftMessage exception = ThriftMessage.exception("bogus", 5,
                new TApplicationException(TApplicationException.UNKNOWN_METHOD, "no method bogus"));
        for (ThriftMessage sent : new ThriftMessage[]{reply, failure, push, exception}) {
            server.writeOutbound(sent);
            client.writeInbound((ByteBuf) server.readOutbound());
            ThriftMessage received = client.readInbound();
            assertEquals(sent.name(), received.name());
            assertEquals(sent.type(), received.type());
            assertEquals(sent.seqId(), received.seqId());
            if (sent.body() instanceof TApplicationException expected) {
                TApplicationException actual = (TApplicationException) received.body();
                assertEquals(expected.getType(), actual.getType());
                assertEquals(expected.getMessage(), actual.getMessage());
            } else {
                assertEquals(sent.body(), received.body());
            }
        }
        assertFalse(server.finish());
        assertFalse(client.finish());
    }

    @Test
    void reportsAnUnknownMethodWithItsSequenceIdAndStaysInSync() throws Exception {
        EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
        ByteBuf unknown = Unpooled.wrappedBuffer(generatedCall("deleteEverything", 99, authArgs()));
        DecoderException e = assertThrows(DecoderException.class, () -> server.writeInbound(unknown));
        UnknownMethodException cause = assertInstanceOf(UnknownMethodException.class, e);
        assertEquals("deleteEverything", cause.method());
        assertEquals(99, cause.seqId());
        assertEquals(0, unknown.refCnt());
        server.writeInbound(Unpooled.wrappedBuffer(generatedCall("authenticate", 100, authArgs())));
        ThriftMessage next = server.readInbound();
        assertEquals(100, next.seqId());
        assertFalse(server.finish());
    }

    @Test
    void refusesRepliesOnTheServerSide() {
        EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
        EmbeddedChannel encoder = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.client()));
        encoder.writeOutbound(ThriftMessage.reply("ping", 1, new ChatService.ping_result().setSuccess(5)));
        ByteBuf reply = encoder.readOutbound();
        assertThrows(UnknownMethodException.class, () -> server.writeInbound(reply));
        assertFalse(server.finish());
        assertFalse(encoder.finish());
    }

    @Test
    void refusesEveryTruncationOfAValidMessage() throws Exception {
        byte[] valid = generatedCall("authenticate", 7, authArgs());
        for (int length = 0; length < valid.length; length++) {
            EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
            ByteBuf truncated = Unpooled.buffer(length).writeBytes(valid, 0, length);
            DecoderException e = assertThrows(DecoderException.class, () -> server.writeInbound(truncated),
                    "truncated to " + length);
            assertInstanceOf(CorruptedFrameException.class, e, "truncated to " + length);
            assertEquals(0, truncated.refCnt());
            assertFalse(server.finish());
        }
    }

    @Test
    void refusesTrailingBytes() throws Exception {
        byte[] valid = generatedCall("authenticate", 7, authArgs());
        EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
        DecoderException e = assertThrows(DecoderException.class,
                () -> server.writeInbound(Unpooled.wrappedBuffer(valid, new byte[]{0})));
        assertTrue(e.getMessage().contains("after the end"), e.getMessage());
        assertEquals(7, assertInstanceOf(MalformedMessageException.class, e).seqId());
        assertFalse(server.finish());
    }

    @Test
    void refusesNestingDeeperThanTheLimitEvenInAFieldItWouldSkipAndSaysUnderWhichSeqId() throws Exception {
        EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
        byte[] nested = HostileInput.nestedCall("ping", 9, 20_000);
        MalformedMessageException e = assertThrows(MalformedMessageException.class,
                () -> server.writeInbound(Unpooled.wrappedBuffer(nested)));
        assertEquals("too_deep", e.reason());
        assertEquals(9, e.seqId());
        assertFalse(server.finish());

        EmbeddedChannel shallow = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
        shallow.writeInbound(Unpooled.wrappedBuffer(HostileInput.nestedCall("ping", 10, CompactCodec.MAX_DEPTH - 1)));
        ThriftMessage skipped = shallow.readInbound();
        assertEquals(10, skipped.seqId(), "nesting within the limit is skipped as any unknown field is");
        assertFalse(shallow.finish());
    }

    @Test
    void refusesAStringLongerThanTheBodyWithoutAllocatingIt() throws Exception {
        byte[] valid = generatedCall("sendMessage", 1, new ChatService.sendMessage_args("c-1", "x"));
        byte[] hostile = Arrays.copyOf(valid, valid.length);
        int bodyLength = indexOf(hostile, (byte) 0x18, 2);
        hostile[bodyLength + 1] = (byte) 0xFF;
        EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
        assertThrows(CorruptedFrameException.class, () -> server.writeInbound(Unpooled.wrappedBuffer(hostile)));
        assertFalse(server.finish());
    }

    @Test
    void refusesRandomGarbageCleanly() {
        java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < 2000; i++) {
            byte[] garbage = new byte[random.nextInt(64)];
            random.nextBytes(garbage);
            EmbeddedChannel server = new EmbeddedChannel(new ThriftMessageCodec(MessageCatalog.server()));
            ByteBuf in = Unpooled.buffer(garbage.length).writeBytes(garbage);
            try {
                server.writeInbound(in);
                ThriftMessage decoded = server.readInbound();
                assertNotNull(decoded);
            } catch (DecoderException expected) {
                assertEquals(0, in.refCnt());
            }
            server.finishAndReleaseAll();
        }
    }

    @Test
    void catalogsCoverEveryMethodOfBothServices() {
        MessageCatalog server = MessageCatalog.server();
        MessageCatalog client = MessageCatalog.client();
        for (String method : new ChatService.Processor<>(null).getProcessMapView().keySet()) {
            assertNotNull(server.newBody(method, TMessageType.CALL), method);
            assertNotNull(client.newBody(method, TMessageType.REPLY), method);
        }
        for (String event : new ClientEvents.Processor<>(null).getProcessMapView().keySet()) {
            assertNotNull(client.newBody(event, TMessageType.ONEWAY), event);
        }
    }

    /** Index of the n-th (1-based) occurrence of {@code b}. */
    private static int indexOf(byte[] bytes, byte b, int n) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b && --n == 0) {
                return i;
            }
        }
        throw new AssertionError("byte not found");
    }
}

package dev.duet.protocol.mux;

import dev.duet.thrift.mux.GoAway;
import dev.duet.thrift.mux.Hello;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.Ping;
import dev.duet.thrift.mux.Reset;
import dev.duet.thrift.mux.ResetCode;
import dev.duet.thrift.mux.WindowUpdate;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MuxHandlerTest {
    private static final byte[] FIRST = "first client frame".getBytes(StandardCharsets.US_ASCII);

    private final List<StreamRecorder> accepted = new ArrayList<>();
    private MuxPair pair;

    private ChannelHandler recordingInitializer() {
        return StreamRecorder.recordingInto(accepted);
    }

    @AfterEach
    void closePair() {
        if (pair != null) {
            pair.close();
        }
    }

    private static Open open(String couple) {
        return new Open(0, 7, "ann", couple, "bob", "127.0.0.1:5555", ByteBuffer.wrap(FIRST));
    }

    private StreamChannel openStream(StreamRecorder recorder, String couple) {
        Future<StreamChannel> opened = pair.openerMux.openStream(open(couple), recorder);
        pair.pump();
        assertTrue(opened.isSuccess(), () -> String.valueOf(opened.cause()));
        return opened.getNow();
    }

    private static ByteBuf bytes(int size, int seed) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 31 + seed);
        }
        return Unpooled.wrappedBuffer(data);
    }

    @Test
    void helloMakesBothSidesReady() {
        pair = new MuxPair(recordingInitializer());
        assertTrue(pair.openerMux.ready().isSuccess());
        assertTrue(pair.acceptorMux.ready().isSuccess());
        assertEquals("chat-1", pair.openerMux.peerSettings().nodeId());
        assertEquals("presenter-1", pair.acceptorMux.peerSettings().nodeId());
    }

    @Test
    void streamIdsNameTheConnectionAndTheStream() {
        pair = new MuxPair(recordingInitializer());
        StreamChannel first = openStream(new StreamRecorder(), "couple-1");
        StreamChannel second = openStream(new StreamRecorder(), "couple-2");
        assertNotEquals(first.id(), second.id());
        assertTrue(first.id().compareTo(second.id()) < 0);
        assertEquals(pair.opener.id().asShortText() + "/" + first.streamId(), first.id().asShortText());
        assertEquals(pair.opener.id().asLongText() + "/" + second.streamId(), second.id().asLongText());
        StreamChannelId same = new StreamChannelId(pair.opener.id(), first.streamId());
        assertEquals(same, first.id());
        assertEquals(same.hashCode(), first.id().hashCode());

        StreamChannel acceptedFirst = accepted.get(0).channel;
        assertEquals(first.streamId(), acceptedFirst.streamId());
        assertEquals(pair.acceptor.id().asShortText() + "/" + first.streamId(), acceptedFirst.id().asShortText());
        assertNotEquals(first.id(), acceptedFirst.id(), "one stream number, two connections");
    }

    @Test
    void refusesAnotherProtocolVersion() {
        MuxHandler acceptorMux = new MuxHandler(MuxHandler.Role.ACCEPTOR, MuxSettings.defaults("chat-1"),
                recordingInitializer());
        EmbeddedChannel acceptor = new EmbeddedChannel(acceptorMux);
        assertInstanceOf(Hello.class, acceptor.readOutbound());
        assertThrows(MuxProtocolException.class,
                () -> acceptor.writeInbound(new Hello(2, "future-presenter", 65_536, 1 << 20, 81_920)));
        GoAway goAway = acceptor.readOutbound();
        assertTrue(goAway.getReason().contains("version 2"), goAway.getReason());
        assertFalse(acceptor.isOpen());
        assertTrue(acceptorMux.ready().isDone() && !acceptorMux.ready().isSuccess());
        acceptor.finishAndReleaseAll();
    }

    @Test
    void refusesFramesBeforeHello() {
        EmbeddedChannel acceptor = new EmbeddedChannel(new MuxHandler(MuxHandler.Role.ACCEPTOR,
                MuxSettings.defaults("chat-1"), recordingInitializer()));
        acceptor.readOutbound();
        assertThrows(MuxProtocolException.class, () -> acceptor.writeInbound(new Ping(1, false)));
        assertInstanceOf(GoAway.class, acceptor.readOutbound());
        assertFalse(acceptor.isOpen());
        assertTrue(accepted.isEmpty());
        acceptor.finishAndReleaseAll();
    }

    @Test
    void anOpenBecomesAChildChannelThatReceivesTheFirstFrameAndTalksBack() {
        pair = new MuxPair(recordingInitializer());
        StreamRecorder presenterSide = new StreamRecorder();
        StreamChannel stream = openStream(presenterSide, "couple-1");
        assertEquals(1, accepted.size());
        StreamRecorder chatSide = accepted.get(0);
        assertTrue(chatSide.active);
        assertArrayEquals(FIRST, chatSide.bytes.toByteArray());
        assertEquals("couple-1", chatSide.channel.openFrame().getCoupleId());
        assertEquals(stream.streamId(), chatSide.channel.streamId());

        stream.writeAndFlush(Unpooled.copiedBuffer("more bytes", StandardCharsets.US_ASCII));
        chatSide.channel.writeAndFlush(Unpooled.copiedBuffer("a reply", StandardCharsets.US_ASCII));
        pair.pump();
        assertEquals("first client framemore bytes", chatSide.bytes.toString(StandardCharsets.US_ASCII));
        assertEquals("a reply", presenterSide.bytes.toString(StandardCharsets.US_ASCII));
        assertEquals(1, pair.acceptorMux.streamCount());
    }

    @Test
    void closingEitherSideClosesTheOther() {
        pair = new MuxPair(recordingInitializer());
        StreamRecorder first = new StreamRecorder();
        openStream(first, "couple-1").close();
        pair.pump();
        assertTrue(accepted.get(0).inactive);
        assertEquals(0, pair.acceptorMux.streamCount());
        assertEquals(0, pair.openerMux.streamCount());

        StreamRecorder second = new StreamRecorder();
        openStream(second, "couple-2");
        accepted.get(1).channel.close();
        pair.pump();
        assertTrue(second.inactive);
        assertEquals(0, pair.openerMux.streamCount());
    }

    @Test
    void aResetReachesThePeerAsAnEventThenCloses() {
        pair = new MuxPair(recordingInitializer());
        StreamRecorder presenterSide = new StreamRecorder();
        openStream(presenterSide, "couple-1");
        accepted.get(0).channel.reset(ResetCode.NOT_OWNER, "chat-2", 42, "not mine");
        pair.pump();
        assertTrue(presenterSide.inactive);
        StreamResetEvent event = (StreamResetEvent) presenterSide.events.get(0);
        assertEquals(ResetCode.NOT_OWNER, event.code());
        assertEquals("chat-2", event.owner());
        assertEquals(42, event.ringEpoch());
        assertTrue(event.isRetryable());
    }

    @Test
    void writesWaitForTheWindowAndWritabilityFollowsIt() {
        MuxSettings smallWindows = new MuxSettings("presenter-1", 1000, 1 << 20, MuxFrames.DEFAULT_MAX_FRAME_SIZE);
        pair = new MuxPair(smallWindows, MuxSettings.defaults("chat-1"), recordingInitializer());
        StreamRecorder presenterSide = new StreamRecorder(false);
        StreamChannel stream = openStream(presenterSide, "couple-1");
        StreamChannel chatSide = accepted.get(0).channel;

        chatSide.writeAndFlush(bytes(2500, 1));
        pair.pump();
        assertFalse(chatSide.isWritable(), "the window is spent");
        assertEquals(0, presenterSide.received(), "nothing is delivered while the reader is paused");

        for (int reads = 0; reads < 3; reads++) {
            stream.read();
            pair.pump();
            assertEquals(Math.min(2500, 1000 * (reads + 1)), presenterSide.received(),
                    "each read returns credit, and the next window's worth follows");
        }
        assertTrue(chatSide.isWritable());
        assertArrayEquals(bytes(2500, 1).array(), presenterSide.bytes.toByteArray());
    }

    @Test
    void aStalledReaderDoesNotDelayOtherStreams() {
        MuxSettings presenter = new MuxSettings("presenter-1", 4096, 16 * 1024, MuxFrames.DEFAULT_MAX_FRAME_SIZE);
        pair = new MuxPair(presenter, MuxSettings.defaults("chat-1"), recordingInitializer());
        StreamRecorder stalled = new StreamRecorder(false);
        StreamRecorder healthy = new StreamRecorder();
        openStream(stalled, "couple-1");
        openStream(healthy, "couple-2");

        // Far more than the connection window for both: the healthy stream must get all of its share.
        for (int i = 0; i < 40; i++) {
            accepted.get(0).channel.writeAndFlush(bytes(1024, i));
            accepted.get(1).channel.writeAndFlush(bytes(1024, i));
            pair.pump();
        }
        assertEquals(40 * 1024, healthy.received(), "the healthy stream got everything");
        assertEquals(0, stalled.received());
        assertFalse(accepted.get(0).channel.isWritable(), "the stalled stream's sender is blocked");
        assertTrue(accepted.get(1).channel.isWritable());
    }

    @Test
    void answersPings() {
        pair = new MuxPair(recordingInitializer());
        pair.openerMux.ping(99);
        pair.pump();
        Ping answer = pair.opener.readInbound();
        assertEquals(new Ping(99, true), answer);
    }

    @Test
    void afterGoAwayNewStreamsAreRefusedAndOpenOnesContinue() {
        pair = new MuxPair(recordingInitializer());
        StreamRecorder existing = new StreamRecorder();
        StreamChannel open = openStream(existing, "couple-1");
        pair.acceptorMux.goAway("draining");
        pair.pump();
        assertTrue(pair.openerMux.isGoingAway());
        assertFalse(pair.openerMux.openStream(open("couple-2"), new StreamRecorder()).isSuccess());

        open.writeAndFlush(Unpooled.copiedBuffer("still here", StandardCharsets.US_ASCII));
        pair.pump();
        assertTrue(accepted.get(0).bytes.toString(StandardCharsets.US_ASCII).endsWith("still here"));
    }

    @Test
    void anAcceptorThatSentGoAwayRefusesNewStreamsWithANack() {
        pair = new MuxPair(recordingInitializer());
        // The OPEN crosses the GOAWAY on the wire.
        pair.acceptorMux.goAway("draining");
        StreamRecorder refused = new StreamRecorder();
        pair.openerMux.openStream(open("couple-1"), refused);
        pair.pump();
        assertTrue(accepted.isEmpty());
        StreamResetEvent event = (StreamResetEvent) refused.events.get(0);
        assertEquals(ResetCode.OVERLOAD, event.code());
        assertTrue(event.isRetryable());
    }

    @Test
    void closingTheConnectionClosesEveryStream() {
        pair = new MuxPair(recordingInitializer());
        StreamRecorder a = new StreamRecorder();
        StreamRecorder b = new StreamRecorder();
        openStream(a, "couple-1");
        openStream(b, "couple-2");
        pair.acceptor.close();
        pair.pump();
        assertTrue(accepted.get(0).inactive && accepted.get(1).inactive);
        pair.opener.close();
        assertTrue(a.inactive && b.inactive);
    }

    @Test
    void dataBeyondTheStreamWindowResetsOnlyThatStream() {
        pair = new MuxPair(recordingInitializer());
        StreamRecorder victim = new StreamRecorder();
        StreamRecorder bystander = new StreamRecorder();
        StreamChannel bad = openStream(victim, "couple-1");
        openStream(bystander, "couple-2");
        // Bypass the sender's own flow control: write DATA frames straight onto the connection.
        pair.opener.writeOneOutbound(new DataFrame(bad.streamId(), bytes(MuxSettings.DEFAULT_STREAM_WINDOW + 1, 0)));
        pair.opener.flushOutbound();
        pair.pump();
        assertTrue(accepted.get(0).inactive, "the offending stream is reset");
        assertTrue(victim.inactive);
        assertEquals(ResetCode.PROTOCOL_ERROR, ((StreamResetEvent) victim.events.get(0)).code());
        assertTrue(pair.acceptor.isOpen(), "the connection and other streams carry on");
        assertFalse(accepted.get(1).inactive);
        assertNotNull(accepted.get(1).channel);
    }
    /** An acceptor alone, after the peer's HELLO: what it writes can be read frame by frame. */
    private EmbeddedChannel acceptorAfterHello(MuxSettings settings) {
        EmbeddedChannel acceptor = new EmbeddedChannel(new MuxHandler(MuxHandler.Role.ACCEPTOR, settings,
                recordingInitializer()));
        assertInstanceOf(Hello.class, acceptor.readOutbound());
        acceptor.writeInbound(MuxSettings.defaults("presenter-1").toHello());
        return acceptor;
    }

    @Test
    void theFirstFrameInsideOpenReturnsNoCreditWhenRead() {
        EmbeddedChannel acceptor = acceptorAfterHello(MuxSettings.defaults("chat-1"));
        byte[] large = new byte[MuxSettings.DEFAULT_STREAM_WINDOW - 100];
        acceptor.writeInbound(new Open(1, 7, "ann", "couple-1", "bob", "127.0.0.1:5555", ByteBuffer.wrap(large)));
        acceptor.runPendingTasks();
        assertEquals(large.length, accepted.get(0).bytes.size(), "the first frame was read");
        for (Object frame; (frame = acceptor.readOutbound()) != null; ) {
            assertFalse(frame instanceof WindowUpdate, "credit for bytes the peer never spent window on: " + frame);
        }
        acceptor.finishAndReleaseAll();
    }

    @Test
    void streamsBeyondTheAnnouncedLimitAreRefusedAsANack() {
        MuxSettings two = new MuxSettings("chat-1", MuxSettings.DEFAULT_STREAM_WINDOW,
                MuxSettings.DEFAULT_CONNECTION_WINDOW, MuxFrames.DEFAULT_MAX_FRAME_SIZE, 2);
        assertEquals(2, MuxSettings.fromHello(two.toHello()).maxConcurrentStreams());
        EmbeddedChannel acceptor = acceptorAfterHello(two);
        for (int id = 1; id <= 3; id++) {
            acceptor.writeInbound(new Open(id, 7, "ann", "couple-" + id, "bob", "127.0.0.1:5555",
                    ByteBuffer.wrap(FIRST)));
        }
        acceptor.runPendingTasks();
        assertEquals(2, accepted.size());
        Reset refused = null;
        for (Object frame; (frame = acceptor.readOutbound()) != null; ) {
            if (frame instanceof Reset reset) {
                refused = reset;
            }
        }
        assertNotNull(refused, "the third stream was refused");
        assertEquals(3, refused.getStreamId());
        assertEquals(ResetCode.OVERLOAD, refused.getCode());
        assertTrue(acceptor.isActive(), "the connection goes on");
        acceptor.finishAndReleaseAll();
    }

    @Test
    void anOpenTooLargeForThePeerFailsThatStreamOnly() {
        MuxSettings smallFrames = new MuxSettings("chat-1", MuxSettings.DEFAULT_STREAM_WINDOW,
                MuxSettings.DEFAULT_CONNECTION_WINDOW, 4096);
        pair = new MuxPair(MuxSettings.defaults("presenter-1"), smallFrames, recordingInitializer());
        Future<StreamChannel> tooLarge = pair.openerMux.openStream(new Open(0, 7, "ann", "couple-1", "bob",
                "127.0.0.1:5555", ByteBuffer.wrap(new byte[8192])), new StreamRecorder());
        pair.pump();
        assertFalse(tooLarge.isSuccess());
        assertTrue(pair.opener.isActive(), "the connection survives");
        openStream(new StreamRecorder(), "couple-2");
        assertEquals(1, accepted.size());
    }
}

package dev.duet.protocol.mux;

import dev.duet.thrift.mux.GoAway;
import dev.duet.thrift.mux.Handover;
import dev.duet.thrift.mux.Move;
import dev.duet.thrift.mux.Open;
import dev.duet.thrift.mux.Resumed;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The handover frames between two muxes joined back to back: MOVE, the paused CLOSE, CLOSE with a handover, RESUMED. */
class StreamHandoverFramesTest {
    private static final byte[] FIRST = "first client frame".getBytes(StandardCharsets.US_ASCII);

    private final List<StreamRecorder> accepted = new ArrayList<>();
    private MuxPair pair;

    @AfterEach
    void closePair() {
        if (pair != null) {
            pair.close();
        }
    }

    private ChannelHandler recordingInitializer() {
        return StreamRecorder.recordingInto(accepted);
    }

    private static Open open() {
        return new Open(0, 7, "ann", "couple-1", "bob", "127.0.0.1:5555", ByteBuffer.wrap(FIRST));
    }

    private StreamChannel openStream(StreamRecorder recorder) {
        Future<StreamChannel> opened = pair.openerMux.openStream(open(), recorder);
        pair.pump();
        assertTrue(opened.isSuccess(), () -> String.valueOf(opened.cause()));
        return opened.getNow();
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    @Test
    void aHandoverEndsTheStreamAfterEveryByteEachWayAndHandsTheUnreadBytesBack() {
        pair = new MuxPair(recordingInitializer());
        StreamRecorder presenterSide = new StreamRecorder();
        StreamChannel presenterStream = openStream(presenterSide);
        StreamRecorder chatSide = accepted.get(0);
        assertTrue(chatSide.channel.canHandOver());

        chatSide.channel.requestHandover();
        pair.pump();
        assertEquals(List.of(StreamEvent.MOVE_REQUESTED), presenterSide.events);

        // The chat server stops reading; the client bytes sent before the pause arrive and wait in the stream.
        chatSide.channel.config().setAutoRead(false);
        presenterStream.write(ascii("late call"));
        presenterStream.closeOutput();
        pair.pump();
        assertEquals(List.of(StreamEvent.INPUT_CLOSED), chatSide.events);
        assertFalse(chatSide.inactive, "a CLOSE after MOVE only pauses the stream");
        assertEquals(new String(FIRST, StandardCharsets.US_ASCII), chatSide.bytes.toString(StandardCharsets.US_ASCII));

        ByteBuf unread = chatSide.channel.takeUnread();
        assertEquals("late call", unread.toString(StandardCharsets.US_ASCII));
        chatSide.channel.writeAndFlush(ascii("last reply"));
        Handover handover = new Handover(chatSide.channel.openFrame(), 5, ByteBuffer.wrap(ByteBufUtil.getBytes(unread)))
                .setOwner("chat-2");
        unread.release();
        assertTrue(chatSide.channel.handOver(handover).isSuccess());
        pair.pump();

        assertEquals("last reply", presenterSide.bytes.toString(StandardCharsets.US_ASCII));
        StreamHandoverEvent event = assertInstanceOf(StreamHandoverEvent.class, presenterSide.events.get(1));
        assertEquals(5, event.handover().getLastPushedSeq());
        assertEquals("chat-2", event.handover().getOwner());
        assertEquals("couple-1", event.handover().getOriginal().getCoupleId());
        assertEquals("late call", new String(event.handover().getUnread(), StandardCharsets.US_ASCII));
        assertTrue(presenterSide.inactive);
        assertTrue(chatSide.inactive);
        assertEquals(0, pair.openerMux.streamCount());
        assertEquals(0, pair.acceptorMux.streamCount());
    }

    @Test
    void turningAutoReadOffWithdrawsARequestedRead() {
        pair = new MuxPair(recordingInitializer());
        StreamChannel presenterStream = openStream(new StreamRecorder());
        StreamRecorder chatSide = accepted.get(0);
        chatSide.channel.config().setAutoRead(false);
        presenterStream.writeAndFlush(ascii("not yet"));
        pair.pump();
        assertEquals(FIRST.length, chatSide.received(), "nothing delivered after autoRead went off");
        ByteBuf unread = chatSide.channel.takeUnread();
        assertEquals("not yet", unread.toString(StandardCharsets.US_ASCII));
        unread.release();
    }

    @Test
    void resumedReachesTheOpenerAsAnEvent() {
        pair = new MuxPair(recordingInitializer());
        StreamRecorder presenterSide = new StreamRecorder();
        openStream(presenterSide);
        accepted.get(0).channel.acceptResumed();
        pair.pump();
        assertEquals(List.of(StreamEvent.RESUMED), presenterSide.events);
        assertFalse(presenterSide.inactive);
    }

    @Test
    void handoverNeedsBothSidesToAnnounceIt() {
        pair = new MuxPair(MuxSettings.defaults("presenter-1").withStreamHandover(false),
                MuxSettings.defaults("chat-1"), recordingInitializer());
        openStream(new StreamRecorder());
        assertFalse(accepted.get(0).channel.canHandOver());
    }

    @Test
    void noHandoverOnceThePresenterSentGoAway() {
        pair = new MuxPair(recordingInitializer());
        openStream(new StreamRecorder());
        assertTrue(accepted.get(0).channel.canHandOver());
        pair.openerMux.goAway("presenter draining");
        pair.pump();
        assertFalse(accepted.get(0).channel.canHandOver(), "a presenter going away opens no stream to resume on");
    }

    @Test
    void theAcceptorTreatsHandoverFramesFromThePeerAsAConnectionError() {
        for (Object frame : List.of(new Move(1), new Resumed(1))) {
            MuxHandler acceptorMux = new MuxHandler(MuxHandler.Role.ACCEPTOR, MuxSettings.defaults("chat-1"),
                    recordingInitializer());
            EmbeddedChannel acceptor = new EmbeddedChannel(acceptorMux);
            acceptor.readOutbound();
            acceptor.writeInbound(MuxSettings.defaults("presenter-1").toHello());
            assertThrows(MuxProtocolException.class, () -> acceptor.writeInbound(frame));
            GoAway goAway = acceptor.readOutbound();
            assertTrue(goAway.getReason().contains("sent to the acceptor"), goAway.getReason());
            assertFalse(acceptor.isOpen());
            acceptor.finishAndReleaseAll();
        }
    }
}

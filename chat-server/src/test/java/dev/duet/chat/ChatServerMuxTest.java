package dev.duet.chat;

import dev.duet.chat.testing.ChatCluster;
import dev.duet.chat.testing.MuxTestConnection;
import dev.duet.chat.testing.MuxTestConnection.OpenedStream;
import dev.duet.chat.testing.TestChatClient;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.mux.StreamResetEvent;
import dev.duet.thrift.chat.AuthResponse;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.SendResult;
import dev.duet.thrift.chat.SessionEndReason;
import dev.duet.thrift.mux.ResetCode;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.duet.chat.testing.ChatCluster.coupleOwnedBy;
import static dev.duet.chat.testing.ChatCluster.newCouple;
import static dev.duet.chat.testing.ChatCluster.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat server as presenters see it: streams over mux connections. */
class ChatServerMuxTest {
    private ChatCluster cluster;

    @BeforeEach
    void start() {
        cluster = new ChatCluster();
    }

    @AfterEach
    void stop() throws Exception {
        cluster.close();
    }

    private OpenedStream open(MuxTestConnection mux, String user, String couple, String partner, long lastSeen)
            throws Exception {
        return mux.open(user, couple, partner, cluster.token(user, couple, partner), lastSeen);
    }

    private static AuthResponse authenticated(OpenedStream stream) throws Exception {
        return TestChatClient.success(stream.authReply().get(30, TimeUnit.SECONDS));
    }

    /** Today's fallback: the client is told {@code sessionEnding(MOVED)}, then the stream is reset to the new owner. */
    private static void assertToldMovedAndReset(OpenedStream stream, String owner) throws Exception {
        ThriftMessage notice = stream.client().nextPush(30);
        assertEquals("sessionEnding", notice.name());
        assertEquals(SessionEndReason.MOVED, ((ClientEvents.sessionEnding_args) notice.body()).getReason());
        StreamResetEvent reset = stream.reset().get(30, TimeUnit.SECONDS);
        assertEquals(ResetCode.MOVED, reset.code());
        assertEquals(owner, reset.owner());
    }

    @Test
    void streamsCarryTheChatLikeDirectConnections() throws Exception {
        ChatServer server = cluster.startServer("chat-a");
        MuxTestConnection mux = cluster.muxTo(server);
        String couple = newCouple();
        OpenedStream ann = open(mux, "ann", couple, "bob", 0);
        OpenedStream bob = open(mux, "bob", couple, "ann", 0);
        assertEquals("ann", authenticated(ann).getUserId());
        authenticated(bob);
        SendResult sent = ann.client().send("m-1", "over the mux");
        ThriftMessage push = bob.client().nextPush(10);
        assertEquals(sent.getSeq(), ((ClientEvents.messageReceived_args) push.body()).getMessage().getSeq());
        assertEquals(2, mux.streamCount());
        ann.stream().close().sync();
        assertTrue(waitFor(() -> server.sessions() == 1), "closing the stream ends its session");
    }

    @Test
    void aCoupleOwnedElsewhereIsRefusedWithTheOwner() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        cluster.startServer("chat-b");
        assertTrue(a.ring().awaitRing(ring -> ring.members().size() == 2, java.time.Duration.ofSeconds(20)));
        String couple = coupleOwnedBy("chat-b", "chat-a", "chat-b");
        OpenedStream stream = open(cluster.muxTo(a), "ann", couple, "bob", 0);
        StreamResetEvent reset = stream.reset().get(30, TimeUnit.SECONDS);
        assertEquals(ResetCode.NOT_OWNER, reset.code());
        assertEquals("chat-b", reset.owner());
        assertEquals(a.ring().epoch(), reset.ringEpoch());
        assertTrue(reset.isRetryable());
    }

    @Test
    void aTokenForAnotherCoupleThanTheOpenNamesIsRefused() throws Exception {
        ChatServer server = cluster.startServer("chat-a");
        String token = cluster.token("ann", newCouple(), "bob");
        OpenedStream stream = cluster.muxTo(server).open("ann", newCouple(), "bob", token, 0);
        StreamResetEvent reset = stream.reset().get(30, TimeUnit.SECONDS);
        assertEquals(ResetCode.AUTH_FAILED, reset.code());
    }

    @Test
    void couplesThatMoveOnARingChangeAreToldAndReset() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        String moving = coupleOwnedBy("chat-b", "chat-a", "chat-b");
        String staying = coupleOwnedBy("chat-a", "chat-a", "chat-b");
        MuxTestConnection mux = cluster.muxTo(a);
        OpenedStream leaving = open(mux, "ann", moving, "bob", 0);
        OpenedStream remaining = open(mux, "carol", staying, "dave", 0);
        authenticated(leaving);
        authenticated(remaining);

        cluster.startServer("chat-b");
        // The session asks for a handover, which this presenter never answers: it falls back to telling the client.
        leaving.moveRequested().get(30, TimeUnit.SECONDS);
        assertToldMovedAndReset(leaving, "chat-b");
        assertEquals(1, remaining.client().send("m-1", "still served by chat-a").getSeq());
    }

    @Test
    void aStreamWhoseHandoverWouldNotFitInOneFrameIsToldAndReset() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        String moving = coupleOwnedBy("chat-b", "chat-a", "chat-b");
        // A presenter taking frames of at most 16 KB, and a client midway through a 30 KB frame: the handover would
        // carry the first frame and the 20 KB received of that one, more than the presenter accepts in one frame.
        MuxSettings smallFrames = new MuxSettings("test-presenter", MuxSettings.DEFAULT_STREAM_WINDOW,
                MuxSettings.DEFAULT_CONNECTION_WINDOW, 16 * 1024);
        OpenedStream leaving = open(cluster.muxTo(a, smallFrames), "ann", moving, "bob", 0);
        authenticated(leaving);
        ByteBuf partial = Unpooled.buffer().writeInt(30_000).writeByte(0).writeZero(20_000);
        leaving.stream().pipeline().firstContext().writeAndFlush(partial).sync();

        cluster.startServer("chat-b");
        leaving.moveRequested().get(30, TimeUnit.SECONDS);
        leaving.stream().closeOutput();
        assertToldMovedAndReset(leaving, "chat-b");
        MeterRegistry metrics = cluster.registry("chat-a");
        assertEquals(1, metrics.counter("duet.chat.handovers", "result", "too_large").count());
        assertEquals(0, metrics.counter("duet.chat.handovers", "result", "handed_over").count());
    }

    @Test
    void ofTwoServersThatBothThinkTheyOwnACoupleOnlyTheLastClaimantAcknowledges() throws Exception {
        ChatServer a = cluster.startServer("chat-a", b -> b.ringPath("/rings/split-a-" + System.nanoTime()));
        ChatServer b = cluster.startServer("chat-b", c -> c.ringPath("/rings/split-b-" + System.nanoTime()));
        String couple = newCouple();
        OpenedStream ann = open(cluster.muxTo(a), "ann", couple, "bob", 0);
        authenticated(ann);
        OpenedStream bob = open(cluster.muxTo(b), "bob", couple, "ann", 0);
        authenticated(bob);
        List<CompletableFuture<ThriftMessage>> fromA = new ArrayList<>();
        List<CompletableFuture<ThriftMessage>> fromB = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            fromA.add(ann.client().callAsync("sendMessage", 1000 + i,
                    new dev.duet.thrift.chat.ChatService.sendMessage_args("a-" + i, "from a " + i)));
            fromB.add(bob.client().callAsync("sendMessage", 1000 + i,
                    new dev.duet.thrift.chat.ChatService.sendMessage_args("b-" + i, "from b " + i)));
        }
        Set<Long> seqs = new HashSet<>();
        for (CompletableFuture<ThriftMessage> reply : fromB) {
            SendResult result = TestChatClient.success(reply.get(60, TimeUnit.SECONDS));
            assertTrue(seqs.add(result.getSeq()), "seq " + result.getSeq() + " given twice");
        }
        for (CompletableFuture<ThriftMessage> reply : fromA) {
            try {
                TestChatClient.success(reply.get(60, TimeUnit.SECONDS));
                throw new AssertionError("the fenced-out server acknowledged a message");
            } catch (dev.duet.thrift.chat.ChatError | java.util.concurrent.ExecutionException refused) {
                // an error reply, or the stream ended before the reply: either way nothing acknowledged
            }
        }
        assertEquals(30, seqs.size());
        List<dev.duet.thrift.chat.Message> stored = bob.client().history(0, 100).getMessages();
        assertEquals(30, stored.size(), "only what was acknowledged is stored");
        assertTrue(stored.stream().allMatch(m -> m.getSenderId().equals("bob")));
        assertTrue(ann.client().awaitClosed(30), "the fenced-out server ended its session");
    }

    @Test
    void aStalledStreamDoesNotHoldUpTheOthersOnItsConnection() throws Exception {
        ChatServer server = cluster.startServer("chat-a");
        MuxTestConnection mux = cluster.muxTo(server);
        String couple = newCouple();
        OpenedStream bob = open(mux, "bob", couple, "ann", 0);
        authenticated(bob);
        bob.stream().config().setAutoRead(false);
        OpenedStream ann = open(mux, "ann", couple, "bob", 0);
        authenticated(ann);

        // ~200 KiB of pushes to bob, three times his stream window, while his reader is stopped.
        String body = "x".repeat(1000);
        for (int i = 0; i < 200; i++) {
            assertEquals(i + 1, ann.client().send("m-" + i, body).getSeq(), "ann's acks keep coming");
        }
        assertTrue(bob.client().pushes().size() < 100, "bob's stream is held back by its window");
        bob.stream().config().setAutoRead(true);
        for (int i = 1; i <= 200; i++) {
            ThriftMessage push = bob.client().nextPush(30);
            assertEquals(i, ((ClientEvents.messageReceived_args) push.body()).getMessage().getSeq());
        }
    }

    @Test
    void garbageOnOneStreamResetsOnlyThatStream() throws Exception {
        ChatServer server = cluster.startServer("chat-a");
        MuxTestConnection mux = cluster.muxTo(server);
        String couple = newCouple();
        OpenedStream ann = open(mux, "ann", couple, "bob", 0);
        OpenedStream bob = open(mux, "bob", couple, "ann", 0);
        authenticated(ann);
        authenticated(bob);
        bob.stream().writeAndFlush(Unpooled.wrappedBuffer(new byte[]{0, 0, 0, 3, 0, (byte) 0xFF, (byte) 0xFF}));
        assertEquals(ResetCode.PROTOCOL_ERROR, bob.reset().get(30, TimeUnit.SECONDS).code());
        assertEquals(1, ann.client().send("m-1", "unaffected").getSeq());
        assertTrue(mux.channel().isActive());
    }
}

package dev.duet.presenter;

import dev.duet.chat.ChatServer;
import dev.duet.chat.service.ChatLimits;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.chat.testing.TestChatClient;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.testing.HostileInput;
import dev.duet.thrift.chat.AuthRequest;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.chat.SendResult;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.concurrent.ScheduledFuture;
import org.apache.thrift.TApplicationException;
import org.apache.thrift.protocol.TMessageType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.duet.chat.testing.ChatCluster.coupleOwnedBy;
import static dev.duet.chat.testing.ChatCluster.newCouple;
import static dev.duet.chat.testing.ChatCluster.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clients through a presenter over real TLS to real chat servers (real HBase, real ZooKeeper). */
class PresenterTest {
    @TempDir
    static Path certificates;

    private ChatCluster cluster;
    private final List<Presenter> presenters = new ArrayList<>();
    private final java.util.Map<Presenter, SimpleMeterRegistry> registries = new java.util.HashMap<>();
    private SslContext clientTls;

    @BeforeEach
    void start() throws Exception {
        cluster = new ChatCluster();
        SelfSignedCertificate certificate = SelfSignedCertificate.in(certificates);
        clientTls = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(certificate.certificate().toFile()).protocols("TLSv1.3", "TLSv1.2").build();
    }

    @AfterEach
    void stop() throws Exception {
        presenters.forEach(Presenter::close);
        cluster.close();
    }

    private Presenter presenter(java.util.function.UnaryOperator<PresenterConfig.Builder> customize) throws Exception {
        SelfSignedCertificate certificate = SelfSignedCertificate.in(certificates);
        PresenterConfig config = customize.apply(PresenterConfig.builder("presenter-" + presenters.size(),
                certificate.certificate(), certificate.privateKey(), ChatCluster.KEYS)
                .bindAddress("127.0.0.1").port(0).ringPath(cluster.ringPath()).ioThreads(2)).build();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Presenter presenter = Presenter.start(config, cluster.zookeeper(), registry);
        presenters.add(presenter);
        registries.put(presenter, registry);
        return presenter;
    }

    private Presenter presenter() throws Exception {
        return presenter(b -> b);
    }

    private TestChatClient connect(Presenter presenter) throws InterruptedException {
        return TestChatClient.connect(cluster.clientGroup(), presenter.port(), clientTls);
    }

    private static void awaitRing(Presenter presenter, int members) throws InterruptedException {
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == members, Duration.ofSeconds(30)));
    }

    @Test
    void clientsReachTheChatServerThatOwnsTheirCoupleAndChat() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        ChatServer b = cluster.startServer("chat-b");
        Presenter presenter = presenter();
        awaitRing(presenter, 2);
        for (ChatServer owner : List.of(a, b)) {
            String couple = coupleOwnedBy(owner.id(), "chat-a", "chat-b");
            TestChatClient ann = connect(presenter);
            TestChatClient bob = connect(presenter);
            int sessionsBefore = owner.sessions();
            assertEquals(couple, ann.authenticate(cluster.token("ann", couple, "bob"), 0).getCoupleId());
            bob.authenticate(cluster.token("bob", couple, "ann"), 0);
            assertEquals(sessionsBefore + 2, owner.sessions(), "the owner serves the couple");
            SendResult sent = ann.send("m-1", "through the presenter");
            ThriftMessage push = bob.nextPush(10);
            assertEquals(sent.getSeq(), ((ClientEvents.messageReceived_args) push.body()).getMessage().getSeq());
        }
        assertEquals(4, presenter.streams());
        assertEquals(4, registries.get(presenter).timer("duet.presenter.routing.latency").count(),
                "every settled route is timed");
    }

    @Test
    void bytesAfterTheFirstFrameArriveUnchangedHoweverTheyAreSplit() throws Exception {
        cluster.startServer("chat-a");
        Presenter presenter = presenter();
        awaitRing(presenter, 1);
        String couple = newCouple();
        TestChatClient bob = connect(presenter);
        bob.authenticate(cluster.token("bob", couple, "ann"), 0);

        // Everything in one write: the first frame and three calls after it, then the same again byte by byte.
        TestChatClient ann = connect(presenter);
        ByteBuf burst = Unpooled.buffer();
        burst.writeBytes(TestChatClient.authenticateFrame(1, cluster.token("ann", couple, "bob"), 0));
        for (int i = 0; i < 3; i++) {
            burst.writeBytes(frame(ThriftMessage.call("sendMessage", 10 + i,
                    new ChatService.sendMessage_args("burst-" + i, "coalesced " + i))));
        }
        var auth = ann.expectReply(1);
        var replies = List.of(ann.expectReply(10), ann.expectReply(11), ann.expectReply(12));
        rawWrite(ann, burst);
        TestChatClient.success(auth.get(30, TimeUnit.SECONDS));
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, ((SendResult) TestChatClient.success(replies.get(i).get(30, TimeUnit.SECONDS))).getSeq());
        }

        byte[] trickle = frame(ThriftMessage.call("sendMessage", 20,
                new ChatService.sendMessage_args("trickle", "one byte at a time")));
        var trickled = ann.expectReply(20);
        for (byte b : trickle) {
            rawWrite(ann, Unpooled.wrappedBuffer(new byte[]{b})).sync();
        }
        assertEquals(4, ((SendResult) TestChatClient.success(trickled.get(30, TimeUnit.SECONDS))).getSeq());
        List<String> atBob = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            atBob.add(((ClientEvents.messageReceived_args) bob.nextPush(10).body()).getMessage().getBody());
        }
        assertEquals(List.of("coalesced 0", "coalesced 1", "coalesced 2", "one byte at a time"), atBob);
    }

    /** Writes bytes as they are, below the client's codecs but through its TLS. */
    private static io.netty.channel.ChannelFuture rawWrite(TestChatClient client, ByteBuf bytes) {
        return client.channel().pipeline().context(dev.duet.protocol.client.ClientFrameDecoder.class)
                .writeAndFlush(bytes);
    }

    private static byte[] frame(ThriftMessage message) throws Exception {
        ByteBuf body = Unpooled.buffer();
        dev.duet.protocol.client.ThriftMessageCodec.encode(message, body);
        ByteBuf frame = Unpooled.buffer().writeInt(1 + body.readableBytes()).writeByte(0).writeBytes(body);
        body.release();
        byte[] bytes = new byte[frame.readableBytes()];
        frame.readBytes(bytes).release();
        return bytes;
    }

    @Test
    void aThousandClientsShareAFewConnectionsPerChatServer() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        Presenter presenter = presenter();
        awaitRing(presenter, 1);
        List<TestChatClient> clients = new ArrayList<>();
        List<java.util.concurrent.CompletableFuture<ThriftMessage>> auths = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            TestChatClient client = connect(presenter);
            clients.add(client);
            auths.add(client.callAsync("authenticate", 1, new ChatService.authenticate_args(
                    new AuthRequest(cluster.token("u" + i, "crowd-" + i, "p" + i), 0))));
        }
        for (var auth : auths) {
            TestChatClient.success(auth.get(60, TimeUnit.SECONDS));
        }
        assertEquals(1000, a.sessions());
        assertTrue(presenter.muxConnections("chat-a") <= 2, "pool size is 2");
        assertTrue(a.muxConnectionCount() <= 2, "the chat server sees at most 2 connections");
        clients.forEach(TestChatClient::close);
        assertTrue(waitFor(() -> a.sessions() == 0));
    }

    @Test
    void badTokensAndGarbageAreClosedBeforeReachingAChatServer() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        Presenter presenter = presenter();
        awaitRing(presenter, 1);
        String token = cluster.token("ann", newCouple(), "bob");
        String forged = token.substring(0, token.length() - 4) + "AAAA";
        String expired = new dev.duet.protocol.auth.TokenSigner(ChatCluster.KEYS, java.time.Clock.systemUTC())
                .sign("ann", newCouple(), "bob", Duration.ofSeconds(-5));
        String padded = token + "=";
        for (String bad : List.of(forged, expired, "not-a-token", padded)) {
            TestChatClient client = connect(presenter);
            ThriftMessage reply = client.callAsync("authenticate", 1,
                    new ChatService.authenticate_args(new AuthRequest(bad, 0))).get(10, TimeUnit.SECONDS);
            ChatError refused = assertThrows(ChatError.class, () -> TestChatClient.success(reply), bad);
            assertEquals(ErrorCode.AUTH_FAILED, refused.getCode(), bad);
            assertTrue(refused.getMessage().startsWith("token refused: "), refused.getMessage());
            assertTrue(client.awaitClosed(10), "closed for " + bad);
        }
        TestChatClient garbage = connect(presenter);
        rawWrite(garbage, Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                java.nio.charset.StandardCharsets.US_ASCII));
        assertTrue(garbage.awaitClosed(10));
        TestChatClient wrongCall = connect(presenter);
        ThriftMessage notAuth = wrongCall.callAsync("sendMessage", 1, new ChatService.sendMessage_args("m", "no auth"))
                .get(10, TimeUnit.SECONDS);
        assertEquals(TMessageType.EXCEPTION, notAuth.type());
        assertEquals(TApplicationException.PROTOCOL_ERROR, ((TApplicationException) notAuth.body()).getType());
        assertTrue(wrongCall.awaitClosed(10));
        assertEquals(0, a.sessions(), "nothing reached the chat server");
        assertEquals(0, presenter.streams());
    }

    @Test
    void aFirstFrameNestedTwentyThousandLevelsDeepIsAnsweredProtocolErrorCountedAndClosed() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        Presenter presenter = presenter();
        awaitRing(presenter, 1);
        TestChatClient deep = connect(presenter);
        CompletableFuture<ThriftMessage> answer = deep.expectReply(3);
        rawWrite(deep, HostileInput.clientFrame(HostileInput.nestedCall("authenticate", 3, 20_000)));
        ThriftMessage exception = answer.get(10, TimeUnit.SECONDS);
        assertEquals(TMessageType.EXCEPTION, exception.type());
        assertEquals(TApplicationException.PROTOCOL_ERROR, ((TApplicationException) exception.body()).getType());
        assertTrue(deep.awaitClosed(10));
        assertEquals(1, registries.get(presenter).counter("duet.presenter.auth.failures", "reason", "too_deep")
                .count());
        assertEquals(0, a.sessions());
    }

    @Test
    void clientsOfAKilledChatServerAreClosedAndOthersCarryOn() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        cluster.startServer("chat-b");
        Presenter presenter = presenter();
        awaitRing(presenter, 2);
        String onA = coupleOwnedBy("chat-a", "chat-a", "chat-b");
        String onB = coupleOwnedBy("chat-b", "chat-a", "chat-b");
        TestChatClient victim = connect(presenter);
        victim.authenticate(cluster.token("ann", onA, "bob"), 0);
        TestChatClient survivor = connect(presenter);
        survivor.authenticate(cluster.token("carol", onB, "dave"), 0);

        SimpleMeterRegistry registry = registries.get(presenter);
        assertTrue(waitFor(() -> registry.find("duet.presenter.mux.connections").tag("chat_server", "chat-a")
                .gauge() != null), "a gauge per chat server on the ring");
        cluster.stop(a);
        assertTrue(victim.awaitClosed(30), "the client of the dead chat server is closed, to reconnect");
        assertEquals(1, survivor.send("m-1", "unaffected").getSeq());
        awaitRing(presenter, 1);
        assertTrue(waitFor(() -> registry.find("duet.presenter.mux.connections").tag("chat_server", "chat-a")
                .gauge() == null), "the gauge of a chat server that left the ring is removed");
        assertEquals(1, registry.find("duet.presenter.mux.connections").tag("chat_server", "chat-b").gauges().size());
        TestChatClient reconnected = connect(presenter);
        assertEquals(onA, reconnected.authenticate(cluster.token("ann", onA, "bob"), 0).getCoupleId());
    }

    @Test
    void aDrainingPresenterRefusesNewClientsAndEndsWhenTheLastLeaves() throws Exception {
        cluster.startServer("chat-a");
        Presenter presenter = presenter();
        awaitRing(presenter, 1);
        TestChatClient client = connect(presenter);
        client.authenticate(cluster.token("ann", newCouple(), "bob"), 0);
        var drained = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return presenter.drain(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(waitFor(presenter::isDraining));
        Thread.sleep(300);
        assertThrows(Exception.class, () -> connect(presenter));
        assertFalse(drained.isDone(), "one client is still connected");
        assertEquals(1, client.send("m-1", "still served while draining").getSeq());
        client.close();
        assertTrue(drained.get(30, TimeUnit.SECONDS));
        assertEquals(0, presenter.connections());
    }

    @Test
    void aSessionBegunOnOnePresenterResumesOnAnotherSharingTheTicketKeys() throws Exception {
        cluster.startServer("chat-a");
        String keys = "/tls/" + java.util.UUID.randomUUID();
        Presenter first = presenter(b -> b.ticketKeys(keys, Duration.ofHours(12)));
        Presenter second = presenter(b -> b.ticketKeys(keys, Duration.ofHours(12)));
        awaitRing(first, 1);
        awaitRing(second, 1);
        assertTrue(waitFor(() -> handshakes(first, "resumed") == 0 && ticketKeysShared(keys)));
        Thread.sleep(500);
        SslContext client = SslContextBuilder.forClient().sslProvider(SslProvider.OPENSSL)
                .trustManager(SelfSignedCertificate.in(certificates).certificate().toFile())
                .protocols("TLSv1.3").build();
        TestChatClient one = TestChatClient.connect(cluster.clientGroup(), first.port(), client, 7443);
        one.authenticate(cluster.token("ann", newCouple(), "bob"), 0);
        one.close();
        TestChatClient two = TestChatClient.connect(cluster.clientGroup(), second.port(), client, 7443);
        two.authenticate(cluster.token("ann", newCouple(), "bob"), 0);
        assertEquals(1, handshakes(first, "full"));
        assertEquals(1, handshakes(second, "resumed"), "the second presenter resumed the first one's session");
        assertEquals(0, handshakes(second, "full"));
        io.netty.util.ReferenceCountUtil.release(client);
    }

    private boolean ticketKeysShared(String path) {
        try {
            return cluster.zookeeper().checkExists().forPath(path) != null;
        } catch (Exception e) {
            return false;
        }
    }

    private double handshakes(Presenter presenter, String kind) {
        var counter = registries.get(presenter).find("duet.presenter.handshakes").tag("kind", kind).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aClientThatStopsReadingCostsThePresenterBoundedMemory() throws Exception {
        cluster.startServer("chat-a");
        Presenter presenter = presenter();
        awaitRing(presenter, 1);
        String couple = newCouple();
        TestChatClient bob = connect(presenter);
        bob.authenticate(cluster.token("bob", couple, "ann"), 0);
        TestChatClient ann = connect(presenter);
        ann.authenticate(cluster.token("ann", couple, "bob"), 0);
        bob.channel().config().setAutoRead(false);

        String body = "y".repeat(4000);
        long mostQueued = 0;
        for (int i = 0; i < 400; i++) {
            ann.send("m-" + i, body);
            mostQueued = Math.max(mostQueued, presenter.bytesQueuedForClients());
        }
        // 1.6 MB went to bob, who reads nothing: the presenter holds at most a window and a write buffer of it.
        assertTrue(mostQueued < 256 * 1024, "presenter queued " + mostQueued + " bytes for a stalled client");
        assertEquals(400, ann.history(0, 1).getMessages().get(0).getSeq(), "ann was never held up");
    }

    @Test
    void aClientTheChatServerEndsForNotReadingIsClosedAtOnce() throws Exception {
        ChatServer server = cluster.startServer("chat-a", b -> b.limits(new ChatLimits(Duration.ofSeconds(10), 4096,
                64, 200, 100, 32, 64 * 1024, Duration.ofSeconds(5))));
        Presenter presenter = presenter();
        awaitRing(presenter, 1);
        String couple = newCouple();
        TestChatClient bob = connect(presenter);
        // A fixed receive buffer: loopback would otherwise grow it to tens of megabytes before anything pushes back.
        bob.channel().config().setOption(ChannelOption.SO_RCVBUF, 8 * 1024);
        bob.authenticate(cluster.token("bob", couple, "ann"), 0);
        TestChatClient ann = connect(presenter);
        ann.authenticate(cluster.token("ann", couple, "bob"), 0);
        bob.channel().config().setAutoRead(false);

        // Incompressible bodies, so the pushes are as large on the wire as they are in memory.
        Random random = new Random(7);
        int sent = 0;
        while (server.sessions() == 2 && sent < 6_000) {
            List<CompletableFuture<ThriftMessage>> batch = new ArrayList<>();
            for (int i = 0; i < 100; i++, sent++) {
                byte[] body = new byte[3000];
                random.nextBytes(body);
                batch.add(ann.callAsync("sendMessage", 1000 + sent, new ChatService.sendMessage_args("m-" + sent,
                        Base64.getEncoder().encodeToString(body))));
            }
            for (CompletableFuture<ThriftMessage> send : batch) {
                TestChatClient.success(send.get(30, TimeUnit.SECONDS));
            }
        }
        assertTrue(waitFor(() -> server.sessions() == 1), "the chat server never ended bob's session (" + sent
                + " messages sent)");
        // Its presenter connection goes with it, and what was queued for it is freed, long before any idle timeout.
        assertTrue(waitFor(() -> presenter.connections() == 1), "bob's connection outlived his session");
        assertTrue(waitFor(() -> presenter.bytesQueuedForClients() == 0), "bob's queued bytes were kept");
        TestChatClient.success(ann.call("sendMessage", new ChatService.sendMessage_args("after", "ann carries on")));
    }

    @Test
    void aClientThatKeepsStoppingAndStartingToReadIsNeverStalledForGood() throws Exception {
        cluster.startServer("chat-a");
        Presenter presenter = presenter();
        awaitRing(presenter, 1);
        String couple = newCouple();
        TestChatClient bob = connect(presenter);
        bob.authenticate(cluster.token("bob", couple, "ann"), 0);
        TestChatClient ann = connect(presenter);
        ann.authenticate(cluster.token("ann", couple, "bob"), 0);
        // Thousands of writability flips on both of the presenter's event loops: a wake-up lost between one side's
        // check and its pause would leave bob stalled with pushes waiting.
        ScheduledFuture<?> flapping = bob.channel().eventLoop().scheduleAtFixedRate(() -> bob.channel().config()
                .setAutoRead(!bob.channel().config().isAutoRead()), 1, 1, TimeUnit.MILLISECONDS);
        String body = "z".repeat(2000);
        int count = 1500;
        List<CompletableFuture<ThriftMessage>> sends = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sends.add(ann.callAsync("sendMessage", 1000 + i, new ChatService.sendMessage_args("m-" + i, body)));
        }
        try {
            for (int seq = 1; seq <= count; seq++) {
                ThriftMessage push = bob.nextPush(30);
                assertNotNull(push, "bob stalled before seq " + seq);
                assertEquals(seq, ((ClientEvents.messageReceived_args) push.body()).getMessage().getSeq());
            }
        } finally {
            flapping.cancel(false);
            bob.channel().config().setAutoRead(true);
        }
        for (CompletableFuture<ThriftMessage> send : sends) {
            TestChatClient.success(send.get(30, TimeUnit.SECONDS));
        }
    }

    @Test
    void limitsCloseTheConnectionsThatBreakThem() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        Presenter presenter = presenter(b -> b.authTimeout(Duration.ofSeconds(1)).maxFirstFrameSize(1024)
                .maxConnections(100, 2));
        awaitRing(presenter, 1);

        TestChatClient silent = connect(presenter);
        assertTrue(silent.awaitClosed(10), "no first frame within the auth timeout");

        TestChatClient first = connect(presenter);
        TestChatClient second = connect(presenter);
        TestChatClient third = connect(presenter);
        assertTrue(third.awaitClosed(10), "a third connection from one address is over the limit of 2");
        first.close();
        second.close();

        TestChatClient oversized = connect(presenter);
        oversized.callAsync("authenticate", 1, new ChatService.authenticate_args(
                new AuthRequest(cluster.token("ann", newCouple(), "bob") + "x".repeat(2000), 0)));
        assertTrue(oversized.awaitClosed(10), "a first frame over 1,024 bytes");
        assertEquals(0, a.sessions(), "none of them reached the chat server");
        assertTrue(waitFor(() -> presenter.connections() == 0), "every closed connection gave its count back");
    }

    @Test
    void aRelayedClientQuietForTheIdleTimeoutIsClosedAndOnesThatOnlySendOrOnlyReceiveAreNot() throws Exception {
        cluster.startServer("chat-a");
        Presenter presenter = presenter(b -> b.idleTimeout(Duration.ofSeconds(2)));
        awaitRing(presenter, 1);
        TestChatClient quiet = connect(presenter);
        quiet.authenticate(cluster.token("ann", newCouple(), "bob"), 0);
        // Only sends: a call trickled a byte at a time, answered only once it is whole.
        TestChatClient sending = connect(presenter);
        sending.authenticate(cluster.token("eve", newCouple(), "fay"), 0);
        // Only receives: the pushes of its partner's messages.
        String couple = newCouple();
        TestChatClient receiving = connect(presenter);
        TestChatClient partner = connect(presenter);
        receiving.authenticate(cluster.token("dan", couple, "cem"), 0);
        partner.authenticate(cluster.token("cem", couple, "dan"), 0);

        byte[] ping = frame(ThriftMessage.call("ping", 7, new ChatService.ping_args(1)));
        CompletableFuture<ThriftMessage> pong = sending.expectReply(7);
        long pauseMillis = 4_500 / ping.length;
        for (int i = 0; i < ping.length; i++) {
            assertTrue(sending.channel().isActive(), "a client that only sends stays (byte " + i + ")");
            rawWrite(sending, Unpooled.wrappedBuffer(new byte[]{ping[i]})).sync();
            if (i % 2 == 0) {
                partner.send("m-" + i, "still here");
            }
            Thread.sleep(pauseMillis);
        }
        TestChatClient.success(pong.get(30, TimeUnit.SECONDS));
        assertTrue(receiving.channel().isActive(), "a client that only receives stays");
        assertTrue(quiet.awaitClosed(10), "a client two seconds without bytes either way is closed");
        assertEquals(1, registries.get(presenter).counter("duet.presenter.limits", "limit", "idle_timeout").count());
    }

    @Test
    void handshakesAreChargedPerClientHelloAndPerSourceAddress() throws Exception {
        cluster.startServer("chat-a");
        Presenter presenter = presenter(b -> b.handshakesPerSecond(5).handshakesPerSecondPerAddress(1_000));
        awaitRing(presenter, 1);
        // Connect-and-reset costs no handshake: it must not use up the 5 per second a real client needs.
        for (int i = 0; i < 50; i++) {
            try (java.net.Socket reset = new java.net.Socket("127.0.0.1", presenter.port())) {
                reset.setSoLinger(true, 0);
            }
        }
        String couple = newCouple();
        TestChatClient real = connect(presenter);
        assertEquals(couple, real.authenticate(cluster.token("ann", couple, "bob"), 0).getCoupleId());
        assertEquals(0, registries.get(presenter).counter("duet.presenter.limits", "limit", "handshake_rate")
                .count());

        Presenter perAddress = presenter(b -> b.handshakesPerSecondPerAddress(2));
        awaitRing(perAddress, 1);
        List<TestChatClient> burst = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            burst.add(TestChatClient.connect(cluster.clientGroup(), perAddress.port(), clientTls));
        }
        for (TestChatClient client : burst) {
            client.awaitClosed(2);
        }
        assertTrue(registries.get(perAddress).counter("duet.presenter.limits", "limit",
                "handshake_rate_per_address").count() >= 3, "6 handshakes at once from one address, 2 per second");
        assertEquals(0, registries.get(perAddress).counter("duet.presenter.limits", "limit", "handshake_rate")
                .count(), "the shared bucket was not spent on them");
    }

    @Test
    void aChatServerThatDisagreesAboutTheOwnerIsRetriedOnTheOneItNames() throws Exception {
        ChatServer a = cluster.startServer("chat-a");
        ChatServer b = cluster.startServer("chat-b");
        // The presenter places couples with far fewer virtual nodes than the chat servers: for some couples their
        // ring views disagree, as they do for a moment during a ring change.
        Presenter presenter = presenter(builder -> builder.virtualNodes(4));
        awaitRing(presenter, 2);
        List<dev.duet.ring.Member> members = List.of(new dev.duet.ring.Member("chat-a", "127.0.0.1", 1, 0),
                new dev.duet.ring.Member("chat-b", "127.0.0.1", 1, 0));
        dev.duet.ring.HashRing presenterView = dev.duet.ring.HashRing.of(1, members, 4);
        dev.duet.ring.HashRing serverView = dev.duet.ring.HashRing.of(1, members);
        String couple;
        do {
            couple = newCouple();
        } while (presenterView.ownerOf(couple).id().equals(serverView.ownerOf(couple).id()));
        ChatServer owner = serverView.ownerOf(couple).id().equals("chat-a") ? a : b;

        TestChatClient ann = connect(presenter);
        assertEquals(couple, ann.authenticate(cluster.token("ann", couple, "bob"), 0).getCoupleId());
        assertEquals(1, owner.sessions(), "the session ended up on the owner the chat server named");
        var notOwner = registries.get(presenter).find("duet.presenter.routing").tag("result", "not_owner").counter();
        assertEquals(1, notOwner == null ? 0 : notOwner.count(), "one NOT_OWNER, then the retry");
        assertEquals(1, ann.send("m-1", "routed after a retry").getSeq());
    }
}

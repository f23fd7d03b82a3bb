package dev.duet.launcher;

import dev.duet.chat.testing.ChatCluster;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.ConnectionState;
import dev.duet.client.DuetClient;
import dev.duet.client.Transport;
import dev.duet.presenter.Presenter;
import dev.duet.presenter.PresenterConfig;
import dev.duet.protocol.client.QuicSettings;
import dev.duet.protocol.testing.UdpFaultProxy;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import io.micrometer.core.instrument.Counter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients over QUIC, end to end through a real presenter, chat servers and HBase: a chat between two devices, a
 * client whose address changes mid-session, a resumed session whose first message goes in the first flight (0-RTT),
 * and the fall back to TCP where UDP does not get through.
 */
class QuicTest {
    private static final long WAIT_SECONDS = TestSystem.WAIT.toSeconds();

    @TempDir
    Path data;

    private TestSystem system;
    private UdpFaultProxy proxy;

    @AfterEach
    void stop() {
        if (proxy != null) {
            proxy.close();
        }
        if (system != null) {
            system.close();
        }
    }

    /** A device's view: the messages pushed to it and the states it went through. */
    private static class Device implements ChatListener {
        final BlockingQueue<Message> received = new LinkedBlockingQueue<>();
        final List<ConnectionState> states = new CopyOnWriteArrayList<>();

        @Override
        public void messageReceived(Message message) {
            received.add(message);
        }

        @Override
        public void stateChanged(ConnectionState state) {
            states.add(state);
        }

        /** The body of the next message pushed to this device. */
        String nextBody() throws InterruptedException {
            Message message = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertNotNull(message, "a push arrived");
            return message.getBody();
        }
    }

    /**
     * A device that, when its connection is first lost, runs {@code beforeSending} and sends one message: it goes
     * behind {@code authenticate} on the next connection.
     */
    private static final class AwayDevice extends Device {
        final CompletableFuture<CompletableFuture<SendResult>> sentWhileAway = new CompletableFuture<>();
        private final Runnable beforeSending;
        volatile DuetClient client;

        AwayDevice(Runnable beforeSending) {
            this.beforeSending = beforeSending;
        }

        @Override
        public void stateChanged(ConnectionState state) {
            super.stateChanged(state);
            if (state == ConnectionState.RECONNECTING && !sentWhileAway.isDone()) {
                beforeSending.run();
                sentWhileAway.complete(client.send("sent while away"));
            }
        }

        /** The acknowledgement of the message sent while away. */
        SendResult awaySent() throws Exception {
            return sentWhileAway.get(WAIT_SECONDS, TimeUnit.SECONDS).get(WAIT_SECONDS, TimeUnit.SECONDS);
        }
    }

    private Presenter start(UnaryOperator<PresenterConfig.Builder> presenter) throws Exception {
        system = new TestSystem(data, "/quic-" + System.nanoTime());
        system.startServer("cs-1", b -> b);
        Presenter started = system.startPresenter(presenter);
        assertTrue(started.ring().awaitRing(ring -> ring.members().size() == 1, TestSystem.WAIT));
        return started;
    }

    private static UnaryOperator<ClientOptions> over(Transport transport, int port) {
        return options -> options.withTransport(transport)
                .withPresenters(List.of(InetSocketAddress.createUnresolved("127.0.0.1", port)));
    }

    private double counted(String meter) {
        Counter counter = system.presenterMeters().find(meter).counter();
        return counter == null ? 0 : counter.count();
    }

    private double counted(String meter, String tag, String value) {
        Counter counter = system.presenterMeters().find(meter).tag(tag, value).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void twoDevicesChatOverQuic() throws Exception {
        Presenter presenter = start(b -> b);
        String couple = ChatCluster.newCouple();
        Device ann = new Device();
        Device bob = new Device();
        DuetClient annClient = system.connect("ann", couple, "bob", over(Transport.QUIC, presenter.quicPort()), ann);
        DuetClient bobClient = system.connect("bob", couple, "ann", over(Transport.QUIC, presenter.quicPort()), bob);

        assertEquals(1, annClient.send("hello over QUIC").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals("hello over QUIC", bob.nextBody());
        assertEquals(2, bobClient.send("and back").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals("hello over QUIC", ann.nextBody(), "its own message, echoed");
        assertEquals("and back", ann.nextBody());
        assertEquals(2, annClient.history(0, 10).get(WAIT_SECONDS, TimeUnit.SECONDS).getMessagesSize());
        assertEquals(2, counted("duet.presenter.quic.handshakes", "kind", "full")
                + counted("duet.presenter.quic.handshakes", "kind", "resumed"), "both came over QUIC");
        assertEquals(0, counted("duet.presenter.handshakes", "kind", "full"), "neither over TCP");
    }

    @Test
    void anIdleClientOverQuicKeepsItsSessionPastTheIdleTimeout() throws Exception {
        // The presenter's idle timeout, 3 s, is also the QUIC connection's: the client pings within it.
        Presenter presenter = start(b -> b.idleTimeout(Duration.ofSeconds(3)));
        Device ann = new Device();
        DuetClient client = system.connect("ann", ChatCluster.newCouple(), "bob",
                over(Transport.AUTO, presenter.port()), ann);
        Thread.sleep(10_000);
        assertEquals(List.of(ConnectionState.CONNECTED), ann.states, "never reconnected");
        assertEquals(1, client.send("still here").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals(1, counted("duet.presenter.quic.handshakes", "kind", "full"), "over QUIC, once");
        assertEquals(0, counted("duet.presenter.limits", "limit", "idle_timeout"));
    }

    @Test
    void aClientWhoseAddressChangesKeepsItsSession() throws Exception {
        Presenter presenter = start(b -> b);
        proxy = new UdpFaultProxy(new InetSocketAddress("127.0.0.1", presenter.quicPort()));
        String couple = ChatCluster.newCouple();
        Device ann = new Device();
        Device bob = new Device();
        DuetClient annClient = system.connect("ann", couple, "bob", over(Transport.QUIC, proxy.port()), ann);
        DuetClient bobClient = system.connect("bob", couple, "ann", over(Transport.QUIC, presenter.quicPort()), bob);
        assertEquals(1, annClient.send("before the move").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals("before the move", bob.nextBody());
        assertEquals("before the move", ann.nextBody());

        proxy.rebind();
        assertEquals(2, annClient.send("after the move").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals("after the move", ann.nextBody());
        assertEquals("after the move", bob.nextBody());
        assertEquals(3, bobClient.send("to the moved device").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals("to the moved device", ann.nextBody(), "pushed to its new address, nothing skipped");

        assertEquals(List.of(ConnectionState.CONNECTED), ann.states, "never reconnected");
        assertEquals(2, counted("duet.presenter.routing", "result", "relaying"), "no new session: no re-auth");
        assertEquals(1, counted("duet.presenter.quic.migrations"), "the presenter followed the client");
        assertTrue(ann.received.isEmpty(), "no push repeated");
    }

    @Test
    void aResumedSessionSendsItsFirstMessageInTheFirstFlight() throws Exception {
        // A short idle timeout (also QUIC's): the first connection ends 2 s after its path is black-holed.
        Presenter presenter = start(b -> b.idleTimeout(Duration.ofSeconds(2)));
        // 20 ms each way: the presenter's first answer cannot overtake the client's first flight, as on loopback.
        proxy = new UdpFaultProxy(new InetSocketAddress("127.0.0.1", presenter.quicPort()), Duration.ofMillis(20));
        // The next connection gets through only what it sends before the presenter first answers.
        AwayDevice ann = new AwayDevice(proxy::holdAfterFirstFlight);
        DuetClient client = system.connect("ann", ChatCluster.newCouple(), "bob", over(Transport.QUIC, proxy.port()),
                ann);
        ann.client = client;
        assertEquals(1, client.send("first").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals(1, counted("duet.presenter.quic.handshakes", "kind", "full"));
        proxy.blackHole();

        assertEquals(2, ann.awaySent().getSeq(), "acknowledged with the client's later packets still held");
        assertEquals(2, proxy.clients(), "on a new connection");
        assertEquals(1, counted("duet.presenter.quic.early_data"), "its first frame came as 0-RTT early data");

        proxy.release();
        assertEquals(3, client.send("after").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals(1, counted("duet.presenter.quic.handshakes", "kind", "resumed"), "the session resumed");
        assertEquals(3, client.history(0, 10).get(WAIT_SECONDS, TimeUnit.SECONDS).getMessagesSize(),
                "each stored once");
    }

    @Test
    void aBurstOfNewConnectionsIsAskedToProveItsAddressesAndAllGetIn() throws Exception {
        // Two handshakes a second: a burst of six drains the bucket, and past half of it new connections get a Retry.
        Presenter presenter = start(b -> b.handshakesPerSecond(2));
        String couple = ChatCluster.newCouple();
        List<CompletableFuture<Void>> connected = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String user = "device-" + i;
            connected.add(CompletableFuture.runAsync(() -> {
                try {
                    system.connect(user, couple, "bob", over(Transport.QUIC, presenter.quicPort()), new Device());
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }));
        }
        CompletableFuture.allOf(connected.toArray(CompletableFuture[]::new)).get(WAIT_SECONDS, TimeUnit.SECONDS);
        assertTrue(counted("duet.presenter.quic.retries") >= 1, "addresses were validated under load");
        assertEquals(6, counted("duet.presenter.quic.handshakes", "kind", "full")
                + counted("duet.presenter.quic.handshakes", "kind", "resumed"), "all six got in, in the end");
    }

    @Test
    void aSendIsDeliveredWhenThePresenterRefusesTheEarlyData() throws Exception {
        // The first presenter's tickets mean nothing to the second (ticket keys of its own): the client's 0-RTT is
        // refused, and what it sent as early data must still arrive.
        Presenter first = start(b -> b.idleTimeout(Duration.ofSeconds(2)).ticketKeys("/quic-keys-a",
                Duration.ofHours(1)));
        proxy = new UdpFaultProxy(new InetSocketAddress("127.0.0.1", first.quicPort()));
        AwayDevice ann = new AwayDevice(() -> { });
        DuetClient client = system.connect("ann", ChatCluster.newCouple(), "bob", over(Transport.QUIC, proxy.port()),
                ann);
        ann.client = client;
        assertEquals(1, client.send("first").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());

        Presenter second = system.startPresenter(b -> b.ticketKeys("/quic-keys-b", Duration.ofHours(1)));
        proxy.retarget(new InetSocketAddress("127.0.0.1", second.quicPort()));
        proxy.blackHole();
        assertEquals(2, ann.awaySent().getSeq());
        assertEquals(2, client.history(0, 10).get(WAIT_SECONDS, TimeUnit.SECONDS).getMessagesSize(),
                "each stored once");
        assertEquals(0, counted("duet.presenter.quic.early_data"), "the second presenter took no early data");
        assertEquals(0, counted("duet.presenter.quic.handshakes", "kind", "resumed"), "its ticket was refused");
        assertEquals(2, counted("duet.presenter.quic.handshakes", "kind", "full"));
    }

    @Test
    void aPresenterAtItsCapOfQuicConnectionsSendsAutoClientsToTcp() throws Exception {
        Presenter presenter = start(b -> b.maxQuicConnections(0));
        Device ann = new Device();
        DuetClient client = system.connect("ann", ChatCluster.newCouple(), "bob",
                over(Transport.AUTO, presenter.port()), ann);
        assertEquals(1, client.send("over TCP").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals(1, counted("duet.presenter.handshakes", "kind", "full"), "it came over TCP");
        assertTrue(counted("duet.presenter.limits", "limit", "max_quic_connections") >= 1, "QUIC was refused");
    }

    @Test
    void aQuicConnectionThatOpensNoStreamIsClosedAtTheAuthTimeout() throws Exception {
        Presenter presenter = start(b -> b.authTimeout(Duration.ofSeconds(1)));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            QuicSslContext tls = QuicSslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE)
                    .applicationProtocols(QuicSettings.ALPN).build();
            Channel udp = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                    .handler(new QuicClientCodecBuilder().sslContext(tls).maxIdleTimeout(5, TimeUnit.MINUTES)
                            .initialMaxData(QuicSettings.CONNECTION_WINDOW).build())
                    .bind(0).sync().channel();
            QuicChannel idle = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter())
                    .remoteAddress(new InetSocketAddress("127.0.0.1", presenter.quicPort())).connect()
                    .get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertTrue(idle.closeFuture().await(WAIT_SECONDS, TimeUnit.SECONDS), "closed by the presenter");
            assertEquals(1, counted("duet.presenter.limits", "limit", "auth_timeout"));
            for (int i = 0; i < 100 && presenter.connections() > 0; i++) {
                Thread.sleep(100);
            }
            assertEquals(0, presenter.connections(), "and no longer counted");
            udp.close().sync();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aClientFallsBackToTcpWhenTheUdpPortIsClosed() throws Exception {
        Presenter presenter = start(b -> b.quicPort(PresenterConfig.QUIC_OFF));
        assertEquals(-1, presenter.quicPort());
        Device ann = new Device();
        DuetClient client = system.connect("ann", ChatCluster.newCouple(), "bob",
                over(Transport.AUTO, presenter.port()), ann);
        assertEquals(1, client.send("over TCP").get(WAIT_SECONDS, TimeUnit.SECONDS).getSeq());
        assertEquals(1, counted("duet.presenter.handshakes", "kind", "full"), "it came over TCP");
        assertFalse(ann.states.contains(ConnectionState.RECONNECTING));
    }
}

package dev.duet.bench.edge;

import dev.duet.chat.ChatServer;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.DuetClient;
import dev.duet.client.Transport;
import dev.duet.localhbase.LocalHBase;
import dev.duet.presenter.SelfSignedCertificate;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.client.QuicSettings;
import dev.duet.protocol.testing.FaultProxy;
import dev.duet.protocol.testing.UdpFaultProxy;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import org.HdrHistogram.Recorder;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.fs.FileUtil;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * QUIC against TLS over TCP, on one presenter (a process of its own, QUIC on its TLS port number):
 * <ul>
 *   <li>time from starting to connect to the first acknowledged message, through a user-space proxy that holds
 *   every byte or datagram a fixed time each way — a fresh session, then a resumed one (a second client to the same
 *   address, which resumes the first one's TLS session; over QUIC its first message goes as 0-RTT early data). The
 *   SDK pipelines the message behind {@code authenticate}, on both transports. The proxy cannot delay TCP's own
 *   handshake (the kernel answers it), so the TCP figures are also given with the one round trip a real path adds;</li>
 *   <li>resident memory per idle authenticated connection of the presenter, TCP and QUIC side by side.</li>
 * </ul>
 * JSON lines on stdout.
 */
public final class QuicBenchmark {
    private static final String RING = "/bench/ring-quic";
    private static final int OPENING_AT_ONCE = 200;

    private final TokenSigner signer;
    private final Path certificate;

    private QuicBenchmark(TokenSigner signer, Path certificate) {
        this.signer = signer;
        this.certificate = certificate;
    }

    public static void main(String[] args) throws Exception {
        String serverCpu = args[0];
        int iterations = Integer.parseInt(args[1]);
        Duration oneWay = Duration.ofMillis(Long.parseLong(args[2]));
        int idle = Integer.parseInt(args[3]);
        Path work = Files.createTempDirectory("duet-quic-bench");
        SelfSignedCertificate certificate = SelfSignedCertificate.in(work.resolve("tls"));
        TokenKeys keys = TokenKeys.generate(work.resolve("token-keys.properties"), "bench");
        TokenSigner signer = new TokenSigner(keys, Clock.systemUTC());
        try (LocalHBase hbase = LocalHBase.start(work.resolve("hbase"), 0, Duration.ofMinutes(3))) {
            CuratorFramework zookeeper = CuratorFrameworkFactory.newClient(hbase.zookeeperConnectString(),
                    new ExponentialBackoffRetry(100, 5));
            zookeeper.start();
            try (ChatServer chat = EdgeBenchmark.startChatServer(keys, hbase, zookeeper, RING, null)) {
                EdgeBenchmark.Target presenter = EdgeBenchmark.startPresenter("presenter", work, certificate,
                        hbase.zookeeperConnectString(), serverCpu, RING, null);
                try {
                    QuicBenchmark bench = new QuicBenchmark(signer, certificate.certificate());
                    if (iterations > 0) {
                        bench.firstMessage(presenter.port(), iterations, oneWay);
                    }
                    EdgeBenchmark tcp = new EdgeBenchmark(signer, certificate.certificate());
                    long[] overTcp = tcp.idleMemory(presenter, idle, true);
                    tcp.group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                    long[] overQuic = bench.quicIdleMemory(presenter, idle);
                    printMemory("idle-memory-per-connection", idle, overTcp[0], overQuic[0]);
                    printMemory("idle-memory-per-further-connection", idle, overTcp[1], overQuic[1]);
                } finally {
                    presenter.process().destroy();
                    presenter.process().waitFor(30, TimeUnit.SECONDS);
                }
            } finally {
                zookeeper.close();
            }
        } finally {
            if (!FileUtil.fullyDelete(work.resolve("hbase").toFile())) {
                System.err.println("could not delete " + work.resolve("hbase"));
            }
        }
    }

    private static void printMemory(String metric, int connections, long tcp, long quic) {
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"quic\",\"metric\":\"%s\",\"connections\":%d,\"unit\":"
                + "\"bytes\",\"tcp\":%d,\"quic\":%d,\"quicVsTcp\":%.3f}%n", metric, connections, tcp, quic,
                (double) quic / tcp);
    }

    /** Connect-to-first-acknowledged-message times, each transport in turn so that both see the same machine. */
    private void firstMessage(int port, int iterations, Duration oneWay) throws Exception {
        InetSocketAddress presenter = new InetSocketAddress("127.0.0.1", port);
        long[][] millis = new long[4][iterations];
        // Run -1 warms the JIT of both sides and is not counted.
        for (int i = -1; i < iterations; i++) {
            long[] run = new long[4];
            try (FaultProxy tcp = new FaultProxy(presenter, oneWay)) {
                run[0] = sendFirst(Transport.TCP, tcp.port(), "tcp-" + i + "-fresh");
                run[1] = sendFirst(Transport.TCP, tcp.port(), "tcp-" + i + "-resumed");
            }
            try (UdpFaultProxy udp = new UdpFaultProxy(presenter, oneWay)) {
                run[2] = sendFirst(Transport.QUIC, udp.port(), "quic-" + i + "-fresh");
                run[3] = sendFirst(Transport.QUIC, udp.port(), "quic-" + i + "-resumed");
            }
            for (int kind = 0; i >= 0 && kind < run.length; kind++) {
                millis[kind][i] = run[kind];
            }
        }
        long roundTrip = 2 * oneWay.toMillis();
        printFirstMessage("tcp", "fresh", millis[0], oneWay, roundTrip);
        printFirstMessage("tcp", "resumed", millis[1], oneWay, roundTrip);
        printFirstMessage("quic", "fresh", millis[2], oneWay, 0);
        printFirstMessage("quic", "resumed", millis[3], oneWay, 0);
    }

    /**
     * One new client through the proxy at {@code port}: the time from starting it to its first message acknowledged.
     * A proxy port is new for each fresh session, so the client's TLS context has no session for it yet.
     */
    private long sendFirst(Transport transport, int port, String couple) throws Exception {
        String token = signer.sign("ann", couple, "bob", Duration.ofHours(1));
        ClientOptions options = ClientOptions.of("127.0.0.1", port, token, certificate).withTransport(transport);
        long start = System.nanoTime();
        try (DuetClient client = DuetClient.start(options, new ChatListener() { })) {
            client.send("first").get(1, TimeUnit.MINUTES);
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
    }

    private static void printFirstMessage(String transport, String session, long[] millis, Duration oneWay,
                                          long notDelayed) {
        long[] sorted = millis.clone();
        Arrays.sort(sorted);
        long median = sorted[sorted.length / 2];
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"quic\",\"metric\":\"connect-to-first-ack\",\"transport\":"
                        + "\"%s\",\"session\":\"%s\",\"oneWayDelayMillis\":%d,\"runs\":%d,\"p50Millis\":%d,"
                        + "\"minMillis\":%d,\"maxMillis\":%d,\"p50WithRealTcpHandshakeMillis\":%d}%n", transport,
                session, oneWay.toMillis(), sorted.length, median, sorted[0], sorted[sorted.length - 1],
                median + notDelayed);
    }

    /**
     * {@link EdgeBenchmark#idleMemory}, over QUIC: {total, marginal} resident bytes per idle QUIC connection, and the
     * presenter's heap per connection.
     */
    private long[] quicIdleMemory(EdgeBenchmark.Target presenter, int count) throws Exception {
        QuicSslContext tls = QuicSslContextBuilder.forClient().trustManager(certificate.toFile())
                .applicationProtocols(QuicSettings.ALPN).build();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            ChannelHandler codec = new QuicClientCodecBuilder()
                    .sslEngineProvider(connection -> tls.newEngine(connection.alloc(), "127.0.0.1",
                            presenter.port()))
                    .maxIdleTimeout(30, TimeUnit.MINUTES)
                    .initialMaxData(QuicSettings.CONNECTION_WINDOW)
                    .initialMaxStreamDataBidirectionalLocal(QuicSettings.STREAM_WINDOW)
                    .build();
            Channel udp = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                    .bind(0).sync().channel();
            InetSocketAddress target = new InetSocketAddress("127.0.0.1", presenter.port());
            long[] bytes = EdgeBenchmark.idleMemory(presenter, count, true, "quic", n -> openQuic(udp, target, n));
            udp.close().sync();
            return bytes;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Opens {@code count} QUIC connections over one UDP socket, each with an authenticated session on its stream. */
    private List<QuicChannel> openQuic(Channel udp, InetSocketAddress target, int count) throws Exception {
        List<QuicChannel> connections = new ArrayList<>();
        String run = Long.toString(System.nanoTime(), 36);
        List<CompletableFuture<Void>> ready = new ArrayList<>();
        Semaphore inFlight = new Semaphore(OPENING_AT_ONCE);
        for (int i = 0; i < count; i++) {
            EdgeClient client = new EdgeClient(signer.sign("q" + i, "quic-idle-" + run + "-" + i, "qp" + i,
                    Duration.ofHours(1)), new Recorder(3));
            inFlight.acquire();
            client.authenticated().whenComplete((ok, failure) -> inFlight.release());
            ready.add(client.authenticated());
            QuicChannel connection = QuicChannel.newBootstrap(udp).handler(new ChannelInboundHandlerAdapter())
                    .remoteAddress(target).connect().get(1, TimeUnit.MINUTES);
            connections.add(connection);
            QuicStreamChannel stream = connection.createStream(QuicStreamType.BIDIRECTIONAL,
                    new ChannelInboundHandlerAdapter()).get(1, TimeUnit.MINUTES);
            client.install(stream);
            client.authenticate(stream);
        }
        CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        return connections;
    }
}

package dev.duet.presenter;

import dev.duet.protocol.auth.TokenVerifier;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.ring.HashRing;
import dev.duet.ring.RingMembership;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.quic.Quic;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.curator.framework.CuratorFramework;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A running presenter: the TLS listener for clients, the ring view, and the mux pools to the chat servers.
 *
 * <h3>A client's way through</h3>
 * {@link ClientGate} (limits) → TLS → {@link FirstFrameDecoder} → {@link FirstPacketRouter}; the gate leaves once
 * it charged the handshake, and once the owner answered the last two are replaced by a {@link ClientRelay}: the
 * presenter no longer parses anything. {@link IdleClients} closes relayed clients that went quiet. Over QUIC
 * ({@link QuicListener}) the client's stream takes the same way, behind a {@link QuicGate} on its connection; both
 * transports count against the same {@link ClientLimits}.
 *
 * <h3>Ring changes and failures</h3>
 * Clients are routed by a {@link RoutingView}: the ring, plus chat servers that left it but still serve (ZooKeeper
 * trouble on their side), minus chat servers this presenter cannot reach. A chat server that left the ring and no
 * longer serves has its pool retired (its meters removed; each connection closes when its last stream ends). A client
 * whose couple moved is handed over to the new owner when its chat server asks ({@link StreamHandover}), and is
 * otherwise closed and reconnects, to be routed to the new owner.
 *
 * <h3>Drain</h3>
 * {@link #drain} stops accepting, tells the chat servers ({@code GOAWAY}) no new streams will come, and waits for the
 * clients to leave, up to a deadline.
 */
public final class Presenter implements Closeable {
    /**
     * One receive allocator for every client socket instead of one each: the allocator is only settings (every socket
     * keeps its own handle), so an idle client need not hold a copy. Up to 16 reads per wakeup, as Netty gives a
     * stream socket's own allocator (an allocator set as an option keeps its own limit, which is 1 by default).
     */
    private static final RecvByteBufAllocator CLIENT_READS = new AdaptiveRecvByteBufAllocator()
            .maxMessagesPerRead(16);
    /** How often addresses without connections, and with their handshake bucket refilled, are forgotten. */
    private static final long SOURCE_SWEEP_SECONDS = 10;
    private static final Logger log = LoggerFactory.getLogger(Presenter.class);
    private static final long CERTIFICATE_CHECK_SECONDS = 30;

    private final PresenterConfig config;
    private final ServerTls tls;
    private final RingMembership ring;
    private final SessionTicketKeys ticketKeys;
    private final PresenterMetrics metrics;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final MuxPools pools;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private Channel listener;
    private QuicListener quic;
    private volatile boolean draining;

    private Presenter(PresenterConfig config, ServerTls tls, RingMembership ring, SessionTicketKeys ticketKeys,
                      MeterRegistry registry) {
        this.config = config;
        this.tls = tls;
        this.ring = ring;
        this.ticketKeys = ticketKeys;
        this.metrics = new PresenterMetrics(registry);
        NettyTransport transport = NettyTransport.best();
        this.acceptors = transport.newGroup(1, new DefaultThreadFactory("duet-presenter-accept"));
        this.workers = transport.newGroup(config.ioThreads(), new DefaultThreadFactory("duet-presenter-io"));
        this.pools = new MuxPools(new Bootstrap().group(workers).channel(transport.clientChannel()),
                config.muxSettings(), config.poolSize(),
                new MuxTimings(config.muxPingInterval(), config.muxPingThreshold(), config.routeTimeout()),
                config.muxTls(), registry,
                ring::ring);
        registry.gauge("duet.presenter.ring.epoch", ring, RingMembership::epoch);
        registry.gauge("duet.presenter.draining", this, presenter -> presenter.draining ? 1 : 0);
    }

    /** Starts a presenter that routes by the ring in the ZooKeeper {@code zookeeper} is connected to. */
    public static Presenter start(PresenterConfig config, CuratorFramework zookeeper, MeterRegistry registry)
            throws Exception {
        boolean quic = config.quicPort() != PresenterConfig.QUIC_OFF;
        if (quic && !Quic.isAvailable()) {
            log.warn("QUIC is off: its native library does not load here ({})", Quic.unavailabilityCause().toString());
            quic = false;
        }
        ServerTls tls = new ServerTls(config.certificateChain(), config.privateKey(), quic);
        RingMembership ring = new RingMembership(zookeeper, config.ringPath(), config.virtualNodes());
        SessionTicketKeys ticketKeys = new SessionTicketKeys(zookeeper, config.ticketKeysPath(),
                config.ticketKeyRotation(), tls, Clock.systemUTC());
        Presenter presenter = new Presenter(config, tls, ring, ticketKeys, registry);
        try {
            ticketKeys.start();
            presenter.watchCertificate();
            ring.listenable().addListener((previous, current) -> presenter.ringChanged(current));
            ring.start();
            presenter.listen();
        } catch (Exception e) {
            presenter.close();
            throw e;
        }
        log.info("presenter {} listening on port {}", config.id(), presenter.port());
        return presenter;
    }

    /** Connects to new members ahead of their first client; retires the pools of members that left. */
    private void ringChanged(HashRing current) {
        pools.ringChanged(current);
    }

    /** New connections pick up a renewed certificate within {@link #CERTIFICATE_CHECK_SECONDS}. */
    private void watchCertificate() {
        workers.next().scheduleWithFixedDelay(() -> {
            try {
                tls.reloadIfChanged();
            } catch (Exception e) {
                log.warn("the new TLS certificate could not be loaded, keeping the old one: {}", e.getMessage());
            }
        }, CERTIFICATE_CHECK_SECONDS, CERTIFICATE_CHECK_SECONDS, TimeUnit.SECONDS);
    }

    private void listen() throws InterruptedException {
        Routing routing = new Routing(new TokenVerifier(config.tokenKeys(), Clock.systemUTC()), ring,
                new RoutingView(ring, pools, config.virtualNodes()), pools, config, metrics);
        ClientLimits limits = new ClientLimits(config, metrics);
        ClientGate gate = new ClientGate(limits, metrics);
        workers.next().scheduleWithFixedDelay(limits::sweep, SOURCE_SWEEP_SECONDS, SOURCE_SWEEP_SECONDS,
                TimeUnit.SECONDS);
        new IdleClients(clients, config.idleTimeout(), metrics).start(workers.next());
        listener = new ServerBootstrap()
                .group(acceptors, workers)
                .channel(NettyTransport.best().serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, CLIENT_READS)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        clients.add(channel);
                        channel.pipeline().addLast(gate,
                                tls.context().newHandler(channel.alloc()),
                                new FirstFrameDecoder(config.maxFirstFrameSize(), config.authTimeout().toMillis()),
                                new FirstPacketRouter(routing));
                    }
                })
                .bind(config.bindAddress(), config.port()).sync().channel();
        if (tls.quicContext() != null) {
            quic = listenForQuic(routing, limits);
        }
    }

    /**
     * QUIC on its port, or on the TLS port's number. With an ephemeral TLS port (0: tests, a local run) that number
     * may be taken on UDP; QUIC then takes an ephemeral port of its own.
     */
    private QuicListener listenForQuic(Routing routing, ClientLimits limits) throws InterruptedException {
        boolean onTcpPort = config.quicPort() == PresenterConfig.QUIC_ON_TCP_PORT;
        int port = onTcpPort ? port() : config.quicPort();
        try {
            return QuicListener.bind(config, tls, port, workers, limits, metrics, routing, clients, () -> draining);
        } catch (Exception e) {
            // A bind failure is a BindException with NIO, a NativeIoException with epoll: with an ephemeral TLS port,
            // any failure to bind that number is taken as the number being taken.
            if (e instanceof InterruptedException || !onTcpPort || config.port() != 0) {
                throw e;
            }
            log.warn("UDP port {} is taken: QUIC listens on an ephemeral port instead", port);
            return QuicListener.bind(config, tls, 0, workers, limits, metrics, routing, clients, () -> draining);
        }
    }

    public String id() {
        return config.id();
    }

    public int maxConnections() {
        return config.maxConnections();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** The UDP port of the QUIC listener; -1 if QUIC is off. */
    public int quicPort() {
        return quic == null ? -1 : quic.port();
    }

    public ServerTls tls() {
        return tls;
    }

    public RingMembership ring() {
        return ring;
    }

    public int connections() {
        return metrics.connections();
    }

    public int streams() {
        return metrics.streams();
    }

    /** Mux connections currently up to {@code chatServerId}. */
    public int muxConnections(String chatServerId) {
        MuxPool pool = pools.pools().get(chatServerId);
        return pool == null ? 0 : pool.connectedCount();
    }

    /**
     * Bytes waiting in this presenter to be written to TLS clients: what slow clients cost in memory. (What waits for
     * a QUIC client is inside quiche, bounded by the client's flow-control window.)
     */
    public long bytesQueuedForClients() {
        long total = 0;
        for (Channel client : clients) {
            ChannelOutboundBuffer buffer = client.unsafe().outboundBuffer();
            total += buffer == null ? 0 : buffer.totalPendingWriteBytes();
        }
        return total;
    }

    public boolean isDraining() {
        return draining;
    }

    /**
     * Stops accepting clients (new QUIC connections are refused; the UDP socket stays open for the connected ones),
     * tells the chat servers no new streams will come, and waits up to {@code deadline} for
     * the connected clients to leave. Returns whether they all did.
     */
    public boolean drain(Duration deadline) throws InterruptedException {
        draining = true;
        listener.close().sync();
        pools.goAway();
        long end = System.nanoTime() + deadline.toNanos();
        while (metrics.connections() > 0 && System.nanoTime() < end) {
            Thread.sleep(100);
        }
        return metrics.connections() == 0;
    }

    @Override
    public void close() {
        draining = true;
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        if (quic != null) {
            quic.close();
        }
        ticketKeys.close();
        ring.close();
        pools.close();
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        tls.close();
    }
}

package dev.duet.chat;

import dev.duet.chat.service.ChatMetrics;
import dev.duet.chat.service.ChatOperations;
import dev.duet.chat.service.ChatSession;
import dev.duet.chat.service.ClientPipeline;
import dev.duet.chat.service.CoupleHub;
import dev.duet.chat.service.OwnerLookup;
import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.store.StoreProbe;
import dev.duet.protocol.auth.TokenVerifier;
import dev.duet.protocol.mux.MuxFrameDecoder;
import dev.duet.protocol.mux.MuxFrameEncoder;
import dev.duet.protocol.mux.MuxFlushes;
import dev.duet.protocol.mux.MuxFrames;
import dev.duet.protocol.mux.MuxHandler;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.ring.Member;
import dev.duet.ring.RingMembership;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.apache.curator.framework.CuratorFramework;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A running chat server: the mux listener for presenters, the optional direct client listener, the chat service and
 * its HBase store, and its place on the ring.
 *
 * <h3>Start</h3>
 * {@link #start} opens the store, starts watching the ring, binds the listeners and, once all of that works,
 * registers the server on the ring — only then do presenters route couples to it.
 *
 * <h3>Ring changes</h3>
 * When the ring gives one of its live couples to another member, that couple's sessions answer what they have in
 * progress, tell the client ({@code sessionEnding(MOVED)}) and end with {@code RESET(MOVED)}.
 *
 * <h3>Drain</h3>
 * {@link #drain} takes the server off the ring, sends {@code GOAWAY} on every mux connection, stops the direct
 * listener, tells every session's client ({@code sessionEnding(DRAINING)}, after answering what it has in progress)
 * and waits (up to a deadline) for the sessions to end.
 */
public final class ChatServer implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(ChatServer.class);

    private final ChatServerConfig config;
    private final HBaseChatStore store;
    private final RingMembership ring;
    private final OwnerLookup owners;
    private final CoupleHub hub;
    private final ChatMetrics metrics;
    private final StoreProbe storeProbe;
    private final EventLoopGroup acceptors;
    private final EventLoopGroup workers;
    private final ChannelGroup muxConnections = new DefaultChannelGroup("mux", GlobalEventExecutor.INSTANCE);
    private Channel muxListener;
    private Channel clientListener;
    private volatile boolean draining;
    private volatile Member registered;

    private ChatServer(ChatServerConfig config, HBaseChatStore store, RingMembership ring, MeterRegistry registry) {
        this.config = config;
        this.store = store;
        this.ring = ring;
        this.owners = new OwnerLookup(ring, config.id(), () -> registered, config.unreachableReportTtl());
        this.hub = new CoupleHub(store, owners);
        this.metrics = new ChatMetrics(registry);
        NettyTransport transport = NettyTransport.best();
        this.acceptors = transport.newGroup(1, new DefaultThreadFactory("duet-chat-accept"));
        this.workers = transport.newGroup(config.ioThreads(), new DefaultThreadFactory("duet-chat-io"));
        this.storeProbe = new StoreProbe(store, workers.next(), config.store().probeInterval(),
                config.store().probeTimeout());
        registry.gauge("duet.chat.store.up", storeProbe, probe -> probe.isUp() ? 1 : 0);
        registry.gauge("duet.chat.ring.epoch", ring, RingMembership::epoch);
        registry.gauge("duet.chat.ring.connected", ring, r -> r.isConnected() ? 1 : 0);
        registry.gauge("duet.chat.mux.connections", muxConnections, ChannelGroup::size);
        registry.gauge("duet.chat.couples", hub, CoupleHub::coupleCount);
        registry.gauge("duet.chat.draining", this, server -> server.draining ? 1 : 0);
    }

    /**
     * Starts a chat server against the HBase {@code hbase} points at and the ZooKeeper {@code zookeeper} is connected
     * to, and registers it on the ring.
     */
    public static ChatServer start(ChatServerConfig config, Configuration hbase, CuratorFramework zookeeper,
                                   MeterRegistry registry, Duration timeout) throws Exception {
        HBaseChatStore store = HBaseChatStore.open(hbase, config.store(), registry)
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        RingMembership ring = new RingMembership(zookeeper, config.ringPath(), config.virtualNodes());
        ChatServer server = new ChatServer(config, store, ring, registry);
        try {
            server.listen();
            ring.start();
            Member self = server.member();
            ring.register(self, timeout);
            server.registered = self;
            if (!ring.awaitRing(view -> view.member(self.id()).isPresent(), timeout)) {
                throw new IllegalStateException("the ring never showed " + self.id() + " after registering");
            }
        } catch (Exception e) {
            server.close();
            throw e;
        }
        log.info("chat server {} ready: mux port {}, client port {}, ring epoch {}", config.id(), server.muxPort(),
                server.clientPort(), ring.epoch());
        return server;
    }

    private void listen() throws InterruptedException {
        ChatOperations operations = new ChatOperations(new TokenVerifier(config.tokenKeys(), Clock.systemUTC()),
                store, hub, owners, config.limits(), metrics, Clock.systemUTC(), config.maxClientFrameSize(),
                storeProbe::isUp);
        ClientPipeline clientPipeline = new ClientPipeline(operations, config.maxClientFrameSize());
        MuxConnectionMonitor monitor = new MuxConnectionMonitor(metrics.registry());
        int maxMuxFrame = config.muxSettings().maxFrameSize();
        muxListener = bootstrap(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                muxConnections.add(channel);
                if (config.muxTls() != null) {
                    config.muxTls().install(channel);
                }
                channel.pipeline().addLast(MuxFlushes.newConsolidation(),
                        new MuxFrameDecoder(maxMuxFrame, MuxFrames.DEFAULT_FRAME_TIMEOUT_MILLIS),
                        new MuxFrameEncoder(),
                        new MuxHandler(MuxHandler.Role.ACCEPTOR, config.muxSettings(), clientPipeline),
                        monitor);
            }
        }).bind(config.bindAddress(), config.muxPort()).sync().channel();
        if (config.clientPort() >= 0) {
            clientListener = bootstrap(new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel channel) {
                    if (config.directTls() != null) {
                        channel.pipeline().addLast(config.directTls().newHandler(channel.alloc()));
                    }
                    channel.pipeline().addLast(clientPipeline);
                }
            }).bind(config.bindAddress(), config.clientPort()).sync().channel();
        }
        ring.listenable().addListener((previous, current) -> {
            if (draining) {
                // The drain moves every session itself, as draining: a ring change it caused must not make it "moved".
                return;
            }
            hub.sessionsByCouple().forEach((coupleId, sessions) -> {
                Member owner = owners.ownerElsewhere(coupleId);
                if (owner != null) {
                    log.info("couple {} moved to {} at ring epoch {}", coupleId, owner.id(), current.epoch());
                    sessions.forEach(session -> session.moveTo(owner));
                }
            });
        });
    }

    private ServerBootstrap bootstrap(ChannelInitializer<Channel> initializer) {
        return new ServerBootstrap()
                .group(acceptors, workers)
                .channel(NettyTransport.best().serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(initializer);
    }

    private Member member() {
        int advertised = config.advertisedMuxPort() == 0 ? muxPort() : config.advertisedMuxPort();
        return new Member(config.id(), config.advertisedHost(), advertised, config.adminPort(), config.weight());
    }

    public int muxPort() {
        return ((InetSocketAddress) muxListener.localAddress()).getPort();
    }

    /** The direct client listener's port, or -1 when there is none. */
    public int clientPort() {
        return clientListener == null ? -1 : ((InetSocketAddress) clientListener.localAddress()).getPort();
    }

    public String id() {
        return config.id();
    }

    public RingMembership ring() {
        return ring;
    }

    public int sessions() {
        return metrics.sessions();
    }

    /** Couples with live sessions or appends in progress here. */
    public int coupleCount() {
        return hub.coupleCount();
    }

    public int muxConnectionCount() {
        return muxConnections.size();
    }

    public boolean isDraining() {
        return draining;
    }

    /** Whether HBase answered its last probe. */
    public boolean isStoreUp() {
        return storeProbe.isUp();
    }

    /**
     * Whether this server's znode is on the ring as ZooKeeper has it now: registered, connected to ZooKeeper (the
     * last ring read stays in force while disconnected, but the znode may be gone), and not draining.
     */
    public boolean isRegistered() {
        return registered != null && ring.isConnected() && ring.ring().member(config.id()).isPresent();
    }

    /**
     * Leaves the ring, refuses new streams and connections, and waits up to {@code deadline} for every session to
     * end. Returns whether they all did.
     */
    public boolean drain(Duration deadline) throws Exception {
        draining = true;
        registered = null;
        ring.deregister();
        // The listeners close first: a presenter replacing a connection told GOAWAY is refused, and every connection
        // accepted before is in the group the GOAWAY goes to (the pool to this member is retired once it is off the
        // presenter's ring and no connection serves).
        muxListener.close().sync();
        if (clientListener != null) {
            clientListener.close().sync();
        }
        for (Channel connection : muxConnections) {
            connection.eventLoop().execute(() -> {
                MuxHandler mux = connection.pipeline().get(MuxHandler.class);
                if (mux != null) {
                    mux.goAway("draining");
                }
            });
        }
        long end = System.nanoTime() + deadline.toNanos();
        do {
            // Again each time: a session admitted just before the drain began joins its couple a little later.
            hub.sessions().forEach(ChatSession::drain);
            Thread.sleep(100);
        } while (metrics.sessions() > 0 && System.nanoTime() < end);
        return metrics.sessions() == 0;
    }

    @Override
    public void close() {
        draining = true;
        registered = null;
        ring.close();
        if (muxListener != null) {
            muxListener.close().syncUninterruptibly();
        }
        if (clientListener != null) {
            clientListener.close().syncUninterruptibly();
        }
        muxConnections.close().syncUninterruptibly();
        storeProbe.close();
        acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        try {
            store.close();
        } catch (java.io.IOException e) {
            log.warn("closing the HBase connection failed: {}", e.toString());
        }
    }
}

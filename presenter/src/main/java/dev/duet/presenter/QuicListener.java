package dev.duet.presenter;

import dev.duet.protocol.client.QuicSettings;
import dev.duet.protocol.transport.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.Closeable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The presenter's QUIC listener, on UDP: a client's one bidirectional stream carries the client protocol exactly as
 * a TLS connection does — first frame {@code authenticate}, routed by {@link FirstPacketRouter} and then relayed by
 * a {@link ClientRelay} — so the chat server sees no difference but the transport named in the {@code OPEN}.
 *
 * <p>Each QUIC connection gets a {@link QuicGate} (the {@link ClientLimits}), addresses are validated with a
 * {@link QuicRetryTokens Retry} only under load ({@link Connections}), the connection follows its client across
 * address changes (quiche validates the new path), and the stream ending ends the connection. All QUIC connections
 * are served by the one event loop of the UDP socket.
 */
final class QuicListener implements Closeable {

    private static final QuicHandshakeDatagrams HANDSHAKE_DATAGRAMS = new QuicHandshakeDatagrams();
    /** How long a connection whose session ended stays, for quiche to deliver its last bytes. */
    private static final long CLOSE_GRACE_MILLIS = 2_000;

    private final Channel socket;

    private QuicListener(Channel socket) {
        this.socket = socket;
    }

    static QuicListener bind(PresenterConfig config, ServerTls tls, int port, EventLoopGroup group, ClientLimits limits,
                             PresenterMetrics metrics, Routing routing, ChannelGroup clients,
                             BooleanSupplier draining) throws InterruptedException {
        Connections connections = new Connections(limits, metrics, draining, config.maxQuicConnections());
        ChannelHandler codec = new QuicServerCodecBuilder()
                .sslEngineProvider(connection -> tls.quicContext().newEngine(connection.alloc()))
                .maxIdleTimeout(config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(QuicSettings.CONNECTION_WINDOW)
                .initialMaxStreamDataBidirectionalRemote(QuicSettings.STREAM_WINDOW)
                .initialMaxStreamDataBidirectionalLocal(QuicSettings.STREAM_WINDOW)
                // One stream at a time per connection: a session is one stream, as it is one TCP connection.
                .initialMaxStreamsBidirectional(1)
                .initialMaxStreamsUnidirectional(0)
                .tokenHandler(new QuicRetryTokens(address -> connections.mustProve(address.getAddress()),
                        metrics::quicRetry))
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel connection) {
                        connection.pipeline().addLast(new QuicGate(connections, config.authTimeout().toMillis()));
                    }
                })
                .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel stream) {
                        QuicChannel connection = stream.parent();
                        connection.attr(QuicGate.SESSION_OPENED).set(true);
                        clients.add(stream);
                        // The session is the stream: once it ended (its FIN sent), the connection follows, after a
                        // grace for quiche to deliver the last bytes, unless the client closed it first.
                        stream.closeFuture().addListener((ChannelFutureListener) closed -> {
                            ScheduledFuture<?> grace = connection.eventLoop().schedule(() -> connection.close(),
                                    CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                            connection.closeFuture().addListener(gone -> grace.cancel(false));
                        });
                        stream.pipeline().addLast(
                                new FirstFrameDecoder(config.maxFirstFrameSize(), config.authTimeout().toMillis()),
                                new FirstPacketRouter(routing));
                    }
                })
                .build();
        Channel socket = new Bootstrap()
                .group(group)
                .channel(NettyTransport.best().datagramChannel())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel udp) {
                        udp.pipeline().addLast(HANDSHAKE_DATAGRAMS, codec);
                    }
                })
                .bind(config.bindAddress(), port).sync().channel();
        return new QuicListener(socket);
    }

    /**
     * The QUIC connections of one listener, against the presenter's {@link ClientLimits} and its own cap, and how many
     * are still in their handshake: past {@link #MAX_UNPROVEN_HANDSHAKES} of those a new client must prove its address
     * (a Retry) before it costs a connection, so a flood from spoofed addresses holds at most that many.
     */
    static final class Connections {
        static final int MAX_UNPROVEN_HANDSHAKES = 1_000;

        private final ClientLimits limits;
        private final PresenterMetrics metrics;
        private final BooleanSupplier draining;
        private final int max;
        private final AtomicInteger open = new AtomicInteger();
        private final AtomicInteger handshaking = new AtomicInteger();

        Connections(ClientLimits limits, PresenterMetrics metrics, BooleanSupplier draining, int max) {
            this.limits = limits;
            this.metrics = metrics;
            this.draining = draining;
            this.max = max;
        }

        /** Counts a new connection from {@code address}; returns the limit it is over, or null. */
        String opened(InetAddress address) {
            String refused = limits.opened(address);
            handshaking.incrementAndGet();
            if (open.incrementAndGet() > max && refused == null) {
                refused = "max_quic_connections";
            }
            if (refused == null) {
                refused = draining.getAsBoolean() ? "draining" : limits.handshake(address);
            }
            return refused;
        }

        void handshakeCompleted() {
            handshaking.decrementAndGet();
        }

        /** A connection counted by {@link #opened} closed. */
        void closed(InetAddress address, boolean handshakeCompleted) {
            if (!handshakeCompleted) {
                handshaking.decrementAndGet();
            }
            open.decrementAndGet();
            limits.closed(address);
        }

        /** Whether a new connection from {@code address} must first prove it owns the address. */
        boolean mustProve(InetAddress address) {
            return handshaking.get() >= MAX_UNPROVEN_HANDSHAKES || limits.underLoad(address);
        }

        PresenterMetrics metrics() {
            return metrics;
        }
    }

    int port() {
        return ((InetSocketAddress) socket.localAddress()).getPort();
    }

    /** Closes the UDP socket, and with it every QUIC connection. */
    @Override
    public void close() {
        socket.close().syncUninterruptibly();
    }
}

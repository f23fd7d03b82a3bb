package dev.duet.presenter;

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

import java.io.Closeable;
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
 * {@link QuicRetryTokens Retry} only under load, the connection follows its client across address changes (quiche
 * validates the new path), and the stream ending ends the connection. All QUIC connections are served by the one
 * event loop of the UDP socket.
 */
final class QuicListener implements Closeable {
    /** Flow-control windows granted to a client: a chat client sends little, and an idle one holds none of it. */
    private static final long CONNECTION_WINDOW = 1 << 20;
    private static final long STREAM_WINDOW = 256 << 10;

    private static final QuicHandshakeDatagrams HANDSHAKE_DATAGRAMS = new QuicHandshakeDatagrams();

    private final Channel socket;

    private QuicListener(Channel socket) {
        this.socket = socket;
    }

    static QuicListener bind(PresenterConfig config, ServerTls tls, int port, EventLoopGroup group, ClientLimits limits,
                             PresenterMetrics metrics, Routing routing, ChannelGroup clients,
                             BooleanSupplier draining) throws InterruptedException {
        AtomicInteger connections = new AtomicInteger();
        ChannelHandler codec = new QuicServerCodecBuilder()
                .sslEngineProvider(connection -> tls.quicContext().newEngine(connection.alloc()))
                .maxIdleTimeout(config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(CONNECTION_WINDOW)
                .initialMaxStreamDataBidirectionalRemote(STREAM_WINDOW)
                .initialMaxStreamDataBidirectionalLocal(STREAM_WINDOW)
                // One stream at a time per connection: a session is one stream, as it is one TCP connection.
                .initialMaxStreamsBidirectional(1)
                .initialMaxStreamsUnidirectional(0)
                .tokenHandler(new QuicRetryTokens(address -> limits.underLoad(address.getAddress()),
                        metrics::quicRetry))
                .handler(new ChannelInitializer<QuicChannel>() {
                    @Override
                    protected void initChannel(QuicChannel connection) {
                        connection.pipeline().addLast(new QuicGate(limits, metrics, draining, connections,
                                config.maxQuicConnections(), config.authTimeout().toMillis()));
                    }
                })
                .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                    @Override
                    protected void initChannel(QuicStreamChannel stream) {
                        clients.add(stream);
                        // The session is the stream: when it ends, so does the connection.
                        stream.closeFuture().addListener((ChannelFutureListener) closed -> stream.parent().close());
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

    int port() {
        return ((InetSocketAddress) socket.localAddress()).getPort();
    }

    /** Closes the UDP socket, and with it every QUIC connection. */
    @Override
    public void close() {
        socket.close().syncUninterruptibly();
    }
}

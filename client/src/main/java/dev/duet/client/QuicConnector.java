package dev.duet.client;

import dev.duet.protocol.client.QuicSettings;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.handler.codec.quic.QuicTransportParameters;
import io.netty.handler.codec.quic.SslEarlyDataReadyEvent;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The client protocol over one bidirectional QUIC stream. Each connection has a UDP socket of its own bound to the
 * wildcard address, so when the phone changes networks the socket keeps working and the server sees the same
 * connection from a new address (QUIC connection migration). The TLS context ({@link ClientTlsContexts}) keeps the
 * session tickets: a reconnect resumes, and sends its first calls as 0-RTT early data — the stream is handed out as
 * soon as early data can be sent, not when the handshake completes.
 */
final class QuicConnector implements Connector {

    static final long KEEP_ALIVE_MILLIS = 20_000;

    private final EventLoopGroup group;
    private final QuicSslContext tls;
    private final Duration handshakeTimeout;
    private final Duration idleTimeout;

    QuicConnector(EventLoopGroup group, QuicSslContext tls, Duration handshakeTimeout, Duration idleTimeout) {
        this.group = group;
        this.tls = tls;
        this.handshakeTimeout = handshakeTimeout;
        this.idleTimeout = idleTimeout;
    }

    @Override
    public Future<Channel> open(InetSocketAddress target) {
        return open(target, true);
    }

    /**
     * Opens a connection; with {@code early}, the stream is handed out as soon as 0-RTT early data can be sent, else
     * once the handshake completed (the server has answered).
     */
    Future<Channel> open(InetSocketAddress target, boolean early) {
        Promise<Channel> ready = group.next().newPromise();
        ChannelHandler codec = new QuicClientCodecBuilder()
                .sslEngineProvider(connection -> tls.newEngine(connection.alloc(), target.getHostString(),
                        target.getPort()))
                .maxIdleTimeout(idleTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .initialMaxData(QuicSettings.CONNECTION_WINDOW)
                .initialMaxStreamDataBidirectionalLocal(QuicSettings.STREAM_WINDOW)
                .initialMaxStreamDataBidirectionalRemote(QuicSettings.STREAM_WINDOW)
                .build();
        QuicHandshakeCheck handshakeCheck = new QuicHandshakeCheck();
        new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel udp) {
                        udp.pipeline().addLast(codec, handshakeCheck);
                    }
                })
                .bind(0)
                .addListener((ChannelFutureListener) bound -> {
                    if (!bound.isSuccess()) {
                        ready.tryFailure(bound.cause());
                        return;
                    }
                    connect(bound.channel(), target, ready, handshakeCheck, early);
                });
        return ready;
    }

    private void connect(Channel socket, InetSocketAddress target, Promise<Channel> ready,
                         QuicHandshakeCheck handshakeCheck, boolean early) {
        StreamOpener opener = new StreamOpener(ready, handshakeCheck, early);
        ScheduledFuture<?> timeout = socket.eventLoop().schedule(() -> {
            if (ready.tryFailure(new TimeoutException("no QUIC handshake with " + target + " within "
                    + handshakeTimeout.toMillis() + " ms"))) {
                socket.close();
            }
        }, handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        // Whoever gave up on the attempt (a timeout, the caller's cancel), nothing of it stays open.
        ready.addListener(done -> {
            timeout.cancel(false);
            if (!done.isSuccess()) {
                socket.close();
            }
        });
        QuicChannel.newBootstrap(socket)
                .handler(opener)
                .remoteAddress(target)
                .connect()
                .addListener(connected -> {
                    if (connected.isSuccess()) {
                        QuicChannel connection = (QuicChannel) connected.getNow();
                        connection.closeFuture().addListener(closed -> socket.close());
                        opener.open(connection);
                    } else {
                        ready.tryFailure(connected.cause());
                    }
                });
    }

    @Override
    public boolean inEarlyData(Channel channel) {
        return channel instanceof QuicStreamChannel stream && !stream.parent().isActive();
    }

    /**
     * A third of the connection's idle timeout (the shorter of the two ends' asks), at most {@link #KEEP_ALIVE_MILLIS}:
     * NATs forget an idle UDP flow within a minute or two.
     */
    @Override
    public long keepAliveMillis(Channel channel) {
        if (!(channel instanceof QuicStreamChannel stream)) {
            return 0;
        }
        long idle = idleTimeout.toMillis();
        QuicTransportParameters peer = stream.parent().peerTransportParameters();
        if (peer != null && peer.maxIdleTimeout() > 0) {
            idle = Math.min(idle, peer.maxIdleTimeout());
        }
        return Math.max(1, Math.min(KEEP_ALIVE_MILLIS, idle / 3));
    }

    /**
     * Opens the session's stream once the connection can carry data: when 0-RTT early data can be sent (a resumed
     * session, if early hand-out was asked for), or else when the handshake completes.
     */
    private static final class StreamOpener extends ChannelInboundHandlerAdapter {
        private final Promise<Channel> ready;
        private final QuicHandshakeCheck handshakeCheck;
        private final boolean early;
        private boolean opened;

        StreamOpener(Promise<Channel> ready, QuicHandshakeCheck handshakeCheck, boolean early) {
            this.ready = ready;
            this.handshakeCheck = handshakeCheck;
            this.early = early;
        }

        @Override
        public void channelRegistered(ChannelHandlerContext ctx) {
            handshakeCheck.watch((QuicChannel) ctx.channel());
            ctx.fireChannelRegistered();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (early && evt instanceof SslEarlyDataReadyEvent) {
                QuicChannel connection = (QuicChannel) ctx.channel();
                connection.closeFuture().addListener(closed -> connection.parent().close());
                // Not from inside this event: it fires while the connection is sending its first flight, and what
                // is written meanwhile would wait for the server's answer instead of leaving with that flight.
                ctx.executor().execute(() -> open(connection));
            }
            ctx.fireUserEventTriggered(evt);
        }

        void open(QuicChannel connection) {
            if (opened) {
                return;
            }
            opened = true;
            connection.createStream(QuicStreamType.BIDIRECTIONAL, null).addListener(created -> {
                if (!created.isSuccess()) {
                    ready.tryFailure(created.cause());
                    connection.close();
                    return;
                }
                QuicStreamChannel stream = (QuicStreamChannel) created.getNow();
                // The session is the stream: when it ends, so does the connection.
                stream.closeFuture().addListener(closed -> connection.close());
                if (!ready.trySuccess(stream)) {
                    connection.close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            ready.tryFailure(new IOException("QUIC connection closed before it was ready"));
            ctx.fireChannelInactive();
        }
    }
}

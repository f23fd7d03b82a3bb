package dev.duet.presenter;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicPathEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The handler of one QUIC connection (not its streams): the connection is counted against the {@link ClientLimits}
 * and its handshake charged as soon as it exists — its first packet is the ClientHello — and it is closed at once
 * when over a limit (the cap on QUIC connections among them), or when the presenter is draining. Counts the
 * connection's handshake and its migrations. Counted by the address it came from: a migration moves the client, not
 * its count.
 *
 * <p>Its streams are read from the start ({@link QuicEarlyReads}), so a resumed client's 0-RTT calls are served
 * before its handshake completes. A handshake that never completes — a replayed first flight, whose sender cannot
 * finish it — ends the connection after the auth timeout, as a TLS connection that never sends its first frame.
 */
final class QuicGate extends ChannelInboundHandlerAdapter {
    private final ClientLimits limits;
    private final PresenterMetrics metrics;
    private final BooleanSupplier draining;
    private final AtomicInteger quicConnections;
    private final int maxQuicConnections;
    private final long handshakeTimeoutMillis;
    private InetAddress counted;

    QuicGate(ClientLimits limits, PresenterMetrics metrics, BooleanSupplier draining, AtomicInteger quicConnections,
             int maxQuicConnections, long handshakeTimeoutMillis) {
        this.limits = limits;
        this.metrics = metrics;
        this.draining = draining;
        this.quicConnections = quicConnections;
        this.maxQuicConnections = maxQuicConnections;
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
        QuicChannel connection = (QuicChannel) ctx.channel();
        counted = ((InetSocketAddress) connection.remoteSocketAddress()).getAddress();
        String refused = limits.opened(counted);
        int quic = quicConnections.incrementAndGet();
        connection.closeFuture().addListener(closed -> {
            quicConnections.decrementAndGet();
            limits.closed(counted);
        });
        if (refused == null && quic > maxQuicConnections) {
            refused = "max_quic_connections";
        }
        if (refused == null) {
            refused = draining.getAsBoolean() ? "draining" : limits.handshake(counted);
        }
        if (refused != null) {
            metrics.limitHit(refused);
            ctx.close();
            return;
        }
        ctx.executor().schedule(() -> {
            if (connection.isOpen() && !connection.isActive()) {
                metrics.limitHit("quic_handshake_timeout");
                connection.close();
            }
        }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
        QuicEarlyReads.start(connection);
        ctx.fireChannelRegistered();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                metrics.quicHandshake(TlsResumption.resumed(((QuicChannel) ctx.channel()).sslEngine()));
            } else {
                metrics.handshakeFailed(handshake.cause().getClass().getSimpleName());
                ctx.close();
            }
        } else if (evt instanceof QuicPathEvent.PeerMigrated) {
            metrics.quicMigration();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}

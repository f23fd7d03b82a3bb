package dev.duet.presenter;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicPathEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The handler of one QUIC connection (not its streams). The connection is counted against the {@link ClientLimits}
 * and its handshake charged as soon as it exists — its first packet is the ClientHello — and it is closed at once
 * ({@code CONNECTION_REFUSED}) when over a limit (the cap on QUIC connections among them), or when the presenter is
 * draining. Counted by the address it came from: a migration moves the client, not
 * its count. Counts the connection's handshake and its migrations.
 *
 * <p>Its streams are read from the start, so a resumed client's 0-RTT calls are served before its handshake completes
 * (Netty reads a server connection's streams only once it is active, that is, once the handshake completed). A
 * connection whose handshake has not completed, or which has opened no stream, within the auth timeout is closed: a
 * replayed first flight, whose sender cannot finish the handshake, or a client that never starts a session, holds a
 * connection no longer than a TLS connection that never sends its first frame.
 */
final class QuicGate extends ChannelInboundHandlerAdapter {
    /** Set on a connection once a client stream was opened on it. */
    static final AttributeKey<Boolean> SESSION_OPENED = AttributeKey.valueOf(QuicGate.class, "sessionOpened");
    /** QUIC's CONNECTION_REFUSED transport error (RFC 9000, 20.1). */
    private static final int CONNECTION_REFUSED = 0x2;

    private final QuicListener.Connections connections;
    private final long sessionDeadlineMillis;
    private InetAddress counted;
    private boolean handshakeCompleted;
    private ScheduledFuture<?> deadline;

    QuicGate(QuicListener.Connections connections, long sessionDeadlineMillis) {
        this.connections = connections;
        this.sessionDeadlineMillis = sessionDeadlineMillis;
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
        QuicChannel connection = (QuicChannel) ctx.channel();
        counted = ((InetSocketAddress) connection.remoteSocketAddress()).getAddress();
        String refused = connections.opened(counted);
        connection.closeFuture().addListener(closed -> {
            if (deadline != null) {
                deadline.cancel(false);
            }
            connections.closed(counted, handshakeCompleted);
        });
        if (refused != null) {
            connections.metrics().limitHit(refused);
            // At once, before quiche has read the ClientHello: a refused client costs no handshake. It may well get
            // no CONNECTION_CLOSE then (quiche has no keys yet) and try again, to be counted and refused again.
            connection.close(false, CONNECTION_REFUSED, Unpooled.EMPTY_BUFFER);
            return;
        }
        deadline = ctx.executor().schedule(() -> {
            if (!connection.isActive() || !connection.hasAttr(SESSION_OPENED)) {
                connections.metrics().limitHit(connection.isActive() ? "auth_timeout" : "quic_handshake_timeout");
                connection.close();
            }
        }, sessionDeadlineMillis, TimeUnit.MILLISECONDS);
        ctx.read();
        ctx.fireChannelRegistered();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        handshakeCompleted = true;
        connections.handshakeCompleted();
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (handshake.isSuccess()) {
                connections.metrics().quicHandshake(TlsResumption.resumed(((QuicChannel) ctx.channel()).sslEngine()));
            } else {
                connections.metrics().handshakeFailed(handshake.cause().getClass().getSimpleName());
                ctx.close();
            }
        } else if (evt instanceof QuicPathEvent.PeerMigrated) {
            connections.metrics().quicMigration();
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}

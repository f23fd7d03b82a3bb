package dev.duet.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.handler.codec.quic.QuicChannel;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Sits on a client's UDP socket behind the QUIC codec and, after each flush while the connection's handshake is not
 * yet seen complete, has Netty look again. Netty runs BoringSSL's certificate check as a task, quiche completes the
 * handshake only when it next sends (the client's Finished), and Netty notices a completed handshake only when a
 * packet arrives: the connection would be reported up — and the session's first bytes sent — one round trip late,
 * on the server's next packet. Netty has no public way to ask, so this calls its own check ({@code processReceived});
 * if a future Netty hides it, the handshake is seen a round trip later and a warning says why.
 */
final class QuicHandshakeCheck extends ChannelOutboundHandlerAdapter {
    private static final MethodHandle CONNECTION;
    private static final MethodHandle PROCESS_RECEIVED;

    static {
        MethodHandle connection = null;
        MethodHandle processReceived = null;
        try {
            ClassLoader loader = QuicChannel.class.getClassLoader();
            Class<?> channelClass = Class.forName("io.netty.handler.codec.quic.QuicheQuicChannel", false, loader);
            Class<?> connectionClass = Class.forName("io.netty.handler.codec.quic.QuicheQuicConnection", false,
                    loader);
            Class<?> unsafeClass = Class.forName("io.netty.handler.codec.quic.QuicheQuicChannel$QuicChannelUnsafe",
                    false, loader);
            Field field = channelClass.getDeclaredField("connection");
            field.setAccessible(true);
            Method method = unsafeClass.getDeclaredMethod("processReceived", connectionClass);
            method.setAccessible(true);
            connection = MethodHandles.lookup().unreflectGetter(field);
            processReceived = MethodHandles.lookup().unreflect(method);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LoggerFactory.getLogger(QuicHandshakeCheck.class)
                    .warn("QUIC sessions will start a round trip after their handshake: {}", e.toString());
        }
        CONNECTION = connection;
        PROCESS_RECEIVED = processReceived;
    }

    /** The connection whose handshake is not yet seen complete; null once it is. Its event loop's alone. */
    private QuicChannel watched;

    /** Watches {@code connection} until its handshake is seen complete. */
    void watch(QuicChannel connection) {
        watched = connection;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        ctx.flush();
        QuicChannel connection = watched;
        if (connection != null && PROCESS_RECEIVED != null) {
            // After this flush, not inside it: the codec is still sending.
            ctx.executor().execute(() -> check(connection));
        }
    }

    private void check(QuicChannel connection) {
        if (connection.isActive() || !connection.isOpen()) {
            watched = null;
            return;
        }
        try {
            Object quicheConnection = CONNECTION.invoke(connection);
            if (quicheConnection != null) {
                PROCESS_RECEIVED.invoke(((Channel) connection).unsafe(), quicheConnection);
            }
        } catch (Throwable e) {
            watched = null;
        }
    }
}

package dev.duet.presenter;

import io.netty.handler.codec.quic.QuicChannel;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;

/**
 * Lets a server QUIC connection hand its streams' 0-RTT early data to the pipeline before its handshake completes.
 * quiche accepts the early data, but Netty starts reading a connection's streams only once the channel is active,
 * which for a server is when the handshake completed: the client's first message would then wait for its Finished,
 * one round trip later, and 0-RTT would save nothing. Netty has no public switch for it, so this starts the reads
 * itself ({@code doBeginRead}, which only marks the connection as wanting to read). If a future Netty hides it, early
 * data waits for the handshake (correct, one round trip slower) and a warning says why.
 */
final class QuicEarlyReads {
    private static final MethodHandle BEGIN_READ = find();

    private QuicEarlyReads() {
    }

    private static MethodHandle find() {
        try {
            Class<?> channel = Class.forName("io.netty.handler.codec.quic.QuicheQuicChannel", false,
                    QuicChannel.class.getClassLoader());
            Method method = channel.getDeclaredMethod("doBeginRead");
            method.setAccessible(true);
            return MethodHandles.lookup().unreflect(method);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LoggerFactory.getLogger(QuicEarlyReads.class)
                    .warn("QUIC early data will wait for the handshake to complete: {}", e.toString());
            return null;
        }
    }

    /** Starts reading {@code connection}'s streams now; call on its event loop. Returns whether it could. */
    static boolean start(QuicChannel connection) {
        if (BEGIN_READ == null) {
            return false;
        }
        try {
            BEGIN_READ.invoke(connection);
            return true;
        } catch (Throwable e) {
            return false;
        }
    }
}

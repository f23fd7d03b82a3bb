package dev.duet.presenter;

import io.netty.handler.codec.quic.QuicSslEngine;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;

import javax.net.ssl.SSLEngine;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;

/**
 * Whether a BoringSSL handshake resumed an earlier session, over TCP or QUIC. Netty knows ({@code isSessionReused()}
 * on both its TCP engine and its QUIC engine) but does not make it public, and the session's creation time has only
 * one-second precision, so this reads Netty's own answer. If a future Netty hides it, resumption reads as false and a
 * warning says why, rather than the presenter failing.
 */
final class TlsResumption {
    private static final MethodHandle TCP = find(ReferenceCountedOpenSslEngine.class);
    private static final MethodHandle QUIC = find(quicEngine());

    private TlsResumption() {
    }

    /** Quiche's engine class is not public: found through the QUIC API's own class loader. */
    private static Class<?> quicEngine() {
        try {
            return Class.forName("io.netty.handler.codec.quic.QuicheQuicSslEngine", false,
                    QuicSslEngine.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static MethodHandle find(Class<?> engine) {
        try {
            Method method = engine.getDeclaredMethod("isSessionReused");
            method.setAccessible(true);
            return MethodHandles.lookup().unreflect(method);
        } catch (ReflectiveOperationException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(TlsResumption.class)
                    .warn("cannot tell resumed TLS sessions from full handshakes: {}", e.toString());
            return null;
        }
    }

    static boolean resumed(SSLEngine engine) {
        MethodHandle reused = engine instanceof ReferenceCountedOpenSslEngine ? TCP
                : engine instanceof QuicSslEngine ? QUIC : null;
        if (reused == null) {
            return false;
        }
        try {
            return (boolean) reused.invoke(engine);
        } catch (Throwable e) {
            return false;
        }
    }
}

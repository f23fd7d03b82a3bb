package dev.duet.presenter;

import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;

import javax.net.ssl.SSLEngine;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Method;

/**
 * Whether a BoringSSL handshake resumed an earlier session. Netty knows ({@code
 * ReferenceCountedOpenSslEngine.isSessionReused()}) but does not make it public, and the session's creation time has
 * only one-second precision, so this reads Netty's own answer. If a future Netty hides it, resumption reads as
 * false and a warning says why, rather than the presenter failing.
 */
final class TlsResumption {
    private static final MethodHandle IS_SESSION_REUSED = find();

    private TlsResumption() {
    }

    private static MethodHandle find() {
        try {
            Method method = ReferenceCountedOpenSslEngine.class.getDeclaredMethod("isSessionReused");
            method.setAccessible(true);
            return MethodHandles.lookup().unreflect(method);
        } catch (ReflectiveOperationException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(TlsResumption.class)
                    .warn("cannot tell resumed TLS sessions from full handshakes: {}", e.toString());
            return null;
        }
    }

    static boolean resumed(SSLEngine engine) {
        if (IS_SESSION_REUSED == null || !(engine instanceof ReferenceCountedOpenSslEngine)) {
            return false;
        }
        try {
            return (boolean) IS_SESSION_REUSED.invoke(engine);
        } catch (Throwable e) {
            return false;
        }
    }
}

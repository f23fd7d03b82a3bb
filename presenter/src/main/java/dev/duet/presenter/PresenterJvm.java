package dev.duet.presenter;

/**
 * The Netty settings a presenter process runs with, set by {@link PresenterMain} before Netty reads them (each is read
 * once, when the class that uses it loads). Each was measured with {@code bench/edge.sh} (docs/benchmarks.md).
 * <ul>
 *   <li><b>The certificate and key on the TLS context.</b> Netty's default hands them to BoringSSL through a key
 *   manager in every handshake: it writes the chain and key out as PEM, BoringSSL parses both again, and the
 *   connection keeps its own parsed copies for its whole life. Set once on the context, every connection shares them.
 *   Every TLS context Duet builds works either way (none takes a key manager); Netty marks this setting deprecated,
 *   and should a later version ignore it, the presenter keeps working and only costs what it did before.</li>
 *   <li><b>The pooled buffer allocator</b> instead of Netty 4.2's adaptive one. The relay hands every buffer to
 *   BoringSSL or to {@code writev} as NIO buffers, and the adaptive allocator makes a new one for each such view (a
 *   third of what the presenter allocated per relayed message); a pooled buffer keeps its own.</li>
 * </ul>
 */
final class PresenterJvm {
    private PresenterJvm() {
    }

    static void configure() {
        System.setProperty("io.netty.handler.ssl.openssl.useKeyManagerFactory", "false");
        System.setProperty("io.netty.allocator.type", "pooled");
    }
}

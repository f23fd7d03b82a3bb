package dev.duet.client;

import dev.duet.protocol.client.QuicSettings;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The TLS contexts of the clients of this process, one per trust setting (a CA file, or the system's trust store)
 * and transport: a context is expensive to build, and its session cache is what lets a new client resume the session
 * of an earlier one to the same presenter (a TLS 1.3 resumption over TCP, 0-RTT over QUIC). Sessions say nothing
 * about who the user is: the token does.
 */
final class ClientTlsContexts {
    private static final Map<Optional<Path>, SslContext> TCP = new ConcurrentHashMap<>();
    private static final Map<Optional<Path>, QuicSslContext> QUIC = new ConcurrentHashMap<>();

    private ClientTlsContexts() {
    }

    static SslContext tcp(Path trustedCa) throws SSLException {
        try {
            return TCP.computeIfAbsent(Optional.ofNullable(trustedCa), ca -> {
                SslContextBuilder builder = SslContextBuilder.forClient().protocols("TLSv1.3", "TLSv1.2");
                ca.ifPresent(file -> builder.trustManager(file.toFile()));
                try {
                    return builder.build();
                } catch (SSLException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw (SSLException) e.getCause();
        }
    }

    static QuicSslContext quic(Path trustedCa) {
        return QUIC.computeIfAbsent(Optional.ofNullable(trustedCa), ca -> {
            QuicSslContextBuilder builder = QuicSslContextBuilder.forClient()
                    .applicationProtocols(QuicSettings.ALPN)
                    .earlyData(true)
                    .endpointIdentificationAlgorithm("HTTPS");
            ca.ifPresent(file -> builder.trustManager(file.toFile()));
            return builder.build();
        });
    }
}

package dev.duet.client;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where and how to connect.
 *
 * @param presenters    presenters (or a chat server's direct listener) to connect to, as host names and ports; each
 *                      connection attempt takes the next address of all the records of all of them, so a client
 *                      fails over between the presenters of a DNS name
 * @param token         the signed token issued for this user
 * @param trustedCa     PEM certificate(s) to trust; null for the system's trust store
 * @param tls           false only for a chat server's plain direct listener (tests, small setups)
 * @param lastSeenSeq   highest seq this device already has, with every seq before it; the server sends what came
 *                      after
 * @param callTimeout   how long one call may wait for its reply before it is retried or fails
 * @param maxBackoff    longest pause between reconnect attempts
 * @param transport     TLS over TCP, QUIC, or QUIC with a fallback to TCP ({@link Transport}); QUIC needs {@code tls}
 */
public record ClientOptions(List<InetSocketAddress> presenters, String token, Path trustedCa, boolean tls,
                            long lastSeenSeq, Duration callTimeout, Duration maxBackoff, Transport transport) {

    public ClientOptions {
        Objects.requireNonNull(transport, "transport");
        presenters = List.copyOf(presenters);
        if (presenters.isEmpty()) {
            throw new IllegalArgumentException("at least one presenter address is needed");
        }
        if (!tls && transport != Transport.TCP) {
            throw new IllegalArgumentException("QUIC is always encrypted: plain connections are TCP only");
        }
    }

    /** Over TLS on TCP, as before the transport could be chosen. */
    public ClientOptions(List<InetSocketAddress> presenters, String token, Path trustedCa, boolean tls,
                         long lastSeenSeq, Duration callTimeout, Duration maxBackoff) {
        this(presenters, token, trustedCa, tls, lastSeenSeq, callTimeout, maxBackoff, Transport.TCP);
    }

    public static ClientOptions of(String host, int port, String token, Path trustedCa) {
        return new ClientOptions(List.of(InetSocketAddress.createUnresolved(host, port)), token, trustedCa, true, 0,
                Duration.ofSeconds(15), Duration.ofSeconds(10), Transport.TCP);
    }

    public ClientOptions withLastSeenSeq(long seq) {
        return new ClientOptions(presenters, token, trustedCa, tls, seq, callTimeout, maxBackoff, transport);
    }

    /** The same, with {@code more} presenters to fail over to. */
    public ClientOptions withPresenters(List<InetSocketAddress> more) {
        return new ClientOptions(more, token, trustedCa, tls, lastSeenSeq, callTimeout, maxBackoff, transport);
    }

    public ClientOptions withCallTimeout(Duration timeout) {
        return new ClientOptions(presenters, token, trustedCa, tls, lastSeenSeq, timeout, maxBackoff, transport);
    }

    public ClientOptions withTransport(Transport value) {
        return new ClientOptions(presenters, token, trustedCa, tls, lastSeenSeq, callTimeout, maxBackoff, value);
    }
}

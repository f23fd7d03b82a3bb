package dev.duet.client;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Where and how to connect.
 *
 * @param host          presenter (or chat server direct listener) host
 * @param port          its port
 * @param token         the signed token issued for this user
 * @param trustedCa     PEM certificate(s) to trust; null for the system's trust store
 * @param tls           false only for a chat server's plain direct listener (tests, small setups)
 * @param lastSeenSeq   highest seq this device already has; the server sends what came after
 * @param callTimeout   how long one call may wait for its reply before it is retried or fails
 * @param maxBackoff    longest pause between reconnect attempts
 */
public record ClientOptions(String host, int port, String token, Path trustedCa, boolean tls, long lastSeenSeq,
                            Duration callTimeout, Duration maxBackoff) {

    public static ClientOptions of(String host, int port, String token, Path trustedCa) {
        return new ClientOptions(host, port, token, trustedCa, true, 0, Duration.ofSeconds(15), Duration.ofSeconds(10));
    }

    public ClientOptions withLastSeenSeq(long seq) {
        return new ClientOptions(host, port, token, trustedCa, tls, seq, callTimeout, maxBackoff);
    }
}

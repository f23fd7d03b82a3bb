package dev.duet.presenter;

import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.client.ClientFrames;
import dev.duet.protocol.mux.MuxFrames;
import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.ring.HashRing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/** Everything a presenter needs to know; see docs/operations.md for each key. */
public record PresenterConfig(String id, String bindAddress, int port, Path certificateChain, Path privateKey,
                              Supplier<TokenKeys> tokenKeys, String ringPath, int virtualNodes, int poolSize,
                              Duration authTimeout, Duration idleTimeout, int maxFirstFrameSize, int maxConnections,
                              int maxConnectionsPerAddress, int handshakesPerSecond, int routeAttempts,
                              int ioThreads, String ticketKeysPath, Duration ticketKeyRotation,
                              int muxStreamWindow, int muxConnectionWindow, int muxMaxFrameSize,
                              Duration muxPingInterval, Duration muxPingThreshold, Duration routeTimeout,
                              MuxTls muxTls, int handshakesPerSecondPerAddress, int quicPort,
                              int maxQuicConnections) {

    public PresenterConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(certificateChain, "certificateChain");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(tokenKeys, "tokenKeys");
        if (poolSize < 0) {
            throw new IllegalArgumentException("pool size must be at least 0 (0: one connection per I/O thread)");
        }
        if (quicPort < QUIC_OFF || quicPort > 65_535) {
            throw new IllegalArgumentException("QUIC port must be -1 (off), 0 (the TCP port's number) or a port");
        }
        if (maxQuicConnections < 0) {
            throw new IllegalArgumentException("max QUIC connections must be at least 0");
        }
        if (routeAttempts < 1 || maxConnections < 1 || maxConnectionsPerAddress < 1
                || handshakesPerSecond < 1 || handshakesPerSecondPerAddress < 1) {
            throw new IllegalArgumentException("route attempts, connection limits and handshake rate must be at "
                    + "least 1");
        }
    }

    /** {@link #quicPort} value: no QUIC listener. */
    public static final int QUIC_OFF = -1;
    /** {@link #quicPort} value: QUIC on the TCP listener's port number. */
    public static final int QUIC_ON_TCP_PORT = 0;

    public static Builder builder(String id, Path certificateChain, Path privateKey, TokenKeys tokenKeys) {
        return builder(id, certificateChain, privateKey, () -> tokenKeys);
    }

    /** With keys that may change while the presenter runs (a {@link dev.duet.protocol.auth.TokenKeyFile}). */
    public static Builder builder(String id, Path certificateChain, Path privateKey, Supplier<TokenKeys> tokenKeys) {
        return new Builder(id, certificateChain, privateKey, tokenKeys);
    }

    /** What this presenter announces on its mux connections: the windows it grants and the largest frame it takes. */
    public MuxSettings muxSettings() {
        return new MuxSettings(id, muxStreamWindow, muxConnectionWindow, muxMaxFrameSize);
    }

    /** Defaults for everything but the id, the TLS files and the token keys. */
    public static final class Builder {
        private final String id;
        private final Path certificateChain;
        private final Path privateKey;
        private final Supplier<TokenKeys> tokenKeys;
        private String bindAddress = "0.0.0.0";
        private int port = 7443;
        private String ringPath = "/duet/ring";
        private int virtualNodes = HashRing.DEFAULT_VIRTUAL_NODES;
        private int poolSize = 0;
        private Duration authTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofMinutes(30);
        private int maxFirstFrameSize = ClientFrames.DEFAULT_MAX_FRAME_SIZE;
        private int maxConnections = 18_000;
        private int maxConnectionsPerAddress = 1_000;
        private int handshakesPerSecond = 5_000;
        private int handshakesPerSecondPerAddress = 1_000;
        private int routeAttempts = 3;
        private Duration muxPingInterval = Duration.ofSeconds(1);
        private Duration muxPingThreshold = Duration.ofSeconds(2);
        private Duration routeTimeout = Duration.ofSeconds(5);
        private MuxTls muxTls;
        private int ioThreads = 0;
        private String ticketKeysPath = "/duet/tls/ticket-keys";
        private Duration ticketKeyRotation = Duration.ofHours(12);
        private int muxStreamWindow = MuxSettings.DEFAULT_STREAM_WINDOW;
        private int muxConnectionWindow = MuxSettings.DEFAULT_CONNECTION_WINDOW;
        private int muxMaxFrameSize = MuxFrames.DEFAULT_MAX_FRAME_SIZE;
        private int quicPort = QUIC_ON_TCP_PORT;
        private int maxQuicConnections = 18_000;

        private Builder(String id, Path certificateChain, Path privateKey, Supplier<TokenKeys> tokenKeys) {
            this.id = id;
            this.certificateChain = certificateChain;
            this.privateKey = privateKey;
            this.tokenKeys = tokenKeys;
        }

        public Builder bindAddress(String value) {
            bindAddress = value;
            return this;
        }

        public Builder port(int value) {
            port = value;
            return this;
        }

        public Builder ringPath(String value) {
            ringPath = value;
            return this;
        }

        public Builder virtualNodes(int value) {
            virtualNodes = value;
            return this;
        }

        /**
         * Mux connections per chat server; 0 (the default): one per I/O thread, so that every client's stream rides a
         * connection on the client's own event loop.
         */
        public Builder poolSize(int value) {
            poolSize = value;
            return this;
        }

        public Builder authTimeout(Duration value) {
            authTimeout = value;
            return this;
        }

        public Builder idleTimeout(Duration value) {
            idleTimeout = value;
            return this;
        }

        public Builder maxFirstFrameSize(int value) {
            maxFirstFrameSize = value;
            return this;
        }

        public Builder maxConnections(int total, int perAddress) {
            maxConnections = total;
            maxConnectionsPerAddress = perAddress;
            return this;
        }

        public Builder handshakesPerSecond(int value) {
            handshakesPerSecond = value;
            return this;
        }

        /** TLS handshakes (ClientHellos) per second one source address may start. */
        public Builder handshakesPerSecondPerAddress(int value) {
            handshakesPerSecondPerAddress = value;
            return this;
        }

        public Builder routeAttempts(int value) {
            routeAttempts = value;
            return this;
        }

        /**
         * The failure detector on mux connections: a {@code PING} every {@code interval}; a connection with one
         * unanswered for {@code threshold} is closed as sick, and a chat server none of whose connections works is
         * routed around.
         */
        public Builder muxPing(Duration interval, Duration threshold) {
            muxPingInterval = interval;
            muxPingThreshold = threshold;
            return this;
        }

        /** Longest wait for a chat server's first answer on a client's new stream. */
        public Builder routeTimeout(Duration value) {
            routeTimeout = value;
            return this;
        }

        public Builder ioThreads(int value) {
            ioThreads = value;
            return this;
        }

        /** Where the shared session-ticket keys live in ZooKeeper, and how often a new one takes over. */
        public Builder ticketKeys(String path, Duration rotation) {
            ticketKeysPath = path;
            ticketKeyRotation = rotation;
            return this;
        }

        /** The receive windows announced to chat servers, per stream and per connection, in bytes. */
        public Builder muxWindows(int stream, int connection) {
            muxStreamWindow = stream;
            muxConnectionWindow = connection;
            return this;
        }

        /** Mutual TLS toward chat servers: only those with a certificate of the CA; null: plain TCP. */
        public Builder muxTls(MuxTls value) {
            muxTls = value;
            return this;
        }

        /** The largest mux frame accepted from a chat server, in bytes. */
        public Builder muxMaxFrameSize(int value) {
            muxMaxFrameSize = value;
            return this;
        }

        /**
         * The UDP port clients reach the presenter on over QUIC: {@link #QUIC_ON_TCP_PORT} (the default) for the TCP
         * listener's port number, {@link #QUIC_OFF} for no QUIC.
         */
        public Builder quicPort(int value) {
            quicPort = value;
            return this;
        }

        /**
         * QUIC connections at most, within {@code max-connections}: an idle QUIC connection costs several times the
         * memory of a TLS one, and a client refused over QUIC falls back to TCP.
         */
        public Builder maxQuicConnections(int value) {
            maxQuicConnections = value;
            return this;
        }

        public PresenterConfig build() {
            return new PresenterConfig(id, bindAddress, port, certificateChain, privateKey, tokenKeys, ringPath,
                    virtualNodes, poolSize, authTimeout, idleTimeout, maxFirstFrameSize, maxConnections,
                    maxConnectionsPerAddress, handshakesPerSecond, routeAttempts, ioThreads, ticketKeysPath,
                    ticketKeyRotation, muxStreamWindow, muxConnectionWindow, muxMaxFrameSize, muxPingInterval,
                    muxPingThreshold, routeTimeout, muxTls, handshakesPerSecondPerAddress, quicPort,
                    maxQuicConnections);
        }
    }
}

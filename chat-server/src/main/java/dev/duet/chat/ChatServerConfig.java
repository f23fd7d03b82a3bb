package dev.duet.chat;

import dev.duet.chat.service.ChatLimits;
import dev.duet.chat.store.StoreSettings;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.client.ClientFrames;
import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.ring.HashRing;
import io.netty.handler.ssl.SslContext;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Everything a chat server needs to know, validated when built. {@code clientPort} -1 turns the direct client listener
 * off; port 0 picks a free port. {@code muxTls} null: mux connections in plain TCP.
 */
public record ChatServerConfig(String id, String advertisedHost, String bindAddress, int muxPort, int clientPort,
                               int adminPort, Supplier<TokenKeys> tokenKeys, String ringPath, int virtualNodes, double weight,
                               ChatLimits limits, StoreSettings store, int maxClientFrameSize,
                               int muxStreamWindow, int muxConnectionWindow, int ioThreads,
                               SslContext directTls, int advertisedMuxPort, int muxMaxStreams,
                               Duration unreachableReportTtl, MuxTls muxTls, boolean streamHandover) {

    public ChatServerConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tokenKeys, "tokenKeys");
        if (id.isEmpty() || id.contains("/")) {
            throw new IllegalArgumentException("id must be non-empty and without '/': " + id);
        }
        if (muxPort < 0 || muxPort > 65535 || clientPort < -1 || clientPort > 65535 || advertisedMuxPort < 0
                || advertisedMuxPort > 65535) {
            throw new IllegalArgumentException("ports must be 0-65535 (client port -1 for none)");
        }
        if (unreachableReportTtl.isNegative() || unreachableReportTtl.isZero()) {
            throw new IllegalArgumentException("unreachableReportTtl must be positive: " + unreachableReportTtl);
        }
    }

    public static final Duration DEFAULT_UNREACHABLE_REPORT_TTL = Duration.ofSeconds(10);

    public static Builder builder(String id, TokenKeys tokenKeys) {
        return new Builder(id, () -> tokenKeys);
    }

    /** With keys that may change while the server runs (a {@link dev.duet.protocol.auth.TokenKeyFile}). */
    public static Builder builder(String id, Supplier<TokenKeys> tokenKeys) {
        return new Builder(id, tokenKeys);
    }

    public MuxSettings muxSettings() {
        return new MuxSettings(id, muxStreamWindow, muxConnectionWindow, maxClientFrameSize + 16 * 1024,
                muxMaxStreams, streamHandover);
    }

    /** Defaults for everything but the id and the token keys. */
    public static final class Builder {
        private final String id;
        private final Supplier<TokenKeys> tokenKeys;
        private String advertisedHost = "127.0.0.1";
        private int advertisedMuxPort = 0;
        private String bindAddress = "0.0.0.0";
        private int muxPort = 7100;
        private int clientPort = -1;
        private int adminPort = 0;
        private String ringPath = "/duet/ring";
        private int virtualNodes = HashRing.DEFAULT_VIRTUAL_NODES;
        private double weight = 1.0;
        private ChatLimits limits = ChatLimits.defaults();
        private StoreSettings store = StoreSettings.defaults();
        private int maxClientFrameSize = ClientFrames.DEFAULT_MAX_FRAME_SIZE;
        private int muxStreamWindow = MuxSettings.DEFAULT_STREAM_WINDOW;
        private int muxConnectionWindow = MuxSettings.DEFAULT_CONNECTION_WINDOW;
        private int ioThreads = 0;
        private SslContext directTls;
        private int muxMaxStreams = MuxSettings.DEFAULT_MAX_CONCURRENT_STREAMS;
        private boolean streamHandover = true;
        private Duration unreachableReportTtl = DEFAULT_UNREACHABLE_REPORT_TTL;
        private MuxTls muxTls;

        private Builder(String id, Supplier<TokenKeys> tokenKeys) {
            this.id = id;
            this.tokenKeys = tokenKeys;
        }

        public Builder advertisedHost(String value) {
            advertisedHost = value;
            return this;
        }

        /** The mux port presenters are told to connect to, when it is not the bound one (NAT, a proxy); 0: bound. */
        public Builder advertisedMuxPort(int value) {
            advertisedMuxPort = value;
            return this;
        }

        public Builder bindAddress(String value) {
            bindAddress = value;
            return this;
        }

        public Builder muxPort(int value) {
            muxPort = value;
            return this;
        }

        public Builder clientPort(int value) {
            clientPort = value;
            return this;
        }

        public Builder adminPort(int value) {
            adminPort = value;
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

        public Builder weight(double value) {
            weight = value;
            return this;
        }

        public Builder limits(ChatLimits value) {
            limits = value;
            return this;
        }

        public Builder store(StoreSettings value) {
            store = value;
            return this;
        }

        public Builder maxClientFrameSize(int value) {
            maxClientFrameSize = value;
            return this;
        }

        public Builder muxWindows(int stream, int connection) {
            muxStreamWindow = stream;
            muxConnectionWindow = connection;
            return this;
        }

        public Builder ioThreads(int value) {
            ioThreads = value;
            return this;
        }

        /** Most streams one presenter may have open on one mux connection (announced in {@code HELLO}). */
        public Builder muxMaxStreams(int value) {
            muxMaxStreams = value;
            return this;
        }

        /** How long a presenter's report that a member is unreachable takes that member out of the owner view. */
        public Builder unreachableReportTtl(Duration value) {
            unreachableReportTtl = value;
            return this;
        }

        /** Mutual TLS on the mux port: only presenters with a certificate of the CA; null: plain TCP. */
        public Builder muxTls(MuxTls value) {
            muxTls = value;
            return this;
        }

        /** Whether sessions are handed over to their next owner through the presenter (when it takes part too). */
        public Builder streamHandover(boolean value) {
            streamHandover = value;
            return this;
        }

        public Builder directTls(SslContext value) {
            directTls = value;
            return this;
        }

        public ChatServerConfig build() {
            return new ChatServerConfig(id, advertisedHost, bindAddress, muxPort, clientPort, adminPort, tokenKeys,
                    ringPath, virtualNodes, weight, limits, store, maxClientFrameSize, muxStreamWindow,
                    muxConnectionWindow, ioThreads, directTls, advertisedMuxPort, muxMaxStreams, unreachableReportTtl,
                    muxTls, streamHandover);
        }
    }
}

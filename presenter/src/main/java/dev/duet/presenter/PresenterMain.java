package dev.duet.presenter;

import dev.duet.admin.AdminToken;
import dev.duet.admin.ServerMeters;
import dev.duet.admin.ServerProcess;
import dev.duet.protocol.auth.TokenKeyFile;
import dev.duet.protocol.client.ClientFrames;
import dev.duet.protocol.config.MuxTlsOptions;
import dev.duet.protocol.config.MuxWindowOptions;
import dev.duet.protocol.config.OpenSurfaces;
import dev.duet.protocol.config.ServerCommandLine;
import dev.duet.protocol.config.Settings;
import dev.duet.protocol.config.ZooKeeperOptions;
import dev.duet.protocol.mux.MuxFrames;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.ring.ZooKeeperAccess;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs one presenter until SIGINT/SIGTERM, then drains it. Settings: options, a YAML file, or DUET_* variables, all
 * checked before anything starts; docs/operations.md lists them.
 */
@Command(name = "presenter", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Runs a Duet presenter: the TLS edge that routes clients to their chat servers.")
public final class PresenterMain implements Callable<Integer> {
    @Option(names = "--config", description = "YAML file of settings (keys are the option names without dashes).")
    Path config;

    @Option(names = "--id", description = "Presenter id, for logs and the chat servers' metrics.")
    String id;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to listen on.")
    String bind;

    @Option(names = "--port", defaultValue = "7443", description = "TLS port for clients.")
    int port;

    @Option(names = "--quic-port", defaultValue = "0",
            description = "UDP port for QUIC clients: 0 for the TLS port's number, -1 for no QUIC.")
    int quicPort;

    @Option(names = "--max-quic-connections", defaultValue = "18000",
            description = "QUIC connections at most, within --max-connections.")
    int maxQuicConnections;

    @Option(names = "--cert", description = "PEM certificate chain (ECDSA or RSA).")
    Path certificate;

    @Option(names = "--key", description = "PEM private key (PKCS#8).")
    Path key;

    @Option(names = "--token-keys", description = "Token key file (signing=<id>, <id>=<base64url>).")
    Path tokenKeys;

    @Mixin
    ZooKeeperOptions zookeeper;

    @Option(names = "--ring-path", defaultValue = "/duet/ring", description = "Path of the ring in ZooKeeper.")
    String ringPath;

    @Option(names = "--pool-size", defaultValue = "0",
            description = "Mux connections per chat server; 0: one per I/O thread.")
    int poolSize;

    @Mixin
    MuxWindowOptions muxWindows;

    @Mixin
    MuxTlsOptions muxTls;

    @Option(names = "--mux-max-frame-size", defaultValue = "" + MuxFrames.DEFAULT_MAX_FRAME_SIZE,
            description = "Largest mux frame accepted from a chat server, in bytes.")
    int muxMaxFrameSize;

    @Option(names = "--auth-timeout", defaultValue = "PT10S", description = "Time to receive the first frame.")
    Duration authTimeout;

    @Option(names = "--max-first-frame-size", defaultValue = "" + ClientFrames.DEFAULT_MAX_FRAME_SIZE,
            description = "Largest first frame (authenticate) accepted, in bytes.")
    int maxFirstFrameSize;

    @Option(names = "--route-attempts", defaultValue = "3",
            description = "Chat servers tried for one client when they answer NOT_OWNER or OVERLOAD.")
    int routeAttempts;

    @Option(names = "--route-timeout", defaultValue = "PT5S",
            description = "Longest wait for a chat server's first answer on a client's new stream.")
    Duration routeTimeout;

    @Option(names = "--mux-ping-interval", defaultValue = "PT1S", description = "PING period on mux connections.")
    Duration muxPingInterval;

    @Option(names = "--mux-ping-threshold", defaultValue = "PT2S",
            description = "A mux connection with a PING unanswered this long is closed as sick.")
    Duration muxPingThreshold;

    @Option(names = "--idle-timeout", defaultValue = "PT30M", description = "Idle client connections are closed.")
    Duration idleTimeout;

    @Option(names = "--max-connections", defaultValue = "18000", description = "Client connections in total.")
    int maxConnections;

    @Option(names = "--max-connections-per-address", defaultValue = "1000",
            description = "Client connections from one source address.")
    int maxConnectionsPerAddress;

    @Option(names = "--handshakes-per-second", defaultValue = "5000", description = "New TLS handshakes per second "
            + "(counted per ClientHello).")
    int handshakesPerSecond;

    @Option(names = "--handshakes-per-second-per-address", defaultValue = "1000",
            description = "New TLS handshakes per second from one source address.")
    int handshakesPerSecondPerAddress;

    @Option(names = "--ticket-keys-path", defaultValue = "/duet/tls/ticket-keys",
            description = "ZooKeeper path of the shared session-ticket keys.")
    String ticketKeysPath;

    @Option(names = "--ticket-key-rotation", defaultValue = "PT12H", description = "How often a new ticket key takes over.")
    Duration ticketKeyRotation;

    @Option(names = "--drain-timeout", defaultValue = "PT5M", description = "Longest drain on shutdown.")
    Duration drainTimeout;

    @Option(names = "--admin-bind", defaultValue = "127.0.0.1", description = "Address of the admin HTTP endpoint.")
    String adminBind;

    @Option(names = "--admin-port", defaultValue = "9443", description = "Port of the admin HTTP endpoint.")
    int adminPort;

    @Option(names = "--admin-token-file", description = "File holding the bearer token POST /drain must carry "
            + "(unset: POST /drain is refused; SIGTERM and the MBean still drain).")
    Path adminTokenFile;

    public static void main(String[] args) {
        PresenterJvm.configure();
        System.exit(ServerCommandLine.execute(new PresenterMain(), args));
    }

    /** Fails, naming the setting, on the first one that is missing or out of range. */
    void validate() {
        Settings.require("id", id);
        Settings.require("cert", certificate);
        Settings.require("key", key);
        Settings.require("token-keys", tokenKeys);
        zookeeper.validate();
        Settings.between("port", port, 0, 65535);
        Settings.between("admin-port", adminPort, 0, 65535);
        Settings.readableFileOrUnset("admin-token-file", adminTokenFile);
        Settings.between("pool-size", poolSize, 0, 64);
        muxWindows.validate();
        muxTls.validate();
        Settings.between("mux-max-frame-size", muxMaxFrameSize, 1024, 16 << 20);
        Settings.positive("auth-timeout", authTimeout);
        Settings.between("max-first-frame-size", maxFirstFrameSize, 1024, 16 << 20);
        Settings.between("route-attempts", routeAttempts, 1, 10);
        Settings.positive("route-timeout", routeTimeout);
        Settings.positive("mux-ping-interval", muxPingInterval);
        Settings.positive("mux-ping-threshold", muxPingThreshold);
        Settings.check("idle-timeout", idleTimeout.toSeconds() >= 1, "must be at least 1 s", idleTimeout);
        Settings.between("max-connections", maxConnections, 1, 10_000_000);
        Settings.between("max-connections-per-address", maxConnectionsPerAddress, 1, 10_000_000);
        Settings.between("handshakes-per-second", handshakesPerSecond, 1, 1_000_000);
        Settings.between("handshakes-per-second-per-address", handshakesPerSecondPerAddress, 1, 1_000_000);
        Settings.between("quic-port", quicPort, PresenterConfig.QUIC_OFF, 65_535);
        Settings.between("max-quic-connections", maxQuicConnections, 0, 10_000_000);
        Settings.positive("ticket-key-rotation", ticketKeyRotation);
        Settings.check("drain-timeout", !drainTimeout.isNegative(), "must not be negative", drainTimeout);
    }

    @Override
    public Integer call() throws Exception {
        validate();
        AdminToken adminToken = AdminToken.loadOrNone(adminTokenFile);
        ZooKeeperAccess zookeeperAccess = zookeeper.credentials() == null ? null
                : ZooKeeperAccess.load(zookeeper.credentials());
        OpenSurfaces.warn(zookeeper, muxTls);
        MuxTls tls = muxTls.files() == null ? null : MuxTls.forPresenter(muxTls.files());
        PresenterConfig presenterConfig = PresenterConfig.builder(id, certificate, key, TokenKeyFile.watch(tokenKeys))
                .bindAddress(bind).port(port).ringPath(ringPath).poolSize(poolSize)
                .muxWindows(muxWindows.streamWindow(), muxWindows.connectionWindow()).muxMaxFrameSize(muxMaxFrameSize)
                .authTimeout(authTimeout).maxFirstFrameSize(maxFirstFrameSize).routeAttempts(routeAttempts)
                .routeTimeout(routeTimeout).muxPing(muxPingInterval, muxPingThreshold)
                .idleTimeout(idleTimeout).maxConnections(maxConnections, maxConnectionsPerAddress)
                .handshakesPerSecond(handshakesPerSecond)
                .handshakesPerSecondPerAddress(handshakesPerSecondPerAddress)
                .ticketKeys(ticketKeysPath, ticketKeyRotation).muxTls(tls).quicPort(quicPort)
                .maxQuicConnections(maxQuicConnections)
                .build();
        CuratorFrameworkFactory.Builder client = CuratorFrameworkFactory.builder()
                .connectString(zookeeper.connectString()).sessionTimeoutMs(zookeeper.sessionTimeoutMillis())
                .connectionTimeoutMs(zookeeper.connectionTimeoutMillis())
                .retryPolicy(new ExponentialBackoffRetry(200, 10));
        if (zookeeperAccess != null) {
            zookeeperAccess.applyTo(client, ringPath, ticketKeysPath);
        }
        CuratorFramework curator = client.build();
        curator.start();
        ServerMeters meters = new ServerMeters(id);
        Presenter presenter = Presenter.start(presenterConfig, curator, meters.registry());
        if (zookeeperAccess != null) {
            zookeeperAccess.warnIfOpen(curator, List.of(ringPath, ringPath + "/members", ticketKeysPath));
        }
        ServerProcess.runUntilStopped(new PresenterAdmin(presenter, drainTimeout), meters,
                adminToken, adminBind, adminPort,
                tls == null ? List.of(presenter, curator) : List.of(presenter, curator, tls));
        return 0;
    }
}

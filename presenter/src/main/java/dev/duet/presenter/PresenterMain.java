package dev.duet.presenter;

import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.config.Settings;
import dev.duet.protocol.config.YamlDefaults;
import dev.duet.admin.ServerMeters;
import dev.duet.admin.ServerProcess;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.List;

/** Runs one presenter until SIGINT/SIGTERM, then drains it. Settings: options, a YAML file, or DUET_* variables. */
@Command(name = "presenter", mixinStandardHelpOptions = true,
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

    @Option(names = "--cert", description = "PEM certificate chain (ECDSA or RSA).")
    Path certificate;

    @Option(names = "--key", description = "PEM private key (PKCS#8).")
    Path key;

    @Option(names = "--token-keys", description = "Token key file (signing=<id>, <id>=<base64url>).")
    Path tokenKeys;

    @Option(names = "--zookeeper", description = "ZooKeeper connect string (ring and ticket keys).")
    String zookeeper;

    @Option(names = "--ring-path", defaultValue = "/duet/ring", description = "Path of the ring in ZooKeeper.")
    String ringPath;

    @Option(names = "--pool-size", defaultValue = "2", description = "Mux connections per chat server.")
    int poolSize;

    @Option(names = "--auth-timeout", defaultValue = "PT10S", description = "Time to receive the first frame.")
    Duration authTimeout;

    @Option(names = "--idle-timeout", defaultValue = "PT30M", description = "Idle client connections are closed.")
    Duration idleTimeout;

    @Option(names = "--max-connections", defaultValue = "18000", description = "Client connections in total.")
    int maxConnections;

    @Option(names = "--max-connections-per-address", defaultValue = "1000",
            description = "Client connections from one source address.")
    int maxConnectionsPerAddress;

    @Option(names = "--handshakes-per-second", defaultValue = "5000", description = "New TLS handshakes per second.")
    int handshakesPerSecond;

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

    public static void main(String[] args) throws Exception {
        System.exit(YamlDefaults.install(new CommandLine(new PresenterMain()), args).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        Settings.require("id", id);
        Settings.require("cert", certificate);
        Settings.require("key", key);
        Settings.require("token-keys", tokenKeys);
        Settings.require("zookeeper", zookeeper);
        PresenterConfig presenterConfig = PresenterConfig.builder(id, certificate, key, TokenKeys.load(tokenKeys))
                .bindAddress(bind).port(port).ringPath(ringPath).poolSize(poolSize).authTimeout(authTimeout)
                .idleTimeout(idleTimeout).maxConnections(maxConnections, maxConnectionsPerAddress)
                .handshakesPerSecond(handshakesPerSecond).ticketKeys(ticketKeysPath, ticketKeyRotation).build();
        CuratorFramework curator = CuratorFrameworkFactory.newClient(zookeeper, new ExponentialBackoffRetry(200, 10));
        curator.start();
        ServerMeters meters = new ServerMeters(id);
        Presenter presenter = Presenter.start(presenterConfig, curator, meters.registry());
        ServerProcess.runUntilStopped(new PresenterAdmin(presenter, drainTimeout), meters, adminBind, adminPort,
                List.of(presenter, curator));
        return 0;
    }
}

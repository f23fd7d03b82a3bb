package dev.duet.launcher;

import dev.duet.admin.AdminSide;
import dev.duet.admin.AdminToken;
import dev.duet.admin.AdminTarget;
import dev.duet.admin.ServerMeters;
import dev.duet.chat.ChatServer;
import dev.duet.chat.ChatServerAdmin;
import dev.duet.chat.ChatServerConfig;
import dev.duet.localhbase.LocalHBase;
import dev.duet.presenter.Presenter;
import dev.duet.presenter.PresenterAdmin;
import dev.duet.presenter.PresenterConfig;
import dev.duet.presenter.SelfSignedCertificate;
import dev.duet.protocol.auth.TokenKeyFile;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.ring.ZooKeeperAccess;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The whole system in this process: the in-process HBase with its ZooKeeper, N chat servers, one presenter on TLS with
 * a self-signed certificate. Everything it keeps — HBase data, the token keys, the certificate — lives under one data
 * directory, so a second start on the same directory finds the old messages, and tokens and certificate still work.
 *
 * <p>Each server has its own meters and admin side (endpoint on a free loopback port, MBean), as it would in a process
 * of its own; they close when the server does.
 */
public final class LocalCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalCluster.class);

    private final Path data;
    private final LocalHBase hbase;
    /** The chat servers' ZooKeeper client and the presenter's: each authenticates as its own role. */
    private final CuratorFramework chatServerZooKeeper;
    private final CuratorFramework presenterZooKeeper;
    /** Where this cluster's ring and ticket keys live: {@code /duet}, or a root of its own on a shared ZooKeeper. */
    private final String root;
    private final MuxTls chatServerTls;
    private final MuxTls presenterTls;
    private final List<ChatServer> chatServers = new ArrayList<>();
    private Presenter presenter;
    /** The key file's keys, as the servers read it: edit it and they follow. */
    private final TokenKeyFile keys;
    private final SelfSignedCertificate certificate;
    private final Map<String, AdminSide> admins = new LinkedHashMap<>();
    private final AdminToken adminToken;

    /** Ports: 0 picks free ones; the chat servers' mux ports are {@code firstMuxPort + i} unless that is 0. */
    public record Settings(Path data, int chatServers, int presenterPort, int zookeeperPort, int firstMuxPort) {
    }

    private final boolean ownsHBase;

    private LocalCluster(Settings settings, LocalHBase sharedHBase) throws Exception {
        this.data = settings.data();
        Files.createDirectories(data);
        Path keyFile = keyFile(data);
        if (!Files.exists(keyFile)) {
            TokenKeys.generate(keyFile, "local-1");
        }
        this.keys = TokenKeyFile.watch(keyFile);
        Path adminTokenFile = adminTokenFile(data);
        this.adminToken = Files.exists(adminTokenFile) ? AdminToken.load(adminTokenFile)
                : AdminToken.generate(adminTokenFile);
        this.certificate = SelfSignedCertificate.in(data.resolve("tls"));
        this.ownsHBase = sharedHBase == null;
        this.hbase = ownsHBase
                ? LocalHBase.start(data.resolve("hbase"), settings.zookeeperPort(), Duration.ofMinutes(3))
                : sharedHBase;
        this.root = ownsHBase ? "/duet" : "/duet-" + UUID.randomUUID();
        if (!Files.exists(zookeeperCredentials(data, ZooKeeperAccess.CHAT_SERVER_USER))) {
            ZooKeeperAccess.generate(zookeeperCredentials(data, ZooKeeperAccess.CHAT_SERVER_USER),
                    zookeeperCredentials(data, ZooKeeperAccess.PRESENTER_USER));
        }
        LocalCertificateAuthority ca = LocalCertificateAuthority.in(muxTlsDir(data));
        this.chatServerTls = MuxTls.forChatServer(ca.files(MuxTls.CHAT_SERVER));
        this.presenterTls = MuxTls.forPresenter(ca.files(MuxTls.PRESENTER));
        this.chatServerZooKeeper = zookeeperClient(ZooKeeperAccess.CHAT_SERVER_USER, null);
        this.presenterZooKeeper = zookeeperClient(ZooKeeperAccess.PRESENTER_USER, ticketKeysPath());
        try {
            for (int i = 1; i <= settings.chatServers(); i++) {
                startChatServer("chat-" + i, settings.firstMuxPort() == 0 ? 0 : settings.firstMuxPort() + i - 1);
            }
            ServerMeters presenterMeters = new ServerMeters("presenter-1");
            try {
                this.presenter = Presenter.start(PresenterConfig.builder("presenter-1", certificate.certificate(),
                                certificate.privateKey(), keys)
                        .bindAddress("127.0.0.1").port(settings.presenterPort()).ringPath(ringPath())
                        .ticketKeys(ticketKeysPath(), Duration.ofHours(12)).muxTls(presenterTls).build(),
                        presenterZooKeeper,
                        presenterMeters.registry());
            } catch (Exception e) {
                presenterMeters.close();
                throw e;
            }
            admin(new PresenterAdmin(presenter, Duration.ofSeconds(30)), presenterMeters);
            presenter.ring().awaitRing(ring -> ring.members().size() == settings.chatServers(),
                    Duration.ofSeconds(30));
        } catch (Exception | Error e) {
            // In-process HBase does not start twice in a JVM: whatever did start must not outlive the failure.
            stop(false);
            throw e;
        }
    }

    public static LocalCluster start(Settings settings) throws Exception {
        return new LocalCluster(settings, null);
    }

    /**
     * The same on an HBase (and ZooKeeper) already running in this process. In-process HBase does not start twice in
     * one JVM, so tests that restart the rest of the system share one.
     */
    public static LocalCluster startOn(LocalHBase hbase, Settings settings) throws Exception {
        return new LocalCluster(settings, hbase);
    }

    static Path keyFile(Path data) {
        return data.resolve("token-keys.properties");
    }

    /** The local CA and the certificates of the mux connections ({@link LocalCertificateAuthority}). */
    static Path muxTlsDir(Path data) {
        return data.resolve("mux-tls");
    }

    /** The ZooKeeper credentials of {@code user} ({@link ZooKeeperAccess}), written on the first run. */
    static Path zookeeperCredentials(Path data, String user) {
        return data.resolve("zookeeper-" + user + ".properties");
    }

    private CuratorFramework zookeeperClient(String user, String ticketKeysPath) throws Exception {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(hbase.zookeeperConnectString()).retryPolicy(new ExponentialBackoffRetry(100, 10));
        CuratorFramework client = ZooKeeperAccess.load(zookeeperCredentials(data, user))
                .applyTo(builder, ringPath(), ticketKeysPath).build();
        client.start();
        return client;
    }

    public String ringPath() {
        return root + "/ring";
    }

    public String ticketKeysPath() {
        return root + "/tls/ticket-keys";
    }

    /** The bearer token every server's {@code POST /drain} needs. */
    static Path adminTokenFile(Path data) {
        return data.resolve("admin-token");
    }

    public ChatServer startChatServer(String id, int muxPort) throws Exception {
        ServerMeters meters = new ServerMeters(id);
        ChatServer server;
        try {
            server = ChatServer.start(ChatServerConfig.builder(id, keys).bindAddress("127.0.0.1").muxPort(muxPort)
                    .ringPath(ringPath()).muxTls(chatServerTls).build(), hbase.clientConfiguration(),
                    chatServerZooKeeper,
                    meters.registry(), Duration.ofMinutes(1));
        } catch (Exception e) {
            meters.close();
            throw e;
        }
        chatServers.add(server);
        admin(new ChatServerAdmin(server, Duration.ofSeconds(30)), meters);
        return server;
    }

    /** The admin side of one server, on a free loopback port: it owns {@code meters} from now on. */
    private void admin(AdminTarget target, ServerMeters meters) throws Exception {
        admins.put(target.id(), AdminSide.open(target, meters, adminToken, "127.0.0.1", 0));
    }

    /** Admin endpoint ports by server id. */
    public Map<String, Integer> adminPorts() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        admins.forEach((id, admin) -> ports.put(id, admin.port()));
        return ports;
    }

    /** Stops one chat server at once, without draining: what its couples' clients see when it dies. */
    public void kill(ChatServer server) {
        chatServers.remove(server);
        server.close();
        admins.remove(server.id()).close();
    }

    public List<ChatServer> chatServers() {
        return List.copyOf(chatServers);
    }

    public Presenter presenter() {
        return presenter;
    }

    public TokenKeys keys() {
        return keys.get();
    }

    public SelfSignedCertificate certificate() {
        return certificate;
    }

    public Path data() {
        return data;
    }

    /**
     * Stops everything, the way clients should see it: the presenter stops accepting, each chat server drains (every
     * client gets {@code sessionEnding(DRAINING)} before its stream ends), then the presenter closes what is left.
     * Drains are brief: this is one machine.
     */
    @Override
    public void close() throws Exception {
        stop(true);
    }

    /** Stops what was started, each part even when another failed; {@code drain} first if asked. */
    private void stop(boolean drain) throws Exception {
        try {
            if (presenter != null && drain) {
                presenter.drain(Duration.ZERO);
            }
            for (ChatServer server : chatServers) {
                try {
                    if (drain) {
                        server.drain(Duration.ofSeconds(5));
                    }
                } catch (Exception e) {
                    log.warn("draining {} failed: {}", server.id(), e.toString());
                } finally {
                    server.close();
                }
            }
        } finally {
            if (presenter != null) {
                presenter.close();
            }
            admins.values().forEach(AdminSide::close);
            presenterZooKeeper.close();
            chatServerZooKeeper.close();
            presenterTls.close();
            chatServerTls.close();
            if (ownsHBase) {
                hbase.close();
            }
        }
    }
}

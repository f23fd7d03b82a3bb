package dev.duet.chat;

import dev.duet.admin.AdminToken;
import dev.duet.admin.ServerMeters;
import dev.duet.admin.ServerProcess;
import dev.duet.chat.service.ChatLimits;
import dev.duet.chat.store.StoreSettings;
import dev.duet.protocol.auth.TokenKeyFile;
import dev.duet.protocol.client.ClientFrames;
import dev.duet.protocol.config.MuxTlsOptions;
import dev.duet.protocol.config.MuxWindowOptions;
import dev.duet.protocol.config.OpenSurfaces;
import dev.duet.protocol.config.ServerCommandLine;
import dev.duet.protocol.config.Settings;
import dev.duet.protocol.config.ZooKeeperOptions;
import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.tls.MuxTls;
import dev.duet.ring.ZooKeeperAccess;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.HConstants;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs one chat server against an existing ZooKeeper and HBase until SIGINT/SIGTERM, then drains it. Every setting
 * is checked before anything starts; docs/operations.md lists them.
 */
@Command(name = "chat-server", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = "Runs a Duet chat server against a ZooKeeper ensemble and an HBase cluster.")
public final class ChatServerMain implements Callable<Integer> {
    private static final StoreSettings STORE = StoreSettings.defaults();

    @Option(names = "--id", description = "Unique member id on the ring.")
    String id;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Host presenters reach this server at.")
    String host;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to listen on.")
    String bind;

    @Option(names = "--mux-port", defaultValue = "7100", description = "Port for presenters' mux connections.")
    int muxPort;

    @Option(names = "--advertised-mux-port", defaultValue = "0",
            description = "Mux port presenters connect to, when not --mux-port (NAT, a proxy); 0: --mux-port.")
    int advertisedMuxPort;

    @Option(names = "--client-port", defaultValue = "-1",
            description = "Port for direct client connections (-1: none).")
    int clientPort;

    @Mixin
    ZooKeeperOptions zookeeper;

    @Option(names = "--ring-path", defaultValue = "/duet/ring", description = "Path of the ring in ZooKeeper.")
    String ringPath;

    @Option(names = "--hbase-quorum", description = "HBase ZooKeeper quorum host (default: the ring's host).")
    String hbaseQuorum;

    @Option(names = "--hbase-port", defaultValue = "2181", description = "HBase ZooKeeper client port.")
    int hbasePort;

    @Option(names = "--store-operation-timeout", description = "Longest HBase operation before the client is told "
            + "to retry (ISO-8601).")
    Duration storeOperationTimeout = STORE.operationTimeout();

    @Option(names = "--append-attempts", description = "Tries of a guarded append that raced another writer.")
    int appendAttempts = STORE.appendAttempts();

    @Option(names = "--store-probe-interval", description = "How often the server checks that HBase answers "
            + "(ISO-8601).")
    Duration storeProbeInterval = STORE.probeInterval();

    @Option(names = "--store-probe-timeout", description = "Longest probe answer before HBase counts as down: sends "
            + "are then refused UNAVAILABLE at once and /ready says false (ISO-8601).")
    Duration storeProbeTimeout = STORE.probeTimeout();

    @Option(names = "--token-keys", description = "Token key file (signing=<id>, <id>=<base64url>).")
    Path tokenKeys;

    @Mixin
    SessionLimits limits;

    @Option(names = "--max-client-frame-size", description = "Largest client frame accepted, in bytes.")
    int maxClientFrameSize = ClientFrames.DEFAULT_MAX_FRAME_SIZE;

    @Mixin
    MuxWindowOptions muxWindows;

    @Mixin
    MuxTlsOptions muxTls;

    @Option(names = "--mux-max-streams", description = "Most streams one presenter may have open on one mux "
            + "connection (announced in HELLO; beyond it RESET OVERLOAD).")
    int muxMaxStreams = MuxSettings.DEFAULT_MAX_CONCURRENT_STREAMS;

    @Option(names = "--stream-handover", arity = "1", description = "Whether sessions of a couple that moves (ring "
            + "change, drain) are handed over to the new owner through the presenter, without a reconnect (true or "
            + "false).")
    boolean streamHandover = true;

    @Option(names = "--unreachable-report-ttl", description = "How long a presenter's report that a member is "
            + "unreachable makes this server take over that member's couples (ISO-8601).")
    Duration unreachableReportTtl = ChatServerConfig.DEFAULT_UNREACHABLE_REPORT_TTL;

    @Option(names = "--start-timeout", defaultValue = "PT2M",
            description = "Longest wait for HBase and the ring at start (ISO-8601).")
    Duration startTimeout;

    @Option(names = "--drain-timeout", defaultValue = "PT30S", description = "Longest drain on shutdown (ISO-8601).")
    Duration drainTimeout;

    @Option(names = "--admin-bind", defaultValue = "127.0.0.1", description = "Address of the admin HTTP endpoint.")
    String adminBind;

    @Option(names = "--admin-port", defaultValue = "9100", description = "Port of the admin HTTP endpoint.")
    int adminPort;

    @Option(names = "--admin-token-file", description = "File holding the bearer token POST /drain must carry "
            + "(unset: POST /drain is refused; SIGTERM and the MBean still drain).")
    Path adminTokenFile;

    @Option(names = "--config", description = "YAML file of settings (keys are the option names without dashes; "
            + "DUET_<OPTION> environment variables override it).")
    Path config;

    public static void main(String[] args) {
        System.exit(ServerCommandLine.execute(new ChatServerMain(), args));
    }

    /** The chat service's per-session limits ({@link ChatLimits}), defaulting to {@link ChatLimits#defaults()}. */
    static final class SessionLimits {
        private static final ChatLimits DEFAULTS = ChatLimits.defaults();

        @Option(names = "--auth-timeout", description = "Time from connection to a successful authenticate.")
        Duration authTimeout = DEFAULTS.authTimeout();

        @Option(names = "--max-body-chars", description = "Longest message body, in characters.")
        int maxBodyChars = DEFAULTS.maxBodyChars();

        @Option(names = "--max-client-msg-id-chars", description = "Longest client message id, in characters.")
        int maxClientMsgIdChars = DEFAULTS.maxClientMsgIdChars();

        @Option(names = "--max-history-page", description = "Most messages one fetchHistory returns.")
        int maxHistoryPage = DEFAULTS.maxHistoryPage();

        @Option(names = "--catch-up-page", description = "Messages read per page while catching a client up.")
        int catchUpPage = DEFAULTS.catchUpPage();

        @Option(names = "--max-pipelined-requests", description = "Calls in progress per session before reading "
                + "from it pauses.")
        int maxPipelinedRequests = DEFAULTS.maxPipelinedRequests();

        @Option(names = "--max-pending-push-bytes", description = "Unread push bytes before a slow session is ended.")
        long maxPendingPushBytes = DEFAULTS.maxPendingPushBytes();

        @Option(names = "--append-timeout", description = "Server-side deadline of one append: past it the session "
                + "answers UNAVAILABLE. Keep it below the clients' call timeout (15 s in the SDK).")
        Duration appendTimeout = DEFAULTS.appendTimeout();

        void validate() {
            Settings.positive("auth-timeout", authTimeout);
            Settings.between("max-body-chars", maxBodyChars, 1, 65536);
            Settings.between("max-client-msg-id-chars", maxClientMsgIdChars, 1, 1024);
            Settings.between("max-history-page", maxHistoryPage, 1, 10_000);
            Settings.between("catch-up-page", catchUpPage, 1, 10_000);
            Settings.between("max-pipelined-requests", maxPipelinedRequests, 1, 1024);
            Settings.between("max-pending-push-bytes", maxPendingPushBytes, 1024, 1L << 30);
            Settings.positive("append-timeout", appendTimeout);
        }

        ChatLimits toLimits() {
            return new ChatLimits(authTimeout, maxBodyChars, maxClientMsgIdChars, maxHistoryPage, catchUpPage,
                    maxPipelinedRequests, maxPendingPushBytes, appendTimeout);
        }
    }

    /** Fails, naming the setting, on the first one that is missing or out of range. */
    void validate() {
        Settings.require("id", id);
        Settings.require("token-keys", tokenKeys);
        zookeeper.validate();
        Settings.between("mux-port", muxPort, 0, 65535);
        Settings.between("client-port", clientPort, -1, 65535);
        Settings.between("hbase-port", hbasePort, 1, 65535);
        Settings.between("admin-port", adminPort, 0, 65535);
        Settings.readableFileOrUnset("admin-token-file", adminTokenFile);
        Settings.positive("store-operation-timeout", storeOperationTimeout);
        Settings.between("append-attempts", appendAttempts, 1, 100);
        Settings.positive("store-probe-interval", storeProbeInterval);
        Settings.positive("store-probe-timeout", storeProbeTimeout);
        Settings.between("advertised-mux-port", advertisedMuxPort, 0, 65535);
        limits.validate();
        Settings.between("max-client-frame-size", maxClientFrameSize, 1024, 16 << 20);
        muxWindows.validate();
        muxTls.validate();
        Settings.between("mux-max-streams", muxMaxStreams, 1, 1 << 24);
        Settings.positive("unreachable-report-ttl", unreachableReportTtl);
        Settings.positive("start-timeout", startTimeout);
        Settings.check("drain-timeout", !drainTimeout.isNegative(), "must not be negative", drainTimeout);
    }

    @Override
    public Integer call() throws Exception {
        validate();
        AdminToken adminToken = AdminToken.loadOrNone(adminTokenFile);
        ZooKeeperAccess zookeeperAccess = zookeeper.credentials() == null ? null
                : ZooKeeperAccess.load(zookeeper.credentials());
        OpenSurfaces.warn(zookeeper, muxTls);
        MuxTls tls = muxTls.files() == null ? null : MuxTls.forChatServer(muxTls.files());
        Configuration hbase = HBaseConfiguration.create();
        hbase.set(HConstants.ZOOKEEPER_QUORUM,
                hbaseQuorum != null ? hbaseQuorum : zookeeper.connectString().split(":")[0]);
        hbase.setInt(HConstants.ZOOKEEPER_CLIENT_PORT, hbasePort);
        ChatServerConfig config = ChatServerConfig.builder(id, TokenKeyFile.watch(tokenKeys))
                .advertisedHost(host).advertisedMuxPort(advertisedMuxPort).bindAddress(bind).muxPort(muxPort)
                .clientPort(clientPort).ringPath(ringPath)
                .adminPort(adminPort).limits(limits.toLimits())
                .store(new StoreSettings(STORE.namespace(), STORE.table(), storeOperationTimeout, appendAttempts)
                        .withProbe(storeProbeInterval, storeProbeTimeout))
                .maxClientFrameSize(maxClientFrameSize)
                .muxWindows(muxWindows.streamWindow(), muxWindows.connectionWindow()).muxMaxStreams(muxMaxStreams)
                .unreachableReportTtl(unreachableReportTtl).muxTls(tls).streamHandover(streamHandover).build();
        CuratorFrameworkFactory.Builder client = CuratorFrameworkFactory.builder()
                .connectString(zookeeper.connectString()).sessionTimeoutMs(zookeeper.sessionTimeoutMillis())
                .connectionTimeoutMs(zookeeper.connectionTimeoutMillis())
                .retryPolicy(new ExponentialBackoffRetry(200, 10));
        if (zookeeperAccess != null) {
            zookeeperAccess.applyTo(client, ringPath, null);
        }
        CuratorFramework curator = client.build();
        curator.start();
        ServerMeters meters = new ServerMeters(id);
        ChatServer server = ChatServer.start(config, hbase, curator, meters.registry(), startTimeout);
        if (zookeeperAccess != null) {
            zookeeperAccess.warnIfOpen(curator, List.of(ringPath, ringPath + "/members", ringPath + "/incarnation"));
        }
        ServerProcess.runUntilStopped(new ChatServerAdmin(server, drainTimeout), meters,
                adminToken, adminBind, adminPort,
                tls == null ? List.of(server, curator) : List.of(server, curator, tls));
        return 0;
    }
}

package dev.duet.launcher;

import dev.duet.chat.ChatServer;
import dev.duet.chat.ChatServerConfig;
import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.chat.testing.SharedHBase;
import dev.duet.client.ChatListener;
import dev.duet.client.ClientOptions;
import dev.duet.client.DuetClient;
import dev.duet.presenter.Presenter;
import dev.duet.presenter.PresenterConfig;
import dev.duet.presenter.SelfSignedCertificate;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The whole system for fault tests, in this JVM over the shared in-process HBase and its ZooKeeper, with every part
 * configurable: chat servers (each with its own ZooKeeper client if asked), presenters, and SDK clients over TLS.
 * Closes everything it started.
 */
final class TestSystem implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(90);

    private final String ringPath;
    private final SelfSignedCertificate certificate;
    private final CuratorFramework zookeeper;
    private final List<AutoCloseable> started = new CopyOnWriteArrayList<>();
    private Presenter presenter;
    private final Map<String, ChatServer> servers = new ConcurrentHashMap<>();
    private final SimpleMeterRegistry presenterMeters = new SimpleMeterRegistry();

    TestSystem(Path dir, String ringPath) throws Exception {
        this.ringPath = ringPath;
        this.certificate = SelfSignedCertificate.in(dir.resolve("tls"));
        this.zookeeper = zookeeper(SharedHBase.get().zookeeperConnectString(), Duration.ofSeconds(30));
    }

    /** A started ZooKeeper client, closed with the system. */
    CuratorFramework zookeeper(String connectString, Duration sessionTimeout) {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(connectString)
                .sessionTimeoutMs((int) sessionTimeout.toMillis()).connectionTimeoutMs(2_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10)).build();
        client.start();
        started.add(client);
        return client;
    }

    InetSocketAddress zookeeperAddress() {
        return SharedHBase.get().zookeeperAddress();
    }

    /** A port nothing listens on now. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    ChatServer startServer(String id, UnaryOperator<ChatServerConfig.Builder> customize) throws Exception {
        return startServer(id, customize, zookeeper);
    }

    ChatServer startServer(String id, UnaryOperator<ChatServerConfig.Builder> customize, CuratorFramework via)
            throws Exception {
        return startServer(id, ChatCluster.KEYS, customize, via);
    }

    /** A chat server that verifies tokens with {@code keys}. */
    ChatServer startServer(String id, TokenKeys keys, UnaryOperator<ChatServerConfig.Builder> customize,
                           CuratorFramework via) throws Exception {
        ChatServer server = ChatServer.start(customize.apply(ChatServerConfig.builder(id, keys)
                        .bindAddress("127.0.0.1").muxPort(0).ringPath(ringPath).store(ChatCluster.STORE)).build(),
                SharedHBase.get().clientConfiguration(), via, new SimpleMeterRegistry(), Duration.ofMinutes(1));
        started.add(server);
        servers.put(id, server);
        return server;
    }

    /** The chat server started last with {@code id}. */
    ChatServer startedServer(String id) {
        return servers.get(id);
    }

    Presenter startPresenter(UnaryOperator<PresenterConfig.Builder> customize) throws Exception {
        presenter = Presenter.start(customize.apply(PresenterConfig.builder("presenter-1", certificate.certificate(),
                        certificate.privateKey(), ChatCluster.KEYS).bindAddress("127.0.0.1").port(0).ringPath(ringPath))
                .build(), zookeeper, presenterMeters);
        started.add(presenter);
        return presenter;
    }

    Presenter presenter() {
        return presenter;
    }

    /** The meters of the presenter started last. */
    SimpleMeterRegistry presenterMeters() {
        return presenterMeters;
    }

    CuratorFramework zookeeper() {
        return zookeeper;
    }

    /** The TLS a raw test client needs to trust the presenter. */
    SslContext clientTls() throws IOException {
        return SslContextBuilder.forClient().trustManager(certificate.certificate().toFile()).build();
    }

    /** An SDK client of {@code user} in {@code couple}, through the presenter. */
    DuetClient connect(String user, String couple, String partner, UnaryOperator<ClientOptions> customize,
                       ChatListener listener) throws Exception {
        String token = new TokenSigner(ChatCluster.KEYS, Clock.systemUTC()).sign(user, couple, partner,
                Duration.ofHours(1));
        DuetClient client = DuetClient.connect(customize.apply(ClientOptions.of("127.0.0.1", presenter.port(), token,
                certificate.certificate())), listener).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        started.add(client);
        return client;
    }

    /** A store of its own, to read what HBase holds. */
    HBaseChatStore store() throws Exception {
        HBaseChatStore store = HBaseChatStore.open(SharedHBase.get().clientConfiguration(), ChatCluster.STORE,
                new SimpleMeterRegistry()).get(1, TimeUnit.MINUTES);
        started.add(store);
        return store;
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                // closing what is left: the first failure of the test is the one that matters
            }
        }
    }
}

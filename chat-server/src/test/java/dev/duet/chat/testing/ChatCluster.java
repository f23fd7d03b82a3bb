package dev.duet.chat.testing;

import dev.duet.chat.ChatServer;
import dev.duet.chat.ChatServerConfig;
import dev.duet.chat.store.StoreSettings;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * Chat servers against the shared in-process HBase and its ZooKeeper, each test with a ring path of its own, plus
 * what clients need: tokens and an event loop.
 */
public final class ChatCluster implements AutoCloseable {
    public static final TokenKeys KEYS = TokenKeys.single("test-key",
            "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    public static final StoreSettings STORE = new StoreSettings("duet_test", "couples", Duration.ofSeconds(30), 20);

    private final CuratorFramework zookeeper;
    private final String ringPath = "/rings/" + UUID.randomUUID();
    private final TokenSigner signer = new TokenSigner(KEYS, Clock.systemUTC());
    private final List<ChatServer> servers = new ArrayList<>();
    private final Map<String, MeterRegistry> registries = new ConcurrentHashMap<>();
    private final List<AutoCloseable> clients = new ArrayList<>();
    private final EventLoopGroup clientGroup = NettyTransport.best().newGroup(2, new DefaultThreadFactory("test-client"));

    public ChatCluster() {
        zookeeper = CuratorFrameworkFactory.newClient(SharedHBase.get().zookeeperConnectString(),
                new ExponentialBackoffRetry(100, 5));
        zookeeper.start();
    }

    public String ringPath() {
        return ringPath;
    }

    public ChatServer startServer(String id) throws Exception {
        return startServer(id, UnaryOperator.identity());
    }

    public ChatServer startServer(String id, UnaryOperator<ChatServerConfig.Builder> customize) throws Exception {
        ChatServerConfig config = customize.apply(ChatServerConfig.builder(id, KEYS)
                .bindAddress("127.0.0.1").muxPort(0).clientPort(0).ringPath(ringPath).store(STORE).ioThreads(2))
                .build();
        MeterRegistry registry = new SimpleMeterRegistry();
        ChatServer server = ChatServer.start(config, SharedHBase.get().clientConfiguration(), zookeeper, registry,
                Duration.ofSeconds(60));
        registries.put(id, registry);
        servers.add(server);
        return server;
    }

    /** The metrics of the chat server started last with {@code id}. */
    public MeterRegistry registry(String id) {
        return registries.get(id);
    }

    public void stop(ChatServer server) {
        servers.remove(server);
        server.close();
    }

    public String token(String user, String couple, String partner) {
        return signer.sign(user, couple, partner, Duration.ofHours(1));
    }

    public TestChatClient connect(ChatServer server) throws InterruptedException {
        TestChatClient client = TestChatClient.connect(clientGroup, server.clientPort());
        clients.add(client);
        return client;
    }

    public MuxTestConnection muxTo(ChatServer server) throws Exception {
        return muxTo(server, MuxSettings.defaults("test-presenter"));
    }

    /** A mux connection whose presenter side announces {@code settings}. */
    public MuxTestConnection muxTo(ChatServer server, MuxSettings settings) throws Exception {
        MuxTestConnection connection = MuxTestConnection.connect(clientGroup, server.muxPort(), settings);
        clients.add(connection);
        return connection;
    }

    public CuratorFramework zookeeper() {
        return zookeeper;
    }

    public EventLoopGroup clientGroup() {
        return clientGroup;
    }

    public static String newCouple() {
        return "couple-" + UUID.randomUUID();
    }

    /** A new couple id that {@code owner} owns on a ring of {@code members} (ids only: placement uses nothing else). */
    public static String coupleOwnedBy(String owner, String... members) {
        List<Member> ring = new ArrayList<>();
        for (String id : members) {
            ring.add(new Member(id, "127.0.0.1", 1, 0));
        }
        HashRing view = HashRing.of(1, ring);
        while (true) {
            String couple = newCouple();
            if (view.ownerOf(couple).id().equals(owner)) {
                return couple;
            }
        }
    }

    /** Waits up to 30 s for {@code condition}; returns whether it came true. */
    public static boolean waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable client : clients) {
            client.close();
        }
        for (ChatServer server : servers) {
            server.close();
        }
        clientGroup.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
        zookeeper.close();
    }
}

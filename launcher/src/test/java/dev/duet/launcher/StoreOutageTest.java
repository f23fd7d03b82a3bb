package dev.duet.launcher;

import dev.duet.chat.ChatServer;
import dev.duet.chat.ChatServerAdmin;
import dev.duet.chat.ChatServerConfig;
import dev.duet.chat.service.ChatLimits;
import dev.duet.chat.store.StoreSettings;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.chat.testing.TestChatClient;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.thrift.chat.ChatError;
import dev.duet.thrift.chat.ErrorCode;
import dev.duet.thrift.chat.Message;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.HConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A chat server whose HBase stops answering: a storage node ({@code duet local --chat-servers 0}, HBase and ZooKeeper
 * in one process) is stalled with SIGSTOP under a chat server of this JVM. While it is stalled the chat server is not
 * ready and refuses sends with {@code UNAVAILABLE} at once — its append deadline and HBase operation timeout are set
 * far beyond the client's 30 s wait, so only the store probe can answer in time — and nothing refused is stored. Once resumed, sends succeed again.
 */
class StoreOutageTest {
    private static final Duration APPEND_DEADLINE = Duration.ofMinutes(3);

    @TempDir
    Path data;

    @Test
    void whileHBaseIsStalledSendsAreRefusedAtOnceAndTheServerSaysItIsNotReady() throws Exception {
        int zookeeperPort = TestSystem.freePort();
        EventLoopGroup group = NettyTransport.best().newGroup(1, new DefaultThreadFactory("outage-client"));
        try (LocalProcess storage = LocalProcess.start(data, TestSystem.freePort(), zookeeperPort,
                "--chat-servers", "0");
             CuratorFramework zookeeper = zookeeper(zookeeperPort)) {
            TokenKeys keys = TokenKeys.load(LocalCluster.keyFile(data));
            ChatServerConfig config = ChatServerConfig.builder("cs-outage", keys).bindAddress("127.0.0.1")
                    .muxPort(0).clientPort(0).ringPath("/outage/ring")
                    .limits(ChatLimits.defaults().withAppendTimeout(APPEND_DEADLINE))
                    .store(new StoreSettings("duet", "couples", APPEND_DEADLINE, 5)).build();
            try (ChatServer server = ChatServer.start(config, hbase(zookeeperPort), zookeeper,
                    new SimpleMeterRegistry(), Duration.ofMinutes(1));
                 TestChatClient ann = TestChatClient.connect(group, server.clientPort())) {
                ChatServerAdmin admin = new ChatServerAdmin(server, Duration.ofSeconds(5));
                ann.authenticate(new TokenSigner(keys, Clock.systemUTC()).sign("ann", "outage-couple", "bob",
                        Duration.ofHours(1)), Long.MAX_VALUE);
                assertEquals(1, ann.send("m1", "before the outage").getSeq());
                assertTrue(admin.isReady());

                storage.signal("STOP");
                assertTrue(ChatCluster.waitFor(() -> !server.isStoreUp()), "the store probe notices the stall");
                assertFalse(admin.isReady(), "/ready says false while HBase does not answer");
                ChatError refused = assertThrows(ChatError.class, () -> ann.send("m2", "during the outage"),
                        "answered before the client's 30 s wait, not at the 3 min append deadline");
                assertEquals(ErrorCode.UNAVAILABLE, refused.getCode());

                storage.signal("CONT");
                assertTrue(ChatCluster.waitFor(server::isStoreUp), "the store probe notices the resume");
                assertEquals(2, ann.send("m3", "after the outage").getSeq());
                List<String> stored = ann.history(0, 10).getMessages().stream().map(Message::getBody).toList();
                assertEquals(List.of("before the outage", "after the outage"), stored);
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private static CuratorFramework zookeeper(int port) {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString("127.0.0.1:" + port)
                .sessionTimeoutMs(60_000).connectionTimeoutMs(2_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10)).build();
        client.start();
        return client;
    }

    private static Configuration hbase(int zookeeperPort) {
        Configuration conf = HBaseConfiguration.create();
        conf.set(HConstants.ZOOKEEPER_QUORUM, "127.0.0.1");
        conf.setInt(HConstants.ZOOKEEPER_CLIENT_PORT, zookeeperPort);
        return conf;
    }
}

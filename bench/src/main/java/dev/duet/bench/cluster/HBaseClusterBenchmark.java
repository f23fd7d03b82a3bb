package dev.duet.bench.cluster;

import dev.duet.bench.chat.ChatLoad;
import dev.duet.bench.chat.RawPuts;
import dev.duet.chat.ChatServer;
import dev.duet.chat.ChatServerConfig;
import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.store.StoreSettings;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.thrift.chat.Message;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.HdrHistogram.Histogram;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.NamespaceDescriptor;
import org.apache.hadoop.hbase.ServerName;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.RegionInfo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The chat server on an HBase of several processes ({@link HBaseCluster}: ZooKeeper, a master, two region servers),
 * its table split in advance into regions on both region servers. First throughput, beside raw puts into the same
 * cluster. Then a kill -9 of one region server while couples send: each couple retries a refused send with the same
 * client message id, and afterwards every couple's row is read back to count acknowledged messages that are missing
 * (lost) and messages stored more than once (duplicated). Recovery is each couple's longest time without an ack.
 * Prints JSON lines. Arguments: [seconds=20] [throughput couples=1000] [kill-test couples=200] [regions=8].
 */
public final class HBaseClusterBenchmark {
    private static final StoreSettings STORE = new StoreSettings("duet_bench", "couples", Duration.ofSeconds(10), 20);
    private static final long RECOVERY_LIMIT_SECONDS = 180;

    private HBaseClusterBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int throughputCouples = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int killCouples = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int regions = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        Path work = Files.createTempDirectory("duet-hbase-cluster");
        try (HBaseCluster cluster = HBaseCluster.start(work, 2)) {
            Configuration hbase = cluster.clientConfiguration();
            double rawPuts = RawPuts.rate(hbase, TableName.valueOf("default", "raw_put_bench"),
                    HBaseChatStore.splitKeys(regions), seconds);
            System.out.printf("{\"benchmark\":\"hbase-cluster-buffered-mutator-puts\",\"regionServers\":2,"
                    + "\"regions\":%d,\"seconds\":%d,\"putsPerSecond\":%.0f}%n", regions, seconds, rawPuts);
            Map<Integer, Integer> regionsByPort = createChatTable(hbase, regions);
            TokenKeys keys = TokenKeys.single("bench", "bench-key-bench-key-bench-key-123"
                    .getBytes(StandardCharsets.UTF_8));
            TokenSigner signer = new TokenSigner(keys, Clock.systemUTC());
            CuratorFramework zookeeper = CuratorFrameworkFactory.newClient(cluster.zookeeperConnectString(),
                    new ExponentialBackoffRetry(100, 5));
            zookeeper.start();
            EventLoopGroup clients = NettyTransport.best().newGroup(1, new DefaultThreadFactory("bench-client"));
            ChatServerConfig config = ChatServerConfig.builder("bench-chat", keys).bindAddress("127.0.0.1")
                    .muxPort(0).clientPort(0).ringPath("/bench/ring").store(STORE).build();
            try (ChatServer server = ChatServer.start(config, hbase, zookeeper, new SimpleMeterRegistry(),
                    Duration.ofMinutes(1));
                 HBaseChatStore reader = HBaseChatStore.open(hbase, STORE, new SimpleMeterRegistry())
                         .get(1, TimeUnit.MINUTES)) {
                ChatLoad.Measured closed = ChatLoad.closedLoop(server, signer, clients, throughputCouples, seconds);
                Histogram latency = closed.latency();
                System.out.printf("{\"benchmark\":\"hbase-cluster-chat-durable-messages\",\"couples\":%d,"
                                + "\"seconds\":%.1f,\"messagesPerSecond\":%.0f,\"vsRawPuts\":%.3f,\"ackP50Micros\":%d,"
                                + "\"ackP99Micros\":%d}%n", throughputCouples, closed.seconds(), closed.perSecond(),
                        closed.perSecond() / rawPuts, latency.getValueAtPercentile(50),
                        latency.getValueAtPercentile(99));
                killRegionServer(cluster, server, reader, signer, clients, killCouples, regionsByPort);
            } finally {
                clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                zookeeper.close();
            }
        }
    }

    /** Creates the chat table split into {@code regions}; returns how many of them each region server port holds. */
    private static Map<Integer, Integer> createChatTable(Configuration hbase, int regions) throws Exception {
        try (Connection connection = ConnectionFactory.createConnection(hbase); Admin admin = connection.getAdmin()) {
            admin.createNamespace(NamespaceDescriptor.create(STORE.namespace()).build());
            admin.createTable(HBaseChatStore.tableDescriptor(STORE), HBaseChatStore.splitKeys(regions));
            Map<Integer, Integer> byServer = new HashMap<>();
            for (ServerName server : admin.getRegionServers()) {
                List<RegionInfo> held = admin.getRegions(server);
                long ours = held.stream().filter(region -> region.getTable()
                        .equals(HBaseChatStore.tableName(STORE))).count();
                byServer.put(server.getPort(), (int) ours);
            }
            return byServer;
        }
    }

    private static void killRegionServer(HBaseCluster cluster, ChatServer server, HBaseChatStore reader,
                                         TokenSigner signer, EventLoopGroup group, int couples,
                                         Map<Integer, Integer> regionsByPort) throws Exception {
        String run = Long.toString(System.nanoTime(), 36);
        List<String> coupleIds = new ArrayList<>();
        List<CheckedSender> senders = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        for (int i = 0; i < couples; i++) {
            String couple = "kill-" + run + "-" + i;
            CheckedSender sender = new CheckedSender(signer.sign("a" + i, couple, "b" + i, Duration.ofHours(1)));
            channels.add(ChatLoad.connect(group, server.clientPort(), sender::install));
            coupleIds.add(couple);
            senders.add(sender);
        }
        CompletableFuture.allOf(senders.stream().map(CheckedSender::authenticated)
                .toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
        for (int i = 0; i < couples; i++) {
            senders.get(i).start(channels.get(i));
        }
        Thread.sleep(10_000);
        String victim = cluster.regionServerPorts().keySet().iterator().next();
        int victimRegions = regionsByPort.getOrDefault(cluster.regionServerPorts().get(victim), 0);
        long killedAt = System.nanoTime();
        cluster.kill(victim);
        long deadline = killedAt + TimeUnit.SECONDS.toNanos(RECOVERY_LIMIT_SECONDS);
        // Every couple acknowledged again after the kill, and then a while more so the retries settle.
        while (System.nanoTime() < deadline
                && senders.stream().anyMatch(sender -> sender.lastAckNanos() < killedAt + TimeUnit.SECONDS.toNanos(1))) {
            Thread.sleep(200);
        }
        boolean recovered = System.nanoTime() < deadline;
        Thread.sleep(5_000);
        List<CompletableFuture<Void>> stopped = new ArrayList<>();
        for (int i = 0; i < couples; i++) {
            stopped.add(senders.get(i).stop(channels.get(i)));
        }
        CompletableFuture.allOf(stopped.toArray(CompletableFuture[]::new)).get(1, TimeUnit.MINUTES);
        Thread.sleep(2_000);
        // Counted before the benchmark closes the connections itself.
        long disconnected = senders.stream().filter(CheckedSender::disconnected).count();
        for (Channel channel : channels) {
            channel.close().sync();
        }
        long acked = 0;
        long lost = 0;
        long duplicated = 0;
        Histogram gaps = new Histogram(3);
        for (int i = 0; i < couples; i++) {
            CheckedSender sender = senders.get(i);
            acked += sender.ackedCount();
            gaps.recordValue(TimeUnit.NANOSECONDS.toMillis(sender.longestGapNanos()));
            long last = reader.lastSeq(coupleIds.get(i)).get(1, TimeUnit.MINUTES);
            List<Message> stored = reader.range(coupleIds.get(i), 1, last).get(1, TimeUnit.MINUTES);
            Set<String> ids = new HashSet<>();
            for (Message message : stored) {
                if (!ids.add(message.getClientMsgId())) {
                    duplicated++;
                }
            }
            for (Map.Entry<String, Long> ack : sender.acked().entrySet()) {
                long seq = ack.getValue();
                if (seq < 1 || seq > stored.size() || !stored.get((int) seq - 1).getClientMsgId().equals(ack.getKey())) {
                    lost++;
                }
            }
        }
        System.out.printf("{\"benchmark\":\"hbase-cluster-region-server-kill\",\"couples\":%d,\"regions\":%d,"
                        + "\"regionsOnKilled\":%d,"
                        + "\"recovered\":%b,\"longestGapP50Millis\":%d,\"longestGapP99Millis\":%d,"
                        + "\"longestGapMaxMillis\":%d,\"acked\":%d,\"lost\":%d,\"duplicated\":%d,\"disconnected\":%d}%n",
                couples, regionsByPort.values().stream().mapToInt(Integer::intValue).sum(), victimRegions, recovered, gaps.getValueAtPercentile(50), gaps.getValueAtPercentile(99),
                gaps.getMaxValue(), acked, lost, duplicated, disconnected);
    }
}

package dev.duet.bench.chat;

import dev.duet.chat.ChatServer;
import dev.duet.chat.ChatServerConfig;
import dev.duet.localhbase.LocalHBase;
import dev.duet.chat.store.StoreSettings;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.transport.NettyTransport;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.hbase.TableName;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Durable chat messages per second and ack latency (HBase accepted the message before the ack) against the
 * in-process HBase, at several numbers of active couples, each with one sender in a closed loop over a direct
 * connection; beside it, in the same run and on the same HBase, the raw rate of {@code BufferedMutator} puts of
 * the same size — what HBase itself can absorb without acknowledging each write. Then an open loop: 1,000 couples
 * sending at fixed intervals, half the closed-loop rate measured at 1,000 couples in all, latency from each message's
 * intended send time. Prints JSON lines. Arguments: [seconds per step=15] [couples...=100 1000 5000].
 */
public final class ChatThroughput {
    /** The open-loop step runs at half the closed-loop rate measured at this many couples. */
    private static final int OPEN_LOOP_COUPLES = 1000;

    private ChatThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        List<Integer> steps = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            steps.add(Integer.parseInt(args[i]));
        }
        if (steps.isEmpty()) {
            steps = List.of(100, 1000, 5000);
        }
        Path data = Files.createTempDirectory("duet-bench-hbase");
        try (LocalHBase hbase = LocalHBase.start(data, 0, Duration.ofMinutes(3))) {
            RawPuts.Measured raw = RawPuts.measure(hbase.clientConfiguration(),
                    TableName.valueOf("default", "raw_put_bench"), new byte[0][], seconds);
            double rawPuts = raw.perSecond();
            System.out.printf("{\"benchmark\":\"hbase-buffered-mutator-puts\",\"seconds\":%d,"
                    + "\"putsPerSecond\":%.0f}%n", seconds, rawPuts);
            printCpu("raw-puts", raw.cpuAtStart(), raw.cpuAtEnd(), raw.puts(), null);
            TokenKeys keys = TokenKeys.single("bench", "bench-key-bench-key-bench-key-123".getBytes(StandardCharsets.UTF_8));
            CuratorFramework zookeeper = CuratorFrameworkFactory.newClient(hbase.zookeeperConnectString(),
                    new ExponentialBackoffRetry(100, 5));
            zookeeper.start();
            ChatServerConfig config = ChatServerConfig.builder("bench-chat", keys).bindAddress("127.0.0.1")
                    .muxPort(0).clientPort(0).ringPath("/bench/ring")
                    .store(new StoreSettings("duet_bench", "couples", Duration.ofSeconds(30), 20)).build();
            EventLoopGroup clients = NettyTransport.best().newGroup(1, new DefaultThreadFactory("bench-client"));
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (ChatServer server = ChatServer.start(config, hbase.clientConfiguration(), zookeeper, meters,
                    Duration.ofMinutes(1))) {
                TokenSigner signer = new TokenSigner(keys, Clock.systemUTC());
                double openLoopRate = 0;
                for (int couples : steps) {
                    ChatLoad.Measured closed = ChatLoad.closedLoop(server, signer, clients, couples, seconds);
                    System.out.printf("{\"benchmark\":\"chat-durable-messages\",\"couples\":%d,\"seconds\":%.1f,"
                                    + "\"messagesPerSecond\":%.0f,\"vsRawPuts\":%.3f,\"ackP50Micros\":%d,"
                                    + "\"ackP99Micros\":%d,\"ackMaxMicros\":%d}%n", couples, closed.seconds(),
                            closed.perSecond(), closed.perSecond() / rawPuts, closed.latency().getValueAtPercentile(50),
                            closed.latency().getValueAtPercentile(99), closed.latency().getMaxValue());
                    printCpu("closed-loop-" + couples, closed.cpuAtStart(), closed.cpuAtEnd(),
                            closed.acked(), raw);
                    if (couples == OPEN_LOOP_COUPLES || openLoopRate == 0) {
                        openLoopRate = closed.perSecond() / 2;
                    }
                }
                ChatLoad.Measured open = ChatLoad.openLoop(server, signer, clients, OPEN_LOOP_COUPLES, openLoopRate, seconds);
                System.out.printf("{\"benchmark\":\"chat-open-loop\",\"couples\":%d,\"seconds\":%.1f,"
                                + "\"targetPerSecond\":%.0f,\"messagesPerSecond\":%.0f,\"ackP50Micros\":%d,"
                                + "\"ackP99Micros\":%d,\"ackP999Micros\":%d,\"ackMaxMicros\":%d}%n",
                        OPEN_LOOP_COUPLES, open.seconds(), openLoopRate, open.perSecond(),
                        open.latency().getValueAtPercentile(50), open.latency().getValueAtPercentile(99),
                        open.latency().getValueAtPercentile(99.9), open.latency().getMaxValue());
                printCpu("open-loop-" + OPEN_LOOP_COUPLES, open.cpuAtStart(), open.cpuAtEnd(),
                        open.acked(), raw);
                printAppendMeters(meters);
            } finally {
                clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                zookeeper.close();
            }
        } finally {
            // The run leaves gigabytes of HBase files behind otherwise.
            if (!FileUtil.fullyDelete(data.toFile())) {
                System.err.println("could not delete " + data);
            }
        }
    }

    /**
     * Where this JVM's two cores went in a measured phase, by owner, in cores and in CPU microseconds per message (or
     * raw put); for a chat phase also how many raw puts' worth of HBase server CPU one message took.
     */
    private static void printCpu(String phase, ThreadCpu atStart, ThreadCpu atEnd, double units,
                                 RawPuts.Measured raw) {
        String vsRaw = "";
        if (raw != null) {
            ThreadCpu.Owner server = ThreadCpu.Owner.HBASE_SERVER;
            vsRaw = String.format(Locale.ROOT, ",\"hbaseServerCpuVsRawPut\":%.2f",
                    atEnd.microsPerUnit(atStart, server, units)
                            / raw.cpuAtEnd().microsPerUnit(raw.cpuAtStart(), server, raw.puts()));
        }
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"chat-cpu\",\"phase\":\"%s\",\"cores\":%s,"
                + "\"cpuMicrosPerUnit\":%s%s}%n", phase, atEnd.coresJson(atStart),
                atEnd.microsPerUnitJson(atStart, units), vsRaw);
    }

    /** What the append pipeline did over the whole run: how its rounds went to HBase. */
    private static void printAppendMeters(SimpleMeterRegistry meters) {
        DistributionSummary rounds = meters.get("duet.chat.append.round.size").summary();
        System.out.printf("{\"benchmark\":\"chat-append-meters\",\"rounds\":%d,\"meanRoundSize\":%.1f,"
                        + "\"readsSkipped\":%.0f,\"regionBatches\":%.0f,\"regionBatchFallbacks\":%.0f}%n",
                rounds.count(), rounds.mean(), meters.get("duet.chat.append.reads.skipped").counter().count(),
                meters.get("duet.chat.append.region.batches").counter().count(),
                meters.get("duet.chat.append.region.batch.fallbacks").counter().count());
    }
}

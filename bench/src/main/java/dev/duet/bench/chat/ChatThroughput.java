package dev.duet.bench.chat;

import dev.duet.chat.ChatServer;
import dev.duet.chat.ChatServerConfig;
import dev.duet.localhbase.LocalHBase;
import dev.duet.chat.store.StoreSettings;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.transport.NettyTransport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.hadoop.hbase.TableName;
import org.apache.hadoop.hbase.client.BufferedMutator;
import org.apache.hadoop.hbase.client.ColumnFamilyDescriptorBuilder;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;
import org.apache.hadoop.hbase.client.Put;
import org.apache.hadoop.hbase.client.TableDescriptorBuilder;
import org.apache.hadoop.hbase.util.Bytes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Durable chat messages per second and ack latency (HBase accepted the message before the ack) against the
 * in-process HBase, at several numbers of active couples, each with one sender in a closed loop over a direct
 * connection; beside it, in the same run and on the same HBase, the raw rate of {@link BufferedMutator} puts of
 * the same size — what HBase itself can absorb without acknowledging each write. Then an open loop: 1,000 couples
 * sending at fixed intervals, half the closed-loop rate measured at 1,000 couples in all, latency from each message's
 * intended send time. Prints JSON lines. Arguments: [seconds per step=15] [couples...=100 1000 5000].
 */
public final class ChatThroughput {
    private static final String BODY = "x".repeat(100);
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
            double rawPuts = rawPutRate(hbase, seconds);
            System.out.printf("{\"benchmark\":\"hbase-buffered-mutator-puts\",\"seconds\":%d,"
                    + "\"putsPerSecond\":%.0f}%n", seconds, rawPuts);
            TokenKeys keys = TokenKeys.single("bench", "bench-key-bench-key-bench-key-123".getBytes(StandardCharsets.UTF_8));
            CuratorFramework zookeeper = CuratorFrameworkFactory.newClient(hbase.zookeeperConnectString(),
                    new ExponentialBackoffRetry(100, 5));
            zookeeper.start();
            ChatServerConfig config = ChatServerConfig.builder("bench-chat", keys).bindAddress("127.0.0.1")
                    .muxPort(0).clientPort(0).ringPath("/bench/ring")
                    .store(new StoreSettings("duet_bench", "couples", Duration.ofSeconds(30), 20)).build();
            EventLoopGroup clients = NettyTransport.best().newGroup(1, new DefaultThreadFactory("bench-client"));
            try (ChatServer server = ChatServer.start(config, hbase.clientConfiguration(), zookeeper,
                    new SimpleMeterRegistry(), Duration.ofMinutes(1))) {
                TokenSigner signer = new TokenSigner(keys, Clock.systemUTC());
                double openLoopRate = 0;
                for (int couples : steps) {
                    Measured closed = closedLoop(server, signer, clients, couples, seconds);
                    System.out.printf("{\"benchmark\":\"chat-durable-messages\",\"couples\":%d,\"seconds\":%.1f,"
                                    + "\"messagesPerSecond\":%.0f,\"vsRawPuts\":%.3f,\"ackP50Micros\":%d,"
                                    + "\"ackP99Micros\":%d,\"ackMaxMicros\":%d}%n", couples, closed.seconds(),
                            closed.perSecond(), closed.perSecond() / rawPuts, closed.latency().getValueAtPercentile(50),
                            closed.latency().getValueAtPercentile(99), closed.latency().getMaxValue());
                    if (couples == OPEN_LOOP_COUPLES || openLoopRate == 0) {
                        openLoopRate = closed.perSecond() / 2;
                    }
                }
                Measured open = openLoop(server, signer, clients, OPEN_LOOP_COUPLES, openLoopRate, seconds);
                System.out.printf("{\"benchmark\":\"chat-open-loop\",\"couples\":%d,\"seconds\":%.1f,"
                                + "\"targetPerSecond\":%.0f,\"messagesPerSecond\":%.0f,\"ackP50Micros\":%d,"
                                + "\"ackP99Micros\":%d,\"ackP999Micros\":%d,\"ackMaxMicros\":%d}%n",
                        OPEN_LOOP_COUPLES, open.seconds(), openLoopRate, open.perSecond(),
                        open.latency().getValueAtPercentile(50), open.latency().getValueAtPercentile(99),
                        open.latency().getValueAtPercentile(99.9), open.latency().getMaxValue());
            } finally {
                clients.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
                zookeeper.close();
            }
        }
    }

    /** Connected and authenticated couples, one sender each. */
    private record Load(List<LoadConnection> connections, List<Channel> channels) implements AutoCloseable {
        long acked() {
            return connections.stream().mapToLong(LoadConnection::acked).sum();
        }

        @Override
        public void close() throws InterruptedException {
            for (int i = 0; i < channels.size(); i++) {
                connections.get(i).stop(channels.get(i));
                channels.get(i).close().sync();
            }
        }
    }

    private static Load connect(ChatServer server, TokenSigner signer, EventLoopGroup group, int couples,
                                Recorder recorder) throws Exception {
        List<LoadConnection> loads = new ArrayList<>();
        List<Channel> channels = new ArrayList<>();
        String run = Long.toString(System.nanoTime(), 36);
        for (int i = 0; i < couples; i++) {
            LoadConnection load = new LoadConnection(
                    signer.sign("u" + i, "bench-" + run + "-" + i, "p" + i, Duration.ofHours(1)), BODY, recorder);
            channels.add(new Bootstrap().group(group).channel(NettyTransport.best().clientChannel())
                    .handler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            load.install(ch);
                        }
                    }).connect("127.0.0.1", server.clientPort()).sync().channel());
            loads.add(load);
        }
        CompletableFuture.allOf(loads.stream().map(LoadConnection::authenticated).toArray(CompletableFuture[]::new))
                .get(2, TimeUnit.MINUTES);
        return new Load(loads, channels);
    }

    /** Each couple sends its next message when the last one was acknowledged. */
    private static Measured closedLoop(ChatServer server, TokenSigner signer, EventLoopGroup group, int couples,
                                       int seconds) throws Exception {
        Recorder recorder = new Recorder(3);
        try (Load load = connect(server, signer, group, couples, recorder)) {
            for (int i = 0; i < couples; i++) {
                load.connections().get(i).startClosedLoop(load.channels().get(i));
            }
            return measure(load, recorder, seconds);
        }
    }

    /** Each couple sends at a fixed interval, {@code perSecond} messages a second in all, phases spread evenly. */
    private static Measured openLoop(ChatServer server, TokenSigner signer, EventLoopGroup group, int couples,
                                     double perSecond, int seconds) throws Exception {
        Recorder recorder = new Recorder(3);
        try (Load load = connect(server, signer, group, couples, recorder)) {
            long period = (long) (couples * 1e9 / perSecond);
            long first = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            for (int i = 0; i < couples; i++) {
                load.connections().get(i).startOpenLoop(load.channels().get(i), first + period * i / couples,
                        period);
            }
            return measure(load, recorder, seconds);
        }
    }

    private record Measured(double seconds, double perSecond, Histogram latency) {
    }

    private static Measured measure(Load load, Recorder recorder, int seconds) throws InterruptedException {
        Thread.sleep(TimeUnit.SECONDS.toMillis(Math.max(2, seconds / 5)));
        recorder.reset();
        long ackedBefore = load.acked();
        long started = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        long acked = load.acked() - ackedBefore;
        double elapsed = (System.nanoTime() - started) / 1e9;
        return new Measured(elapsed, acked / elapsed, recorder.getIntervalHistogram());
    }

    private static double rawPutRate(LocalHBase hbase, int seconds) throws Exception {
        TableName name = TableName.valueOf("default", "raw_put_bench");
        try (Connection connection = ConnectionFactory.createConnection(hbase.clientConfiguration())) {
            connection.getAdmin().createTable(TableDescriptorBuilder.newBuilder(name)
                    .setColumnFamily(ColumnFamilyDescriptorBuilder.of("m")).build());
            byte[] family = Bytes.toBytes("m");
            byte[] value = new byte[BODY.length() + 40];
            long puts = 0;
            long started = System.nanoTime();
            long deadline = started + TimeUnit.SECONDS.toNanos(seconds);
            try (BufferedMutator mutator = connection.getBufferedMutator(name)) {
                while (System.nanoTime() < deadline) {
                    for (int i = 0; i < 1000; i++, puts++) {
                        mutator.mutate(new Put(Bytes.toBytes("row-" + (puts % 5000)))
                                .addColumn(family, Bytes.toBytes(puts), value));
                    }
                }
                mutator.flush();
            }
            return puts / ((System.nanoTime() - started) / 1e9);
        }
    }
}

package dev.duet.bench.chat;

import dev.duet.chat.ChatServer;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.transport.NettyTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Load on a chat server's direct client port: N couples, one sender each over its own connection, 100-byte bodies,
 * in a closed or an open loop ({@link LoadConnection}); measures acks per second and ack latency after a warm-up.
 */
public final class ChatLoad {
    private static final String BODY = "x".repeat(100);

    private ChatLoad() {
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
            channels.add(connect(group, server.clientPort(), load::install));
            loads.add(load);
        }
        CompletableFuture.allOf(loads.stream().map(LoadConnection::authenticated).toArray(CompletableFuture[]::new))
                .get(2, TimeUnit.MINUTES);
        return new Load(loads, channels);
    }

    /** A connection to {@code port} on this machine, its pipeline set up by {@code install}. */
    public static Channel connect(EventLoopGroup group, int port, Consumer<Channel> install)
            throws InterruptedException {
        return new Bootstrap().group(group).channel(NettyTransport.best().clientChannel())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        install.accept(ch);
                    }
                }).connect("127.0.0.1", port).sync().channel();
    }

    /** Each couple sends its next message when the last one was acknowledged. */
    public static Measured closedLoop(ChatServer server, TokenSigner signer, EventLoopGroup group, int couples,
                                       int seconds) throws Exception {
        Recorder recorder = new Recorder(3);
        try (Load load = connect(server, signer, group, couples, recorder)) {
            for (int i = 0; i < couples; i++) {
                load.connections().get(i).startClosedLoop(load.channels().get(i));
            }
            return measure(load, recorder, seconds, "closed loop, " + couples + " couples");
        }
    }

    /** Each couple sends at a fixed interval, {@code perSecond} messages a second in all, phases spread evenly. */
    public static Measured openLoop(ChatServer server, TokenSigner signer, EventLoopGroup group, int couples,
                                     double perSecond, int seconds) throws Exception {
        Recorder recorder = new Recorder(3);
        try (Load load = connect(server, signer, group, couples, recorder)) {
            long period = (long) (couples * 1e9 / perSecond);
            long first = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            for (int i = 0; i < couples; i++) {
                load.connections().get(i).startOpenLoop(load.channels().get(i), first + period * i / couples,
                        period);
            }
            return measure(load, recorder, seconds, "open loop, " + couples + " couples");
        }
    }

    /** A measured phase: the messages acknowledged in it, their ack latency, this JVM's CPU at its start and end. */
    public record Measured(long acked, Histogram latency, ThreadCpu cpuAtStart, ThreadCpu cpuAtEnd) {
        public double seconds() {
            return (cpuAtEnd.nanos() - cpuAtStart.nanos()) / 1e9;
        }

        public double perSecond() {
            return acked / seconds();
        }
    }

    private static Measured measure(Load load, Recorder recorder, int seconds, String phase)
            throws InterruptedException {
        new JitWarmUp(phase).await();
        recorder.reset();
        long ackedBefore = load.acked();
        ThreadCpu cpuAtStart = ThreadCpu.now();
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
        long acked = load.acked() - ackedBefore;
        return new Measured(acked, recorder.getIntervalHistogram(), cpuAtStart, ThreadCpu.now());
    }
}

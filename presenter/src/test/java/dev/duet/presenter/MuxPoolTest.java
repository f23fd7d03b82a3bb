package dev.duet.presenter;

import dev.duet.chat.ChatServer;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.protocol.mux.MuxSettings;
import dev.duet.protocol.mux.StreamChannel;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.ring.Member;
import dev.duet.thrift.mux.Open;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.duet.chat.testing.ChatCluster.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A pool's connections to a real chat server: one per event loop, and streams on the loop of whoever opens them. */
class MuxPoolTest {
    private static final int LOOPS = 3;

    private ChatCluster cluster;
    private EventLoopGroup group;
    private MuxPool pool;

    @BeforeEach
    void start() {
        cluster = new ChatCluster();
        group = NettyTransport.best().newGroup(LOOPS, new DefaultThreadFactory("mux-pool-test"));
    }

    @AfterEach
    void stop() throws Exception {
        if (pool != null) {
            pool.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        cluster.close();
    }

    private MuxPool poolTo(ChatServer server, int size) throws InterruptedException {
        return poolTo(server, size, size);
    }

    /** A pool of {@code size} ({@code connections} once every one is up). */
    private MuxPool poolTo(ChatServer server, int size, int connections) throws InterruptedException {
        Member member = new Member(server.id(), "127.0.0.1", server.muxPort(), 0);
        Bootstrap bootstrap = new Bootstrap().group(group).channel(NettyTransport.best().clientChannel());
        MuxTimings timings = new MuxTimings(Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(5));
        MuxPool created = new MuxPool(member, bootstrap, MuxSettings.defaults("presenter-test"), size, timings, null,
                new SimpleMeterRegistry(), () -> { });
        assertTrue(waitFor(() -> created.connectedCount() == connections), "every connection of the pool is up");
        return created;
    }

    private StreamChannel open(EventExecutor opener) throws Exception {
        Open open = new Open().setFirstFrame(ByteBuffer.allocate(0));
        return pool.openStream(open, new ChannelInboundHandlerAdapter(), opener).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aStreamIsOpenedOnItsOpenersEventLoop() throws Exception {
        pool = poolTo(cluster.startServer("chat-a"), LOOPS);
        List<EventLoop> loops = new ArrayList<>();
        group.forEach(loop -> loops.add((EventLoop) loop));
        for (int round = 0; round < 2; round++) {
            for (EventLoop loop : loops) {
                StreamChannel stream = open(loop);
                assertSame(loop, stream.eventLoop(), "the stream is on the loop of the client that opened it");
                stream.close();
            }
        }
    }

    @Test
    void aPoolOfSizeZeroHasAConnectionOnEveryEventLoop() throws Exception {
        pool = poolTo(cluster.startServer("chat-a"), 0, LOOPS);
        for (EventExecutor loop : group) {
            StreamChannel stream = open(loop);
            assertSame(loop, stream.eventLoop(), "every loop has a connection of its own");
            stream.close();
        }
    }

    @Test
    void aLoopWithoutAConnectionOfThePoolGetsTheLeastLoadedOne() throws Exception {
        pool = poolTo(cluster.startServer("chat-a"), 2);
        List<StreamChannel> streams = new ArrayList<>();
        List<EventLoop> withConnection = new ArrayList<>();
        EventLoop without = null;
        for (EventExecutor loop : group) {
            StreamChannel stream = open(loop);
            streams.add(stream);
            if (stream.eventLoop() == loop) {
                withConnection.add((EventLoop) loop);
            } else {
                without = (EventLoop) loop;
            }
        }
        assertEquals(2, withConnection.size(), "the pool's two connections are on two loops");
        EventLoop busy = withConnection.get(0);
        for (int i = 0; i < 3; i++) {
            streams.add(open(busy));
        }
        StreamChannel fromElsewhere = open(without);
        streams.add(fromElsewhere);
        assertSame(withConnection.get(1), fromElsewhere.eventLoop(), "the connection with fewer streams serves it");
        streams.forEach(StreamChannel::close);
    }
}

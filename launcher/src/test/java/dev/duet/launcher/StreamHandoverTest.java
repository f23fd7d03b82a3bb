package dev.duet.launcher;

import dev.duet.chat.ChatServer;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.chat.testing.TestChatClient;
import dev.duet.client.ChatListener;
import dev.duet.client.ConnectionState;
import dev.duet.client.DuetClient;
import dev.duet.presenter.Presenter;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.auth.TokenSigner;
import dev.duet.protocol.client.ThriftMessage;
import dev.duet.protocol.transport.NettyTransport;
import dev.duet.thrift.chat.ChatService;
import dev.duet.thrift.chat.ClientEvents;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import dev.duet.thrift.chat.SessionEndReason;
import io.micrometer.core.instrument.Counter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Stream handover, end to end through TLS, the presenter, the mux and real chat servers over the in-process HBase: a
 * rolling restart of every chat server moves each session twice (away at the drain, back when the server returns) and
 * no client notices — and each way a handover can fail ends in today's {@code sessionEnding(MOVED)} and a reconnect.
 */
class StreamHandoverTest {
    private static final Duration WAIT = TestSystem.WAIT;
    private static final int COUPLES = 3;
    /** Calls each device sends back to back, before waiting for their replies. */
    private static final int PIPELINED = 3;

    @TempDir
    Path data;

    private TestSystem system;
    private EventLoopGroup rawClients;

    @AfterEach
    void stop() {
        if (system != null) {
            system.close();
        }
        if (rawClients != null) {
            rawClients.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** One SDK device: what it received, and every sign that its session was lost. */
    private static final class Device implements ChatListener {
        final String user;
        final String couple;
        final String partner;
        private final List<Long> received = Collections.synchronizedList(new ArrayList<>());
        private final List<String> disruptions = Collections.synchronizedList(new ArrayList<>());
        volatile DuetClient client;

        Device(String user, String couple, String partner) {
            this.user = user;
            this.couple = couple;
            this.partner = partner;
        }

        @Override
        public void messageReceived(Message message) {
            received.add(message.getSeq());
        }

        @Override
        public void sessionEnding(SessionEndReason reason, String detail) {
            disruptions.add("sessionEnding(" + reason + ", " + detail + ")");
        }

        @Override
        public void reconnected() {
            disruptions.add("reconnected");
        }

        @Override
        public void stateChanged(ConnectionState state) {
            if (state != ConnectionState.CONNECTED && state != ConnectionState.CONNECTING
                    && state != ConnectionState.CLOSED) {
                disruptions.add("state " + state);
            }
        }

        List<Long> received() {
            synchronized (received) {
                return List.copyOf(received);
            }
        }
    }

    @Test
    void aRollingRestartOfEveryChatServerDisconnectsNoClient() throws Exception {
        system = new TestSystem(data, "/handover-" + System.nanoTime());
        List<String> ids = List.of("cs-1", "cs-2", "cs-3");
        for (String id : ids) {
            system.startServer(id, b -> b);
        }
        Presenter presenter = system.startPresenter(b -> b);
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 3, WAIT));

        List<Device> devices = new ArrayList<>();
        for (int c = 0; c < COUPLES; c++) {
            String couple = ChatCluster.newCouple();
            for (String[] people : new String[][]{{"ann", "bob"}, {"bob", "ann"}}) {
                for (int d = 0; d < 2; d++) {
                    Device device = new Device(people[0] + "-" + c, couple, people[1] + "-" + c);
                    device.client = system.connect(device.user, couple, device.partner, options -> options, device);
                    devices.add(device);
                }
            }
        }
        Pipeliner pipeliner = new Pipeliner(ChatCluster.newCouple());

        ExecutorService senders = Executors.newFixedThreadPool(devices.size() + 1);
        CompletableFuture<Void> restarted = new CompletableFuture<>();
        List<Future<Map<String, SendResult>>> sending = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            Device device = devices.get(i);
            String prefix = "d" + (i % 2) + "-";
            sending.add(senders.submit(() -> sendUntil(device, prefix, restarted)));
        }
        Future<Map<String, SendResult>> pipelined = senders.submit(() -> pipeliner.sendUntil(restarted));

        Thread.sleep(500);
        for (String id : ids) {
            ChatServer leaving = system.startedServer(id);
            assertTrue(leaving.drain(Duration.ofSeconds(20)), id + " drained: every session handed over");
            leaving.close();
            Thread.sleep(300);
            system.startServer(id, b -> b);
            assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 3, WAIT));
            Thread.sleep(700);
        }
        restarted.complete(null);

        Map<String, SendResult> acknowledged = new ConcurrentHashMap<>();
        for (Future<Map<String, SendResult>> future : sending) {
            acknowledged.putAll(future.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        acknowledged.putAll(pipelined.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        senders.shutdown();

        for (Device device : devices) {
            assertEquals(List.of(), device.disruptions, device.user + " of " + device.couple);
        }
        assertFalse(pipeliner.client.awaitClosed(0), "the raw client's connection stayed up");
        assertEquals(List.of(), pipeliner.outOfOrder, "replies to pipelined calls come in call order");

        var store = system.store();
        for (int c = 0; c < COUPLES; c++) {
            String couple = devices.get(4 * c).couple;
            Map<String, Supplier<List<Long>>> received = new LinkedHashMap<>();
            for (int i = 4 * c; i < 4 * c + 4; i++) {
                received.put(devices.get(i).user + " (device " + i + ")", devices.get(i)::received);
            }
            CoupleHistory.check(store, couple, acknowledged, received, "rolling restart");
        }
        CoupleHistory.check(store, pipeliner.couple, acknowledged, Map.of("raw client", pipeliner::received),
                "rolling restart");

        double resumed = handovers("resumed");
        System.out.printf("rolling restart: %d messages, %.0f sessions resumed elsewhere%n", acknowledged.size(),
                resumed);
        // Each of the 13 sessions moves away when its server drains.
        assertTrue(resumed >= devices.size() + 1, resumed + " handovers");
        assertEquals(resumed, system.presenterMeters().find("duet.presenter.handovers").counters().stream()
                .mapToDouble(Counter::count).sum(), "every handover resumed, none fell back");
    }

    /** Sends {@link #PIPELINED} messages at a time until {@code restarted}, then once more. */
    private static Map<String, SendResult> sendUntil(Device device, String prefix, CompletableFuture<Void> restarted)
            throws Exception {
        Map<String, SendResult> acks = new LinkedHashMap<>();
        int n = 0;
        for (int round = 0; round < 500; round++) {
            boolean last = restarted.isDone();
            List<CompletableFuture<SendResult>> replies = new ArrayList<>();
            List<String> sent = new ArrayList<>();
            for (int k = 0; k < PIPELINED; k++) {
                String id = prefix + ++n;
                sent.add(id);
                replies.add(device.client.send(id, device.user + " says " + id));
            }
            for (int k = 0; k < PIPELINED; k++) {
                acks.put(device.couple + "/" + device.user + "/" + sent.get(k),
                        replies.get(k).get(WAIT.toSeconds(), TimeUnit.SECONDS));
            }
            if (last) {
                break;
            }
            Thread.sleep(40);
        }
        return acks;
    }

    /**
     * A raw client, no SDK: sends bursts of calls with increasing seqids and records any reply that comes before one
     * of an earlier call. Retries (same id) what storage refused while its couple moved.
     */
    private final class Pipeliner {
        final String couple;
        final TestChatClient client;
        final List<String> outOfOrder = Collections.synchronizedList(new ArrayList<>());
        private final String user = "pipeliner";
        private int seqId = 1000;

        Pipeliner(String couple) throws Exception {
            this.couple = couple;
            rawClients = NettyTransport.best().newGroup(1, new DefaultThreadFactory("raw-client"));
            client = TestChatClient.connect(rawClients, system.presenter().port(), system.clientTls());
            String token = new TokenSigner(ChatCluster.KEYS, Clock.systemUTC()).sign(user, couple, "nobody",
                    Duration.ofHours(1));
            client.authenticate(token, 0);
        }

        Map<String, SendResult> sendUntil(CompletableFuture<Void> restarted) throws Exception {
            Map<String, SendResult> acks = new LinkedHashMap<>();
            int n = 0;
            for (int round = 0; round < 500; round++) {
                boolean last = restarted.isDone();
                List<String> ids = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    ids.add("p" + ++n);
                }
                while (!ids.isEmpty()) {
                    ids = burst(ids, acks);
                }
                if (last) {
                    break;
                }
                Thread.sleep(40);
            }
            return acks;
        }

        /** Sends {@code ids} back to back; returns those storage asked to retry. */
        private List<String> burst(List<String> ids, Map<String, SendResult> acks) throws Exception {
            List<Integer> arrivals = Collections.synchronizedList(new ArrayList<>());
            List<CompletableFuture<ThriftMessage>> replies = new ArrayList<>();
            int first = seqId + 1;
            for (String id : ids) {
                int mine = ++seqId;
                CompletableFuture<ThriftMessage> reply = client.callAsync("sendMessage", mine,
                        new ChatService.sendMessage_args(id, user + " says " + id));
                reply.thenRun(() -> arrivals.add(mine));
                replies.add(reply);
            }
            List<String> retry = new ArrayList<>();
            for (int k = 0; k < ids.size(); k++) {
                ThriftMessage reply = replies.get(k).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                ChatService.sendMessage_result result = (ChatService.sendMessage_result) reply.body();
                if (result.isSetSuccess()) {
                    acks.put(couple + "/" + user + "/" + ids.get(k), result.getSuccess());
                } else {
                    retry.add(ids.get(k));
                }
            }
            List<Integer> expected = new ArrayList<>();
            for (int s = first; s <= seqId; s++) {
                expected.add(s);
            }
            if (!arrivals.equals(expected)) {
                outOfOrder.add("sent " + expected + ", answered " + arrivals);
            }
            if (!retry.isEmpty()) {
                Thread.sleep(50);
            }
            return retry;
        }

        List<Long> received() {
            return client.pushes().stream()
                    .filter(push -> push.body() instanceof ClientEvents.messageReceived_args)
                    .map(push -> ((ClientEvents.messageReceived_args) push.body()).getMessage().getSeq())
                    .toList();
        }
    }

    private double handovers(String result) {
        Counter counter = system.presenterMeters().find("duet.presenter.handovers").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aResumptionTheNewOwnerRefusesEndsInSessionEndingAndAReconnect() throws Exception {
        system = new TestSystem(data, "/handover-refused-" + System.nanoTime());
        system.startServer("cs-1", b -> b);
        Presenter presenter = system.startPresenter(b -> b);
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 1, WAIT));
        Device device = new Device("ann", ChatCluster.coupleOwnedBy("cs-1", "cs-1", "cs-2"), "bob");
        device.client = system.connect(device.user, device.couple, device.partner, options -> options, device);
        assertEquals(1, device.client.send("1", "ann says 1").get(WAIT.toSeconds(), TimeUnit.SECONDS).getSeq());

        // The only other member checks tokens with other keys: it refuses the resumed stream (AUTH_FAILED).
        TokenKeys otherKeys = TokenKeys.single("other-key", new byte[32]);
        system.startServer("cs-2", otherKeys, b -> b, system.zookeeper());
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 2, WAIT));
        system.startedServer("cs-1").drain(Duration.ofSeconds(20));

        assertTrue(ChatCluster.waitFor(() -> device.disruptions.contains("sessionEnding(MOVED, couple moved)")),
                "the client was told: " + device.disruptions);
        assertEquals(1.0, handovers("auth_failed"));
        assertEquals(0.0, handovers("resumed"));
    }

    @Test
    void aResumptionNotAcceptedInTimeEndsInSessionEndingAndAReconnect() throws Exception {
        system = new TestSystem(data, "/handover-timeout-" + System.nanoTime());
        system.startServer("cs-1", b -> b);
        Presenter presenter = system.startPresenter(b -> b.poolSize(1).routeTimeout(Duration.ofSeconds(2)));
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 1, WAIT));
        String couple = ChatCluster.coupleOwnedBy("cs-1", "cs-1", "cs-2");
        Device device = new Device("ann", couple, "bob");
        device.client = system.connect(device.user, couple, device.partner, options -> options, device);

        // cs-2 takes one stream per mux connection, and the presenter's pool to it holds one connection, filled by a
        // client of a couple cs-2 owns: every resumption there is refused OVERLOAD, and the presenter retries until
        // its deadline.
        system.startServer("cs-2", b -> b.muxMaxStreams(1));
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 2, WAIT));
        String other = ChatCluster.coupleOwnedBy("cs-2", "cs-1", "cs-2");
        Device occupant = new Device("cat", other, "dan");
        occupant.client = system.connect(occupant.user, other, occupant.partner, options -> options, occupant);
        system.startedServer("cs-1").drain(Duration.ofSeconds(20));

        assertTrue(ChatCluster.waitFor(() -> device.disruptions.contains("sessionEnding(MOVED, couple moved)")),
                "the client was told: " + device.disruptions);
        assertEquals(1.0, handovers("timeout"));
        assertEquals(List.of(), occupant.disruptions);
    }

    @Test
    void withHandoverTurnedOffAMovedClientIsToldAndReconnects() throws Exception {
        system = new TestSystem(data, "/handover-off-" + System.nanoTime());
        system.startServer("cs-1", b -> b.streamHandover(false));
        Presenter presenter = system.startPresenter(b -> b);
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 1, WAIT));
        Device device = new Device("ann", ChatCluster.coupleOwnedBy("cs-1", "cs-1", "cs-2"), "bob");
        device.client = system.connect(device.user, device.couple, device.partner, options -> options, device);
        system.startServer("cs-2", b -> b.streamHandover(false));
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 2, WAIT));
        system.startedServer("cs-1").drain(Duration.ofSeconds(20));

        assertTrue(ChatCluster.waitFor(() -> device.disruptions.contains("sessionEnding(DRAINING, server draining)")),
                "the client was told: " + device.disruptions);
        assertTrue(ChatCluster.waitFor(() -> device.disruptions.contains("reconnected")), "and came back");
        assertEquals(1, device.client.send("1", "ann says 1").get(WAIT.toSeconds(), TimeUnit.SECONDS).getSeq());
        assertEquals(0.0, handovers("resumed"));
    }
}

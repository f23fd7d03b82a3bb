package dev.duet.launcher;

import dev.duet.chat.ChatServer;
import dev.duet.chat.service.ChatLimits;
import dev.duet.chat.store.AppendRequest;
import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.store.OwnerClaim;
import dev.duet.chat.store.OwnershipLostException;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.client.ChatListener;
import dev.duet.client.DuetClient;
import dev.duet.presenter.Presenter;
import dev.duet.ring.HashRing;
import dev.duet.ring.Member;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The delivery promise, end to end through TLS, the presenter, the mux and real chat servers over the in-process HBase
 * and its ZooKeeper: on every device every seq of its couple arrives exactly once, in order, equal to HBase's history,
 * and every acknowledged message is stored once — while faults are injected:
 * <ul>
 *   <li>appends answered late: the chat servers' append deadline is a few milliseconds, so many replies are
 *       {@code UNAVAILABLE} although HBase applied the write, and half the devices time out their own calls quickly;
 *       both retry with the same id;</li>
 *   <li>partners reuse each other's client message ids (both number their messages 1, 2, 3);</li>
 *   <li>ring changes while couples send: a chat server joins, another drains and leaves;</li>
 *   <li>a second owner appending for a moved couple with the claim it had before the move;</li>
 *   <li>devices reconnecting with a stale {@code lastSeenSeq} (they forget what came after it).</li>
 * </ul>
 * Seeded: the seed is in every failure message; {@code mvn verify -Dduet.delivery.seed=N} replays its choices (thread
 * timing still varies), and
 * {@code -Dduet.delivery.messages=M} makes each device send M messages (default 12) for a longer run.
 */
class DeliveryUnderFaultsTest {
    private static final int COUPLES = 4;
    private static final Duration WAIT = TestSystem.WAIT;

    @TempDir
    Path data;

    private TestSystem system;
    private final List<ChatServer> servers = new ArrayList<>();
    private final List<Device> devices = new ArrayList<>();

    @AfterEach
    void stop() {
        if (system != null) {
            system.close();
        }
    }

    /** One device of one person: what it received, in order, as its app would keep it. */
    private final class Device {
        final String user;
        final String couple;
        final String partner;
        private final List<Long> received = new ArrayList<>();
        private volatile DuetClient client;
        private volatile boolean reconnecting;
        private int generation;

        Device(String user, String couple, String partner) {
            this.user = user;
            this.couple = couple;
            this.partner = partner;
        }

        /** Connects a new client; pushes still arriving on an older one are no longer this device's. */
        void connect(long lastSeen, Duration callTimeout) throws Exception {
            int mine;
            synchronized (this) {
                mine = ++generation;
            }
            client = system.connect(user, couple, partner,
                    options -> options.withLastSeenSeq(lastSeen).withCallTimeout(callTimeout), new ChatListener() {
                        @Override
                        public void messageReceived(Message message) {
                            synchronized (Device.this) {
                                if (generation == mine) {
                                    received.add(message.getSeq());
                                }
                            }
                        }
                    });
        }

        DuetClient client() {
            return client;
        }

        /** Drops the connection and comes back having kept only what it received up to {@code seq}. */
        void reconnectFrom(long seq, Duration callTimeout) throws Exception {
            DuetClient old = client;
            reconnecting = true;
            synchronized (this) {
                generation++;
                received.removeIf(s -> s > seq);
            }
            old.close();
            try {
                connect(seq, callTimeout);
            } finally {
                reconnecting = false;
            }
        }

        /** Whether {@code old} was replaced (waiting while a reconnect is under way). */
        boolean replaced(DuetClient old) throws InterruptedException {
            return ChatCluster.waitFor(() -> !reconnecting) && client != old;
        }

        synchronized List<Long> received() {
            return List.copyOf(received);
        }
    }

    private ChatServer startServer(String id) throws Exception {
        ChatServer server = system.startServer(id,
                b -> b.limits(ChatLimits.defaults().withAppendTimeout(Duration.ofMillis(15))));
        servers.add(server);
        return server;
    }

    @Test
    void everyDeviceGetsEverySeqOnceInOrderUnderRetriesRingChangesAndReconnects() throws Exception {
        long seed = Long.getLong("duet.delivery.seed", System.nanoTime());
        int perDevice = Integer.getInteger("duet.delivery.messages", 12);
        Random random = new Random(seed);
        String context = "seed " + seed + " (rerun with -Dduet.delivery.seed=" + seed + ")";

        system = new TestSystem(data, "/delivery-" + seed);
        for (int i = 1; i <= 3; i++) {
            startServer("cs-" + i);
        }
        Presenter presenter = system.startPresenter(b -> b);
        assertTrue(presenter.ring().awaitRing(ring -> ring.members().size() == 3, WAIT));

        List<String> couples = new ArrayList<>();
        for (int c = 0; c < COUPLES; c++) {
            String couple = "delivery-" + seed + "-" + c;
            couples.add(couple);
            for (String[] people : new String[][]{{"ann", "bob"}, {"bob", "ann"}}) {
                for (int d = 0; d < 2; d++) {
                    Device device = new Device(people[0] + "-" + c, couple, people[1] + "-" + c);
                    device.connect(0, callTimeout(d));
                    devices.add(device);
                }
            }
        }

        ExecutorService senders = Executors.newFixedThreadPool(devices.size());
        Map<String, SendResult> acknowledged = new HashMap<>();
        List<Future<Map<String, SendResult>>> sending = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            Device device = devices.get(i);
            // A person's two devices number their messages 1, 3, 5 … and 2, 4, 6 …: ids are per sender, and the
            // partner uses the same numbers.
            int first = 1 + i % 2;
            long pause = 20 + random.nextInt(40);
            sending.add(senders.submit(() -> sendAll(device, first, perDevice, pause)));
        }

        // Faults while the devices send.
        Thread.sleep(500 + random.nextInt(500));
        HashRing before = presenter.ring().ring();
        long incarnation = servers.get(0).ring().incarnation();
        ChatServer joined = startServer("cs-4");
        String moved = couples.stream().filter(c -> before.ownerOf(c) != null
                && joined.ring().ring().ownerOf(c).id().equals("cs-4")).findFirst().orElse(null);
        reconnectStale(random);
        Thread.sleep(300 + random.nextInt(500));
        ChatServer leaving = servers.get(random.nextInt(3));
        leaving.drain(Duration.ofSeconds(10));
        leaving.close();
        reconnectStale(random);

        for (Future<Map<String, SendResult>> future : sending) {
            acknowledged.putAll(future.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        senders.shutdown();
        assertEquals(devices.size() * perDevice, acknowledged.size(), "every send acknowledged; " + context);
        long answeredByAnEarlierAttempt = acknowledged.values().stream().filter(SendResult::isDuplicate).count();
        System.out.printf("delivery run: %s, %d messages, %d acknowledged by an earlier attempt's copy, "
                + "couple moved to the new server: %s, server drained: %s%n", context, acknowledged.size(),
                answeredByAnEarlierAttempt, moved, leaving.id());

        HBaseChatStore store = system.store();
        if (moved != null) {
            Member oldOwner = before.ownerOf(moved);
            OwnerClaim stale = new OwnerClaim(incarnation, before.epoch(), 0, oldOwner.id());
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> store.append(moved, stale, List.of(new AppendRequest("intruder", "x", "stale")))
                            .get(1, TimeUnit.MINUTES));
            assertInstanceOf(OwnershipLostException.class, refused.getCause(), context);
        }
        for (String couple : couples) {
            checkCouple(store, couple, acknowledged, context);
        }
    }

    /** Half the devices time their calls out quickly, so they often resend a message the server is storing. */
    private static Duration callTimeout(int device) {
        return device % 2 == 0 ? Duration.ofSeconds(15) : Duration.ofMillis(500);
    }

    private static Map<String, SendResult> sendAll(Device device, int first, int count, long pauseMillis)
            throws Exception {
        Map<String, SendResult> acks = new HashMap<>();
        for (int n = 0; n < count; n++) {
            String id = Integer.toString(first + 2 * n);
            String body = device.user + " says " + id;
            SendResult ack = null;
            while (ack == null) {
                DuetClient client = device.client();
                try {
                    ack = client.send(id, body).get(WAIT.toSeconds(), TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException stuck) {
                    throw new AssertionError(device.user + " of " + device.couple + ": message " + id
                            + " unacknowledged for " + WAIT.toSeconds() + " s; client " + client.state()
                            + ", contiguous seq " + client.lastSeenSeq() + ", received " + device.received(), stuck);
                } catch (ExecutionException closed) {
                    if (!device.replaced(client)) {
                        throw closed;
                    }
                    // The device reconnected under this send: the same id again on its new client.
                }
            }
            acks.put(device.couple + "/" + device.user + "/" + id, ack);
            Thread.sleep(pauseMillis);
        }
        return acks;
    }

    /** Two devices drop their connection and come back as if they had kept only part of what they received. */
    private void reconnectStale(Random random) throws Exception {
        for (int i = 0; i < 2; i++) {
            int index = random.nextInt(devices.size());
            Device device = devices.get(index);
            List<Long> had = device.received();
            device.reconnectFrom(had.isEmpty() ? 0 : had.get(random.nextInt(had.size())), callTimeout(index));
        }
    }

    private void checkCouple(HBaseChatStore store, String couple, Map<String, SendResult> acknowledged,
                             String context) throws Exception {
        Map<String, Supplier<List<Long>>> received = new LinkedHashMap<>();
        for (int i = 0; i < devices.size(); i++) {
            Device device = devices.get(i);
            if (device.couple.equals(couple)) {
                received.put(device.user + " (device " + i + ")", device::received);
            }
        }
        CoupleHistory.check(store, couple, acknowledged, received, context);
    }
}

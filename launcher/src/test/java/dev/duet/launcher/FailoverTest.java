package dev.duet.launcher;

import dev.duet.chat.ChatServer;
import dev.duet.chat.store.HBaseChatStore;
import dev.duet.chat.testing.ChatCluster;
import dev.duet.client.ChatListener;
import dev.duet.client.ConnectionState;
import dev.duet.client.DuetClient;
import dev.duet.protocol.testing.FaultProxy;
import dev.duet.ring.HashRing;
import dev.duet.thrift.chat.Message;
import dev.duet.thrift.chat.SendResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The failover promises of docs/operations.md, under real faults on real sockets: a chat server that vanishes from the
 * network (its mux port refuses, its connections reset, its znode stays until its session expires), a black-holed
 * mux connection, and a ZooKeeper cut for the chat servers. Couples send in a closed loop throughout; afterwards every
 * acknowledged message is in HBase once, and nothing else is.
 */
class FailoverTest {
    /** Far above the few seconds failover takes, far below the ZooKeeper session timeout (30 s here). */
    private static final long RECOVERY_BOUND_MILLIS = 10_000;
    private static final int COUPLES = 9;

    @TempDir
    Path data;

    private TestSystem system;
    private final List<Sender> senders = new ArrayList<>();
    private final List<FaultProxy> proxies = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        senders.forEach(Sender::stop);
        if (system != null) {
            system.close();
        }
        for (FaultProxy proxy : proxies) {
            proxy.close();
        }
    }

    /** One device sending in a closed loop: the time of every acknowledgement, and what was acknowledged. */
    private static final class Sender implements ChatListener {
        final String couple;
        final List<Long> ackMillis = new ArrayList<>();
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        final AtomicInteger reconnects = new AtomicInteger();
        DuetClient client;
        private volatile boolean running = true;
        private Thread thread;

        Sender(String couple) {
            this.couple = couple;
        }

        void start() {
            thread = new Thread(() -> {
                for (int n = 1; running; n++) {
                    try {
                        SendResult ack = client.send("m-" + n, "message " + n).get(60, TimeUnit.SECONDS);
                        synchronized (this) {
                            ackMillis.add(System.currentTimeMillis());
                        }
                        acked.put("m-" + n, ack.getSeq());
                        Thread.sleep(20);
                    } catch (Exception e) {
                        return;
                    }
                }
            }, "sender-" + couple);
            thread.start();
        }

        void stop() {
            running = false;
            if (thread != null) {
                try {
                    thread.join(70_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** The longest time without an acknowledgement from {@code since} until the first ack after it. */
        synchronized long longestPauseAround(long since) {
            long before = since;
            for (long at : ackMillis) {
                if (at < since) {
                    before = at;
                } else {
                    return at - before;
                }
            }
            return Long.MAX_VALUE;
        }

        @Override
        public void stateChanged(ConnectionState state) {
            if (state == ConnectionState.RECONNECTING) {
                reconnects.incrementAndGet();
            }
        }
    }

    /**
     * Couples spread evenly over the ring's members: random names can leave the server a test breaks owning none
     * (with nine couples on three servers, a few runs in a hundred).
     */
    private List<String> couplesOnEveryMember(String prefix) {
        HashRing ring = system.presenter().ring().ring();
        int perMember = COUPLES / ring.members().size();
        Map<String, Integer> owned = new HashMap<>();
        List<String> couples = new ArrayList<>();
        for (int i = 0; couples.size() < COUPLES && i < 100_000; i++) {
            String couple = prefix + "-" + i;
            if (owned.merge(ring.ownerOf(couple).id(), 1, Integer::sum) <= perMember) {
                couples.add(couple);
            }
        }
        assertEquals(COUPLES, couples.size(), "couples spread over " + ring.members().keySet());
        return couples;
    }

    private void startSenders(String prefix) throws Exception {
        for (String couple : couplesOnEveryMember(prefix)) {
            Sender sender = new Sender(couple);
            sender.client = system.connect("ann", sender.couple, "bob", options -> options, sender);
            senders.add(sender);
        }
        senders.forEach(Sender::start);
        assertTrue(ChatCluster.waitFor(() -> senders.stream().allMatch(s -> s.acked.size() >= 3)), "every couple sends");
    }

    /** Every acknowledged message is in HBase, once, with its seq; nothing unacknowledged is. */
    private void checkNothingLostOrDuplicated() throws Exception {
        senders.forEach(Sender::stop);
        HBaseChatStore store = system.store();
        for (Sender sender : senders) {
            long last = store.lastSeq(sender.couple).get(1, TimeUnit.MINUTES);
            List<Message> history = store.range(sender.couple, 1, last).get(1, TimeUnit.MINUTES);
            assertEquals(last, history.size(), "dense seqs in " + sender.couple);
            assertTrue(history.size() >= sender.acked.size(), "acknowledged but not stored in " + sender.couple);
            for (Message message : history) {
                Long ackedSeq = sender.acked.get(message.getClientMsgId());
                if (ackedSeq != null) {
                    assertEquals(ackedSeq, message.getSeq(), message.getClientMsgId() + " in " + sender.couple);
                }
            }
            assertEquals(history.size(), history.stream().map(Message::getClientMsgId).distinct().count(),
                    "a message stored twice in " + sender.couple);
            // At most the one send in flight when the loop stopped is stored without its ack having been seen.
            assertTrue(history.size() - sender.acked.size() <= 1, "stored beyond what was sent: " + sender.couple);
        }
    }

    /** Three chat servers, each behind its own proxy, so a test can make one vanish from the network. */
    private List<ChatServer> serversBehindProxies(Duration pingInterval, Duration pingThreshold) throws Exception {
        system = new TestSystem(data, "/failover-" + System.nanoTime());
        List<ChatServer> servers = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            int port = TestSystem.freePort();
            FaultProxy proxy = new FaultProxy(new InetSocketAddress("127.0.0.1", port));
            proxies.add(proxy);
            servers.add(system.startServer("cs-" + i, b -> b.muxPort(port).advertisedMuxPort(proxy.port())));
        }
        system.startPresenter(b -> b.muxPing(pingInterval, pingThreshold));
        assertTrue(system.presenter().ring().awaitRing(ring -> ring.members().size() == 3, TestSystem.WAIT));
        return servers;
    }

    private static void assertServedAgain(List<Sender> affected, long faultMillis, String fault) throws Exception {
        assertTrue(!affected.isEmpty(), "some couple was on the faulty server");
        List<Long> pauses = new ArrayList<>();
        for (Sender sender : affected) {
            assertTrue(ChatCluster.waitFor(() -> sender.longestPauseAround(faultMillis) != Long.MAX_VALUE), sender.couple);
            long pause = sender.longestPauseAround(faultMillis);
            assertTrue(pause < RECOVERY_BOUND_MILLIS, sender.couple + " had no ack for " + pause + " ms");
            pauses.add(pause);
        }
        System.out.printf("%s chat server: longest pause without an ack per affected couple, ms: %s%n", fault,
                pauses.stream().sorted().toList());
    }

    private List<Sender> sendersOwnedBy(String memberId) {
        HashRing ring = system.presenter().ring().ring();
        return senders.stream().filter(s -> ring.ownerOf(s.couple).id().equals(memberId)).toList();
    }

    @Test
    void theCouplesOfAChatServerThatVanishedAreServedAgainInSecondsNotAtTheSessionTimeout() throws Exception {
        serversBehindProxies(Duration.ofSeconds(1), Duration.ofSeconds(2));
        startSenders("vanish-" + System.nanoTime());
        List<Sender> affected = sendersOwnedBy("cs-2");
        long killed = System.currentTimeMillis();
        proxies.get(1).close();
        assertServedAgain(affected, killed, "vanished");
        assertTrue(system.presenter().ring().ring().member("cs-2").isPresent(),
                "served again while the dead server was still on the ring");
        checkNothingLostOrDuplicated();
    }

    @Test
    void aBlackHoledMuxConnectionIsJudgedSickAndItsClientsAreRoutedElsewhere() throws Exception {
        serversBehindProxies(Duration.ofMillis(250), Duration.ofMillis(750));
        startSenders("blackhole-" + System.nanoTime());
        List<Sender> affected = sendersOwnedBy("cs-3");
        long cut = System.currentTimeMillis();
        proxies.get(2).hold(FaultProxy.Direction.TO_TARGET);
        proxies.get(2).hold(FaultProxy.Direction.FROM_TARGET);
        assertServedAgain(affected, cut, "black-holed");
        checkNothingLostOrDuplicated();
    }

    @Test
    void aZooKeeperCutForTheChatServersDisconnectsNoClient() throws Exception {
        system = new TestSystem(data, "/zkcut-" + System.nanoTime());
        FaultProxy toZooKeeper = new FaultProxy(system.zookeeperAddress());
        proxies.add(toZooKeeper);
        List<ChatServer> servers = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            servers.add(system.startServer("cs-" + i, b -> b,
                    system.zookeeper("127.0.0.1:" + toZooKeeper.port(), Duration.ofSeconds(4))));
        }
        system.startPresenter(b -> b);
        assertTrue(system.presenter().ring().awaitRing(ring -> ring.members().size() == 3, TestSystem.WAIT));
        startSenders("zkcut-" + System.nanoTime());

        toZooKeeper.hold(FaultProxy.Direction.TO_TARGET);
        toZooKeeper.hold(FaultProxy.Direction.FROM_TARGET);
        assertTrue(system.presenter().ring().awaitRing(ring -> ring.members().isEmpty(), TestSystem.WAIT),
                "the chat servers' sessions expired");
        assertTrue(servers.stream().noneMatch(ChatServer::isRegistered), "no chat server says it is on the ring");
        int acked = senders.stream().mapToInt(s -> s.acked.size()).sum();
        assertTrue(ChatCluster.waitFor(() -> senders.stream().mapToInt(s -> s.acked.size()).sum() > acked + 3 * COUPLES),
                "every couple is still served with an empty ring in ZooKeeper");
        toZooKeeper.release();
        assertTrue(system.presenter().ring().awaitRing(ring -> ring.members().size() == 3, TestSystem.WAIT),
                "the chat servers are back on the ring");
        assertTrue(ChatCluster.waitFor(() -> servers.stream().allMatch(ChatServer::isRegistered)), "registered again");
        assertEquals(0, senders.stream().mapToInt(s -> s.reconnects.get()).sum(), "no client was disconnected");
        checkNothingLostOrDuplicated();
    }
}

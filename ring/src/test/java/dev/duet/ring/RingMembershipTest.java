package dev.duet.ring;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RingMembershipTest {
    private static final String PATH = "/duet/ring";
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final int SESSION_TIMEOUT_MS = 4_000;

    private TestingServer zookeeper;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeEach
    void startZooKeeper() throws Exception {
        zookeeper = new TestingServer(true);
    }

    @AfterEach
    void stopEverything() throws Exception {
        Collections.reverse(closeables);
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
        zookeeper.close();
    }

    private CuratorFramework client(String connectString) {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(connectString)
                .namespace("test")
                .sessionTimeoutMs(SESSION_TIMEOUT_MS)
                .connectionTimeoutMs(2_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 10, 1_000))
                .build();
        client.start();
        closeables.add(client);
        return client;
    }

    private RingMembership membership(CuratorFramework client) {
        RingMembership membership = new RingMembership(client, PATH);
        membership.start();
        closeables.add(membership);
        return membership;
    }

    private static Member member(String id) {
        return new Member(id, "127.0.0.1", 7100, 7101);
    }

    private static boolean hasMembers(HashRing ring, String... ids) {
        return ring.members().keySet().equals(Set.of(ids));
    }

    @Test
    void watchersSeeRegisteredMembersWithRisingEpochs() throws Exception {
        RingMembership watcher = membership(client(zookeeper.getConnectString()));
        List<Long> epochs = Collections.synchronizedList(new ArrayList<>());
        watcher.listenable().addListener((previous, current) -> epochs.add(current.epoch()));

        membership(client(zookeeper.getConnectString())).register(member("chat-a"), WAIT);
        membership(client(zookeeper.getConnectString())).register(member("chat-b"), WAIT);

        assertTrue(watcher.awaitRing(ring -> hasMembers(ring, "chat-a", "chat-b"), WAIT));
        assertEquals(member("chat-a"), watcher.ring().member("chat-a").orElseThrow());
        assertTrue(watcher.isConnected());
        assertTrue(watcher.epoch() > 0);
        List<Long> seen = List.copyOf(epochs);
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i) > seen.get(i - 1), "epochs must rise: " + seen);
        }
    }

    @Test
    void deregisteringTakesAMemberOffTheRing() throws Exception {
        RingMembership watcher = membership(client(zookeeper.getConnectString()));
        RingMembership server = membership(client(zookeeper.getConnectString()));
        server.register(member("chat-a"), WAIT);
        assertTrue(watcher.awaitRing(ring -> hasMembers(ring, "chat-a"), WAIT));
        long before = watcher.epoch();
        server.deregister();
        assertTrue(watcher.awaitRing(HashRing::isEmpty, WAIT));
        assertTrue(watcher.epoch() > before);
    }

    @Test
    void anExpiredSessionDropsTheMemberUntilItRegistersAgain() throws Exception {
        RingMembership watcher = membership(client(zookeeper.getConnectString()));
        CuratorFramework serverClient = client(zookeeper.getConnectString());
        membership(serverClient).register(member("chat-a"), WAIT);
        membership(client(zookeeper.getConnectString())).register(member("chat-b"), WAIT);
        assertTrue(watcher.awaitRing(ring -> hasMembers(ring, "chat-a", "chat-b"), WAIT));

        CountDownLatch dropped = new CountDownLatch(1);
        CountDownLatch back = new CountDownLatch(1);
        watcher.listenable().addListener((previous, current) -> {
            if (hasMembers(current, "chat-b")) {
                dropped.countDown();
            } else if (dropped.getCount() == 0 && hasMembers(current, "chat-a", "chat-b")) {
                back.countDown();
            }
        });
        expireSession(serverClient);
        assertTrue(dropped.await(WAIT.toSeconds(), TimeUnit.SECONDS), "chat-a should leave the ring");
        assertTrue(back.await(WAIT.toSeconds(), TimeUnit.SECONDS), "chat-a should register again");
    }

    @Test
    void watchersAndMembersRecoverFromAZooKeeperRestart() throws Exception {
        RingMembership watcher = membership(client(zookeeper.getConnectString()));
        membership(client(zookeeper.getConnectString())).register(member("chat-a"), WAIT);
        membership(client(zookeeper.getConnectString())).register(member("chat-b"), WAIT);
        assertTrue(watcher.awaitRing(ring -> hasMembers(ring, "chat-a", "chat-b"), WAIT));
        long epochBefore = watcher.epoch();

        zookeeper.stop();
        assertTrue(waitFor(() -> !watcher.isConnected(), WAIT), "the watcher should notice");
        assertTrue(hasMembers(watcher.ring(), "chat-a", "chat-b"), "the last ring stays in force meanwhile");
        Thread.sleep(SESSION_TIMEOUT_MS + 1_000);
        zookeeper.restart();

        assertTrue(waitFor(watcher::isConnected, WAIT));
        assertTrue(watcher.awaitRing(ring -> hasMembers(ring, "chat-a", "chat-b") && ring.epoch() > epochBefore, WAIT),
                "members should be back on a newer ring, got " + watcher.ring());
    }

    @Test
    void independentWatchersAgreeOnOwnersForTheSameEpoch() throws Exception {
        RingMembership first = membership(client(zookeeper.getConnectString()));
        RingMembership second = membership(client(zookeeper.getConnectString()));
        for (String id : List.of("chat-a", "chat-b", "chat-c")) {
            membership(client(zookeeper.getConnectString())).register(member(id), WAIT);
        }
        assertTrue(first.awaitRing(ring -> ring.members().size() == 3, WAIT));
        assertTrue(second.awaitRing(ring -> ring.epoch() == first.epoch(), WAIT));
        HashRing a = first.ring();
        HashRing b = second.ring();
        assertEquals(a.epoch(), b.epoch());
        for (int i = 0; i < 10_000; i++) {
            assertEquals(a.ownerOf("couple-" + i), b.ownerOf("couple-" + i));
        }
    }

    @Test
    void aCrashedMemberLeavesTheRingWithinTheSessionTimeout() throws Exception {
        RingMembership watcher = membership(client(zookeeper.getConnectString()));
        // The member reaches ZooKeeper only through the proxy: closing it silences the member for good.
        TcpProxy proxy = new TcpProxy(new InetSocketAddress("127.0.0.1", zookeeper.getPort()));
        closeables.add(proxy);
        membership(client(proxy.connectString())).register(member("chat-x"), WAIT);
        membership(client(zookeeper.getConnectString())).register(member("chat-y"), WAIT);
        assertTrue(watcher.awaitRing(ring -> hasMembers(ring, "chat-x", "chat-y"), WAIT));

        long crashed = System.nanoTime();
        proxy.close();
        assertTrue(watcher.awaitRing(ring -> hasMembers(ring, "chat-y"), WAIT));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - crashed);
        assertTrue(tookMillis < SESSION_TIMEOUT_MS * 2L, "took " + tookMillis + " ms");
        assertFalse(watcher.ring().member("chat-x").isPresent());
    }

    /** Ends a session from the server side, as its expiry would: ZooKeeper closes it and deletes its ephemerals. */
    private void expireSession(CuratorFramework victim) throws Exception {
        ZooKeeper original = victim.getZookeeperClient().getZooKeeper();
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper twin = new ZooKeeper(zookeeper.getConnectString(), SESSION_TIMEOUT_MS, event -> {
            if (event.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        }, original.getSessionId(), original.getSessionPasswd());
        assertTrue(connected.await(10, TimeUnit.SECONDS));
        twin.close();
    }

    private static boolean waitFor(java.util.function.BooleanSupplier condition, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return condition.getAsBoolean();
    }
}

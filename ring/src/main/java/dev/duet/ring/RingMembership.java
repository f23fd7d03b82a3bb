package dev.duet.ring;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.listen.Listenable;
import org.apache.curator.framework.listen.StandardListenerManager;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.recipes.watch.PersistentWatcher;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * Ring membership kept in ZooKeeper, in the manner of a Curator recipe: {@link #start()}, {@link #close()}, a
 * listener container, and one thread of its own that {@code close()} stops.
 *
 * <h3>Layout</h3>
 * Each ready chat server is an ephemeral znode {@code <path>/members/<id>} whose data is its {@link Member}. The
 * Curator client's namespace, if any, is the chroot.
 *
 * <h3>Watching</h3>
 * A persistent recursive watch on the members path signals changes; on each (coalesced) signal the membership reads
 * the children and their data afresh and builds a new {@link HashRing} whose epoch is the highest ZooKeeper transaction
 * id among the members path's last child change and each member's last data change. Zxids only grow (unless the
 * ensemble's data is wiped, which is logged), so epochs do too,
 * and any two processes that read the same membership compute the same epoch and the same owners.
 *
 * <h3>Incarnation</h3>
 * {@code <path>/incarnation} holds a random number written once, when the ring is first used in an ensemble. Epochs
 * are comparable only between rings of one incarnation: an ensemble whose data was wiped (the embedded ZooKeeper of
 * {@code duet local} starts empty every time) counts zxids from the start again, and gets a new incarnation.
 *
 * <h3>Session loss</h3>
 * While disconnected the last ring stays in force ({@link #isConnected()} turns false). On reconnection the ring is
 * read again, and a registered member whose session expired is created again by Curator's {@link PersistentNode}.
 */
public final class RingMembership implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(RingMembership.class);
    private static final long RETRY_MILLIS = 1_000;

    private final CuratorFramework client;
    private final String membersPath;
    private final String incarnationPath;
    private final int virtualNodes;
    private final ScheduledExecutorService executor;
    private final StandardListenerManager<RingListener> listeners = StandardListenerManager.standard();
    private final AtomicBoolean refreshPending = new AtomicBoolean();
    private final ConnectionStateListener connectionListener = this::connectionChanged;
    private final PersistentWatcher watcher;
    private volatile Snapshot current = new Snapshot(HashRing.empty(), 0);

    /** A ring and the incarnation it was read in, published together so that no reader mixes two reads. */
    public record Snapshot(HashRing ring, long incarnation) {
    }
    private volatile boolean connected;
    private volatile boolean closed;
    private PersistentNode registration;

    /**
     * @param client       a started Curator client; its namespace is the chroot
     * @param path         the ring's path, e.g. {@code /duet/ring}
     * @param virtualNodes virtual nodes per member of weight 1.0
     */
    public RingMembership(CuratorFramework client, String path, int virtualNodes) {
        this.client = client;
        this.membersPath = ZKPaths.makePath(path, "members");
        this.incarnationPath = ZKPaths.makePath(path, "incarnation");
        this.virtualNodes = virtualNodes;
        this.executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "duet-ring" + membersPath);
            thread.setDaemon(true);
            return thread;
        });
        this.watcher = new PersistentWatcher(client, membersPath, true);
    }

    public RingMembership(CuratorFramework client, String path) {
        this(client, path, HashRing.DEFAULT_VIRTUAL_NODES);
    }

    public void start() {
        client.getConnectionStateListenable().addListener(connectionListener);
        connected = client.getZookeeperClient().isConnected();
        watcher.getListenable().addListener(event -> requestRefresh());
        watcher.getResetListenable().addListener(this::requestRefresh);
        watcher.start();
        requestRefresh();
    }

    /** The current ring; the last one built while ZooKeeper is unreachable. */
    public HashRing ring() {
        return current.ring();
    }

    /** The current ring with its incarnation. */
    public Snapshot snapshot() {
        return current;
    }

    public long epoch() {
        return current.ring().epoch();
    }

    /** Virtual nodes per member of weight 1.0, as this membership builds its rings. */
    public int virtualNodes() {
        return virtualNodes;
    }

    /** The incarnation of the ensemble's ring ({@code 0} until the first read): epochs compare only within one. */
    public long incarnation() {
        return current.incarnation();
    }

    public boolean isConnected() {
        return connected;
    }

    public Listenable<RingListener> listenable() {
        return listeners;
    }

    /**
     * Puts {@code self} on the ring and waits until its znode exists. Call when the server is ready to take streams.
     */
    public synchronized void register(Member self, Duration timeout) throws Exception {
        if (registration != null) {
            throw new IllegalStateException("already registered");
        }
        PersistentNode node = new PersistentNode(client, CreateMode.EPHEMERAL, false,
                ZKPaths.makePath(membersPath, self.id()), self.toBytes());
        node.start();
        if (!node.waitForInitialCreate(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            node.close();
            throw new IOException("could not register " + self.id() + " in ZooKeeper within " + timeout);
        }
        registration = node;
    }

    /**
     * Takes this server off the ring (its znode is deleted); the first step of draining. Throws when ZooKeeper could
     * not be told, in which case the znode only goes when the session ends.
     */
    public synchronized void deregister() throws IOException {
        if (registration != null) {
            PersistentNode node = registration;
            registration = null;
            node.close();
        }
    }

    /** Waits until the current ring satisfies {@code condition}; returns whether it did within {@code timeout}. */
    public boolean awaitRing(Predicate<HashRing> condition, Duration timeout) throws InterruptedException {
        CountDownLatch reached = new CountDownLatch(1);
        RingListener listener = (previous, current) -> {
            if (condition.test(current)) {
                reached.countDown();
            }
        };
        listeners.addListener(listener);
        try {
            return condition.test(current.ring()) || reached.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            listeners.removeListener(listener);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            deregister();
        } catch (IOException e) {
            log.warn("could not delete this member's znode ({}); it goes when the ZooKeeper session ends", e.toString());
        }
        watcher.close();
        client.getConnectionStateListenable().removeListener(connectionListener);
        executor.shutdownNow();
        listeners.clear();
    }

    private void connectionChanged(CuratorFramework ignored, ConnectionState state) {
        connected = state.isConnected();
        if (state == ConnectionState.RECONNECTED || state == ConnectionState.CONNECTED) {
            requestRefresh();
        }
    }

    private void requestRefresh() {
        if (!closed && refreshPending.compareAndSet(false, true)) {
            executeQuietly(executor, this::refresh);
        }
    }

    private void refresh() {
        refreshPending.set(false);
        if (closed) {
            return;
        }
        try {
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            long incarnation = readIncarnation(zk);
            HashRing next = read(zk);
            HashRing previous = current.ring();
            if (next.epoch() != previous.epoch() || incarnation != current.incarnation()) {
                if (next.epoch() < previous.epoch()) {
                    log.warn("ZooKeeper's transaction ids went back from {} to {}: was the ensemble rebuilt?",
                            previous.epoch(), next.epoch());
                }
                current = new Snapshot(next, incarnation);
                log.info("ring epoch {}: {}", next.epoch(), next.members().keySet());
                listeners.forEach(listener -> listener.ringChanged(previous, next));
            }
        } catch (Exception e) {
            if (closed) {
                return;
            }
            if (connected) {
                log.warn("could not read the ring at {} ({}); keeping epoch {} and retrying", membersPath,
                        e.toString(), current.ring().epoch());
                executor.schedule(this::requestRefresh, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                // The reconnection brings a refresh of its own.
                log.debug("ring read while disconnected failed: {}", e.toString());
            }
        }
    }

    private long readIncarnation(ZooKeeper zk) throws Exception {
        String path = ZKPaths.fixForNamespace(client.getNamespace(), incarnationPath);
        try {
            return ByteBuffer.wrap(zk.getData(path, false, null)).getLong();
        } catch (KeeperException.NoNodeException absent) {
            byte[] fresh = ByteBuffer.allocate(Long.BYTES).putLong(new SecureRandom().nextLong() & Long.MAX_VALUE)
                    .array();
            try {
                client.create().creatingParentContainersIfNeeded().forPath(incarnationPath, fresh);
            } catch (KeeperException.NodeExistsException raced) {
                // another process wrote it first: its number is the incarnation
            }
            return ByteBuffer.wrap(zk.getData(path, false, null)).getLong();
        }
    }

    /**
     * Reads the membership with the plain ZooKeeper handle, not through Curator's retry loop: a read begun while
     * disconnected fails at once instead of holding the ring's thread in backoff sleeps, and the refresh that the
     * reconnection brings runs right away.
     */
    private HashRing read(ZooKeeper zk) throws Exception {
        String members = ZKPaths.fixForNamespace(client.getNamespace(), membersPath);
        Stat parent = new Stat();
        List<String> children;
        try {
            children = zk.getChildren(members, false, parent);
        } catch (KeeperException.NoNodeException e) {
            client.createContainers(membersPath);
            children = zk.getChildren(members, false, parent);
        }
        long epoch = parent.getPzxid();
        List<Member> found = new ArrayList<>(children.size());
        for (String child : children) {
            Stat stat = new Stat();
            byte[] data;
            try {
                data = zk.getData(ZKPaths.makePath(members, child), false, stat);
            } catch (KeeperException.NoNodeException gone) {
                // Deleted since we listed it: the deletion's own event brings a newer read.
                continue;
            }
            epoch = Math.max(epoch, stat.getMzxid());
            try {
                found.add(Member.fromBytes(data));
            } catch (IllegalArgumentException e) {
                log.warn("ignoring ring member {} with unreadable data: {}", child, e.getMessage());
            }
        }
        return HashRing.of(epoch, found, virtualNodes);
    }

    private static void executeQuietly(ExecutorService executor, Runnable task) {
        try {
            executor.execute(task);
        } catch (RejectedExecutionException closing) {
            // closed concurrently: nothing left to refresh
        }
    }
}

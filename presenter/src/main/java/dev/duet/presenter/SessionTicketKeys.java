package dev.duet.presenter;

import io.netty.handler.ssl.OpenSslSessionTicketKey;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * TLS session-ticket keys shared by every presenter through one znode, so a client can resume on any presenter the
 * session it began on another and skip the full handshake.
 *
 * <p>The znode holds up to {@link #KEPT} keys, newest first, each {@code createdAt:8 name:16 hmac:16 aes:16}. The
 * newest encrypts new tickets; all decrypt, so tickets outlive a rotation. Rotation needs no leader: every presenter
 * checks each minute whether the newest key is older than the rotation interval and, if so, tries to prepend a new
 * one with a versioned write; one wins, the others see its write. The keys are secrets: protect the znode with
 * ZooKeeper ACLs in production.
 */
final class SessionTicketKeys implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(SessionTicketKeys.class);
    static final int KEPT = 3;
    private static final int ENTRY = 8 + OpenSslSessionTicketKey.TICKET_KEY_SIZE;

    private final CuratorFramework client;
    private final String path;
    private final Duration rotation;
    private final ServerTls tls;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final CuratorCache cache;
    private final ScheduledExecutorService rotator = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "duet-ticket-keys");
        thread.setDaemon(true);
        return thread;
    });

    SessionTicketKeys(CuratorFramework client, String path, Duration rotation, ServerTls tls, Clock clock) {
        this.client = client;
        this.path = path;
        this.rotation = rotation;
        this.tls = tls;
        this.clock = clock;
        this.cache = CuratorCache.build(client, path, CuratorCache.Options.SINGLE_NODE_CACHE);
    }

    void start() {
        cache.listenable().addListener((type, before, after) -> {
            if (after != null) {
                apply(after);
            }
        });
        cache.start();
        rotator.scheduleWithFixedDelay(this::rotateIfDue, 0, 1, TimeUnit.MINUTES);
    }

    private void apply(ChildData data) {
        List<OpenSslSessionTicketKey> keys = new ArrayList<>();
        ByteBuffer bytes = ByteBuffer.wrap(data.getData());
        while (bytes.remaining() >= ENTRY) {
            bytes.getLong();
            byte[] name = new byte[OpenSslSessionTicketKey.NAME_SIZE];
            byte[] hmac = new byte[OpenSslSessionTicketKey.HMAC_KEY_SIZE];
            byte[] aes = new byte[OpenSslSessionTicketKey.AES_KEY_SIZE];
            bytes.get(name).get(hmac).get(aes);
            keys.add(new OpenSslSessionTicketKey(name, hmac, aes));
        }
        if (!keys.isEmpty()) {
            tls.ticketKeys(keys);
            log.info("applied {} session ticket keys (znode version {})", keys.size(), data.getStat().getVersion());
        }
    }

    /** Prepends a fresh key when there is none or the newest is older than the rotation interval. */
    void rotateIfDue() {
        try {
            Stat stat = new Stat();
            byte[] current;
            try {
                current = client.getData().storingStatIn(stat).forPath(path);
            } catch (KeeperException.NoNodeException absent) {
                client.create().creatingParentsIfNeeded().forPath(path, newEntry());
                return;
            }
            long newest = current.length >= 8 ? ByteBuffer.wrap(current).getLong() : 0;
            if (clock.millis() - newest < rotation.toMillis()) {
                return;
            }
            int keep = Math.min(current.length / ENTRY, KEPT - 1);
            ByteBuffer next = ByteBuffer.allocate(ENTRY * (keep + 1)).put(newEntry()).put(current, 0, keep * ENTRY);
            client.setData().withVersion(stat.getVersion()).forPath(path, next.array());
        } catch (KeeperException.NodeExistsException | KeeperException.BadVersionException raced) {
            log.debug("another presenter rotated the ticket keys first");
        } catch (Exception e) {
            log.warn("could not check or rotate the session ticket keys: {}", e.toString());
        }
    }

    private byte[] newEntry() {
        byte[] key = new byte[OpenSslSessionTicketKey.TICKET_KEY_SIZE];
        random.nextBytes(key);
        return ByteBuffer.allocate(ENTRY).putLong(clock.millis()).put(key).array();
    }

    @Override
    public void close() {
        rotator.shutdownNow();
        cache.close();
    }
}

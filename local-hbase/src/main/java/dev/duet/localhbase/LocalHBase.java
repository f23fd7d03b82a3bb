package dev.duet.localhbase;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HBaseConfiguration;
import org.apache.hadoop.hbase.HConstants;
import org.apache.hadoop.hbase.LocalHBaseCluster;
import org.apache.hadoop.hbase.master.HMaster;
import org.apache.hadoop.hbase.zookeeper.MiniZooKeeperCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * HBase in standalone mode inside this process, with its own ZooKeeper: one master and one region server writing to a
 * local directory. It is the single-machine default ({@code duet local}) and what the tests run against. Data
 * survives a restart on the same directory. The ZooKeeper is an ordinary one: the ring can live in it too.
 */
public final class LocalHBase implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(LocalHBase.class);
    /** The longest stall of this process that HBase rides out. */
    private static final Duration STALL_TOLERANCE = Duration.ofMinutes(2);

    private final MiniZooKeeperCluster zookeeper;
    private final LocalHBaseCluster cluster;
    private final int zookeeperPort;

    private LocalHBase(MiniZooKeeperCluster zookeeper, LocalHBaseCluster cluster, int zookeeperPort) {
        this.zookeeper = zookeeper;
        this.cluster = cluster;
        this.zookeeperPort = zookeeperPort;
    }

    /**
     * Starts ZooKeeper on {@code zookeeperPort} (0: any free port) and HBase with its data under {@code dataDir},
     * and waits until the master is initialised.
     */
    public static LocalHBase start(Path dataDir, int zookeeperPort, Duration timeout) throws IOException,
            InterruptedException {
        Files.createDirectories(dataDir);
        Configuration conf = HBaseConfiguration.create();
        conf.set(HConstants.HBASE_DIR, dataDir.resolve("hbase").toUri().toString());
        conf.setBoolean(HConstants.CLUSTER_DISTRIBUTED, false);
        conf.set(HConstants.ZOOKEEPER_QUORUM, "127.0.0.1");
        conf.setInt(HConstants.MASTER_INFO_PORT, -1);
        conf.setInt(HConstants.REGIONSERVER_INFO_PORT, -1);
        conf.setBoolean(LocalHBaseCluster.ASSIGN_RANDOM_PORTS, true);
        // The local file system cannot hflush/hsync the way HDFS does; standalone mode accepts that.
        conf.setBoolean("hbase.unsafe.stream.capability.enforce", false);

        // A whole-process stall (a laptop asleep, SIGSTOP, a long GC) must not expire the region server's ZooKeeper
        // session: it aborts on expiry, and nothing here would restart it. Sessions of up to 2 min need a 6 s tick
        // (ZooKeeper allows 2 to 20 ticks).
        conf.setInt(HConstants.ZK_SESSION_TIMEOUT, (int) STALL_TOLERANCE.toMillis());
        MiniZooKeeperCluster zookeeper = new MiniZooKeeperCluster(conf);
        zookeeper.setTickTime((int) STALL_TOLERANCE.toMillis() / 20);
        if (zookeeperPort > 0) {
            zookeeper.setDefaultClientPort(zookeeperPort);
        }
        int port = zookeeper.startup(dataDir.resolve("zookeeper").toFile());
        conf.setInt(HConstants.ZOOKEEPER_CLIENT_PORT, port);
        LocalHBaseCluster cluster;
        try {
            cluster = new LocalHBaseCluster(conf, 1, 1);
            cluster.startup();
        } catch (IOException | RuntimeException e) {
            zookeeper.shutdown();
            throw e;
        }
        LocalHBase hbase = new LocalHBase(zookeeper, cluster, port);
        hbase.awaitMaster(timeout);
        log.info("local HBase ready: data in {}, ZooKeeper on 127.0.0.1:{}", dataDir, port);
        return hbase;
    }

    private void awaitMaster(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            HMaster master = cluster.getActiveMaster();
            if (master != null && master.isInitialized()) {
                return;
            }
            Thread.sleep(100);
        }
        close();
        throw new IOException("local HBase did not become ready within " + timeout);
    }

    /** A client configuration pointing at this HBase. */
    public Configuration clientConfiguration() {
        Configuration client = HBaseConfiguration.create();
        client.set(HConstants.ZOOKEEPER_QUORUM, "127.0.0.1");
        client.setInt(HConstants.ZOOKEEPER_CLIENT_PORT, zookeeperPort);
        return client;
    }

    /** {@code host:port} of the embedded ZooKeeper. */
    public String zookeeperConnectString() {
        return "127.0.0.1:" + zookeeperPort;
    }

    /** The embedded ZooKeeper's address, for a proxy in front of it. */
    public InetSocketAddress zookeeperAddress() {
        return new InetSocketAddress("127.0.0.1", zookeeperPort);
    }

    @Override
    public void close() throws IOException {
        cluster.shutdown();
        cluster.join();
        zookeeper.shutdown();
    }
}

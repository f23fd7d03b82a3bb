package dev.duet.bench.cluster;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hbase.HConstants;
import org.apache.hadoop.hbase.client.Admin;
import org.apache.hadoop.hbase.client.Connection;
import org.apache.hadoop.hbase.client.ConnectionFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * HBase as separate processes, from the HBase jars on this JVM's class path: a ZooKeeper server, a master and
 * {@code regionServers} region servers, each a JVM of its own, sharing a root directory on the local file system
 * (which HBase supports for a cluster on one machine; WAL recovery after a killed region server works as on HDFS).
 * Region servers' ZooKeeper sessions time out after {@link #SESSION_TIMEOUT_MILLIS}: how soon the master notices a
 * killed one.
 */
final class HBaseCluster implements AutoCloseable {
    static final int SESSION_TIMEOUT_MILLIS = 10_000;
    private static final List<String> JVM_OPTIONS = List.of("-Xmx1g",
            "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
            "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED");

    private final Path work;
    private final int zookeeperPort;
    private final Process zookeeper;
    private final Process master;
    private final Map<String, Process> regionServers = new LinkedHashMap<>();
    private final Map<String, Integer> regionServerPorts = new LinkedHashMap<>();

    private HBaseCluster(Path work, int zookeeperPort, Process zookeeper, Process master) {
        this.work = work;
        this.zookeeperPort = zookeeperPort;
        this.zookeeper = zookeeper;
        this.master = master;
    }

    static HBaseCluster start(Path work, int regionServers) throws Exception {
        int zookeeperPort = freePort();
        Files.createDirectories(work.resolve("conf"));
        Files.writeString(work.resolve("conf/hbase-site.xml"), site(work, zookeeperPort, regionServers));
        Process zookeeper = launch(work, "zookeeper", List.of("org.apache.zookeeper.server.ZooKeeperServerMain",
                Integer.toString(zookeeperPort), work.resolve("zookeeper").toString()));
        HBaseCluster cluster = null;
        try {
            Process master = launch(work, "master", List.of("org.apache.hadoop.hbase.master.HMaster",
                    "-D", "hbase.master.port=" + freePort(), "start"));
            cluster = new HBaseCluster(work, zookeeperPort, zookeeper, master);
            for (int i = 1; i <= regionServers; i++) {
                String name = "regionserver-" + i;
                int port = freePort();
                cluster.regionServerPorts.put(name, port);
                cluster.regionServers.put(name, launch(work, name, List.of(
                        "org.apache.hadoop.hbase.regionserver.HRegionServer",
                        "-D", "hbase.regionserver.port=" + port, "start")));
            }
            cluster.awaitRegionServers(regionServers, TimeUnit.MINUTES.toNanos(3));
            return cluster;
        } catch (Exception e) {
            if (cluster != null) {
                cluster.close();
            } else {
                zookeeper.destroyForcibly();
            }
            throw e;
        }
    }

    /** A client configuration for this cluster. */
    Configuration clientConfiguration() {
        Configuration conf = new Configuration();
        conf.set(HConstants.ZOOKEEPER_QUORUM, "127.0.0.1");
        conf.setInt(HConstants.ZOOKEEPER_CLIENT_PORT, zookeeperPort);
        return conf;
    }

    String zookeeperConnectString() {
        return "127.0.0.1:" + zookeeperPort;
    }

    /** The RPC ports of the region servers, by name. */
    Map<String, Integer> regionServerPorts() {
        return regionServerPorts;
    }

    /** SIGKILL: the region server gets no chance to close its regions or its WAL. */
    void kill(String regionServer) throws InterruptedException {
        Process process = regionServers.get(regionServer);
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    private void awaitRegionServers(int count, long timeoutNanos) throws Exception {
        long deadline = System.nanoTime() + timeoutNanos;
        try (Connection connection = ConnectionFactory.createConnection(clientConfiguration());
             Admin admin = connection.getAdmin()) {
            while (true) {
                for (Map.Entry<String, Process> server : regionServers.entrySet()) {
                    if (!server.getValue().isAlive()) {
                        throw new IllegalStateException(server.getKey() + " exited: see "
                                + work.resolve(server.getKey() + ".log"));
                    }
                }
                try {
                    if (admin.getRegionServers().size() >= count) {
                        return;
                    }
                } catch (IOException notYet) {
                    // the master is still starting
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("fewer than " + count + " region servers after 3 minutes: see "
                            + work);
                }
                Thread.sleep(500);
            }
        }
    }

    private static String site(Path work, int zookeeperPort, int regionServers) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("hbase.cluster.distributed", "true");
        properties.put("hbase.rootdir", work.resolve("hbase").toUri().toString());
        properties.put("hbase.tmp.dir", work.resolve("tmp").toString());
        properties.put("hbase.zookeeper.quorum", "127.0.0.1");
        properties.put("hbase.zookeeper.property.clientPort", Integer.toString(zookeeperPort));
        properties.put("zookeeper.session.timeout", Integer.toString(SESSION_TIMEOUT_MILLIS));
        // The local file system cannot promise hflush to the WAL's checks; the processes, not the disk, fail here.
        properties.put("hbase.unsafe.stream.capability.enforce", "false");
        properties.put("hbase.master.info.port", "-1");
        properties.put("hbase.regionserver.info.port", "-1");
        properties.put("hbase.master.wait.on.regionservers.mintostart", Integer.toString(regionServers));
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
        properties.forEach((name, value) -> xml.append("  <property><name>").append(name).append("</name><value>")
                .append(value).append("</value></property>\n"));
        return xml.append("</configuration>\n").toString();
    }

    private static Process launch(Path work, String name, List<String> mainAndArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(JVM_OPTIONS);
        command.add("-cp");
        command.add(work.resolve("conf") + java.io.File.pathSeparator + System.getProperty("java.class.path"));
        command.addAll(mainAndArgs);
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".log").toFile()).start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        for (Process process : regionServers.values()) {
            process.destroyForcibly();
        }
        master.destroyForcibly();
        zookeeper.destroyForcibly();
        for (Process process : regionServers.values()) {
            process.waitFor(30, TimeUnit.SECONDS);
        }
        master.waitFor(30, TimeUnit.SECONDS);
        zookeeper.waitFor(30, TimeUnit.SECONDS);
    }
}

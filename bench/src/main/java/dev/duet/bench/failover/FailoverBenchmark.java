package dev.duet.bench.failover;

import dev.duet.localhbase.LocalHBase;
import dev.duet.presenter.SelfSignedCertificate;
import dev.duet.protocol.auth.TokenKeys;
import dev.duet.protocol.testing.FaultProxy;
import dev.duet.ring.HashRing;
import dev.duet.ring.RingMembership;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.duet.bench.failover.BenchProcesses.awaitPort;
import static dev.duet.bench.failover.BenchProcesses.freePort;
import static dev.duet.bench.failover.BenchProcesses.percentile;
import static dev.duet.bench.failover.BenchProcesses.require;
import static dev.duet.bench.failover.BenchProcesses.start;

/**
 * Failover with real processes: the in-process HBase and its ZooKeeper here, three chat servers and a presenter as
 * their own JVMs, couples sending in a closed loop through TLS. Two faults, one after the other:
 * <ol>
 *   <li>ZooKeeper cut for the chat servers only (their ZooKeeper connections go through a proxy that drops
 *   everything) for longer than their session timeout: client disconnects counted;</li>
 *   <li>kill -9 of the chat server owning the most couples: per affected couple, the time from the kill to its next
 *   acknowledgement.</li>
 * </ol>
 * Then every acknowledged message is looked up in HBase. JSON lines on stdout.
 *
 * <p>Arguments: {@code [couples (60)] [ZooKeeper cut seconds (30)]}.
 */
public final class FailoverBenchmark {
    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(15);

    private FailoverBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int couples = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        int cutSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path work = Files.createTempDirectory("duet-failover");
        List<Process> processes = new ArrayList<>();
        try (LocalHBase hbase = LocalHBase.start(work.resolve("hbase"), 0, Duration.ofMinutes(3));
             FaultProxy zookeeperForChatServers = new FaultProxy(hbase.zookeeperAddress())) {
            TokenKeys keys = TokenKeys.generate(work.resolve("token-keys.properties"), "bench-1");
            SelfSignedCertificate certificate = SelfSignedCertificate.in(work.resolve("tls"));
            Map<String, Process> chatServers = new LinkedHashMap<>();
            int zookeeperPort = hbase.zookeeperAddress().getPort();
            for (int i = 1; i <= 3; i++) {
                String id = "cs-" + i;
                Process server = start(work, id, "dev.duet.chat.ChatServerMain", "--id", id, "--bind", "127.0.0.1",
                        "--mux-port", Integer.toString(freePort()), "--admin-port", Integer.toString(freePort()),
                        "--zookeeper", "127.0.0.1:" + zookeeperForChatServers.port(),
                        "--zookeeper-session-timeout", SESSION_TIMEOUT.toString(),
                        "--hbase-quorum", "127.0.0.1", "--hbase-port", Integer.toString(zookeeperPort),
                        "--token-keys", work.resolve("token-keys.properties").toString());
                chatServers.put(id, server);
                processes.add(server);
            }
            int presenterPort = freePort();
            processes.add(start(work, "presenter", "dev.duet.presenter.PresenterMain", "--id", "presenter-1",
                    "--bind", "127.0.0.1", "--port", Integer.toString(presenterPort),
                    "--admin-port", Integer.toString(freePort()), "--cert", certificate.certificate().toString(),
                    "--key", certificate.privateKey().toString(),
                    "--token-keys", work.resolve("token-keys.properties").toString(),
                    "--zookeeper", hbase.zookeeperConnectString()));
            awaitPort(presenterPort);

            CuratorFramework zookeeper = CuratorFrameworkFactory.newClient(hbase.zookeeperConnectString(),
                    new ExponentialBackoffRetry(100, 10));
            zookeeper.start();
            try (RingMembership ring = new RingMembership(zookeeper, "/duet/ring")) {
                ring.start();
                require(ring.awaitRing(view -> view.members().size() == 3, Duration.ofMinutes(2)), "3 members");
                List<ClosedLoopSender> senders = new ArrayList<>();
                for (int i = 0; i < couples; i++) {
                    senders.add(new ClosedLoopSender("failover-" + i, keys, presenterPort, certificate));
                }
                senders.forEach(ClosedLoopSender::start);
                Thread.sleep(3_000);

                zookeeperCut(ring, zookeeperForChatServers, senders, cutSeconds);
                kill(ring.ring(), chatServers, senders);
                senders.forEach(ClosedLoopSender::stop);
                ClosedLoopSender.check(hbase, senders, "\"benchmark\":\"failover\"");
                senders.forEach(ClosedLoopSender::close);
            } finally {
                zookeeper.close();
            }
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
    }

    private static void zookeeperCut(RingMembership ring, FaultProxy proxy, List<ClosedLoopSender> senders, int seconds)
            throws Exception {
        int disconnectsBefore = senders.stream().mapToInt(s -> s.disconnects.get()).sum();
        int acksBefore = senders.stream().mapToInt(ClosedLoopSender::acks).sum();
        proxy.hold(FaultProxy.Direction.TO_TARGET);
        proxy.hold(FaultProxy.Direction.FROM_TARGET);
        Thread.sleep(seconds * 1000L);
        boolean ringEmptied = ring.ring().members().isEmpty();
        int acksDuringCut = senders.stream().mapToInt(ClosedLoopSender::acks).sum() - acksBefore;
        long released = System.nanoTime();
        proxy.release();
        boolean back = ring.awaitRing(view -> view.members().size() == 3, Duration.ofMinutes(1));
        double backSeconds = (System.nanoTime() - released) / 1e9;
        int disconnects = senders.stream().mapToInt(s -> s.disconnects.get()).sum() - disconnectsBefore;
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"failover\",\"case\":\"zookeeper_cut\",\"cutSeconds\":%d,"
                        + "\"sessionTimeoutSeconds\":%d,\"ringEmptiedInZooKeeper\":%b,\"couples\":%d,"
                        + "\"disconnects\":%d,\"acksDuringCut\":%d,\"ringBackSeconds\":%s}%n", seconds,
                SESSION_TIMEOUT.toSeconds(), ringEmptied, senders.size(), disconnects, acksDuringCut,
                back ? String.format(Locale.ROOT, "%.2f", backSeconds) : "null");
        Thread.sleep(3_000);
    }

    private static void kill(HashRing ring, Map<String, Process> chatServers, List<ClosedLoopSender> senders)
            throws Exception {
        Map<String, List<ClosedLoopSender>> byOwner = new LinkedHashMap<>();
        for (ClosedLoopSender sender : senders) {
            byOwner.computeIfAbsent(ring.ownerOf(sender.couple).id(), id -> new ArrayList<>()).add(sender);
        }
        String victim = byOwner.entrySet().stream().max(Comparator.comparingInt(e -> e.getValue().size()))
                .orElseThrow().getKey();
        List<ClosedLoopSender> affected = byOwner.get(victim);
        long killed = System.currentTimeMillis();
        chatServers.get(victim).destroyForcibly().waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && affected.stream().anyMatch(s -> s.firstAckAfter(killed) < 0)) {
            Thread.sleep(50);
        }
        List<Double> pauses = new ArrayList<>();
        for (ClosedLoopSender sender : affected) {
            long ack = sender.firstAckAfter(killed);
            pauses.add(ack < 0 ? Double.POSITIVE_INFINITY : (ack - killed) / 1000.0);
        }
        pauses.sort(null);
        System.out.printf(Locale.ROOT, "{\"benchmark\":\"failover\",\"case\":\"kill_9\",\"sessionTimeoutSeconds\":%d,"
                        + "\"affectedCouples\":%d,\"recoveryP50Seconds\":%.2f,\"recoveryP99Seconds\":%.2f,"
                        + "\"recoveryMaxSeconds\":%.2f}%n", SESSION_TIMEOUT.toSeconds(), affected.size(),
                percentile(pauses, 0.50), percentile(pauses, 0.99),
                pauses.get(pauses.size() - 1));
    }
}
